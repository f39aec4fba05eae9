"""Network-wide settings kept in the database (network name, asset tag prefix…)."""

from __future__ import annotations

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .db import Base, keep, kept, plain_rows, rows_as_json, rows_from_json

DEFAULTS = {
    "network_name": "Réseau numérique du Chinonais",
    "asset_tag_prefix": "RF",
    "warranty_months": "24",  # guarantee of a refurbished device sold (2 years at least: the legal guarantee)
    "producer_siret": "",  # the network's SIRET, printed as the producer in the DEEE register
    "borrower_retention_days": str(3 * 365),  # a borrower's record kept this long after their last loan
    # The organisation behind the documents (donation receipt, loan agreement's data-protection notice).
    "organisation_identifier": "",  # SIREN (9 digits) or RNA (W + 9 digits)
    "organisation_address": "",  # registered office
    "organisation_status": "",  # what makes gifts deductible, e.g. "association d'intérêt général (art. 238 bis CGI)"
    "privacy_contact": "",  # where a borrower exercises their data-protection rights (address or e-mail)
    "sync_window_days": "30",  # an operation queued offline on the bus is accepted this long after it was made
    "undo_minutes": "10",  # how long the author of a plain move may take it back (device page)
}


class Setting(Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


_ALL = select(Setting.key, Setting.value)  # built once (every page asks it)


# Every stored setting, carried by a statement that reads something else first (``db.rows_as_json``): the
# session behind a page's cookie reads them with it, since every page prints the network's name (one round trip,
# not two). ``remember`` keeps them for the transaction.
STORED_AS_JSON = rows_as_json(_ALL.order_by(Setting.key))

_MEMO = "refurb.settings"


def _stored(db: Session) -> dict[str, str]:
    """Every stored setting, read once per transaction (a page asks for several: one query, not one each)."""
    values = kept(db, _MEMO)
    return values if values is not None else keep(db, _MEMO, dict(plain_rows(db, _ALL)))


def remember(db: Session, stored_as_json: str | None) -> None:
    """Keep the settings ``STORED_AS_JSON`` read, for the rest of the session's transaction."""
    keep(db, _MEMO, dict(rows_from_json(stored_as_json)))


def get_setting(db: Session, key: str) -> str:
    value = _stored(db).get(key)
    return value if value is not None else DEFAULTS[key]


def set_setting(db: Session, key: str, value: str) -> None:
    if key not in DEFAULTS:
        raise KeyError(key)
    row = db.get(Setting, key)
    if row is None:
        db.add(Setting(key=key, value=value))
    else:
        row.value = value
    _stored(db)[key] = value
