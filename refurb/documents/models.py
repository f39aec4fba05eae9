"""Stock-takes (physical inventory by scanning): the expected snapshot, the scans, the resolutions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, UTCDateTime, utcnow
from ..inventory.models import Device
from ..sites.models import Site


class StockTake(Base):
    """One physical count of a site's shelves. At most one open stock-take per site."""

    __tablename__ = "stocktakes"
    __table_args__ = (
        CheckConstraint("status IN ('open','closed')", name="status"),
        CheckConstraint("(status = 'open' AND closed_at IS NULL) OR (status = 'closed' AND closed_at IS NOT NULL)",
                        name="closed_consistent"),
        Index("ix_stocktakes_one_open_per_site", "site_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
        Index("ix_stocktakes_site_started", "site_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    status: Mapped[str] = mapped_column(String(10), default="open")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expected_count: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")

    site: Mapped[Site] = relationship()
    started_by: Mapped[User] = relationship(foreign_keys=[started_by_id], lazy="joined")
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id], lazy="joined")

    @property
    def is_open(self) -> bool:
        return self.status == "open"


class StockTakeExpected(Base):
    """A device expected on the shelves when the stock-take started (snapshot)."""

    __tablename__ = "stocktake_expected"

    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktakes.id", ondelete="CASCADE"), primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(20))  # its state then

    device: Mapped[Device] = relationship(lazy="joined")


class StockTakeScan(Base):
    """One code scanned during a stock-take. ``code`` is the device's asset tag when the code names a
    device (a tag and a serial of the same device count once), else the code as scanned."""

    __tablename__ = "stocktake_scans"
    __table_args__ = (
        Index("uq_stocktake_scans_code", "stocktake_id", "code", unique=True),
        Index("ix_stocktake_scans_device", "stocktake_id", "device_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktakes.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(120))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    times: Mapped[int] = mapped_column(Integer, default=1)  # scanned again: counted once, noted here
    # What the scan was when it was made: found / unexpected / unknown.
    outcome: Mapped[str] = mapped_column(String(12))

    device: Mapped[Device | None] = relationship(lazy="joined")
    user: Mapped[User] = relationship(lazy="joined")


class StockTakeResolution(Base):
    """A discrepancy settled in one click (mark lost, move here, found again), with who and when."""

    __tablename__ = "stocktake_resolutions"
    __table_args__ = (
        CheckConstraint("action IN ('lost','moved_here','found_again')", name="action"),
    )

    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktakes.id", ondelete="CASCADE"), primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    action: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    device: Mapped[Device] = relationship(lazy="joined")
    user: Mapped[User] = relationship(lazy="joined")


JOB_STATES = ("queued", "running", "done", "failed", "interrupted")


class Job(Base):
    """A long document prepared in the background, its state and progress readable from any server process.

    A worker claims a queued row (a conditional UPDATE; ``FOR UPDATE SKIP LOCKED`` first on PostgreSQL),
    writes its heartbeat while it works, and stores the file it makes in ``stored_files`` (``result_token``).
    A running row whose heartbeat has gone stale belonged to a process that died: it reads "interrupted"."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("state IN ('queued','running','done','failed','interrupted')", name="state"),
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress_range"),
        Index("ix_jobs_state_created", "state", "created_at"),
        Index("ix_jobs_user_created", "user_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    label: Mapped[str] = mapped_column(String(120))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(12), default="queued")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(String(500), default="")
    summary: Mapped[str] = mapped_column(String(500), default="")
    link: Mapped[str | None] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(255), default="")
    mimetype: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    result_token: Mapped[str | None] = mapped_column(String(64))
    worker: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StagedRow(Base):
    """A row that a job writing in several transactions (a long import) made in an earlier batch: written, but
    not yet committed from the user's point of view. The job's last transaction, the one that marks it done,
    deletes these rows; a job that ends otherwise (failed, interrupted) has what they name withdrawn in the
    same transaction that writes its end, by whichever process writes it."""

    __tablename__ = "job_staged_rows"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    row_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # what the kind's importer created (a device)
