"""Label PDFs served by the app (page and API): what a scanner reads back, and what is refused."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from conftest import PUBLIC_URL

from refurb.inventory.labels import LAYOUTS, MAX_LABELS

NASTY = '<script>alert("x")</script>'
needs_tools = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) missing")


def _decode(pdf: bytes, tmp_path) -> list[tuple[str, str]]:
    """(kind, text) of every Code 128 and QR code on the pages, rasterised at 150 dpi."""
    zxingcpp = pytest.importorskip("zxingcpp")
    image = pytest.importorskip("PIL.Image")
    (tmp_path / "labels.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", str(tmp_path / "labels.pdf"), str(tmp_path / "p")],
                   check=True)
    found = []
    for png in sorted(tmp_path.glob("p-*.png")):
        for r in zxingcpp.read_barcodes(image.open(png), formats=(zxingcpp.BarcodeFormat.Code128,
                                                                  zxingcpp.BarcodeFormat.QRCode)):
            found.append(("code128" if r.format == zxingcpp.BarcodeFormat.Code128 else "qr", r.text))
    return sorted(found)


@needs_tools
@pytest.mark.parametrize("layout", ["avery-l7160", "roll-62x29"])
def test_api_label_pdf_decodes_to_tags_and_device_urls(client, api_token, make_device, tmp_path, layout):
    tags = [make_device(brand="Lenovo", model="ThinkPad T480"), make_device(category="tablet"), make_device()]
    response = client.get("/api/v1/labels.pdf", headers=api_token("tech"),
                          query_string=[("tag", t) for t in tags] + [("layout", layout)])
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    expected = sorted([("code128", t) for t in tags] + [("qr", f"{PUBLIC_URL}/d/{t}") for t in tags])
    assert _decode(response.data, tmp_path) == expected


@needs_tools
def test_page_label_pdf_uses_the_request_root_without_public_url(app, client, login_as, make_device, tmp_path):
    app.config["PUBLIC_URL"] = ""
    tag = make_device()
    login_as("tech")
    response = client.get(f"/labels.pdf?tag={tag}&layout=avery-l7163&start=3")
    assert response.status_code == 200 and f"etiquettes-{tag}.pdf" in response.headers["Content-Disposition"]
    assert _decode(response.data, tmp_path) == [("code128", tag), ("qr", f"http://localhost/d/{tag}")]
    # the layout chosen last is offered first next time
    assert 'value="avery-l7163" selected' in client.get(f"/labels?tag={tag}").get_data(as_text=True)


def test_default_layout_and_text_drawn_as_text(client, api_token, make_device):
    pypdf = pytest.importorskip("pypdf")
    import io
    tag = make_device(brand=NASTY, model="Élite & <b>")
    response = client.get(f"/api/v1/labels.pdf?tag={tag}", headers=api_token("tech"))
    assert response.status_code == 200
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1
    assert reader.pages[0].mediabox.width == pytest.approx(595.3, abs=0.5)  # the A4 sheet by default
    text = reader.pages[0].extract_text()
    assert tag in text and '<script>alert("x")</script>' in text and "Réseau numérique du Chinon" in text


def test_bad_label_requests(client, db, api_token, make_device):
    tag = make_device()
    other = make_device(site="EPN-B")
    headers = api_token("tech")
    too_many = [("tag", f"RF-{i:06d}") for i in range(5000)]  # the example; the maximum is MAX_LABELS
    cases = [
        ("", 422, "au moins un appareil"),
        (f"tag={tag}&layout=avery-9999", 422, "Format d'étiquettes inconnu"),
        (f"tag={tag}&start=22", 422, "Position de départ invalide"),
        (f"tag={tag}&start=abc", 422, "nombre entier"),
        (f"tag={tag}&layout=roll-62x29&start=2", 422, "rouleau"),
        ("tag=RF-999999", 404, "RF-999999"),
        (f"tag={other}", 403, "Vous n'avez pas accès"),
        (f"tag={tag}&tag={other}", 403, other),
        (f"tag={tag}&tag={other}", 403, "site « EPN B »"),  # its site named (read for the refusal only)
    ]
    for query, status, message in cases:
        response = client.get(f"/api/v1/labels.pdf?{query}", headers=headers)
        assert response.status_code == status, query
        assert message in response.json["error"]["message"], (query, response.json)
    response = client.get("/api/v1/labels.pdf", headers=headers, query_string=too_many)
    assert response.status_code == 422 and f"{MAX_LABELS} au plus" in response.json["error"]["message"]
    assert client.get(f"/api/v1/labels.pdf?tag={other}", headers=api_token("manager")).status_code == 200


def test_labels_page_offers_every_layout_and_refuses_unknown_tags(client, login_as, make_device):
    tag = make_device()
    login_as("tech")
    html = client.get(f"/labels?tag={tag}").get_data(as_text=True)
    for layout in LAYOUTS.values():
        assert layout.display_name in html
    assert re.search(r'name="tag" value="%s"' % tag, html) and 'name="start"' in html
    empty = client.get("/labels")
    assert empty.status_code == 200 and "Aucun appareil choisi" in empty.get_data(as_text=True)
    assert client.get("/labels?tag=RF-999999").status_code == 404
    assert client.get("/labels.pdf").status_code == 422
