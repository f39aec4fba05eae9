"""Opening hours: kept in the OpenStreetMap format (as the open-data schema wants), read in plain French."""

from __future__ import annotations

import re

DAYS = {"Mo": "lundi", "Tu": "mardi", "We": "mercredi", "Th": "jeudi", "Fr": "vendredi", "Sa": "samedi",
        "Su": "dimanche", "PH": "jours fériés"}
_RULE = re.compile(r"^((?:Mo|Tu|We|Th|Fr|Sa|Su|PH)(?:-(?:Mo|Tu|We|Th|Fr|Sa|Su))?"
                   r"(?:,(?:Mo|Tu|We|Th|Fr|Sa|Su|PH)(?:-(?:Mo|Tu|We|Th|Fr|Sa|Su))?)*)\s+"
                   r"(off|closed|\d{2}:\d{2}-\d{2}:\d{2}(?:,\d{2}:\d{2}-\d{2}:\d{2})*)$")


def _time(hhmm: str) -> str:
    h, m = hhmm.split(":")
    return f"{int(h)} h {m}" if m != "00" else f"{int(h)} h"


def opening_hours_fr(osm: str) -> list[str]:
    """"Tu-Fr 09:30-12:00,14:00-18:00; Sa 09:30-12:30" → ["Du mardi au vendredi : 9 h 30 – 12 h, 14 h – 18 h",
    "Samedi : 9 h 30 – 12 h 30"]. Anything else is shown as written."""
    lines = []
    for rule in [r.strip() for r in (osm or "").split(";") if r.strip()]:
        m = _RULE.match(rule)
        if not m:
            return [osm.strip()] if osm and osm.strip() else []
        days = []
        for part in m.group(1).split(","):
            a, _, b = part.partition("-")
            days.append(f"du {DAYS[a]} au {DAYS[b]}" if b else DAYS[a])
        when = ", ".join(days)
        times = m.group(2)
        hours = "fermé" if times in ("off", "closed") else ", ".join(
            f"{_time(t0)} – {_time(t1)}" for t0, t1 in (span.split("-") for span in times.split(",")))
        lines.append(f"{when[0].upper()}{when[1:]} : {hours}")
    return lines


HOURS_EXAMPLE = "Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00"


def hours_problem(osm: str) -> str | None:
    """Why ``osm`` is not opening hours the public pages and the open data can read (None: it is), in
    French, naming the part that is wrong and showing the format. The one check of the site form."""
    for rule in [r.strip() for r in (osm or "").split(";") if r.strip()]:
        m = _RULE.match(rule)
        if not m:
            return (f"« {rule[:60]} » n'est pas lisible. Écrivez les jours en abrégé anglais "
                    "(Mo Tu We Th Fr Sa Su, PH pour les jours fériés), puis les heures sur 24 h, et séparez "
                    f"les règles par « ; », ex. « {HOURS_EXAMPLE} ».")
        if m.group(2) in ("off", "closed"):
            continue
        for span in m.group(2).split(","):
            t0, t1 = span.split("-")
            if not (_valid_time(t0) and _valid_time(t1)):
                return f"« {span} » : une heure va de 00:00 à 24:00 (minutes de 00 à 59)."
            if t1 <= t0:
                return f"« {span} » : l'heure de fermeture doit suivre l'heure d'ouverture."
    return None


def _valid_time(hhmm: str) -> bool:
    h, m = (int(x) for x in hhmm.split(":"))
    return (h < 24 and m < 60) or (h == 24 and m == 0)
