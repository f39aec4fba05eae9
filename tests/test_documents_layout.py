"""The shared A4 layout (refurb/pdf/layout.py): what other documents (certificates, receipts) rely on."""

from __future__ import annotations

import re

from fixtures_documents import pdf_pages
from reportlab.lib.units import mm

from refurb.pdf.layout import Column, Document


def test_layout_blocks_page_numbers_and_repeated_headers():
    drawn = []
    doc = Document(network="Réseau numérique du Chinonais", title="Attestation de don", subtitle="Mairie d'Avoine",
                   meta=["Le 02/01/2027", "Réf. ATT-2027-0001"], reference="ATT-2027-0001")
    doc.heading("Donateur")
    doc.key_values([("Nom", "Mairie d'Avoine « service informatique »"), ("SIRET", "21370011500024")])
    doc.paragraph("Texte long " * 80)
    doc.drawing(20 * mm, lambda c, x, y, w: drawn.append((round(x), round(y), round(w))))
    rows = [(f"RF-{i:06d}", "Ordinateur portable <b>Dell</b> & co", f"SN{i}") for i in range(1, 151)]
    doc.table([Column("Étiquette", 1), Column("Appareil", 3), Column("N° de série", 2, "right")], rows,
              title="Appareils reçus", totals=("Total", "", "150"))
    doc.signature_block(["Le donateur", "Le responsable de l'atelier", "Le technicien"],
                        place_line="Fait à Chinon")
    data = doc.render()
    pages = pdf_pages(data)
    total = len(pages)
    assert total >= 4 and doc.page_count() == total
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} / {total}" in text
        assert "Réf. ATT-2027-0001" in text  # the reference in every footer
    assert "Mairie d'Avoine « service informatique »" in pages[0]
    assert "<b>Dell</b> & co" in pages[1]  # user text is text, never markup
    assert "Appareils reçus (suite)" in pages[2] and "Étiquette Appareil N° de série" in pages[2]
    assert re.search(r"Total 150", pages[-1]) and "Le responsable de l'atelier" in pages[-1]
    assert "RF-000150" in "".join(pages) and drawn and drawn[0][0] == round(15 * mm)


def test_layout_empty_table_and_unprintable_text():
    doc = Document(network="Réseau", title="Vide")
    doc.table([Column("A"), Column("B")], [], title="Rien", totals=("Total", "0"))
    doc.paragraph("Émoji 🙂 et contrôle \x07 fin")
    text = pdf_pages(doc.render())[0]
    assert "Rien" in text and "Total 0" in text and "Émoji ? et contrôle fin" in text
