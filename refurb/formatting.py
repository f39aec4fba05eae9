"""French formatting of dates, numbers and money; times are stored UTC, shown in Paris time."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from babel.dates import format_date as _format_date
from babel.numbers import format_currency, format_decimal

from .clock import PARIS, local  # noqa: F401

LOCALE = "fr_FR"


def datetime_fr(dt: datetime | None) -> str:
    """28/11/2026 14:05 in Paris time."""
    if dt is None:
        return ""
    return local(dt).strftime("%d/%m/%Y %H:%M")


def date_fr(d: date | datetime | None) -> str:
    if d is None:
        return ""
    if isinstance(d, datetime):
        d = local(d).date()
    return d.strftime("%d/%m/%Y")


def date_long_fr(d: date | None) -> str:
    return _format_date(d, format="long", locale=LOCALE) if d else ""


# Babel's formatting costs tens of microseconds a number, and a desk or a table prints the same few amounts and
# counts again and again: the French text of a value is kept once made (the same value gives the same text).
@lru_cache(maxsize=4096)
def number_fr(value, digits: int | None = None) -> str:
    if value is None:
        return ""
    fmt = None if digits is None else "#,##0." + "0" * digits if digits else "#,##0"
    return format_decimal(value, format=fmt, locale=LOCALE)


@lru_cache(maxsize=4096)
def money_fr(value: Decimal | float | None) -> str:
    """1 234,50 €"""
    if value is None:
        return ""
    return format_currency(value, "EUR", locale=LOCALE)


# The words of a noun phrase that never take the plural's "s": a complement starts at a preposition
# ("ligne à corriger", "jour de retard"); "non", "et", "ou" stay ("minimum non atteint").
_STOPS = frozenset({"à", "au", "aux", "de", "du", "des", "en", "pour", "par", "sur", "sans", "avec", "dans", "chez"})
_INVARIABLE = frozenset({"non", "et", "ou"})


def _plural_of(phrase: str) -> str:
    words = phrase.split(" ")
    for i, word in enumerate(words):
        if word in _STOPS or word[:2] in ("d'", "l'", "d’", "l’"):
            break
        if word not in _INVARIABLE and word[-1:].isalpha() and word[-1:] not in ("s", "x", "z"):
            words[i] = word + "s"
    return " ".join(words)


def plural_word(n, one: str, many: str | None = None) -> str:
    """The word (or words) for ``n`` things, by the French rule: singular below 2 (0, 1, 1,5), plural from 2.
    ``many`` defaults to each word of ``one`` with an "s", up to a preposition ("ligne à corriger" →
    "lignes à corriger", "minimum non atteint" → "minimums non atteints"; words ending in s, x or z
    unchanged); pass it for anything else ("jour-prêt" → "jours-prêt", "travail" → "travaux")."""
    if n is None or abs(n) < 2:
        return one
    return many if many is not None else _plural_of(one)


def plural(n, one: str, many: str | None = None) -> str:
    """"1 lot", "6 dons", "2 emprunteurs différents": the number in French and the right form."""
    return f"{number_fr(n)} {plural_word(n, one, many)}"


def register(app) -> None:
    app.jinja_env.filters.update(
        datetime_fr=datetime_fr, date_fr=date_fr, date_long_fr=date_long_fr,
        number_fr=number_fr, money_fr=money_fr, plural=plural, plural_word=plural_word,
    )
