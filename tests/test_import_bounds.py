"""An import reads a bounded amount, whatever the file holds or claims: blank rows count, cells and the
whole text have a length limit, an XLSX's parts are measured before parsing (and a zip that lies about
its sizes is caught); a refusal is a quick 422 with a French message, and the file is read once."""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import zipfile

from fixtures_documents import (
    commit_import,
    inline_row,
    upload_import,
    xlsx_parts,
    zip_parts,
)
from sqlalchemy import func, select

from refurb.documents import imports
from refurb.inventory.models import Device

QUICK = 5.0  # seconds; such files held a worker 13 s before reads were bounded
HEADER = ["Catégorie", "Marque"]


def _upload(client, content: bytes, filename: str = "parc.xlsx"):
    started = time.perf_counter()
    response = upload_import(client, "devices", content, filename)
    return response, time.perf_counter() - started


def _refused(response, elapsed: float, *words: str) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html[:500]
    assert elapsed < QUICK, f"{elapsed:.1f} s"
    for word in words:
        assert word in html, word
    assert "Rien n&#39;a été importé" in html or "ne peut pas être lu" in html
    return html


def _no_device(db) -> bool:
    db.rollback()
    return db.scalar(select(func.count()).select_from(Device)) == 0


def _big_shared_string_xlsx(size: int, *, declared: int | None = None) -> bytes:
    """A workbook (a few hundred kilobytes) whose one shared string is ``size`` characters long, written in
    chunks; with ``declared``, the zip's headers claim that part unzips to ``declared`` bytes."""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    parts = xlsx_parts(inline_row(1, HEADER) + '<row r="2"><c r="A2" t="inlineStr"><is><t>Portable</t></is></c>'
                       '<c r="B2" t="s"><v>0</v></c></row>', shared_xml=b"")
    del parts["xl/sharedStrings.xml"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=False) as part:
            part.write(f'<?xml version="1.0" encoding="UTF-8"?><sst {ns} count="1" uniqueCount="1"><si><t>'.encode())
            chunk = b"x" * (1024 * 1024)
            for _ in range(size // len(chunk)):
                part.write(chunk)
            part.write(b"</t></si></sst>")
    data = buf.getvalue()
    return data if declared is None else _lie_about_size(data, "xl/sharedStrings.xml", declared)


def _lie_about_size(data: bytes, name: str, declared: int) -> bytes:
    """Rewrite the uncompressed size of part ``name`` in its local header and in the central directory."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(name)
    struct.pack_into("<I", out, info.header_offset + 22, declared)
    end = data.rfind(b"PK\x05\x06")
    _disk, _start_disk, _here, count, _size, offset = struct.unpack_from("<HHHHII", data, end + 4)
    pos = offset
    for _ in range(count):
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, pos + 28)
        if data[pos + 46:pos + 46 + name_len].decode() == name:
            struct.pack_into("<I", out, pos + 24, declared)
        pos += 46 + name_len + extra_len + comment_len
    return bytes(out)


def test_blank_rows_count_before_they_are_skipped(client, db, login_as):
    """2.9 MB of XLSX: 400,000 empty rows under one line of data, the sheet declaring them all."""
    login_as("tech")
    rows = inline_row(1, HEADER) + inline_row(2, ["Portable", "Lenovo"]) + "".join(
        f'<row r="{i}"><c r="A{i}" s="0"/><c r="B{i}"/></row>' for i in range(3, 400_003))
    response, elapsed = _upload(client, zip_parts(xlsx_parts(rows, dimension="A1:B400002")))
    _refused(response, elapsed, "plus de 11\u202f000 lignes, lignes vides comprises",
             "supprimez les lignes vides sous le tableau")
    assert _no_device(db)


def test_a_row_far_down_the_sheet_is_not_reached_through_a_million_blank_ones(client, login_as):
    login_as("tech")
    rows = inline_row(1, HEADER) + inline_row(2, ["Portable", "Lenovo"]) + inline_row(1_048_576, ["Fixe", "HP"])
    response, elapsed = _upload(client, zip_parts(xlsx_parts(rows, dimension="A1:B2")))
    _refused(response, elapsed, "lignes vides comprises", "la ligne 11\u202f001")


def test_a_declared_dimension_smaller_than_the_data_drops_no_row(client, login_as):
    """The sheet's own dimension is not trusted in the other direction either."""
    login_as("tech")
    rows = "".join(inline_row(i + 1, r) for i, r in enumerate([HEADER, ["Portable", "Lenovo"], ["Fixe", "HP"],
                                                                ["Tablette", "Samsung"]]))
    response, _ = _upload(client, zip_parts(xlsx_parts(rows, dimension="A1:A2")))
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "3 lignes de données" in html and "Samsung" in html


def test_a_cell_far_to_the_right_does_not_widen_every_row(client, login_as):
    login_as("tech")
    rows = inline_row(1, HEADER) + '<row r="2"><c r="A2" t="inlineStr"><is><t>Portable</t></is></c>' \
        '<c r="XFD2" t="inlineStr"><is><t>loin</t></is></c></row>' + "".join(
            inline_row(i, ["Portable", f"Marque {i}"]) for i in range(3, 2_000))
    response, elapsed = _upload(client, zip_parts(xlsx_parts(rows, dimension="A1:XFD1999")))
    # the far cell is past every titled column: ignored, like any untitled cell, and the rows stay narrow
    assert response.status_code == 303 and elapsed < QUICK
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1\u202f998 lignes de données" in html


def test_too_many_columns_are_refused(client, login_as):
    login_as("tech")
    rows = inline_row(1, [f"Colonne {i}" for i in range(150)]) + inline_row(2, ["Portable"])
    response, elapsed = _upload(client, zip_parts(xlsx_parts(rows, dimension="A1:ET2")))
    _refused(response, elapsed, "La ligne 1 a plus de 100 colonnes")


def test_a_hundred_megabyte_string_in_a_small_xlsx_is_refused_before_it_is_read(client, db, login_as):
    login_as("tech")
    data = _big_shared_string_xlsx(100 * 1024 * 1024)
    assert len(data) < 300 * 1024
    tracemalloc.start()
    try:
        response, elapsed = _upload(client, data)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    _refused(response, elapsed, "une fois décompressé, est trop gros (100 Mo ; ")
    assert peak < 20 * 1024 * 1024, f"{peak / 1024 / 1024:.0f} MB"
    assert _no_device(db)


def test_a_zip_that_lies_about_its_sizes_is_read_no_further_than_it_claims(client, login_as):
    """The directory says the shared strings unzip to 1 KB; they inflate to 100 MB."""
    login_as("tech")
    data = _big_shared_string_xlsx(100 * 1024 * 1024, declared=1024)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.getinfo("xl/sharedStrings.xml").file_size == 1024
    tracemalloc.start()
    try:
        response, elapsed = _upload(client, data)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    _refused(response, elapsed, "Ce fichier XLSX ne peut pas être lu")
    assert peak < 20 * 1024 * 1024, f"{peak / 1024 / 1024:.0f} MB"


def test_a_long_cell_is_refused_with_its_place(client, login_as):
    login_as("tech")
    rows = inline_row(1, HEADER) + inline_row(2, ["Portable", "x" * 6_000])
    response, elapsed = _upload(client, zip_parts(xlsx_parts(rows)))
    _refused(response, elapsed, "La cellule B2 contient 6\u202f000 caractères : 5\u202f000 au plus par cellule")
    csv = f"Catégorie;Marque;Remarques\nportable;Lenovo;{'y' * 6_000}\n".encode()
    response, elapsed = _upload(client, csv, "parc.csv")
    _refused(response, elapsed, "La cellule de la colonne 3, ligne 2, contient 6\u202f000 caractères")


def test_one_shared_string_repeated_in_every_cell_counts_every_time(client, login_as):
    """4,100 cells pointing at one 5,000-character string: 20.5 million characters once read."""
    login_as("tech")
    rows = inline_row(1, HEADER) + "".join(
        f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>Portable</t></is></c><c r="B{i}" t="s"><v>0</v></c></row>'
        for i in range(2, 4_102))
    response, elapsed = _upload(client, zip_parts(xlsx_parts(rows, dimension="A1:B4101", shared=["m" * 5_000])))
    _refused(response, elapsed, "plus de 20\u202f000\u202f000 caractères de texte")


def test_csv_blank_lines_and_endless_lines_are_bounded(client, login_as):
    login_as("tech")
    response, elapsed = _upload(client, ("Catégorie;Marque\nportable;Lenovo\n" + ";;\n" * 200_000).encode(),
                                "vide.csv")
    _refused(response, elapsed, "lignes vides comprises")
    response, elapsed = _upload(client, ("Catégorie;Marque\nportable;" + ";" * 600_000 + "\n").encode(), "large.csv")
    _refused(response, elapsed, "La ligne 2 du fichier est trop longue")
    response, elapsed = _upload(client, ('Catégorie;Marque\nportable;"' + "z" * 200_000 + '"\n').encode(), "q.csv")
    _refused(response, elapsed, "dépasse 5\u202f000 caractères")


def test_too_many_data_lines_are_refused(client, login_as):
    login_as("tech")
    lines = "Catégorie;Marque\n" + "portable;Lenovo\n" * (imports.MAX_IMPORT_ROWS + 1)
    response, elapsed = _upload(client, lines.encode(), "long.csv")
    _refused(response, elapsed, "Le fichier a plus de 10\u202f000 lignes")


def test_each_upload_is_parsed_once(client, db, login_as, monkeypatch):
    """The upload reads the file; the preview, its re-checks and the commit use the table kept with it."""
    from refurb.documents import services

    calls = []
    original = services.read_table

    def counting(filename, data):
        calls.append(filename)
        return original(filename, data)

    monkeypatch.setattr(services, "read_table", counting)
    login_as("tech")
    content = "Catégorie;Marque;N° de série\nportable;Lenovo;ONCE01\nfixe;HP;ONCE02\n".encode()
    preview = upload_import(client, "devices", content, "une-fois.csv").headers["Location"]
    assert calls == ["une-fois.csv"]
    assert client.get(preview).status_code == 200
    assert client.get(preview + "?map_0=category&map_1=brand").status_code == 200
    assert commit_import(client, preview).status_code == 303
    assert calls == ["une-fois.csv"]
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Device)) == 2
