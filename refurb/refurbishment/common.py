"""Helpers shared by the refurbishment services: who may record what, dates and times typed by people,
SIRET numbers."""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, datetime, timedelta, timezone

from ..accounts.roles import STAFF_ROLES
from ..clock import today, utcnow
from ..errors import Forbidden
from ..formatting import PARIS

DESK_ROLES = STAFF_ROLES  # until the certificates area asks refurbishment.services and accounts.roles

# A clock a few minutes ahead (an erasure PC, a tablet) is not "the future".
CLOCK_TOLERANCE = timedelta(minutes=5)


def require_role(actor, roles, what: str) -> None:
    if actor is None or actor.role not in roles:
        raise Forbidden(f"Votre rôle ne permet pas {what}. Demandez à un technicien ou à un gestionnaire.")


def parse_moment(raw, field: str, label: str, errors: dict) -> datetime | None:
    """A date and time typed in a form (Paris time) or sent in ISO 8601 (with or without offset)."""
    if raw in (None, ""):
        errors[field] = f"{label} est obligatoire."
        return None
    if isinstance(raw, datetime):
        value = raw
    else:
        text = str(raw).strip().replace(" ", "T", 1)
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            errors[field] = f"{label} : date et heure attendues (ex. 2026-11-28T14:05)."
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=PARIS)
    value = value.astimezone(timezone.utc)
    if value > utcnow() + CLOCK_TOLERANCE:
        errors[field] = f"{label} ne peut pas être dans le futur."
        return None
    if value.year < 2000:
        errors[field] = f"{label} : date trop ancienne."
        return None
    return value


def check_day_not_future(value: date | None, field: str, label: str, errors: dict) -> None:
    if value is not None and value > today():
        errors.setdefault(field, f"{label} ne peut pas être dans le futur.")
    if value is not None and value.year < 2000:
        errors.setdefault(field, f"{label} : date trop ancienne.")


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def clean_siret(raw) -> str:
    return re.sub(r"[\s.-]", "", str(raw or ""))


def siret_problem(siret: str) -> str | None:
    """Why this is not a valid SIRET (14 digits, Luhn key; La Poste's establishments use
    a different key), or None."""
    if not re.fullmatch(r"\d{14}", siret):
        return "14 chiffres attendus."
    if siret.startswith("356000000"):  # La Poste: the sum of the digits is a multiple of 5
        return None if sum(int(d) for d in siret) % 5 == 0 else "clé de contrôle incorrecte (vérifiez la saisie)."
    total = 0
    for i, digit in enumerate(reversed(siret)):
        n = int(digit)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return None if total % 10 == 0 else "clé de contrôle incorrecte (vérifiez la saisie)."


def check_siret(raw, field: str, label: str, errors: dict, *, required: bool = False) -> str | None:
    siret = clean_siret(raw)
    if not siret:
        if required:
            errors[field] = f"{label} est obligatoire."
        return None
    problem = siret_problem(siret)
    if problem:
        errors[field] = f"{label} : {problem}"
        return None
    return siret
