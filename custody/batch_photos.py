"""Photos of a destruction batch's site (销毁现场照片): before and after each item's destruction, with its
serial visible.

A photo is a JPEG or a PNG (told by its first bytes, not by a name) of at most 10 MB. It is stored in the
database, content-addressed by its SHA-256 (``destruction_photos``: a backup of the database holds it,
and the same photo is stored once), and a ``photographed`` event of the item records the SHA-256, the
stage (before or after) and the batch, in the same transaction. Anything else is refused and nothing is
written. Photos are never deleted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Connection

from custody.actors import Actor, require_role
from custody.batches import READ_ROLES, Batches, require_provincial_officer, visible_batch
from custody.db.batch_tables import DestructionBatchItemRow, DestructionPhotoRow
from custody.db.tables import EventRow, ItemRow
from custody.db.unit_of_work import Store
from custody.errors import InvalidInput, Message, TransitionRefused, UnknownPhoto
from custody.items import Items
from custody.list_acts import Target
from custody.model import EventType
from custody.numbers import canonical_number

MAX_PHOTO_BYTES = 10 * 1024 * 1024
_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))

PHOTO_TOO_LARGE = Message(
    "photo.too_large", "the photo is {size} bytes: at most {limit} bytes (10 MB) are kept"
)
NOT_AN_IMAGE = Message("photo.not_an_image", "the photo is neither a JPEG nor a PNG (by its first bytes)")
NOT_IN_BATCH = Message(
    "photo.item_not_in_batch", "{evidence_no} is not an item of destruction batch {batch_id}"
)
BAD_STAGE = Message("photo.bad_stage", "a photo is taken before or after destruction, not {stage!r}")

UNKNOWN_PHOTO = Message("photo.unknown", "destruction batch {batch_id} keeps no photo {sha256}")

_photos = cast(Table, DestructionPhotoRow.__table__)
_events = cast(Table, EventRow.__table__)
_items = cast(Table, ItemRow.__table__)
_batch_items = cast(Table, DestructionBatchItemRow.__table__)

Stage = Literal["before", "after"]


@dataclass(frozen=True, slots=True)
class Photo:
    """A photo kept of an item at the site."""

    evidence_no: str
    batch_id: int
    stage: Stage
    sha256: str
    media_type: str
    size: int


def media_type_of(content: bytes) -> str:
    """The photo's media type, by its first bytes; a photo too large or not a JPEG/PNG is refused."""
    if len(content) > MAX_PHOTO_BYTES:
        raise InvalidInput(PHOTO_TOO_LARGE, "photo", size=len(content), limit=MAX_PHOTO_BYTES)
    for magic, media_type in _MAGIC:
        if content.startswith(magic):
            return media_type
    raise InvalidInput(NOT_AN_IMAGE, "photo")


class BatchPhotos:
    """Photos of the items of a batch at its site."""

    def __init__(self, store: Store, items: Items, batches: Batches) -> None:
        self.store = store
        self.items = items
        self.batches = batches

    def add(self, actor: Actor, batch_id: int, evidence_no: str, stage: str, content: bytes) -> Photo:
        """Keep a photo of an item of the batch, before (approved) or after (destroyed) destruction."""
        require_provincial_officer(actor, "photograph destruction")
        if stage not in ("before", "after"):
            raise InvalidInput(BAD_STAGE, "stage", stage=stage)
        media_type = media_type_of(content)
        number = canonical_number(evidence_no)
        if all(i.evidence_no != number for i in self.batches.get(actor, batch_id).items):
            raise TransitionRefused(NOT_IN_BATCH, evidence_no=number, batch_id=batch_id)
        sha = hashlib.sha256(content).hexdigest()

        def prepare(conn: Connection, _items: Sequence[Any]) -> dict[str, Any]:
            known = conn.execute(select(_photos.c.sha256).where(_photos.c.sha256 == sha)).first()
            if known is None:
                conn.execute(
                    insert(_photos).values(
                        sha256=sha,
                        media_type=media_type,
                        size=len(content),
                        content=content,
                        stored_at_us=self.store.now_us(),
                        stored_by_id=actor.id,
                    )
                )
            return {
                "batch_id": batch_id,
                "stage": stage,
                "sha256": sha,
                "media_type": media_type,
                "size": len(content),
            }

        targets: list[Target] = [(number, None)]
        self.items.act_list(actor, EventType.PHOTOGRAPHED, targets, prepare)
        return Photo(number, batch_id, cast(Stage, stage), sha, media_type, len(content))

    def list(self, viewer: Actor | None, batch_id: int) -> list[Photo]:
        """The photos kept of the batch's items, in the order taken (the batch in the viewer's scope)."""
        with self.store.reading() as conn:
            if viewer is not None:
                require_role(viewer, READ_ROLES, "read destruction photos")
            visible_batch(conn, self.store, viewer, batch_id)
            rows = conn.execute(
                select(_items.c.evidence_no, _events.c.payload)
                .join(_items, _items.c.id == _events.c.item_id)
                .join(_batch_items, _batch_items.c.item_id == _items.c.id)
                .where(
                    _batch_items.c.batch_id == batch_id,
                    _events.c.event_type == EventType.PHOTOGRAPHED.value,
                )
                .order_by(_events.c.seq)
            ).all()
        photos: list[Photo] = []
        for number, payload in rows:
            taken = json.loads(payload)
            if taken.get("batch_id") == batch_id:
                photos.append(
                    Photo(
                        number, batch_id, taken["stage"], taken["sha256"], taken["media_type"], taken["size"]
                    )
                )
        return photos

    def content(self, viewer: Actor | None, batch_id: int, sha256: str) -> tuple[Photo, bytes]:
        """A photo of the batch (the batch in the viewer's scope) and its bytes; else unknown."""
        wanted = sha256.lower()
        photo = next((p for p in self.list(viewer, batch_id) if p.sha256 == wanted), None)
        with self.store.reading() as conn:
            found: bytes | None = (
                None
                if photo is None
                else conn.execute(
                    select(_photos.c.content).where(_photos.c.sha256 == wanted)
                ).scalar_one_or_none()
            )
        if photo is None or found is None:
            raise UnknownPhoto(UNKNOWN_PHOTO, sha256=wanted[:64], batch_id=batch_id)
        return photo, found
