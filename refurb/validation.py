"""Small input checks shared by every service: they collect French messages per field."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from .errors import Invalid


class Checker:
    """Collects field errors, then raises one ``Invalid`` with all of them."""

    def __init__(self, data: Mapping[str, Any] | None):
        self.data = data or {}
        self.errors: dict[str, str] = {}

    def text(self, name: str, label: str, *, max_len: int, required: bool = False,
             default: str | None = None, pattern: str | None = None, pattern_hint: str = "") -> str | None:
        raw = self.data.get(name, default)
        if raw is None:
            raw = ""
        if not isinstance(raw, (str, int, float)) or isinstance(raw, bool):
            self.errors[name] = f"{label} : valeur non reconnue."
            return None
        value = str(raw).strip()
        if not value:
            if required:
                self.errors[name] = f"{label} est obligatoire."
            return None if not required else None
        if len(value) > max_len:
            self.errors[name] = f"{label} est trop long ({len(value)} caractères, {max_len} au maximum)."
            return None
        if pattern and not re.fullmatch(pattern, value):
            self.errors[name] = f"{label} n'a pas le bon format{(' : ' + pattern_hint) if pattern_hint else ''}."
            return None
        return value

    def choice(self, name: str, label: str, choices: Mapping[str, str] | list[str], *,
               required: bool = True, default: str | None = None) -> str | None:
        raw = self.data.get(name, default)
        if raw in (None, ""):
            if required:
                self.errors[name] = f"{label} est obligatoire."
            return None
        if not isinstance(raw, str) or raw not in choices:
            allowed = ", ".join(choices if isinstance(choices, list) else choices.keys())
            self.errors[name] = f"{label} : « {str(raw)[:40]} » n'est pas une valeur possible ({allowed})."
            return None
        return raw

    def boolean(self, name: str, label: str, *, default: bool | None = None) -> bool | None:
        raw = self.data.get(name, default)
        if isinstance(raw, bool) or raw is None:
            return raw
        if isinstance(raw, str) and raw.lower() in ("1", "true", "on", "oui", "yes"):
            return True
        if isinstance(raw, str) and raw.lower() in ("0", "false", "off", "non", "no", ""):
            return False
        self.errors[name] = f"{label} : oui ou non attendu."
        return None

    def integer(self, name: str, label: str, *, min_value: int | None = None, max_value: int | None = None,
                required: bool = False, default: int | None = None) -> int | None:
        raw = self.data.get(name, default)
        if raw in (None, ""):
            if required:
                self.errors[name] = f"{label} est obligatoire."
            return default
        try:
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError
            value = int(str(raw).strip())
        except (ValueError, TypeError):
            self.errors[name] = f"{label} doit être un nombre entier."
            return None
        if min_value is not None and value < min_value:
            self.errors[name] = f"{label} doit être au moins {min_value}."
            return None
        if max_value is not None and value > max_value:
            self.errors[name] = f"{label} doit être au plus {max_value}."
            return None
        return value

    def money(self, name: str, label: str, *, required: bool = False, min_value: Decimal | None = Decimal("0"),
              max_value: Decimal | None = None) -> Decimal | None:
        raw = self.data.get(name)
        if raw in (None, ""):
            if required:
                self.errors[name] = f"{label} est obligatoire."
            return None
        text = str(raw).strip().replace("\u202f", "").replace(" ", "").replace("€", "").replace(",", ".")
        if isinstance(raw, float) or not re.fullmatch(r"-?\d{1,7}(\.\d{1,2})?", text):
            self.errors[name] = f"{label} : montant en euros attendu, deux décimales au plus (ex. 120,00)."
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            self.errors[name] = f"{label} : montant non reconnu."
            return None
        if min_value is not None and value < min_value:
            self.errors[name] = f"{label} ne peut pas être négatif." if min_value == 0 else f"{label} doit être au moins {min_value} €."
            return None
        if max_value is not None and value > max_value:
            self.errors[name] = f"{label} doit être au plus {max_value} €."
            return None
        return value

    def day(self, name: str, label: str, *, required: bool = False) -> date | None:
        raw = self.data.get(name)
        if raw in (None, ""):
            if required:
                self.errors[name] = f"{label} est obligatoire."
            return None
        if isinstance(raw, date):
            return raw
        try:
            return date.fromisoformat(str(raw).strip())
        except ValueError:
            self.errors[name] = f"{label} : date attendue au format AAAA-MM-JJ."
            return None

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def done(self) -> None:
        if self.errors:
            raise Invalid(fields=self.errors)


# Ids are INTEGER columns: 32-bit on PostgreSQL, where a larger value fails the query ("integer out of range").
MAX_ID = 2**31 - 1


def as_id(raw: Any) -> int | None:
    """A database id from a form, a query string or a JSON body, or None when it cannot name a row
    (not a whole number, negative, or beyond what an id column holds: the query would fail)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and raw.strip().isdigit() and len(raw.strip()) <= 20:
        value = int(raw.strip())
    else:
        return None
    return value if 0 < value <= MAX_ID else None
