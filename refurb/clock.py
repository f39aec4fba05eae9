"""The one clock: instants are stored in UTC, calendar days are those of the sites (Paris).

Everything that needs "now" or "today" asks here, so a test that freezes or shifts the
clock moves the whole application at once.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def today() -> date:
    """Today in Paris: due dates, periods and "received on" are calendar days where the sites are."""
    return utcnow().astimezone(PARIS).date()


def local(dt: datetime | None) -> datetime | None:
    return dt.astimezone(PARIS) if dt is not None else None


def start_of_day_utc(day: date) -> datetime:
    """Midnight (Paris) at the start of ``day``, in UTC."""
    return datetime.combine(day, time(0), tzinfo=PARIS).astimezone(timezone.utc)


def end_of_day_utc(day: date) -> datetime:
    """The first instant after ``day`` in Paris time, in UTC (events strictly before it count)."""
    return start_of_day_utc(day + timedelta(days=1))
