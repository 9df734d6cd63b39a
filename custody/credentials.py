"""Secrets the service hands out or receives, and how each one is kept.

**Passwords** are hashed with argon2id (RFC 9106) through argon2-cffi: 19 MiB of memory, 2 passes,
1 lane, a 16-byte random salt and a 32-byte hash, the minimum the OWASP Password Storage Cheat Sheet
recommends for argon2id. One verification costs about 50 ms on one core of the reference machine
(RFC 9106's 64 MiB, 3-pass option costs about 440 ms there, too much for a two-core bureau server under
a login burst). The stored PHC string (``$argon2id$v=19$m=19456,t=2,p=1$salt$hash``) names its
parameters, so raising them later re-hashes each password at its owner's next successful login.

**Session tokens and station keys** are 32 bytes (256 bits) from the operating system's CSPRNG in
URL-safe base64, behind a readable prefix (``cst_`` session token, ``csk_`` station key) so that a leaked
one is recognisable by secret scanners and in support requests. They are stored only as the lowercase
hex SHA-256 of the whole string: a value that cannot be guessed needs no slow hash (argon2 protects
guessable passwords), and a fast one keeps every request to a single indexed lookup. Neither a token nor
a key is ever written to the database or a log in clear.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable

from argon2 import PasswordHasher, Type

SESSION_PREFIX = "cst_"
STATION_KEY_PREFIX = "csk_"
SECRET_BYTES = 32
# prefix + 43 characters of base64 for 32 bytes; anything much longer is not one of ours
MAX_SECRET_LENGTH = 64

ARGON2_MEMORY_KIB = 19_456
ARGON2_PASSES = 2
ARGON2_LANES = 1
ARGON2_HASH_BYTES = 32
ARGON2_SALT_BYTES = 16


def password_hasher(
    memory_kib: int = ARGON2_MEMORY_KIB, passes: int = ARGON2_PASSES, lanes: int = ARGON2_LANES
) -> PasswordHasher:
    """The argon2id hasher with the documented parameters (tests pass cheaper ones)."""
    return PasswordHasher(
        time_cost=passes,
        memory_cost=memory_kib,
        parallelism=lanes,
        hash_len=ARGON2_HASH_BYTES,
        salt_len=ARGON2_SALT_BYTES,
        type=Type.ID,
    )


Randomness = Callable[[int], bytes]


def mint(prefix: str, randomness: Randomness = secrets.token_bytes) -> str:
    """A new secret: ``prefix`` and 32 random bytes in URL-safe base64 without padding."""
    import base64

    return prefix + base64.urlsafe_b64encode(randomness(SECRET_BYTES)).rstrip(b"=").decode("ascii")


def digest(secret: str) -> str:
    """What is stored of a token or key: the lowercase hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def looks_like(secret: object, prefix: str) -> bool:
    """True when ``secret`` could be one of ours of this kind (cheap refusal before any lookup)."""
    return (
        isinstance(secret, str)
        and secret.startswith(prefix)
        and len(secret) <= MAX_SECRET_LENGTH
        and secret.isascii()
    )
