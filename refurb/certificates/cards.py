"""Borrower cards on an A4 sheet (2 × 5 cards of 85.6 × 54 mm, ISO/IEC 7810 ID-1), with the fronts
drawn by the loans area (the same card as the single one) and, on request, the backs on the
following page mirrored for long-edge duplex printing."""

from __future__ import annotations

import io
from datetime import date

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.scope import require_site
from ..clock import end_of_day_utc, start_of_day_utc
from ..errors import Invalid
from ..loans import services as loans
from ..loans.models import Borrower
from ..loans.services import CARD_H, CARD_W
from ..pdf import fit_text, printable, register_fonts
from ..sites.services import get_site

COLUMNS, ROWS = 2, 5
GAP_X, GAP_Y = 6 * mm, 1.5 * mm
PER_SHEET = COLUMNS * ROWS
MAX_CARDS = 200


def _text(c: Canvas, font: str, size: float, x: float, y: float, text: str, width: float) -> None:
    c.setFont(font, size)
    c.drawString(x, y, fit_text(printable(text, font), font, size, width))


def _slots():
    page_w, page_h = A4
    margin_x = (page_w - COLUMNS * CARD_W - (COLUMNS - 1) * GAP_X) / 2
    margin_y = (page_h - ROWS * CARD_H - (ROWS - 1) * GAP_Y) / 2
    for row in range(ROWS):
        for col in range(COLUMNS):
            x = margin_x + col * (CARD_W + GAP_X)
            y = page_h - margin_y - (row + 1) * CARD_H - row * GAP_Y
            yield col, row, x, y, margin_x


def card_sheet_pdf(borrowers: list[Borrower], network_name: str, *, backs: bool = False) -> bytes:
    """Fronts of up to 10 cards per A4 page (dashed cutting lines); with ``backs``, each page of
    fronts is followed by the page of their backs, columns swapped (long-edge duplex)."""
    fonts = register_fonts()
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4, pageCompression=1)
    c.setTitle(f"Cartes d'emprunteur ({len(borrowers)})")
    slots = list(_slots())
    for start in range(0, len(borrowers), PER_SHEET):
        chunk = borrowers[start:start + PER_SHEET]
        for side in (("front", "back") if backs else ("front",)):
            for borrower, (col, row, x, y, margin_x) in zip(chunk, slots):
                if side == "back":  # the sheet is turned over along its long edge: columns swap
                    x = A4[0] - x - CARD_W
                c.setLineWidth(0.3)
                c.setDash(3, 2)
                c.roundRect(x, y, CARD_W, CARD_H, 3 * mm)
                c.setDash()
                if side == "front":
                    loans.draw_card_front(c, borrower, network_name, x, y, fonts)
                else:
                    loans.draw_card_back(c, borrower, x, y, fonts)
            _text(c, fonts[0], 7, 12 * mm, 4 * mm,
                  ("Verso : imprimez en recto verso (bord long)." if side == "back" else
                   f"Cartes d'emprunteur — {network_name} — découpez en suivant les pointillés (format carte "
                   "bancaire)."), A4[0] - 24 * mm)
            c.showPage()
    if not borrowers:
        c.showPage()
    c.save()
    return buffer.getvalue()


def _day(raw, name: str, label: str, errors: dict) -> date | None:
    if raw in (None, ""):
        return None
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        errors[name] = f"{label} : date attendue au format AAAA-MM-JJ."
        return None


def borrowers_for_sheet(db: Session, actor, *, cards: list[str] | None = None, site_code: str | None = None,
                        start=None, end=None) -> list[Borrower]:
    """The borrowers whose cards go on a sheet: the cards named, or those registered at a site in a period."""
    loans.require_desk(actor)
    cards = [c for c in (cards or []) if str(c).strip()]
    if cards:
        if len(cards) > MAX_CARDS:
            raise Invalid(fields={"card": f"{MAX_CARDS} cartes au plus par impression."})
        found, seen = [], set()
        for card in cards:
            b = loans.get_borrower(db, actor, card)
            if b.id not in seen:
                seen.add(b.id)
                found.append(b)
        return found
    errors: dict[str, str] = {}
    first = _day(start, "from", "Début de période", errors)
    last = _day(end, "to", "Fin de période", errors)
    if first and last and last < first:
        errors["to"] = "La fin de la période est avant son début : corrigez l'une des deux dates."
    if not site_code:
        errors["site"] = "Choisissez le site des usagers (ou indiquez les numéros de carte)."
    if errors:
        raise Invalid(fields=errors)
    site = get_site(db, site_code)
    require_site(actor, site.id, f"les usagers du site « {site.name} »")
    stmt = select(Borrower).where(Borrower.home_site_id == site.id, Borrower.card_number.is_not(None),
                                  Borrower.anonymised_at.is_(None))
    if first:
        stmt = stmt.where(Borrower.created_at >= start_of_day_utc(first))
    if last:
        stmt = stmt.where(Borrower.created_at < end_of_day_utc(last))
    found = list(db.scalars(stmt.order_by(Borrower.last_name, Borrower.first_name, Borrower.id).limit(MAX_CARDS + 1)))
    if len(found) > MAX_CARDS:
        raise Invalid(fields={"from": f"Plus de {MAX_CARDS} usagers sur cette période : raccourcissez-la."})
    return found

