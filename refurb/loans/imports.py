"""Borrowers (usagers) from the spreadsheets sites keep: the columns of such a sheet and how one line
becomes a borrower. The import pages (/imports/borrowers, refurb.documents) read the file, map its
columns and run these on every line: each line is checked by the same rules as the desk form, duplicates
within the file or with a borrower already registered are line errors, and the file is imported whole or
not at all. Each borrower gets a new card number.

``ctx`` is the import's context (refurb.documents.imports.ImportContext): the site chosen on the upload
page (``default_site``), ``site(value)`` (a site by code or name) and ``choice(value, words)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.scope import serves_site
from ..clock import today
from ..errors import Invalid
from ..formatting import PARIS
from .borrowers import borrower_access, clean_phone, create_borrower, name_key, parse_borrower
from .models import Borrower

KIND_WORDS = {
    "resident": ("resident", "habitant", "habitante", "particulier", "particuliere", "usager", "personne",
                 "individu"),
    "partner": ("partner", "partenaire", "structure", "structure partenaire", "association", "organisme",
                "entreprise", "collectivite"),
    "staff": ("staff", "personnel", "agent", "salarie", "conseiller numerique", "conseillere numerique",
              "conseiller numerique ou personnel", "benevole", "cnfs"),
}

# (key, French label, required, other names the column goes by, hint): the columns of a borrowers' sheet.
BORROWER_COLUMNS = [
    ("last_name", "Nom", True, ("nom", "nom de famille", "nom usager", "last name")),
    ("first_name", "Prénom", True, ("prenom", "prenoms", "first name")),
    ("phone", "Téléphone", False, ("telephone", "tel", "portable", "mobile", "numero de telephone", "phone", "gsm")),
    ("email", "Courriel", False, ("courriel", "e mail", "email", "mail", "adresse mail", "adresse e mail",
                                  "adresse electronique")),
    ("home_site", "Site de rattachement", False, ("site", "code site", "site code", "lieu", "structure d accueil",
                                                  "epn", "rattachement"),
     "code ou nom du site ; sinon le site choisi ci-dessus"),
    ("kind", "Type d'emprunteur", False, ("type", "type d usager", "categorie", "statut", "kind"),
     "habitant, structure partenaire, personnel ; habitant si vide"),
    ("organisation", "Structure", False, ("organisation", "nom de la structure", "association", "organisme")),
    ("referring_partner", "Partenaire orienteur", False, ("partenaire", "oriente par", "orientation", "prescripteur",
                                                          "orienteur")),
    ("consent_on", "Date d'accord au règlement", False, ("consentement", "date de consentement", "accord",
                                                         "date d accord", "reglement signe le", "rgpd")),
]


@dataclass
class BorrowerRow:
    data: dict  # what create_borrower takes
    key: str  # name_key
    phone: str | None
    email: str | None
    consent_on: date | None


_DATE_FR = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def _consent_date(raw: str) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    m = _DATE_FR.match(raw)
    try:
        if m:
            day = date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        else:
            day = date.fromisoformat(raw[:10])
    except ValueError:
        raise Invalid(fields={"consent_on": f"Date d'accord « {raw[:20]} » illisible : écrivez-la JJ/MM/AAAA."})
    if day > today():
        raise Invalid(fields={"consent_on": f"La date d'accord ({day:%d/%m/%Y}) est dans le futur : corrigez-la."})
    return day


def check_borrower_line(db: Session, user, values: dict, ctx) -> BorrowerRow:
    """One line's values (by column key) as a borrower to create, or Invalid saying what to correct."""
    site_value = (values.get("home_site") or "").strip() or ctx.default_site
    if not site_value:
        raise Invalid(fields={"home_site": "Site de rattachement non indiqué : ajoutez une colonne « Site » ou "
                                           "choisissez le site avant de vérifier."})
    site = ctx.site(site_value)
    if site is None:
        raise Invalid(fields={"home_site": f"Site « {site_value[:40]} » inconnu : donnez le code (ex. EPN-CHINON) "
                                           "ou le nom exact d'un site du réseau."})
    if not serves_site(user, site.id):
        raise Invalid(fields={"home_site": f"Site « {site.name} » : vous ne servez pas ce site. Rattachez l'usager "
                                           "à l'un de vos sites, ou demandez à un gestionnaire."})
    raw_kind = (values.get("kind") or "").strip()
    kind = ctx.choice(raw_kind, KIND_WORDS) if raw_kind else "resident"
    if kind is None:
        raise Invalid(fields={"kind": f"Type « {raw_kind[:40]} » non reconnu : écrivez habitant, structure "
                                      "partenaire ou personnel (ou laissez vide pour habitant)."})
    consent_on = _consent_date(values.get("consent_on", ""))
    data = {"last_name": values.get("last_name", ""), "first_name": values.get("first_name", ""),
            "phone": (values.get("phone") or "").strip() or None, "email": (values.get("email") or "").strip() or None,
            "home_site": site.code, "kind": kind, "organisation": values.get("organisation", ""),
            "referring_partner": values.get("referring_partner", ""), "consent": consent_on is not None}
    v = parse_borrower(db, user, data, None)  # the desk form's rules, and the user's sites
    return BorrowerRow(data, name_key(v["last_name"], v["first_name"]), v["phone"], v["email"], consent_on)


def check_borrower_batch(db: Session, user, items: list[tuple[int, BorrowerRow]], ctx) -> dict[int, str]:
    """{line: message} for the lines that repeat another line, or a borrower already registered."""
    errors: dict[int, str] = {}
    seen: dict[tuple[str, str, str], int] = {}
    for line, row in items:
        for contact_kind, value in (("phone", row.phone), ("email", row.email)):
            if not value:
                continue
            first = seen.get((row.key, contact_kind, value))
            if first is not None:
                errors.setdefault(line, f"usager en double (même nom et même contact que la ligne {first}) : "
                                        "un usager ne s'inscrit qu'une fois")
            else:
                seen[(row.key, contact_kind, value)] = line
    keys = sorted({row.key for _line, row in items})
    known: dict[str, list[Borrower]] = {}
    for i in range(0, len(keys), 500):
        stmt = select(Borrower).where(Borrower.name_key.in_(keys[i:i + 500]), Borrower.anonymised_at.is_(None))
        for b in db.scalars(stmt):
            known.setdefault(b.name_key, []).append(b)
    for line, row in items:
        for b in known.get(row.key, []):
            if (row.phone and b.phone == clean_phone(row.phone)) or \
                    (row.email and (b.email or "").lower() == row.email.lower()):
                if borrower_access(db, user, b) is None:  # no card number for a borrower out of reach
                    errors.setdefault(line, "usager déjà inscrit·e (même nom et même contact) : demandez sa carte "
                                            "à l'usager ; retirez cette ligne")
                else:
                    errors.setdefault(line, f"usager déjà inscrit (même nom et même contact) : carte "
                                            f"{b.card_number}, rattaché à « {b.home_site.name} » ; retirez cette ligne")
                break
    return errors


def import_borrower_line(db: Session, user, row: BorrowerRow, ctx) -> Any:
    """Register the borrower of a checked line (inside the import's one transaction)."""
    borrower = create_borrower(db, user, row.data)
    if row.consent_on is not None:
        # The date the person signed the rules (on paper, before the import), at noon Paris time.
        borrower.consent_at = datetime.combine(row.consent_on, time(12, 0), tzinfo=PARIS).astimezone(timezone.utc)
        db.flush()
    return borrower
