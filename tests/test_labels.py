"""Label PDFs: what scanners read back, where it lands, and what is refused.

Pages are rasterised with poppler's ``pdftoppm`` at 150 dpi (a cheap office
scanner / a worse case than any printer) and decoded with zxing-cpp.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from refurb.inventory.labels import (
    DEFAULT_LAYOUT,
    LAYOUTS,
    MAX_LABELS,
    MIN_BAR_MODULE_MM,
    Label,
    LabelError,
    render_labels,
)
from refurb.pdf import (
    code128_modules,
    draw_code128,
    draw_qr,
    printable,
    qr_matrix,
    register_fonts,
)

zxingcpp = pytest.importorskip("zxingcpp")
Image = pytest.importorskip("PIL.Image")

DPI = 150
NETWORK = "Réseau numérique de Touraine"
needs_pdftoppm = pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="pdftoppm (Debian poppler-utils) is not installed"
)


def make_labels(numbers, line2="Portable — Lenovo ThinkPad T480") -> list[Label]:
    return [
        Label(
            asset_tag=f"RF-{i:06d}",
            url=f"https://refurb.example.org/d/RF-{i:06d}",
            network_name=NETWORK,
            line2=line2,
        )
        for i in numbers
    ]


def rasterise(pdf: bytes, tmp_path) -> list:
    """PIL greyscale images of every page, in page order."""
    src = tmp_path / "labels.pdf"
    src.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(DPI), "-gray", "-png", str(src), str(tmp_path / "page")],
        check=True,
    )
    pages = sorted(tmp_path.glob("page-*.png"), key=lambda p: int(re.findall(r"\d+", p.stem)[-1]))
    return [Image.open(p) for p in pages]


def decode(images) -> list[tuple[int, str, str, tuple[float, float]]]:
    """(page index, "code128"|"qr", text, centre in points from the page's
    bottom-left corner) for every symbol found."""
    found = []
    for page, img in enumerate(images):
        results = zxingcpp.read_barcodes(
            img,
            formats=(zxingcpp.BarcodeFormat.Code128, zxingcpp.BarcodeFormat.QRCode),
            try_rotate=False,
            try_invert=False,
        )
        for r in results:
            kind = "code128" if r.format == zxingcpp.BarcodeFormat.Code128 else "qr"
            pos = r.position
            corners = (pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left)
            cx = sum(p.x for p in corners) / 4 * 72 / DPI
            cy = img.height * 72 / DPI - sum(p.y for p in corners) / 4 * 72 / DPI
            found.append((page, kind, r.text, (cx, cy)))
    return found


def slot_of(layout, point) -> int | None:
    """1-based position of the label containing ``point`` (points)."""
    x, y = point
    for position in range(1, layout.per_page + 1):
        bx, by, bw, bh = layout.label_box(position)
        if bx <= x <= bx + bw and by <= y <= by + bh:
            return position
    return None


# --------------------------------------------------------------------------
# What the scanners read
# --------------------------------------------------------------------------


@needs_pdftoppm
@pytest.mark.parametrize("layout_name", sorted(LAYOUTS))
def test_every_code_decodes(layout_name, tmp_path):
    layout = LAYOUTS[layout_name]
    count = 25 if layout.kind == "sheet" else 3  # 25 spans two sheets
    labels = make_labels(range(120, 120 + count))
    # the longest tag shape we promise on every layout: RF- + 9 digits
    labels[-1] = Label("RF-000123456", "https://refurb.example.org/d/RF-000123456", NETWORK)
    pdf = render_labels(labels, layout_name)
    images = rasterise(pdf, tmp_path)
    expected_pages = -(-count // layout.per_page)
    assert len(images) == expected_pages

    found = decode(images)
    codes = sorted(text for _, kind, text, _ in found if kind == "code128")
    qrs = sorted(text for _, kind, text, _ in found if kind == "qr")
    assert codes == sorted(lb.asset_tag for lb in labels)
    assert qrs == sorted(lb.url for lb in labels)

    # each label's two codes are on that label, in order of the list
    for page, kind, text, centre in found:
        index = next(i for i, lb in enumerate(labels) if text in (lb.asset_tag, lb.url))
        assert page == index // layout.per_page
        assert slot_of(layout, centre) == index % layout.per_page + 1, (kind, text)


@needs_pdftoppm
def test_start_position_leaves_used_labels_blank(tmp_path):
    layout = LAYOUTS["avery-l7160"]
    labels = make_labels(range(1, 4))
    images = rasterise(render_labels(labels, "avery-l7160", start=5), tmp_path)
    assert len(images) == 1
    slots = {}
    for page, kind, text, centre in decode(images):
        slots.setdefault(slot_of(layout, centre), set()).add(text)
    assert slots == {
        5: {"RF-000001", "https://refurb.example.org/d/RF-000001"},
        6: {"RF-000002", "https://refurb.example.org/d/RF-000002"},
        7: {"RF-000003", "https://refurb.example.org/d/RF-000003"},
    }


@needs_pdftoppm
def test_start_position_overflows_to_a_full_next_sheet(tmp_path):
    layout = LAYOUTS["avery-l7160"]
    labels = make_labels(range(1, 4))
    images = rasterise(render_labels(labels, "avery-l7160", start=20), tmp_path)
    placed = {
        (page, slot_of(layout, centre), text)
        for page, kind, text, centre in decode(images)
        if kind == "code128"
    }
    assert placed == {(0, 20, "RF-000001"), (0, 21, "RF-000002"), (1, 1, "RF-000003")}


# --------------------------------------------------------------------------
# Text and metadata
# --------------------------------------------------------------------------


def test_text_is_literal_and_metadata_set():
    pypdf = pytest.importorskip("pypdf")
    labels = [
        Label(
            "RF-000042",
            "https://refurb.example.org/d/RF-000042",
            "Médiathèque d'Amboise",
            line2='<script>alert("x")</script>',
        )
    ]
    pdf = render_labels(labels, "roll-62x29")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = reader.pages[0].extract_text()
    assert '<script>alert("x")</script>' in text
    assert "RF-000042" in text
    assert "Médiathèque d'Amboise" in text
    assert reader.metadata.title == "Étiquettes Refurb"
    assert reader.metadata.author == "Médiathèque d'Amboise"


@pytest.mark.parametrize("layout_name", sorted(LAYOUTS))
def test_tag_in_clear_is_never_cut(layout_name):
    pypdf = pytest.importorskip("pypdf")
    labels = [Label("RF-000123456", "https://refurb.example.org/d/RF-000123456", NETWORK * 3)]
    pdf = render_labels(labels, layout_name)
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "RF-000123456" in text
    assert "\u2026" in text  # the (tripled) network name is the one cut


def test_long_and_odd_line2_is_cut_not_overflowing():
    pypdf = pytest.importorskip("pypdf")
    line2 = "Écran 24 pouces\u202fDell\ttrès\nlong " * 20 + "\u4e2d\x00"
    pdf = render_labels(make_labels([7], line2=line2), "avery-l7160")
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Écran 24 pouces" in text and "\u2026" in text  # truncated with an ellipsis
    assert "\x00" not in text and "\t" not in text


# --------------------------------------------------------------------------
# Refusals
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"labels": make_labels([1]), "layout": "avery-l7651"}, "Format d'étiquettes inconnu : avery-l7651"),
        ({"labels": []}, "Aucune étiquette à imprimer."),
        (
            {"labels": make_labels([1]) * (MAX_LABELS + 1)},
            "Trop d'étiquettes : 2000 au maximum par impression.",
        ),
        ({"labels": make_labels([1]), "start": 0}, "Position de départ invalide"),
        ({"labels": make_labels([1]), "start": 22}, "Position de départ invalide"),
        ({"labels": make_labels([1]), "layout": "roll-62x29", "start": 2}, "Position de départ invalide"),
        ({"labels": [Label("RF-é01", "https://x.example/1", NETWORK)]}, "Numéro d'inventaire invalide"),
        ({"labels": [Label("", "https://x.example/1", NETWORK)]}, "Numéro d'inventaire invalide"),
        ({"labels": [Label("RF-000001", "", NETWORK)]}, "Adresse (URL) manquante"),
        (
            {"labels": [Label("ABCDEFGHIJKL", "https://x.example/1", NETWORK)], "layout": "roll-57x32"},
            "trop long pour un code-barres",
        ),
        (
            {"labels": [Label("RF-1", "https://x.example/" + "a" * 300, NETWORK)], "layout": "roll-62x29"},
            "trop longue pour le QR code",
        ),
        ({"labels": [Label("RF-1", "https://x.example/" + "a" * 9000, NETWORK)]}, "trop longue"),
    ],
)
def test_refusals_have_french_messages(kwargs, message):
    with pytest.raises(LabelError) as excinfo:
        render_labels(**kwargs)
    assert message in str(excinfo.value)
    assert isinstance(excinfo.value, ValueError)


@pytest.mark.parametrize(("layout_name", "start", "pages"),
                         [("avery-l7160", 1, 2), ("avery-l7160", 13, 2), ("avery-l7160", 14, 3), ("roll-57x32", 1, 30)])
def test_page_count(layout_name, start, pages):
    pypdf = pytest.importorskip("pypdf")
    pdf = render_labels(make_labels(range(30)), layout_name, start=start)
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == pages


# --------------------------------------------------------------------------
# Geometry
# --------------------------------------------------------------------------


@pytest.mark.parametrize("layout_name", sorted(LAYOUTS))
def test_layout_geometry(layout_name):
    layout = LAYOUTS[layout_name]
    page_w, page_h = layout.page_size
    # the maker's figures add up to the page (symmetric margins), within 0.5 mm
    assert abs(2 * layout.left_margin + (layout.columns - 1) * layout.h_pitch + layout.label_width
               - layout.page_width) <= 0.5
    assert abs(2 * layout.top_margin + (layout.rows - 1) * layout.v_pitch + layout.label_height
               - layout.page_height) <= 0.5
    assert layout.right_margin >= 0 and layout.bottom_margin >= 0
    boxes = [layout.label_box(p) for p in range(1, layout.per_page + 1)]
    eps = 1e-6
    for x, y, w, h in boxes:
        assert -eps <= x and x + w <= page_w + eps
        assert -eps <= y and y + h <= page_h + eps
        assert w == pytest.approx(layout.label_width * mm)
        assert h == pytest.approx(layout.label_height * mm)
    for i, a in enumerate(boxes):  # no two labels overlap
        for b in boxes[i + 1:]:
            assert (a[0] + a[2] <= b[0] + eps or b[0] + b[2] <= a[0] + eps
                    or a[1] + a[3] <= b[1] + eps or b[1] + b[3] <= a[1] + eps)
    # position 1 is top-left, then left to right
    assert boxes[0][1] == max(b[1] for b in boxes) and boxes[0][0] == min(b[0] for b in boxes)
    if layout.columns > 1:
        assert boxes[1][0] > boxes[0][0] and boxes[1][1] == boxes[0][1]
    # the promised tags fit at the minimum bar width
    assert layout.max_code128_modules() >= code128_modules("RF-000123456")
    module = layout.barcode_width() / (code128_modules("RF-000123") + 20)
    assert module >= MIN_BAR_MODULE_MM
    # French display name with the size
    assert "×" in layout.display_name


def test_known_layouts():
    assert DEFAULT_LAYOUT == "avery-l7160"
    assert set(LAYOUTS) == {"avery-l7160", "avery-l7163", "roll-62x29", "roll-57x32"}
    l7160 = LAYOUTS["avery-l7160"]
    assert (l7160.columns, l7160.rows, l7160.label_width, l7160.label_height) == (3, 7, 63.5, 38.1)


# --------------------------------------------------------------------------
# Shared PDF helpers
# --------------------------------------------------------------------------


@pytest.mark.parametrize("error", "lmqh")
def test_qr_matrix_reads_back_at_the_level_asked_or_higher(error):
    """Each symbol, drawn as an image, reads back as its text; its level is the one asked for or a higher one
    that costs no size; a label's URL is the 29-module symbol (version 3) at level M."""
    import zxingcpp
    from PIL import Image

    datas = [f"https://refurb.example.org/d/RF-{i:06d}" for i in range(12)]
    datas += ["x", "0123456789" * 12, "Médiathèque « Les Mots » — prêt n° 42", "A" * 250]
    levels = "lmqh"
    for data in datas:
        rows = qr_matrix(data, error)
        n = len(rows)
        assert all(len(r) == n for r in rows) and (n - 17) % 4 == 0, (data, n)  # 21, 25, … modules
        quiet = 4
        pixels = bytearray(b"\xff" * ((n + 2 * quiet) * 4) ** 2)
        side = (n + 2 * quiet) * 4
        for i, row in enumerate(rows):
            for j, dark in enumerate(row):
                if dark:
                    for dy in range(4):
                        start = ((i + quiet) * 4 + dy) * side + (j + quiet) * 4
                        pixels[start:start + 4] = b"\x00" * 4
        (found,) = zxingcpp.read_barcodes(Image.frombytes("L", (side, side), bytes(pixels)))
        assert found.text == data and found.format == zxingcpp.BarcodeFormat.QRCode
        assert levels.index(found.ec_level.lower()) >= levels.index(error), (data, found.ec_level)
        asked = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode, ec_level=error.upper())
        assert n == len(memoryview(asked.to_image(scale=1, add_quiet_zones=False))), "not the smallest symbol"
    if error in "lm":
        assert len(qr_matrix(datas[0], error)) == 29


def test_draw_code128_fits_box_and_refuses_too_narrow():
    c = Canvas(io.BytesIO())
    n = code128_modules("RF-000123")
    assert n == 112  # set C for the digits
    module = draw_code128(c, "RF-000123", 0, 0, 60 * mm, 10 * mm)
    assert module == pytest.approx(60 * mm / (n + 20))
    assert draw_code128(c, "RF-000123", 0, 0, 60 * mm, 10 * mm, max_module=0.4 * mm) == 0.4 * mm
    with pytest.raises(ValueError, match="0.33 mm"):
        draw_code128(c, "RF-000123", 0, 0, 40 * mm, 10 * mm)
    with pytest.raises(ValueError):
        draw_code128(c, "é", 0, 0, 40 * mm, 10 * mm)


def test_draw_qr_module_and_minimum():
    c = Canvas(io.BytesIO())
    url = "https://refurb.example.org/d/RF-000123"  # version 3: 29 + 8 modules
    assert draw_qr(c, url, 0, 0, 37 * mm) == pytest.approx(1 * mm)
    with pytest.raises(ValueError):
        draw_qr(c, url, 0, 0, 10 * mm, min_module=0.3 * mm)


def test_fonts_are_unicode_truetype():
    regular, bold = register_fonts()
    assert register_fonts() == (regular, bold)
    assert regular != "Helvetica"
    assert printable("Œuvre « très » chère €\u202f5\n\x07", regular) == "Œuvre « très » chère €\u00a05"
    assert printable("\u4e2d", regular) == "?"
