"""The activity and impact report as a page's charts, a PDF (refurb.pdf.layout) and a CSV."""

from __future__ import annotations

from decimal import Decimal

from ..formatting import date_fr, datetime_fr, money_fr, number_fr, plural
from ..inventory.categories import CATEGORIES, CATEGORIES_PLURAL
from ..pdf.layout import Column, Document
from ..tabular import to_csv
from . import charts
from .figures import CSV_COLUMNS, KIND_LABELS, ActivityReport, figure_rows


def kg(value: Decimal | None) -> str:
    return "—" if value is None else number_fr(value.quantize(Decimal("0.1")), 1)


def kg2(value: Decimal | None) -> str:
    return "—" if value is None else number_fr(value, 2)


def fmt(value) -> str:
    """A figure of the "all figures" table, in French."""
    from datetime import date

    if isinstance(value, bool) or value is None:
        return "" if value is None else ("oui" if value else "non")
    if isinstance(value, date):
        return date_fr(value)
    if isinstance(value, Decimal):
        return number_fr(value, 2)
    if isinstance(value, int):
        return number_fr(value)
    return str(value)


def outcome_items(r: ActivityReport) -> list[tuple[str, int]]:
    return [("Reconditionnés", sum(r.refurbished.values())), ("Vendus", sum(r.sold.values())),
            ("Donnés", sum(r.donated.values())), ("Mis au parc de prêt", sum(r.loan_pool.values())),
            ("Démontés pour pièces", sum(r.parts.values())), ("Recyclés (DEEE)", r.recycled_devices)]


def charts_for(r: ActivityReport) -> dict:
    collected = [(KIND_LABELS[k], n, number_fr(n)) for k, n in r.collected_by_kind.items()]
    outcomes = [(label, n, number_fr(n)) for label, n in outcome_items(r)]
    co2 = [(CATEGORIES_PLURAL[line.category], float(line.co2_total_kg or 0),
            kg(line.co2_total_kg) if line.co2_total_kg is not None else "pas de facteur")
           for line in r.impact_lines()]
    return {
        "collected": charts.bar_chart("chart-collected", "Appareils collectés par type de donateur", collected,
                                      noun="appareil"),
        "outcomes": charts.bar_chart("chart-outcomes", "Devenir des appareils sur la période", outcomes,
                                     noun="appareil"),
        "co2": charts.bar_chart("chart-co2", f"CO2e évité par catégorie ({r.factors.label})", co2, unit="kg CO2e"),
    }


def filename(r: ActivityReport, ext: str) -> str:
    scope = r.site.code if r.site else "reseau"
    return f"rapport-activite-{scope}-{r.start.isoformat()}-{r.end.isoformat()}.{ext}"


def render_csv(r: ActivityReport) -> bytes:
    return to_csv(CSV_COLUMNS, figure_rows(r))


def render_pdf(r: ActivityReport) -> bytes:
    doc = Document(network=r.network, title="Rapport d'activité et d'impact", subtitle=r.scope_label,
                   meta=[f"Période {r.period_label}", f"Édité le {datetime_fr(r.generated_at)}",
                         f"par {r.generated_by}"])
    doc.heading("Chiffres clés")
    doc.key_values([
        ("Facteurs d'impact", r.factors.label),
        ("Appareils collectés", f"{number_fr(r.collected)} ({plural(r.donations, 'don')})"),
        ("Reconditionnés", number_fr(sum(r.refurbished.values()))),
        ("Vendus", f"{number_fr(sum(r.sold.values()))} — {money_fr(r.sales_amount)}"),
        ("Donnés", number_fr(sum(r.donated.values()))),
        ("Mis au parc de prêt", number_fr(sum(r.loan_pool.values()))),
        ("Prêts", f"{plural(r.loans, 'prêt')}, {plural(r.borrowers, 'emprunteur différent')}, "
                  f"{plural(r.loan_days, 'jour-prêt', 'jours-prêt')}"),
        ("Recyclés (DEEE)", f"{plural(r.recycled_devices, 'appareil')}, {kg(r.recycled_kg)} kg "
                            f"({plural(r.recycled_batches, 'lot')})"),
        ("Déchets électroniques évités", f"{kg(r.waste_avoided_kg)} kg"),
        ("CO2e évité", f"{kg(r.co2_avoided_kg)} kg CO2e"),
    ])
    doc.table([Column("Type de donateur", 3), Column("Appareils collectés", 1.4, "right")],
              [(KIND_LABELS[k], number_fr(n)) for k, n in r.collected_by_kind.items()],
              title="Collecte par type de donateur", totals=("Total", number_fr(r.collected)), size=9)
    doc.table([Column("Devenir", 3), Column("Appareils", 1.4, "right")],
              [(label, number_fr(n)) for label, n in outcome_items(r)], title="Devenir des appareils", size=9)
    doc.table([Column("Catégorie", 2), Column("Réemployés", 1.2, "right"), Column("Poids unitaire (kg)", 1.3, "right"),
               Column("Déchets évités (kg)", 1.3, "right"), Column("CO2e évité / appareil", 1.4, "right"),
               Column("CO2e évité (kg)", 1.3, "right")],
              [(CATEGORIES_PLURAL[line.category], number_fr(line.devices), kg2(line.weight_kg), kg(line.waste_kg),
                kg(line.co2_kg) if line.co2_kg is not None else "pas de facteur", kg(line.co2_total_kg))
               for line in r.impact_lines()],
              title="Impact par catégorie", size=8.5,
              totals=("Total", number_fr(sum(r.reused.values())), "", kg(r.waste_avoided_kg), "",
                      kg(r.co2_avoided_kg)))
    doc.heading("Facteurs et hypothèses")
    doc.paragraph(f"Jeu de facteurs : {r.factors.label}. {r.factors.source}")
    for line in r.factors.assumptions:
        doc.paragraph(f"• {line}", size=9)
    if r.factors.without_factor:
        doc.paragraph("Catégories sans facteur (non comptées dans l'impact) : "
                      + ", ".join(CATEGORIES[c].lower() for c in r.factors.without_factor) + ".", size=9)
    doc.paragraph("Définitions : collectés = appareils des dons reçus sur la période ; reconditionnés = appareils "
                  "déclarés prêts pour la première fois ; réemployés = vendus, donnés ou mis au parc de prêt (une "
                  "fois par appareil) ; jours-prêt = jours calendaires où un appareil était prêté, dans la période "
                  "(jour du prêt et jour du retour compris).", size=8.5, muted=True)
    doc.signature_block(["Le responsable du réseau" if r.site is None else "Le responsable du site"],
                        place_line=f"Rapport édité le {date_fr(r.generated_at)}.")
    return doc.render()
