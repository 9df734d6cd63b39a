"""Logins counted before hashing, across processes, and user administration in one transaction, on
SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text

from custody.clock import FixedClock
from custody.credentials import ARGON2_HASH_BYTES, ARGON2_SALT_BYTES
from custody.errors import LoginFailed, LoginThrottled
from custody.identity import Identity
from custody.model import Department, Role
from custody.passwords import Passwords
from custody.services import Custody
from custody.sessions import Sessions
from custody.users import Users

PASSWORD = "correct horse battery staple"
GUESSES = 40


class CountingHasher(PasswordHasher):
    """Cheap argon2id that counts verifications against one stored hash (decoys are not counted)."""

    def __init__(self) -> None:
        super().__init__(
            time_cost=1,
            memory_cost=1024,
            parallelism=1,
            hash_len=ARGON2_HASH_BYTES,
            salt_len=ARGON2_SALT_BYTES,
        )
        self.watched = ""
        self.verified = 0
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        if hash == self.watched:
            with self._lock:
                self.verified += 1
        return super().verify(hash, password)


@dataclass(frozen=True)
class Accounts:
    """The passwords, sessions and users of one process, hashing with the test's hasher."""

    passwords: Passwords
    sessions: Sessions
    users: Users

    @classmethod
    def over(cls, custody: Custody, hasher: PasswordHasher) -> Accounts:
        passwords = Passwords(custody.store, hasher=hasher)
        return cls(passwords, Sessions(custody.store, passwords), Users(custody.store, passwords))


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


@pytest.fixture
def identities(custody: Custody, database_url: str, clock: FixedClock, hasher: CountingHasher) -> Any:
    """Two services over one database, as two processes would be (each its own engine and writer);
    ng-clerk has a password whose hash the hasher watches."""
    other = Custody.open(database_url, clock)
    first, second = Accounts.over(custody, hasher), Accounts.over(other, hasher)
    first.users.set_password(custody.users.actor("admin"), "ng-clerk", PASSWORD)
    with custody.engine.connect() as conn:
        hasher.watched = conn.execute(text("SELECT password_hash FROM user_credentials")).scalar_one()
    yield first, second
    other.close()


def _guess_at_once(identities: Any, clients: list[str]) -> list[BaseException | None]:
    start = threading.Barrier(len(clients))

    def guess(n: int) -> BaseException | None:
        start.wait()
        try:
            identities[n % 2].sessions.login("ng-clerk", f"wrong guess {n:03}", clients[n])
        except (LoginFailed, LoginThrottled) as refused:
            return refused
        return None

    with ThreadPoolExecutor(len(clients)) as pool:
        return list(pool.map(guess, range(len(clients))))


def test_parallel_guesses_from_one_address_verify_at_most_five_and_pass_the_throttle_ten_times(
    identities, hasher
):
    outcomes = _guess_at_once(identities, ["10.9.8.7"] * GUESSES)
    assert hasher.verified <= 5
    assert sum(isinstance(o, LoginFailed) for o in outcomes) <= 10
    assert sum(isinstance(o, LoginThrottled) for o in outcomes) >= GUESSES - 10
    assert all(o is not None for o in outcomes)
    with pytest.raises(LoginThrottled):
        identities[0].sessions.login("ng-clerk", PASSWORD, "10.9.8.7")
    with pytest.raises(LoginFailed):  # the account is locked: the right password fails elsewhere too
        identities[1].sessions.login("ng-clerk", PASSWORD, "10.1.1.1")


def test_parallel_guesses_from_many_addresses_verify_at_most_five_and_lock_the_account(identities, hasher):
    outcomes = _guess_at_once(identities, [f"10.0.0.{n}" for n in range(GUESSES)])
    assert all(isinstance(o, LoginFailed) for o in outcomes)
    assert hasher.verified <= 5
    verified = hasher.verified
    with pytest.raises(LoginFailed):
        identities[0].sessions.login("ng-clerk", PASSWORD, "10.2.2.2")
    assert hasher.verified == verified  # while locked, the stored hash is not even checked


def test_a_right_password_within_the_first_five_logs_in_and_clears_the_count(identities, clock):
    first, _ = identities
    for n in range(4):
        with pytest.raises(LoginFailed):
            first.sessions.login("ng-clerk", f"wrong guess {n}", "10.3.3.3")
    assert first.sessions.login("ng-clerk", PASSWORD, "10.3.3.3").actor.username == "ng-clerk"
    for n in range(4):
        with pytest.raises(LoginFailed):
            first.sessions.login("ng-clerk", f"wrong guess {n}", "10.3.3.4")
    assert first.sessions.login("ng-clerk", PASSWORD, "10.3.3.4").actor.username == "ng-clerk"


def test_a_lock_ends_after_fifteen_minutes_and_the_count_starts_again(identities, clock):
    first, second = identities
    for n in range(5):
        with pytest.raises(LoginFailed):
            first.sessions.login("ng-clerk", f"wrong guess {n}", f"10.4.4.{n}")
    with pytest.raises(LoginFailed):
        second.sessions.login("ng-clerk", PASSWORD, "10.4.5.1")
    clock.advance(15 * 60)
    with pytest.raises(LoginFailed):
        second.sessions.login("ng-clerk", "one more wrong guess", "10.4.5.2")
    assert second.sessions.login("ng-clerk", PASSWORD, "10.4.5.3").actor.username == "ng-clerk"


def test_the_throttle_holds_across_processes_and_frees_as_the_window_moves(identities, clock):
    first, second = identities
    for n in range(10):
        with pytest.raises(LoginFailed):
            (first, second)[n % 2].sessions.login(f"nobody-{n}", PASSWORD, "10.5.5.5")
        clock.advance(1)
    with pytest.raises(LoginThrottled) as held:
        second.sessions.login("ng-clerk", PASSWORD, "10.5.5.5")
    assert held.value.retry_after_s == 290
    assert first.sessions.login("ng-clerk", PASSWORD, "10.5.5.6").actor.username == "ng-clerk"
    clock.advance(290)
    assert first.sessions.login("ng-clerk", PASSWORD, "10.5.5.5").actor.username == "ng-clerk"


def test_a_second_person_is_confirmed_by_their_own_password_without_a_session(identities, custody):
    first, _ = identities
    assert first.passwords.confirm("ng-clerk", PASSWORD, "cli").username == "ng-clerk"
    with pytest.raises(LoginFailed):
        first.passwords.confirm("ng-clerk", "not the password", "cli")
    with custody.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM user_sessions")).scalar_one() == 0


class Unstorable:
    """A value no database driver binds: the write of the password fails."""


class UnstorableHasher(CountingHasher):
    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        return Unstorable()  # type: ignore[return-value] - no database can bind it


def test_a_user_whose_password_cannot_be_stored_is_not_created(custody):
    accounts = Accounts.over(custody, UnstorableHasher())
    with pytest.raises(Exception, match=r"(?i)type|adapt|bind"):
        accounts.users.create(
            custody.users.actor("admin"),
            "new-clerk",
            "新",
            "220102",
            Department.EVIDENCE_ROOM,
            [Role.CLERK],
            PASSWORD,
        )
    assert "new-clerk" not in _cast_names(custody)


def _cast_names(custody: Custody) -> list[str]:
    with custody.engine.connect() as conn:
        return list(conn.execute(text("SELECT username FROM users")).scalars())


def test_a_deactivation_whose_sessions_cannot_be_ended_changes_nothing(custody, hasher):
    accounts = Accounts.over(custody, hasher)
    admin = custody.users.actor("admin")
    accounts.users.set_password(admin, "ng-clerk", PASSWORD)
    session = accounts.sessions.login("ng-clerk", PASSWORD, "10.6.6.6")
    with custody.engine.begin() as conn:
        if custody.engine.dialect.name == "sqlite":
            conn.execute(
                text(
                    "CREATE TRIGGER sessions_frozen BEFORE UPDATE ON user_sessions "
                    "BEGIN SELECT RAISE(ABORT, 'sessions frozen'); END"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE TRIGGER sessions_frozen BEFORE UPDATE ON user_sessions "
                    "FOR EACH ROW EXECUTE FUNCTION custody_refuse_change()"
                )
            )
    with pytest.raises(Exception, match=r"user_sessions|frozen"):
        accounts.users.set_active(admin, "ng-clerk", False)
    assert accounts.users.get(admin, "ng-clerk").active is True
    assert accounts.sessions.authenticate(session.token).actor.username == "ng-clerk"


class ResettingHasher(CountingHasher):
    """While the watched hash is being checked, an administrator sets a new password."""

    def __init__(self) -> None:
        super().__init__()
        self.during_check: Any = None

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        if hash == self.watched and self.during_check is not None:
            self.during_check, reset = None, self.during_check
            reset()
        return super().verify(hash, password)


def test_a_password_reset_while_the_old_one_is_checked_refuses_the_login(custody):
    hasher = ResettingHasher()
    accounts = Accounts.over(custody, hasher)
    admin = custody.users.actor("admin")
    accounts.users.set_password(admin, "ng-clerk", PASSWORD)
    with custody.engine.connect() as conn:
        hasher.watched = conn.execute(text("SELECT password_hash FROM user_credentials")).scalar_one()
    hasher.during_check = lambda: accounts.users.set_password(admin, "ng-clerk", "issued by the admin")
    with pytest.raises(LoginFailed):
        accounts.sessions.login("ng-clerk", PASSWORD, "10.7.7.7")
    assert accounts.sessions.login("ng-clerk", "issued by the admin", "10.7.7.7").actor.username == "ng-clerk"


def test_a_correction_in_the_store_through_identity_act_needs_the_witnesss_own_password(
    custody: Custody, passwords
):
    from custody.errors import InvalidInput, SecondPersonNotConfirmed, TransitionRefused
    from custody.intake import FirearmIntake
    from custody.model import EventType

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    identity = Identity(custody, Passwords(custody.store, hasher=cheap))
    clerk, custodian = custody.users.actor("ng-clerk"), custody.users.actor("ng-custodian")
    custody.cases.open(clerk, "K-TWO")
    gun = custody.items.register_firearm(clerk, "K-TWO", FirearmIntake("手枪", "54式", "7", "7.62mm", True))
    custody.cases.close(clerk, "K-TWO")
    offered = custody.handovers.offer(clerk, "K-TWO", "ng-custodian", [gun.evidence_no])
    custody.handovers.accept(custodian, offered.id)
    number, correction = gun.evidence_no, EventType.CORRECTED
    payload = {"changes": {"serial_number": "8"}, "reason": "登记时抄错编号"}
    head = custody.ledger.head()
    with pytest.raises(TransitionRefused, match="needs a witness"):
        identity.act(custodian, number, correction, 3, payload)
    with pytest.raises(InvalidInput, match="witness confirms") as missing:
        identity.act(custodian, number, correction, 3, payload, "ng-clerk2")
    assert missing.value.field == "witness_password"
    with pytest.raises(SecondPersonNotConfirmed):
        identity.act(custodian, number, correction, 3, payload, "ng-clerk2", {"witness": "wrong"})
    assert custody.ledger.head() == head
    done = identity.act(custodian, number, correction, 3, payload, "ng-clerk2", {"witness": passwords})
    assert done.state == "handed_over" and custody.ledger.head().seq == head.seq + 1
