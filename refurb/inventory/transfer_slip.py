"""The transfer slip (bordereau de transfert): an A4 PDF that travels with the devices.

Network name, transfer number, date and time (Paris), from where, to where, by whom, every
device (tag, category, brand/model, serial number, from), signature boxes "Remis par" /
"Reçu par", and "page X / Y" on every page. User text is drawn as text: it is cleaned
(control characters, glyphs the font lacks) and escaped before reaching a Paragraph.
"""

from __future__ import annotations

from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ..formatting import datetime_fr
from ..pdf.fonts import fit_text, printable, register_fonts

MARGIN = 15 * mm


def _clean(text, font: str) -> str:
    """One line of user text, safe for a Paragraph: no control characters, no markup."""
    return escape(printable("" if text is None else str(text), font))


def _numbered_canvas(footer: str, font: str):
    """A canvas that knows the page count when it saves, for "page X / Y"."""

    class NumberedCanvas(pdfcanvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(font, 8)
                self.setFillColor(colors.black)
                self.drawString(MARGIN, 10 * mm, footer)
                self.drawRightString(A4[0] - MARGIN, 10 * mm, f"Page {self._pageNumber} / {total}")
                super().showPage()
            super().save()

    return NumberedCanvas


def build_slip(transfer, network_name: str) -> bytes:
    regular, bold = register_fonts()
    base = ParagraphStyle("base", fontName=regular, fontSize=9.5, leading=12, alignment=TA_LEFT)
    small = ParagraphStyle("small", parent=base, fontSize=8.5, leading=10.5)
    cell_bold = ParagraphStyle("cellbold", parent=small, fontName=bold)
    title = ParagraphStyle("title", parent=base, fontName=bold, fontSize=16, leading=20, spaceAfter=4)
    network = ParagraphStyle("network", parent=base, fontName=bold, fontSize=11, leading=14)

    def c(text) -> str:
        return _clean(text, regular)

    from_sites: dict[int, object] = {}
    for item in transfer.items:
        from_sites.setdefault(item.from_site_id, item.from_site)
    to_site = transfer.to_site
    to_text = c(to_site.name) + (f" — {c(to_site.full_address)}" if to_site.full_address else "")
    user = transfer.user
    n = len(transfer.items)

    story = [
        Paragraph(c(network_name), network),
        Paragraph(f"Bordereau de transfert n° {transfer.id}", title),
    ]
    facts = [
        ("Date et heure", c(datetime_fr(transfer.at)) + " (heure de Paris)"),
        ("Depuis", ", ".join(f"{c(s.name)} ({c(s.code)})" for s in from_sites.values())),
        ("Vers", f"<b>{to_text}</b> ({c(to_site.code)})"),
        ("Transféré par", c(user.display_name if user else "")),
        ("Nombre d'appareils", str(n)),
    ]
    if transfer.note:
        facts.append(("Note", c(transfer.note)))
    fact_table = Table([[Paragraph(f"<b>{k}</b>", base), Paragraph(v, base)] for k, v in facts],
                       colWidths=[40 * mm, None], hAlign="LEFT")
    fact_table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2), ("TOPPADDING", (0, 0), (-1, -1), 2)]))
    story += [fact_table, Spacer(1, 5 * mm)]

    header = ["N°", "Étiquette", "Catégorie", "Marque / modèle", "N° de série", "Depuis"]
    rows = [[Paragraph(f"<b>{h}</b>", small) for h in header]]
    for i, item in enumerate(transfer.items, start=1):
        d = item.device
        rows.append([
            Paragraph(str(i), small),
            Paragraph(c(d.asset_tag), cell_bold),
            Paragraph(c(d.category_label), small),
            Paragraph(c(" ".join(p for p in (d.brand, d.model) if p)), small),
            Paragraph(c(d.serial_number or ""), small),
            Paragraph(c(item.from_site.name), small),
        ])
    width = A4[0] - 2 * MARGIN
    fixed = [10 * mm, 26 * mm, 30 * mm, 0, 38 * mm, 34 * mm]
    fixed[3] = width - sum(fixed)
    devices = Table(rows, repeatRows=1, colWidths=fixed)
    devices.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    story += [devices, Spacer(1, 8 * mm)]

    def box(label: str) -> list:
        return [Paragraph(f"<b>{label}</b>", base), Spacer(1, 2 * mm), Paragraph("Nom :", base),
                Spacer(1, 4 * mm), Paragraph("Date :", base), Spacer(1, 4 * mm), Paragraph("Signature :", base),
                Spacer(1, 16 * mm)]
    signatures = Table([[box("Remis par"), box("Reçu par")]], colWidths=[width / 2 - 2 * mm] * 2,
                       spaceBefore=0, hAlign="LEFT")
    signatures.setStyle(TableStyle([("BOX", (0, 0), (0, 0), 0.8, colors.black),
                                    ("BOX", (1, 0), (1, 0), 0.8, colors.black),
                                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                    ("LEFTPADDING", (0, 0), (-1, -1), 3 * mm),
                                    ("TOPPADDING", (0, 0), (-1, -1), 2 * mm)]))
    story.append(KeepTogether([Paragraph("À signer à la remise et à la réception du matériel.", small),
                               Spacer(1, 2 * mm), signatures]))

    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=18 * mm, title=f"Bordereau de transfert n° {transfer.id}",
                            author=str(network_name), subject="Bordereau de transfert")
    footer = _clean_plain(f"{network_name} · Bordereau de transfert n° {transfer.id}", regular)
    doc.build(story, canvasmaker=_numbered_canvas(footer, regular))
    return buffer.getvalue()


def _clean_plain(text: str, font: str) -> str:
    """For drawString (no markup): cleaned, not escaped."""
    return fit_text(printable(text, font), font, 8, A4[0] - 2 * MARGIN - 30 * mm)
