"""Files the application keeps, stored in the database: pending imports, the results of background jobs
(a day), erasure tools' reports (kept until discarded).

Why the database and not the instance folder: the age of a file on disk is its modification time, which
a restored backup, a corrected server clock or a shifted test clock do not move, and a second server
process (or machine) does not see another's folder. Here the time a file was stored and the time it
expires are written in its row, from the one clock, and every process reads the same rows.

A stored file is reached by its random token, for its owner and its purpose only: a token guessed or
copied by another user, or used for another purpose, is "not found", exactly like an expired one. A file
kept with ``keep=None`` (evidence such as an erasure report) never expires; it goes only when discarded.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    delete,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.types import JSON

from .clock import utcnow
from .db import Base, UTCDateTime
from .errors import NotFound

DEFAULT_KEEP = timedelta(days=1)
_PURPOSE = re.compile(r"[a-z][a-z0-9_]{0,29}")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
GONE = "Ce fichier n'existe plus (les fichiers envoyés sont gardés un jour) : envoyez-le à nouveau."


class StoredFile(Base):
    __tablename__ = "stored_files"
    __table_args__ = (
        CheckConstraint("size >= 0", name="size_positive"),
        CheckConstraint("length(sha256) = 64", name="sha256_length"),
        CheckConstraint("expires_at > created_at", name="expires_after_created"),
        Index("ix_stored_files_expires", "expires_at"),
        Index("ix_stored_files_owner_purpose", "owner_id", "purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(30))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255), default="")
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: kept until discarded

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= utcnow()


def put(db: Session, *, purpose: str, owner_id: int | None, content: bytes, filename: str = "",
        meta: dict[str, Any] | None = None, keep: timedelta | None = DEFAULT_KEEP) -> StoredFile:
    """Store ``content`` for ``owner_id`` and ``purpose``, kept for ``keep`` (None: until discarded); expired
    files of any owner are removed on the way. Flushed, not committed: the caller's transaction decides."""
    if not _PURPOSE.fullmatch(purpose or ""):
        raise ValueError(f"purpose must be a short lowercase word, not {purpose!r}")
    if keep is not None and keep <= timedelta(0):
        raise ValueError("keep must be positive")
    purge_expired(db)
    now = utcnow()
    stored = StoredFile(token=secrets.token_urlsafe(24), purpose=purpose, owner_id=owner_id,
                        filename=(filename or "")[:255], content=content, size=len(content),
                        sha256=hashlib.sha256(content).hexdigest(), meta=dict(meta or {}),
                        created_at=now, expires_at=now + keep if keep is not None else None)
    db.add(stored)
    db.flush()
    return stored


def get(db: Session, token: str, *, owner_id: int | None, purpose: str, message: str = GONE) -> StoredFile:
    """The stored file named by ``token``, if it belongs to ``owner_id``, serves ``purpose`` and has not
    expired; otherwise ``NotFound`` with ``message`` (the same answer in every case: nothing tells a
    stranger that a token exists)."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise NotFound(message)
    stored = db.scalar(select(StoredFile).where(StoredFile.token == token, StoredFile.purpose == purpose,
                                                or_(StoredFile.expires_at.is_(None),
                                                    StoredFile.expires_at > utcnow())))
    if stored is None or stored.owner_id != owner_id:
        raise NotFound(message)
    return stored


def load(db: Session, file_id: int, *, purpose: str, message: str = GONE) -> StoredFile:
    """A stored file named by its id in another row (an erasure's report): for code that already decided who
    may see it. Not found, or kept for another purpose, or expired: ``NotFound`` with ``message``."""
    stored = db.get(StoredFile, file_id)
    if stored is None or stored.purpose != purpose or stored.is_expired:
        raise NotFound(message)
    return stored


def discard(db: Session, token: str) -> None:
    """Forget a stored file (done with it). Nothing happens if it is already gone."""
    if isinstance(token, str) and _TOKEN.fullmatch(token):
        db.execute(delete(StoredFile).where(StoredFile.token == token))


def purge_expired(db: Session, now: datetime | None = None) -> int:
    """Delete every file whose stored expiry time has passed; returns how many."""
    result = db.execute(delete(StoredFile).where(StoredFile.expires_at <= (now or utcnow())))
    return result.rowcount or 0
