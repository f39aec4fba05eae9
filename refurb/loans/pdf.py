"""Loans documents as PDF: the borrower card (to cut out, with its Code 128) and the loan agreement."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from ..formatting import date_fr, datetime_fr, money_fr
from ..pdf import draw_code128, fit_text, printable, register_fonts, wrap_text

CARD_W, CARD_H = 85.6 * mm, 54.0 * mm  # ISO/IEC 7810 ID-1, a bank card

RULES_TEXT = [
    "Le matériel est prêté gratuitement pour la durée indiquée ; il peut être prolongé s'il n'est pas réservé.",
    "L'emprunteur le rend complet (chargeur, câbles, housse) et dans l'état où il l'a reçu.",
    "Un matériel perdu, volé ou abîmé doit être signalé sans délai à l'accueil.",
    "La caution éventuelle est rendue au retour ; elle peut être conservée si le matériel n'est pas rendu "
    "ou est rendu abîmé.",
    "Les données personnelles enregistrées sur l'appareil sont effacées à son retour.",
    "Données de l'emprunteur : nom, un contact, le site et la carte ; elles sont anonymisées après une "
    "période d'inactivité. Vous pouvez les consulter ou en demander l'effacement à l'accueil.",
]


def _text(c: Canvas, font: str, size: float, x: float, y: float, text: str, width: float) -> None:
    c.setFont(font, size)
    c.drawString(x, y, fit_text(printable(text, font), font, size, width))


def draw_card_front(c: Canvas, borrower, network_name: str, left: float, y: float, fonts) -> None:
    """The front of one card at (left, y): network, name, site, Code 128 of the card number."""
    regular, bold = fonts
    inner = CARD_W - 8 * mm
    _text(c, regular, 7, left + 4 * mm, y + CARD_H - 7 * mm, network_name, inner)
    _text(c, bold, 10, left + 4 * mm, y + CARD_H - 12.5 * mm, "Carte d'emprunteur", inner)
    _text(c, bold, 12, left + 4 * mm, y + CARD_H - 19 * mm, borrower.display_name, inner)
    _text(c, regular, 8, left + 4 * mm, y + CARD_H - 24 * mm, f"Site : {borrower.home_site.name}", inner)
    draw_code128(c, borrower.card_number, left + 4 * mm, y + 9 * mm, inner, 11 * mm)
    _text(c, bold, 11, left + 4 * mm, y + 4 * mm, borrower.card_number, inner)


def draw_card_back(c: Canvas, borrower, left: float, y: float, fonts) -> None:
    """The back of one card: how to use it, and whom to call."""
    regular, bold = fonts
    inner = CARD_W - 8 * mm
    lines = ["Présentez cette carte à l'accueil ou à la borne pour emprunter et rendre du matériel.",
             "À la borne, la carte ne suffit pas : tapez aussi votre code PIN à 4 chiffres.",
             "Carte perdue ? Prévenez l'accueil : elle sera bloquée et remplacée."]
    top = y + CARD_H - 7 * mm
    for line in lines:
        for part in wrap_text(printable(line, regular), regular, 7.5, inner, 3):
            c.setFont(regular, 7.5)
            c.drawString(left + 4 * mm, top, part)
            top -= 3.6 * mm
        top -= 1.2 * mm
    site = borrower.home_site
    _text(c, bold, 8, left + 4 * mm, y + 4 * mm, ", ".join(p for p in (site.name, site.phone) if p), inner)


def borrower_card_pdf(borrower, network_name: str) -> bytes:
    fonts = register_fonts()
    regular = fonts[0]
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4, pageCompression=1)
    c.setTitle(f"Carte d'emprunteur {borrower.card_number}")
    page_w, page_h = A4
    x, y = 20 * mm, page_h - 20 * mm - CARD_H
    _text(c, regular, 9, x, page_h - 14 * mm, "Découpez la carte en suivant le trait (format carte bancaire).",
          page_w - 40 * mm)
    for i, (left, label) in enumerate(((x, "recto"), (x + CARD_W + 10 * mm, "verso"))):
        c.setLineWidth(0.3)
        c.setDash(3, 2)
        c.roundRect(left, y, CARD_W, CARD_H, 3 * mm)
        c.setDash()
        if i == 0:
            draw_card_front(c, borrower, network_name, left, y, fonts)
        else:
            draw_card_back(c, borrower, left, y, fonts)
        _text(c, regular, 6, left, y - 4 * mm, label, CARD_W)
    c.showPage()
    c.save()
    return buffer.getvalue()


def agreement_pdf(loans: list, network_name: str, site, *, with_contact: bool = False) -> bytes:
    """One A4 agreement for the devices lent to one borrower at one check-out (the borrower's contact
    only ``with_contact``: see ``loans.agreement_document``)."""
    regular, bold = register_fonts()
    borrower = loans[0].borrower
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4, pageCompression=1)
    c.setTitle(f"Contrat de prêt n° {loans[0].id}")
    page_w, page_h = A4
    left, width = 20 * mm, page_w - 40 * mm
    y = page_h - 20 * mm

    def line(text: str, *, font=regular, size=10, gap=5.2 * mm):
        nonlocal y
        for part in wrap_text(printable(text, font), font, size, width, 6):
            if y < 30 * mm:
                c.showPage()
                y = page_h - 20 * mm
            c.setFont(font, size)
            c.drawString(left, y, part)
            y -= gap

    line(network_name, size=9)
    line(f"{site.name} — {site.full_address}" if site.full_address else site.name, size=9)
    y -= 3 * mm
    line(f"Contrat de prêt de matériel n° {loans[0].id}", font=bold, size=16, gap=8 * mm)
    line(f"Date : {datetime_fr(loans[0].started_at)}")
    line(f"Emprunteur : {borrower.display_name} — carte {borrower.card_number or '—'}")
    if with_contact and borrower.contact:
        line(f"Contact : {borrower.contact}")
    y -= 3 * mm
    line("Matériel prêté", font=bold, size=12, gap=6 * mm)
    for loan in loans:
        d = loan.device
        deposit = (f" — caution {money_fr(loan.deposit_amount)} ({loan.deposit_method_label.lower()})"
                   if loan.deposit_amount else "")
        kit = f" — kit « {loan.kit.name} »" if loan.kit_id else ""
        line(f"• {d.asset_tag} : {d.category_label} {d.title}{kit} — à rendre le {date_fr(loan.due_on)}{deposit}")
    y -= 3 * mm
    line("Règlement de prêt", font=bold, size=12, gap=6 * mm)
    for rule in RULES_TEXT:
        line(f"• {rule}", size=9, gap=4.6 * mm)
    y -= 6 * mm
    line("Règlement lu et accepté.", size=10)
    y -= 4 * mm
    c.setFont(regular, 10)
    c.drawString(left, y, "Signature de l'emprunteur :")
    c.drawString(left + width / 2, y, "Pour le site :")
    y -= 22 * mm
    c.setLineWidth(0.3)
    c.line(left, y, left + width / 2 - 10 * mm, y)
    c.line(left + width / 2, y, left + width, y)
    c.showPage()
    c.save()
    return buffer.getvalue()
