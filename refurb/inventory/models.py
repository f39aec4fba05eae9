from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, UTCDateTime, utcnow
from ..sites.models import Site
from .categories import CATEGORIES
from .workflow import STATES

_CATEGORY_LIST = ",".join(f"'{c}'" for c in CATEGORIES)
_STATE_LIST = ",".join(f"'{s}'" for s in STATES)


class Counter(Base):
    """Monotonic counters (asset tags): a number handed out is never handed out again."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Device(Base):
    __tablename__ = "devices"
    __table_args__ = (
        CheckConstraint(f"category IN ({_CATEGORY_LIST})", name="category"),
        CheckConstraint(f"state IN ({_STATE_LIST})", name="state"),
        CheckConstraint("grade IS NULL OR grade IN ('A','B','C')", name="grade"),
        Index("ix_devices_site_state_category", "site_id", "state", "category"),
        Index("ix_devices_state_updated", "state", "updated_at"),
        Index("ix_devices_state_category_id", "state", "category", "id"),  # the filtered list, newest first
        # PostgreSQL only: prefix searches under a linguistic collation (migration 0013_performance)
        Index("ix_devices_asset_tag_pattern", "asset_tag", postgresql_ops={"asset_tag": "text_pattern_ops"},
              info={"only_on": "postgresql"}).ddl_if(dialect="postgresql"),
        Index("ix_devices_serial_pattern", "serial_number", postgresql_ops={"serial_number": "text_pattern_ops"},
              info={"only_on": "postgresql"}).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_tag: Mapped[str] = mapped_column(String(20), unique=True)
    category: Mapped[str] = mapped_column(String(20), index=True)
    brand: Mapped[str] = mapped_column(String(80), default="")
    model: Mapped[str] = mapped_column(String(120), default="")
    serial_number: Mapped[str | None] = mapped_column(String(120), index=True)
    has_storage: Mapped[bool] = mapped_column(Boolean, default=True)
    specs: Mapped[dict] = mapped_column(JSON, default=dict)
    condition: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    grade: Mapped[str | None] = mapped_column(String(1))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="received")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Bumped by every change: a form posted from a stale page is detected and refused.
    version: Mapped[int] = mapped_column(Integer, default=1)

    site: Mapped[Site] = relationship()

    @property
    def state_label(self) -> str:
        return STATES.get(self.state, self.state)

    @property
    def category_label(self) -> str:
        return CATEGORIES.get(self.category, self.category)

    @property
    def title(self) -> str:
        return " ".join(p for p in (self.brand, self.model) if p) or self.category_label

    def __repr__(self) -> str:
        return f"<Device {self.asset_tag} {self.state}>"


# PostgreSQL only: a word inside the brand or the model, compared under the "C" collation (migration 0020,
# extension pg_trgm; ``services.search_condition``)
for _column in (Device.brand, Device.model):
    Index(f"ix_devices_{_column.key}_trgm", _column.collate("C").label(f"{_column.key}_c"), postgresql_using="gin",
          postgresql_ops={f"{_column.key}_c": "gin_trgm_ops"}, info={"only_on": "postgresql", "expression": True}).ddl_if(
        dialect="postgresql")


class DeviceEvent(Base):
    """Append-only history: one row per thing that happened to a device."""

    __tablename__ = "device_events"
    __table_args__ = (Index("ix_device_events_device_at", "device_id", "at"),
                      Index("ix_device_events_at", "at"),
                      # the activity report: each device's first move into a state, from the index alone
                      Index("ix_device_events_first", "to_state", "device_id", "at", "from_state", "site_id"),
                      # the activity report: devices registered in a period, from the index alone
                      Index("ix_device_events_action_at", "action", "at", "device_id", "site_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    user: Mapped[User | None] = relationship(lazy="joined")
    site: Mapped[Site] = relationship()


class StockMinimum(Base):
    """A manager's minimum level: "Bourgueil: at least 2 laptops in the loan pool"."""

    __tablename__ = "stock_minimums"
    __table_args__ = (
        CheckConstraint(f"category IN ({_CATEGORY_LIST})", name="category"),
        CheckConstraint("state IN ('ready','loan_pool')", name="state"),
        CheckConstraint("minimum >= 0", name="minimum_positive"),
    )

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    state: Mapped[str] = mapped_column(String(20), primary_key=True, default="loan_pool")
    minimum: Mapped[int] = mapped_column(Integer)

    site: Mapped[Site] = relationship()


class StockTally(Base):
    """The stock, counted as devices move: a row adds ``n`` devices to (site, category, state).

    Written by the database alone (triggers of migration 0021): a device that arrives in a (site, category,
    state) adds a row +1, one that leaves it a row -1, whatever changed it (a move, a transfer, an edit, an
    import, a restore's own statements). Every thousandth row, the rows before it are replaced by their sums,
    so the table holds about one row per group plus the latest moves: the stock is read from a few hundred
    rows, not from every device. ``refurb.invariants`` checks the sums against the devices.
    """

    __tablename__ = "stock_tallies"
    # the sums read an index alone (migrations 0022, 0023): a list's total by state and category, the stock page's
    # sums by site and category in the order they are made
    __table_args__ = (Index("ix_stock_tallies_state_category", "state", "category", "site_id", "n"),
                      Index("ix_stock_tallies_site_category", "site_id", "category", "state", "n"))

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(Integer)  # no foreign key: a derived figure, written by triggers
    category: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    n: Mapped[int] = mapped_column(Integer)


class Transfer(Base):
    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    note: Mapped[str] = mapped_column(Text, default="")

    to_site: Mapped[Site] = relationship()
    user: Mapped[User] = relationship(lazy="joined")
    items: Mapped[list["TransferItem"]] = relationship(back_populates="transfer", lazy="selectin",
                                                       order_by="TransferItem.id")

    @property
    def from_sites(self) -> list[Site]:
        """The sites the devices left, each once, in the order of the items."""
        seen: dict[int, Site] = {}
        for item in self.items:
            seen.setdefault(item.from_site_id, item.from_site)
        return list(seen.values())


class TransferItem(Base):
    __tablename__ = "transfer_items"
    __table_args__ = (Index("ix_transfer_items_transfer", "transfer_id"),
                      Index("ix_transfer_items_device", "device_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id", ondelete="CASCADE"))
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    from_site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))

    transfer: Mapped[Transfer] = relationship(back_populates="items")
    device: Mapped[Device] = relationship(lazy="joined")
    from_site: Mapped[Site] = relationship()
