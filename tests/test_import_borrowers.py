"""Importing borrowers (usagers) from CSV or XLSX: column mapping, Windows-1252, line-numbered errors,
duplicates in the file and with registered borrowers, all-or-nothing, roles and site scope."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from fixtures_documents import commit_import, upload_import
from sqlalchemy import func, select

from refurb.clock import today
from refurb.formatting import local
from refurb.loans.models import Borrower

HEADER = "Nom;Prénom;Téléphone;Courriel;Site;Type;Structure;Partenaire;Date d'accord"
CONSENT = today() - timedelta(days=200)  # agreements given before the import, written the French way…
CONSENT_ISO = today() - timedelta(days=300)  # …or the ISO way
ROWS = [
    f"Lefèvre;Hélène;06 11 22 33 44;;EPN-A;Habitant;;CCAS;{CONSENT:%d/%m/%Y}",
    "Nguyễn;Çédric;;cedric@exemple.fr;;;;;",
    f"Bérard;Anaïs;07 00 00 00 01;;EPN-A;Structure partenaire;Centre social Les Îles;;{CONSENT_ISO.isoformat()}",
]


def _count(db) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(Borrower))


def _upload(client, content: bytes, filename: str, site: str = "EPN-A"):
    return upload_import(client, "borrowers", content, filename, site)


_commit = commit_import


def test_import_windows_1252_csv_with_preview_and_commit(client, db, login_as):
    login_as("desk")
    rows = [r.replace("Nguyễn", "Nguyen") for r in ROWS]  # (not in Windows-1252)
    content = ("\r\n".join([HEADER] + rows) + "\r\n").encode("cp1252")
    r = _upload(client, content, "usagers.csv")
    assert r.status_code == 303, r.get_data(as_text=True)[:500]
    preview = r.headers["Location"]
    html = client.get(preview).get_data(as_text=True)
    assert "Windows-1252" in html and "Hélène" in html and "Les Îles" in html
    for index, key in enumerate(("last_name", "first_name", "phone", "email", "home_site", "kind", "organisation",
                                 "referring_partner", "consent_on")):
        assert re.search(rf'name="map_{index}".*?<option value="{key}" selected', html, re.S), key
    assert "Les 3 lignes sont correctes" in html
    assert _count(db) == 0  # the preview writes nothing
    r = _commit(client, preview)
    assert r.status_code == 303
    assert _count(db) == 3
    helene = db.scalar(select(Borrower).where(Borrower.last_name == "Lefèvre"))
    assert helene.first_name == "Hélène" and helene.phone == "0611223344" and helene.kind == "resident"
    assert helene.home_site.code == "EPN-A" and helene.referring_partner == "CCAS"
    assert re.fullmatch(r"U\d{8}", helene.card_number)
    assert local(helene.consent_at).date() == CONSENT
    cedric = db.scalar(select(Borrower).where(Borrower.email == "cedric@exemple.fr"))
    assert cedric.first_name == "Çédric" and cedric.home_site.code == "EPN-A"  # the site chosen on upload
    assert cedric.consent_at is None and cedric.phone is None
    anais = db.scalar(select(Borrower).where(Borrower.last_name == "Bérard"))
    assert anais.kind == "partner" and anais.organisation == "Centre social Les Îles"
    assert len({b.card_number for b in db.scalars(select(Borrower))}) == 3


def test_import_xlsx(client, db, login_as):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["NOM", "prénom", "Tél.", "E-mail", "Code site", "Date de consentement"])
    consent = today() - timedelta(days=500)
    ws.append(["Nguyễn", "Thị Lan", "0612121212", None, "EPN-A", consent])
    ws.append(["Martin", "Éloïse", 612131415, "eloise@exemple.fr", "BUS", None])  # a phone typed as a number
    buf = io.BytesIO()
    wb.save(buf)
    login_as("manager")
    preview = _upload(client, buf.getvalue(), "usagers.xlsx", site="").headers["Location"]
    html = client.get(preview).get_data(as_text=True)
    assert "Les 2 lignes sont correctes" in html, html[html.find("import-errors"):][:800]
    assert _commit(client, preview).status_code == 303
    lan = db.scalar(select(Borrower).where(Borrower.last_name == "Nguyễn"))
    assert lan.first_name == "Thị Lan" and local(lan.consent_at).date() == consent
    eloise = db.scalar(select(Borrower).where(Borrower.first_name == "Éloïse"))
    assert eloise.home_site.code == "BUS" and eloise.phone == "612131415"


def test_line_numbered_errors_duplicates_and_nothing_imported(client, db, login_as, lk):
    known = lk.borrower("EPN-A", first_name="Jean", last_name="Connu", phone="0699999999")
    future = today() + timedelta(days=400)
    login_as("desk")
    lines = [HEADER,
             "Durand;Paul;0601010101;;EPN-A;;;;",                   # 2: fine
             ";Marie;0602020202;;EPN-A;;;;",                        # 3: no last name
             "Petit;Luc;;;EPN-A;;;;",                               # 4: no contact
             "DURAND;Paul;;paul@exemple.fr;EPN-A;;;;",              # 5: fine (other contact)
             "Durand;Paul;06 01 01 01 01;;EPN-A;;;;",               # 6: same as line 2
             "Connu;Jean;06 99 99 99 99;;EPN-A;;;;",                # 7: already registered
             "Roux;Anne;0603030303;;EPN-B;;;;",                     # 8: a site desk does not serve
             "Roux;Léa;0604040404;;EPN-Z;;;;",                      # 9: unknown site
             "Blanc;Noé;0605050505;;EPN-A;Martien;;;",              # 10: unknown kind
             "Noir;Zoé;0606060606;;EPN-A;Structure partenaire;;;",  # 11: partner without organisation
             f"Gris;Tom;0607070707;;EPN-A;;;;{future:%d/%m/%Y}",    # 12: consent in the future
             "Vert;Ida;0608080808;;EPN-A;;;;le 3 mars",             # 13: unreadable date
             "Rose;Eva;pas de tél;;EPN-A;;;;"]                      # 14: bad phone
    preview = _upload(client, "\n".join(lines).encode("utf-8"), "erreurs.csv").headers["Location"]
    r = client.get(preview)
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Ligne 2 :" not in html and "Ligne 5 :" not in html
    assert "Ligne 3 : Le nom est obligatoire." in html
    assert "Ligne 4 : Indiquez un moyen de contact" in html
    assert "Ligne 6 : usager en double (même nom et même contact que la ligne 2)" in html
    assert f"Ligne 7 : usager déjà inscrit (même nom et même contact) : carte {known.card_number}" in html
    assert "Ligne 8 : Site « EPN B » : vous ne servez pas ce site." in html
    assert "Ligne 9 : Site « EPN-Z » inconnu" in html
    assert "Ligne 10 : Type « Martien » non reconnu" in html
    assert "Ligne 11 : Pour une structure partenaire, indiquez son nom." in html
    assert f"Ligne 12 : La date d&#39;accord ({future:%d/%m/%Y}) est dans le futur" in html
    assert "Ligne 13 : Date d&#39;accord « le 3 mars » illisible" in html
    assert "Ligne 14 : Le téléphone n&#39;a pas le bon format" in html
    assert "11 lignes à corriger" in html
    r = _commit(client, preview)
    assert r.status_code == 422 and "11 lignes à corriger, rien n&#39;a été importé" in r.get_data(as_text=True)
    assert _count(db) == 1  # only the borrower made before


def test_missing_columns(client, db, login_as):
    login_as("desk")
    content = "Prénom;Téléphone\nPaul;0601010101\n".encode()
    preview = _upload(client, content, "sans-nom.csv").headers["Location"]
    html = client.get(preview).get_data(as_text=True)
    assert "Colonne(s) obligatoire(s) manquante(s) :</strong> Nom" in html
    r = _commit(client, preview)
    assert r.status_code == 422 and _count(db) == 0


def test_roles(client, login_as):
    login_as("tech")  # the workshop does not register borrowers
    assert client.get("/imports/borrowers").status_code == 403
    r = client.get("/imports/devices")
    assert r.status_code == 200


def test_desk_may_import_borrowers_but_not_devices(client, login_as):
    login_as("desk")
    assert client.get("/imports/borrowers").status_code == 200
    assert client.get("/imports/devices").status_code == 403
