"""The certificates as A4 PDFs, drawn from the content stored when they were issued (refurb.pdf.layout),
with their reference, verification code and a QR code of the public verification page."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from reportlab.lib.colors import Color
from reportlab.lib.units import mm

from ..formatting import date_fr, datetime_fr, money_fr, plural
from ..pdf import draw_qr
from ..pdf.fonts import fit_text, printable, wrap_text
from ..pdf.layout import RULE, Column, Document, _Block
from .content import ERASURE_STATUS
from .models import Certificate

NIST = {"clear": "Clear", "purge": "Purge", "destroy": "Destroy"}
RESULTS = {"passed": "Réussi", "failed": "Échoué"}
METHOD_SHORT = {"overwrite": "Réécriture", "ata_secure_erase": "ATA Secure Erase", "nvme_sanitize": "NVMe Sanitize",
                "crypto_erase": "Effacement crypto.", "factory_reset": "Réinit. d'usine (chiffré)",
                "destruction": "Destruction physique"}
DESTINATIONS = {"reuse": "Réemploi", "recycling": "Recyclage", "destruction": "Destruction"}
CHECK_RESULTS = {"pass": "OK", "fail": "En panne", "na": "Sans objet", "repaired": "Réparé (OK)"}


def day(text: str | None) -> str:
    return date_fr(date.fromisoformat(text)) if text else ""


def moment(text: str | None) -> str:
    return datetime_fr(datetime.fromisoformat(text)) if text else ""


def euros(text: str | None) -> str:
    return money_fr(Decimal(text)) if text is not None else ""


def verify_url(base: str, cert: Certificate) -> str:
    return f"{base.rstrip('/')}/verify/{cert.reference}?code={cert.code}"


class VerificationBlock(_Block):
    """A framed box: QR code of the verification page, reference, verification code, how to check."""

    keep_with_next = 0.0

    def __init__(self, cert: Certificate, url: str):
        self.cert = cert
        self.url = url

    def height(self, doc) -> float:
        return 36 * mm

    def draw(self, doc, c, y_top, part) -> None:
        box_h = 33 * mm
        x, y = doc.left, y_top - box_h
        c.setStrokeColor(RULE)
        c.setLineWidth(0.6)
        c.rect(x, y, doc.content_width, box_h, stroke=1, fill=0)
        c.setStrokeColor(Color(0, 0, 0))
        qr = 31 * mm
        draw_qr(c, self.url, x + 1 * mm, y + 1 * mm, qr)
        tx = x + qr + 4 * mm
        width = doc.content_width - qr - 6 * mm
        line_y = y + box_h - 6 * mm
        for text, font, size in (
                (f"Référence : {self.cert.reference}", doc.bold, 10),
                (f"Code de vérification : {self.cert.code}", doc.bold, 10),
                (f"Émis le {datetime_fr(self.cert.issued_at)}", doc.regular, 8.5),
                (f"Vérifier ce document : {self.url.split('?')[0]}", doc.regular, 8.5)):
            c.setFont(font, size)
            c.drawString(tx, line_y, fit_text(printable(text, font), font, size, width))
            line_y -= size * 1.45
        note = ("Scannez le QR code ou ouvrez l'adresse ci-dessus et saisissez le code : la page confirme ce que "
                "ce document atteste. Le code est une empreinte HMAC-SHA256 du contenu certifié.")
        c.setFont(doc.regular, 7.5)
        for part_line in wrap_text(printable(note, doc.regular), doc.regular, 7.5, width, 2):
            c.drawString(tx, line_y, part_line)
            line_y -= 7.5 * 1.35


def fitted_widths(doc, labels, rows, size: float, flexible=()) -> list[float]:
    """Column widths (points) that hold every cell whole; when the page is too narrow, only the
    ``flexible`` columns (free text) give way, down to their longest word: their cells and headers then
    wrap onto more lines, so that nothing is cut (serials and dates stay on one line)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    def longest_word(text, font):
        return max((stringWidth(w, font, size) for w in printable(str(text), font).split()), default=0) + 6

    widths = [stringWidth(label, doc.bold, size) + 6 for label in labels]
    floors = [longest_word(label, doc.bold) for label in labels]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], stringWidth(printable(str(cell), doc.regular), doc.regular, size) + 6)
            floors[i] = max(floors[i], longest_word(cell, doc.regular))
    for i in range(len(labels)):
        if i not in flexible:
            floors[i] = widths[i]
    excess = sum(widths) - doc.content_width
    if excess > 0:
        room = sum(widths[i] - floors[i] for i in flexible) or 1
        for i in flexible:
            widths[i] = max(floors[i], widths[i] - excess * (widths[i] - floors[i]) / room)
    return widths


def _meta(cert: Certificate) -> list[str]:
    return [f"Référence {cert.reference}", f"Émis le {datetime_fr(cert.issued_at)}",
            f"par {cert.issued_by_name}" if cert.issued_by_name else ""]


def _org_pairs(org: dict) -> list[tuple[str, str]]:
    pairs = [("Organisation", org["name"])]
    if org.get("identifier"):
        pairs.append(("RNA" if org["identifier"].startswith("W") else "SIREN", org["identifier"]))
    if org.get("siret"):
        pairs.append(("SIRET", org["siret"]))
    if org.get("head_office"):
        pairs.append(("Siège", org["head_office"]))
    if org.get("site"):
        pairs.append(("Site", org["site"]))
    if org.get("address"):
        pairs.append(("Adresse du site", org["address"]))
    contact = " · ".join(p for p in (org.get("phone"), org.get("email")) if p)
    if contact:
        pairs.append(("Contact", contact))
    return pairs


# --- erasure certificate --------------------------------------------------------------------------

def erasure_pdf(cert: Certificate, url: str) -> bytes:
    content = cert.content
    org, customer, devices, s = content["organisation"], content.get("customer"), content["devices"], content["summary"]
    if content["scope"] == "donation":
        subtitle = f"Don {customer['donation']} — {customer['name']}"
    else:
        subtitle = f"Appareil {devices[0]['asset_tag']}"
    doc = Document(network=org["name"], title="Certificat d'effacement des données", subtitle=subtitle,
                   meta=_meta(cert), reference=cert.reference, landscape=True)
    doc.heading("Organisation qui a effacé les données")
    doc.key_values(_org_pairs(org))
    doc.heading("Client (donateur)")
    if customer:
        pairs = [("Donateur", f"{customer['name']} ({customer['kind_label']})")]
        if customer.get("siret"):
            pairs.append(("SIRET", customer["siret"]))
        if customer.get("address"):
            pairs.append(("Adresse", customer["address"]))
        pairs.append(("Don", f"{customer['donation']}, reçu le {day(customer['received_on'])}"))
        doc.key_values(pairs)
    else:
        doc.paragraph("Appareil entré au réseau sans don enregistré.", muted=True)

    doc.heading("Synthèse")
    parts = [f"{plural(s['erased'], 'effacé', 'effacés')}",
             f"{s['destroyed']} dont le support a été détruit",
             f"{s['pending']} en attente", f"{s['failed']} en échec"]
    if s.get("unverified"):
        parts.append(plural(s["unverified"], "effacé sans vérification, donc non prouvé",
                            "effacés sans vérification, donc non prouvés"))
    parts.append(f"{s['no_storage']} sans support de données")
    doc.paragraph(f"{plural(s['total'], 'appareil')} : " + ", ".join(parts) + ".", bold=True)
    if s["pending"] or s["failed"] or s.get("unverified"):
        doc.paragraph("Les appareils EN ATTENTE, en ÉCHEC ou NON VÉRIFIÉS ne sont PAS effacés au sens de ce "
                      "certificat à sa date (un effacement sans relecture du support n'est pas une preuve). "
                      "Un nouveau certificat, avec une nouvelle référence, sera émis après leur effacement.")
    labels = ["Étiquette", "Catégorie", "Marque et modèle", "N° de série de l'appareil", "Statut"]
    rows = [(d["asset_tag"], d["category_label"], " ".join(p for p in (d["make"], d["model"]) if p) or "—",
             d["serial"] or "—", ERASURE_STATUS[d["status"]]) for d in devices]
    doc.table([Column(label, w) for label, w in zip(labels, fitted_widths(doc, labels, rows, 8.5, flexible=(1, 2)))],
              rows, size=8.5,
              totals=("Total", plural(s["total"], "appareil"), "", "",
                      plural(s["erased"] + s["destroyed"], "effacé", "effacés")))

    doc.heading("Détail par support de stockage")
    rows = []
    operators: list[str] = []
    for d in devices:
        for x in d.get("destructions", []):
            if x["operator"] and x["operator"] not in operators:
                operators.append(x["operator"])
            rows.append((d["asset_tag"], "tous les supports", "—", "",
                         "Destruction (recycleur)" if x["by"] == "recycler" else "Destruction (nos soins)", "Destroy",
                         "voir ci-dessous", "s.o.", "—", "Détruit", "Destruction", day(x["destroyed_on"]),
                         x["operator"]))
        if not d["media"] and d.get("destructions"):
            continue
        if not d["media"]:
            rows.append((d["asset_tag"], "—", "—", "", "aucun effacement" if d["status"] == "pending"
                         else "sans support", "", "", "", "", "EN ATTENTE" if d["status"] == "pending" else "—",
                         "", "", ""))
            continue
        for m in d["media"]:
            who = ", ".join(p for p in (m["operator"], m.get("operator_title", "")) if p)
            if who and who not in operators:
                operators.append(who)
            medium = " ".join(p for p in (m["kind_label"], m.get("manufacturer", ""), m["model"]) if p)
            result = RESULTS.get(m["result"], m["result"])
            if m["result"] == "passed" and not m["verified"]:
                result = "NON VÉRIFIÉ"
            rows.append((d["asset_tag"], medium, m["serial"], f"{m['size_gb']} Go" if m["size_gb"] else "—",
                         METHOD_SHORT.get(m["method"], m["method_label"]), NIST.get(m["category"], m["category"]),
                         " ".join(p for p in (m["tool"], m["tool_version"]) if p),
                         str(m["passes"]) if m["method"] == "overwrite" else "s.o.",
                         (m.get("verification_method") or "Relecture du support") if m["verified"] else "aucune",
                         result, DESTINATIONS.get(m.get("destination") or "reuse", ""), moment(m["ended_at"]), who))
    labels = ["Étiquette", "Support (type, fabricant, modèle)", "N° de série du support", "Taille",
              "Méthode (technique)", "Catégorie NIST", "Outil et version", "Passes", "Vérification", "Résultat",
              "Destination", "Fin", "Opérateur (fonction)"]
    aligns = {3: "right", 7: "right"}
    weights = fitted_widths(doc, labels, rows, 7, flexible=(1, 4, 8, 9, 10, 12))
    doc.table([Column(label, w, aligns.get(i, "left")) for i, (label, w) in enumerate(zip(labels, weights))], rows,
              size=7)
    destroyed = [(d["asset_tag"], x) for d in devices for x in d.get("destructions", [])]
    if destroyed:
        doc.heading("Supports détruits sans session d'effacement")
        for tag, x in destroyed:
            doc.paragraph(f"{tag} : {x['label']}, le {day(x['destroyed_on'])}.", size=9)
    doc.paragraph("Catégories selon NIST SP 800-88 : Clear (réécriture par les commandes normales du support), Purge "
                  "(effacement par les commandes du contrôleur : ATA Secure Erase, NVMe Sanitize, effacement "
                  "cryptographique), Destroy (destruction physique du support). Passes : pour une réécriture "
                  "seulement (s.o. : sans objet). Classification après assainissement : support sans donnée "
                  "récupérable par les moyens de la catégorie indiquée, s'il est vérifié ; un effacement NON "
                  "VÉRIFIÉ n'en est pas la preuve. Heures de Paris.", size=8, muted=True)
    doc.spacer(3 * mm)
    doc.blocks.append(VerificationBlock(cert, url))
    doc.signature_block([f"L'opérateur : {', '.join(operators) or '—'}", f"Pour {org['name']}"],
                        place_line=f"Certificat établi le {date_fr(cert.issued_at)}.")
    return doc.render()


# --- donation receipt -----------------------------------------------------------------------------

def receipt_pdf(cert: Certificate, url: str) -> bytes:
    content = cert.content
    org, donor, donation = content["organisation"], content["donor"], content["donation"]
    public = donor["kind"] == "public_body"
    title = "Attestation de prise en charge de matériel" if public else "Attestation de don de matériel"
    doc = Document(network=org["name"], title=title, subtitle=f"Don {donation['reference']} — {donor['name']}",
                   meta=_meta(cert), reference=cert.reference)
    doc.heading("Bénéficiaire du don")
    doc.key_values(_org_pairs(org))
    doc.heading("Donateur")
    pairs = [("Donateur", donor["name"]), ("Type", donor["kind_label"])]
    if donor.get("siret"):
        pairs.append(("SIRET", donor["siret"]))
    if donor.get("address"):
        pairs.append(("Adresse", donor["address"]))
    if donor.get("contact"):
        pairs.append(("Contact", donor["contact"]))
    doc.key_values(pairs)
    doc.heading("Le don")
    pairs = [("Référence", donation["reference"]), ("Date de réception", day(donation["received_on"])),
             ("Reçu à", donation["site"]), ("Nature", "Don en nature : matériel informatique et numérique d'occasion")]
    if donation.get("convention_reference"):
        pairs.append(("Convention de cession", donation["convention_reference"]))
    doc.key_values(pairs)
    total_value = content.get("total_value")
    doc.table([Column("Description", 4.6), Column("Quantité", 1.1, "right"), Column("Valeur unitaire", 1.6, "right"),
               Column("Valeur totale", 2.2, "right")],
              [(line["description"], str(line["quantity"]), euros(line["unit_value"]) or "non connue",
                euros(line["total_value"]) or "non connue") for line in content["lines"]],
              title="Matériel reçu", size=8.5,
              totals=("Total", str(content["total_quantity"]), "",
                      (euros(total_value) + (" (partiel)" if content["valued_quantity"] < content["total_quantity"]
                                             else "")) if total_value else "non connue"))
    labels = ["Étiquette", "Catégorie", "Marque et modèle", "N° de série", "Valeur", "Base de la valeur"]
    rows = [(d["asset_tag"], d["category_label"], " ".join(p for p in (d["make"], d["model"]) if p) or "—",
             d["serial"] or "—", euros(d["value"]) or "—", d.get("basis_label") or ("—" if d["value"] is None
                                                                                  else "non précisée"))
            for d in content["devices"]]
    widths = fitted_widths(doc, labels, rows, 8, flexible=(1, 2))
    doc.table([Column(label, w, "right" if i == 4 else "left") for i, (label, w) in enumerate(zip(labels, widths))],
              rows, title="Détail des appareils", size=8)
    doc.paragraph("Valeurs telles que les comptes du donateur les donnent : coût de revient du bien, ou sa valeur "
                  "nette comptable s'il figurait à l'actif (art. 238 bis du CGI) ; jamais son prix d'achat "
                  "d'origine. « non connue » : non communiquée par le donateur.", size=8, muted=True)
    if org.get("status"):
        doc.paragraph(f"Organisme bénéficiaire : {org['status']}.", size=9)
    else:
        doc.paragraph("Le statut de l'organisme bénéficiaire au regard de l'art. 238 bis du CGI n'est pas renseigné "
                      "dans l'application : cette attestation ne dit pas que le don ouvre droit à réduction d'impôt.",
                      size=9)
    if donor["kind"] == "company":
        doc.heading("Pour la déclaration de l'entreprise", level=2)
        doc.paragraph("Ce document n'est pas un reçu fiscal : ce n'est pas le formulaire Cerfa n° 16216. Il "
                      "rassemble les informations utiles pour l'établir : identité et adresse de l'organisme "
                      "bénéficiaire, date du don, nature (don en nature), description et quantité des biens, "
                      "valorisation indiquée ci-dessus.")
    elif donor["kind"] == "individual":
        doc.paragraph("Ce document n'est pas un reçu fiscal (formulaire Cerfa n° 11580).", size=9)
    if public:
        doc.heading("Matériel cédé par un organisme public", level=2)
        doc.paragraph("Ce matériel est pris en charge " +
                      (f"dans le cadre de la convention n° {donation['convention_reference']}. "
                       if donation.get("convention_reference") else "dans le cadre d'une convention de cession. ") +
                      "Il ne sera cédé qu'à des personnes en situation de précarité ou à des associations qui les "
                      "accompagnent, aux prix solidaires plafonnés.")
    doc.paragraph("Les données des appareils seront effacées avant tout réemploi ; un certificat d'effacement des "
                  "données est remis au donateur.", size=9)
    doc.spacer(3 * mm)
    doc.blocks.append(VerificationBlock(cert, url))
    doc.signature_block([f"Pour {org['name']}", "Le donateur"],
                        place_line=f"Attestation établie le {date_fr(cert.issued_at)}.")
    return doc.render()


# --- device certificate (refurbishment / sale) ----------------------------------------------------

def device_title(content: dict, *, short: bool = False) -> str:
    """The document's name: "reconditionné" only for a device that may be called so (R. 122-4)."""
    title = "Certificat de vente" if content["sale"] else (
        "Certificat de reconditionnement" if content["refurbished"] else "Fiche d'appareil d'occasion contrôlé")
    if short:
        return title
    if content["sale"]:
        return title + (" d'un appareil reconditionné" if content["refurbished"] else " d'un appareil d'occasion")
    return title


def device_pdf(cert: Certificate, url: str) -> bytes:
    content = cert.content
    org, device, sale, gift = content["organisation"], content["device"], content["sale"], content["gift"]
    kind = "Appareil reconditionné" if content["refurbished"] else "Appareil d'occasion"
    doc = Document(network=org["name"], title=device_title(content, short=True),
                   subtitle=f"{kind} · {device['category_label']} {device['asset_tag']}", meta=_meta(cert),
                   reference=cert.reference)
    doc.heading("Vendeur" if sale else "Organisation")
    doc.key_values(_org_pairs(org))
    if sale:
        doc.key_values([("Acheteur", sale["buyer"]), ("Vente", sale["reference"])])
    elif gift:
        doc.key_values([("Bénéficiaire", gift["recipient"]), ("Type de bénéficiaire", gift["recipient_kind"])])
    doc.heading("Appareil")
    pairs = [("Catégorie", device["category_label"]),
             ("Marque et modèle", " ".join(p for p in (device["make"], device["model"]) if p) or "—"),
             ("N° de série", device["serial"] or "—"), ("Étiquette du réseau", device["asset_tag"])]
    if device.get("grade"):
        pairs.append(("Grade esthétique", device["grade_label"] or device["grade"]))
    grading = content.get("grading")
    if grading:
        if content.get("diagnosis"):
            pairs.append(("Fonctionnement", grading["functional_label"]))
        else:
            pairs.append(("Fonctionnement", "non diagnostiqué : aucun contrôle enregistré"))
        if grading.get("reservations"):
            pairs.append(("Défaut signalé", grading["reservations"]))
        if grading.get("battery_health") is not None:
            pairs.append(("Santé de la batterie", f"{grading['battery_health']} %"))
    doc.key_values(pairs)
    if content["refurbished"]:
        doc.paragraph("Appareil reconditionné : toutes ses fonctions ont été testées et, si nécessaire, remises en "
                      "état, et les données du précédent utilisateur ont été effacées (Code de la consommation, "
                      "art. R. 122-4 ; décret n° 2022-190).", bold=True)
    else:
        doc.paragraph("Appareil d'occasion, cédé dans l'état décrit par ce document"
                      + (f" : les conditions de l'art. R. 122-4 du Code de la consommation ne sont pas réunies "
                         f"({'; '.join(content['gaps'])})" if content.get("gaps") else "") + ".", bold=True)
    diagnosis = content.get("diagnosis")
    doc.heading("Contrôles effectués")
    if diagnosis:
        doc.paragraph(f"Diagnostic du {moment(diagnosis['at'])}" +
                      (f" — santé de la batterie : {diagnosis['battery_health']} %"
                       if diagnosis.get("battery_health") is not None else "") + ".")
        doc.table([Column("Contrôle", 4), Column("Résultat", 1.5)],
                  [(ch["label"], CHECK_RESULTS.get(ch["result"], ch["result"])) for ch in diagnosis["checks"]],
                  size=8.5)
    else:
        doc.paragraph("Aucun diagnostic enregistré.", muted=True)
    for repair in content.get("repairs", []):
        doc.paragraph(f"Réparation du {moment(repair['at'])} : {repair['action']}", size=9)
    doc.heading("Effacement des données")
    erasure = content["erasure"]
    if not erasure["needed"]:
        doc.paragraph("Appareil sans support de données.")
    elif erasure["done"]:
        doc.paragraph(f"Données effacées le {moment(erasure['ended_at'])} — {erasure['method_label']}, "
                      f"catégorie NIST {NIST.get(erasure['category'], erasure['category'])}.")
    else:
        doc.paragraph("Effacement des données non validé.", bold=True)
    if sale:
        doc.heading("Vente")
        pairs = [("Date de remise", day(sale["delivered_on"])), ("Prix", euros(sale["price"]) + " TTC"),
                 ("Paiement", sale["payment"])]
        if sale.get("price_capped") and sale.get("price_cap"):
            pairs.append(("Prix solidaire", f"matériel d'un organisme public : plafond {euros(sale['price_cap'])}"))
        doc.key_values(pairs)
        doc.heading("Garanties")
        doc.paragraph(f"Garantie légale de conformité (Code de la consommation, art. L. 217-3 et suivants) : 2 ans à "
                      f"compter de la remise, biens d'occasion compris, soit jusqu'au {day(sale['legal_guarantee_until'])}.",
                      bold=True)
        doc.paragraph("Pour un bien d'occasion, un défaut de conformité qui apparaît dans les 12 mois suivant la remise "
                      f"est présumé exister au moment de la remise (art. L. 217-7), soit jusqu'au "
                      f"{day(sale['presumption_until'])} ; ensuite, c'est à l'acheteur de prouver le défaut.")
        if sale["warranty_until"] > sale["legal_guarantee_until"]:
            doc.paragraph(f"Le réseau s'engage en plus à réparer ou remplacer l'appareil jusqu'au "
                          f"{day(sale['warranty_until'])} ({sale['warranty_months']} mois).")
        doc.paragraph(f"Fin de garantie : {day(sale['warranty_until'])}.", bold=True)
        doc.paragraph("La garantie des vices cachés (Code civil, art. 1641 et suivants) s'applique aussi. En cas de "
                      "problème, rapportez l'appareil avec ce document au site de la vente.", size=9)
    elif gift:
        doc.heading("Remise")
        doc.paragraph(f"Appareil remis gratuitement le {day(gift['delivered_on'])}.")
    doc.spacer(3 * mm)
    doc.blocks.append(VerificationBlock(cert, url))
    doc.signature_block([f"Pour {org['name']}", "L'acheteur" if sale else "Le bénéficiaire"],
                        place_line=f"Établi le {date_fr(cert.issued_at)}.")
    return doc.render()


RENDERERS = {"erasure": erasure_pdf, "receipt": receipt_pdf, "device": device_pdf}


def render(cert: Certificate, base_url: str) -> bytes:
    return RENDERERS[cert.kind](cert, verify_url(base_url, cert))
