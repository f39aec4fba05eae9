"""Loans documents as PDF: the borrower card (to cut out, with its Code 128) and the loan agreement."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from ..formatting import date_fr, datetime_fr, money_fr, plural
from ..pdf import draw_code128, fit_text, printable, register_fonts, wrap_text

CARD_W, CARD_H = 85.6 * mm, 54.0 * mm  # ISO/IEC 7810 ID-1, a bank card

RULES_TEXT = [
    "Le matériel est prêté gratuitement pour la durée indiquée ; il peut être prolongé s'il n'est pas réservé.",
    "L'emprunteur le rend complet (chargeur, câbles, housse) et dans l'état où il l'a reçu.",
    "Un matériel perdu, volé ou abîmé doit être signalé sans délai à l'accueil.",
    "La caution éventuelle est rendue au retour ; elle peut être conservée si le matériel n'est pas rendu "
    "ou est rendu abîmé.",
    "Les données personnelles enregistrées sur l'appareil sont effacées à son retour.",
]


def privacy_lines(privacy: dict) -> list[str]:
    """The information a borrower must be given about their data (RGPD art. 13), in plain French."""
    days = privacy["retention_days"]
    years = days / 365
    span = plural(days, "jour") + (f" (environ {plural(round(years), 'an')})" if days >= 365 else "")
    where = privacy.get("contact") or "l'accueil de votre site"
    controller = privacy["controller"] + (f", {privacy['address']}" if privacy.get("address") else "")
    return [
        f"Responsable du traitement : {controller}.",
        "Finalité et base légale : gérer vos prêts de matériel (carte, prêts, retours, caution, rappels) ; "
        "le traitement est nécessaire à l'exécution du contrat de prêt (RGPD, art. 6, 1, b).",
        "Données : nom, un contact, le site et le numéro de carte, les prêts ; aucune pièce d'identité n'est "
        "copiée. Seuls les agents du réseau qui gèrent les prêts y ont accès.",
        f"Durée de conservation : {span} après votre dernier prêt ; ensuite vos données sont anonymisées "
        "(l'historique ne garde que des nombres de prêts).",
        "Vos droits : accès, rectification, effacement, limitation, opposition et portabilité (RGPD, art. 15 à "
        f"21). Pour les exercer : {where}.",
        "Vous pouvez adresser une réclamation à la CNIL (www.cnil.fr, 3 place de Fontenoy, TSA 80715, "
        "75334 Paris Cedex 07).",
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


def agreement_pdf(loans: list, network_name: str, site, *, with_contact: bool = False,
                  privacy: dict | None = None) -> bytes:
    """One A4 agreement for the devices lent to one borrower at one check-out (the borrower's contact
    only ``with_contact``: see ``loans.agreement_document``), with the deposit actually taken and the
    data-protection information (``privacy``: ``loans.privacy_notice``)."""
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
    deposits = [loan for loan in loans if loan.deposit_amount]
    if deposits:
        total = sum(loan.deposit_amount for loan in deposits)
        methods = sorted({loan.deposit_method_label.lower() for loan in deposits})
        line(f"Caution reçue : {money_fr(total)} ({', '.join(methods)}), rendue au retour du matériel.", font=bold,
             size=10)
    else:
        line("Aucune caution n'a été demandée.", size=10)
    y -= 3 * mm
    line("Règlement de prêt", font=bold, size=12, gap=6 * mm)
    for rule in RULES_TEXT:
        line(f"• {rule}", size=9, gap=4.6 * mm)
    if privacy is not None:
        y -= 2 * mm
        line("Vos données personnelles", font=bold, size=12, gap=6 * mm)
        for text in privacy_lines(privacy):
            line(f"• {text}", size=9, gap=4.6 * mm)
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
