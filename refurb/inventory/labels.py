"""Asset-tag labels as a PDF: A4 sticker sheets and label-printer rolls.

Pure and database-free: give :func:`render_labels` a list of :class:`Label`
and a layout name, get the PDF bytes back.

Each label carries the Code 128 of the asset tag (what USB scanners read:
the biggest element, module >= 0.33 mm, 10-module quiet zones kept inside
the label), the QR code of the device's URL (for phones and the tablet
camera), the tag in clear in large bold type, an optional short second line
(category/model...) and the network name in small type.

Every element keeps inside an inner padding of the label (1.5 mm or more,
see each layout) so that printer drift or the printer's unprintable border
never cuts a quiet zone.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from refurb.formatting import plural
from refurb.pdf.codes import (
    CODE128_QUIET_MODULES,
    code128_modules,
    draw_code128,
    draw_qr,
    qr_size_modules,
)
from refurb.pdf.fonts import (
    fit_font_size,
    fit_text,
    printable,
    register_fonts,
    wrap_text,
)

__all__ = [
    "DEFAULT_LAYOUT",
    "LAYOUTS",
    "MAX_LABELS",
    "MIN_BAR_MODULE_MM",
    "Label",
    "LabelError",
    "LabelLayout",
    "render_labels",
]

MAX_LABELS = 2000
#: Narrowest Code 128 bar, in mm.
MIN_BAR_MODULE_MM = 0.33
#: Smallest QR module we accept, in mm (~3.5 dots on a 300 dpi label printer).
MIN_QR_MODULE_MM = 0.30
PDF_TITLE = "Étiquettes Refurb"
#: Deflate the page streams: 1,000 L7160 labels give ~0.27 MB instead of
#: ~1.2 MB, for a few hundredths of a second (benchmarks/bench_labels.py).
PAGE_COMPRESSION = True


class LabelError(ValueError):
    """Bad request for labels; the message is French and can be shown as is."""


@dataclass(frozen=True)
class Label:
    asset_tag: str
    url: str
    network_name: str
    #: Short optional text (category, model...). Drawn as plain text, never
    #: interpreted; truncated with "…" to fit.
    line2: str = ""


@dataclass(frozen=True)
class LabelLayout:
    """Geometry of a label stock, in millimetres (makers' templates), plus
    how we arrange the elements on one label.

    Positions are numbered from 1, left to right then top to bottom, as on
    the makers' templates. (Corner radii are not recorded: we never print
    label outlines.)
    """

    name: str
    display_name: str
    kind: str  # "sheet" (A4 sticker sheet) or "roll" (one label per page)
    page_width: float
    page_height: float
    columns: int
    rows: int
    label_width: float
    label_height: float
    left_margin: float
    top_margin: float
    h_pitch: float  # from one label's left edge to the next one's
    v_pitch: float  # from one label's top edge to the next one's
    # --- arrangement on one label ------------------------------------------
    arrangement: str  # "stacked" or "qr-left", see _draw_label
    padding_x: float  # keep-clear border inside the label, left/right
    padding_y: float  # ... top/bottom
    barcode_height: float  # Code 128 bar height
    qr_max: float  # largest QR square (quiet zone included)
    gap: float  # between the barcode and what is above it / beside the QR
    tag_font_max: float  # points
    small_font: float  # points, network name and line 2

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def right_margin(self) -> float:
        return self.page_width - self.left_margin - (self.columns - 1) * self.h_pitch - self.label_width

    @property
    def bottom_margin(self) -> float:
        return self.page_height - self.top_margin - (self.rows - 1) * self.v_pitch - self.label_height

    @property
    def page_size(self) -> tuple[float, float]:
        """Page size in points."""
        return self.page_width * mm, self.page_height * mm

    def label_box(self, position: int) -> tuple[float, float, float, float]:
        """(x, y, width, height) in points, origin bottom-left of the page,
        of the label at 1-based ``position`` on a page."""
        if not 1 <= position <= self.per_page:
            raise ValueError(f"position {position} outside 1..{self.per_page}")
        row, col = divmod(position - 1, self.columns)
        x = self.left_margin + col * self.h_pitch
        top = self.top_margin + row * self.v_pitch
        y = self.page_height - top - self.label_height
        return x * mm, y * mm, self.label_width * mm, self.label_height * mm

    def barcode_width(self) -> float:
        """Width in mm available to the Code 128 (quiet zones included)."""
        inner = self.label_width - 2 * self.padding_x
        if self.arrangement == "qr-left":
            return inner - self.qr_side() - self.gap
        return inner

    def max_code128_modules(self) -> int:
        """Largest Code 128 symbol (modules, quiet zones excluded) that fits
        at the minimum bar width."""
        total = int(self.barcode_width() / MIN_BAR_MODULE_MM + 1e-9)
        return total - 2 * CODE128_QUIET_MODULES

    def qr_side(self) -> float:
        """Side in mm of the QR square (quiet zone included)."""
        inner_h = self.label_height - 2 * self.padding_y
        if self.arrangement == "qr-left":
            return min(inner_h, self.qr_max)
        return min(inner_h - self.barcode_height - self.gap, self.qr_max)


def _sheet(name, display_name, *, columns, rows, width, height, left, top, h_pitch, v_pitch,
           **arrangement) -> LabelLayout:
    return LabelLayout(
        name=name, display_name=display_name, kind="sheet", page_width=210.0, page_height=297.0,
        columns=columns, rows=rows, label_width=width, label_height=height, left_margin=left,
        top_margin=top, h_pitch=h_pitch, v_pitch=v_pitch, **arrangement,
    )


def _roll(name, display_name, *, width, height, **arrangement) -> LabelLayout:
    return LabelLayout(
        name=name, display_name=display_name, kind="roll", page_width=width, page_height=height,
        columns=1, rows=1, label_width=width, label_height=height, left_margin=0.0, top_margin=0.0,
        h_pitch=width, v_pitch=height, **arrangement,
    )


# Arrangements (a Code 128 of "RF-000123" is 112 modules + 2 x 10 quiet
# = 132 modules, 43.6 mm at 0.33 mm; a QR of a ~40-character URL is version
# 3, 29 modules + 2 x 4 quiet = 37 modules):
#
# * avery-l7160, 63.5 x 38.1 mm, "stacked": Code 128 across the full inner
#   width at the bottom (60.5 mm: module 0.46 mm for RF-000123; fits up to
#   163 modules, i.e. 11 set-B characters or RF- + 14 digits); above it, the
#   QR on the left (22.6 mm, module 0.61 mm) and the text on its right.
# * avery-l7163, 99.1 x 38.1 mm, "qr-left": QR on the left (30 mm, module
#   0.81 mm); right column 64.1 mm: text at the top, Code 128 at the bottom
#   (module 0.49 mm for RF-000123; fits 174 modules, 12 set-B characters).
# * roll-62x29, Brother DK-11209: the QL printers cannot print the outer
#   1.5 mm across the tape and 3 mm along it (brother_ql: 696 x 271 of
#   732 x 341 dots at 300 dpi), hence a 2 x 3 mm padding. "stacked": Code
#   128 full width (58 mm: module 0.44 mm; fits 155 modules, i.e. 10 set-B
#   characters or RF- + 12 digits), QR 14 mm (module 0.38 mm = 4.5 printer
#   dots) and the text beside it.
# * roll-57x32, Dymo 11354: unprintable 1.0 mm left/right and 1.5 mm
#   top/bottom (media table of the DYMO LabelWriter Wireless, as documented
#   by third parties; other LabelWriters may differ); 1.5 mm padding,
#   "stacked":
#   Code 128 over 54 mm (module 0.41 mm; fits 143 modules, i.e. 9 set-B
#   characters or RF- + 10 digits), QR 18.8 mm (module 0.51 mm).
# Avery L7651 (5 x 13, 38.1 x 21.2 mm) is left out: too small for a Code 128
# at 0.33 mm plus a readable QR.
LAYOUTS: dict[str, LabelLayout] = {
    layout.name: layout
    for layout in (
        _sheet(
            "avery-l7160",
            "Planche A4 Avery L7160 — 21 étiquettes 63,5 × 38,1 mm",
            columns=3, rows=7, width=63.5, height=38.1, left=7.2, top=15.15,
            h_pitch=66.0, v_pitch=38.1,
            arrangement="stacked", padding_x=1.5, padding_y=1.5, barcode_height=11.0,
            qr_max=22.6, gap=1.5, tag_font_max=15.0, small_font=6.5,
        ),
        _sheet(
            "avery-l7163",
            "Planche A4 Avery L7163 — 14 étiquettes 99,1 × 38,1 mm",
            columns=2, rows=7, width=99.1, height=38.1, left=4.65, top=15.15,
            h_pitch=101.6, v_pitch=38.1,
            arrangement="qr-left", padding_x=1.5, padding_y=1.5, barcode_height=13.0,
            qr_max=30.0, gap=2.0, tag_font_max=20.0, small_font=8.0,
        ),
        _roll(
            "roll-62x29",
            "Rouleau Brother DK-11209 — étiquette 62 × 29 mm",
            width=62.0, height=29.0,
            arrangement="stacked", padding_x=2.0, padding_y=3.0, barcode_height=8.0,
            qr_max=14.0, gap=1.0, tag_font_max=14.0, small_font=6.5,
        ),
        _roll(
            "roll-57x32",
            "Rouleau Dymo 11354 — étiquette 57 × 32 mm",
            width=57.0, height=32.0,
            arrangement="stacked", padding_x=1.5, padding_y=1.5, barcode_height=9.0,
            qr_max=18.8, gap=1.2, tag_font_max=14.0, small_font=6.5,
        ),
    )
}
DEFAULT_LAYOUT = "avery-l7160"

_TEXT_GAP = 1.0 * mm  # between the QR box (quiet zone included) and text


_LINE2_MAX_LINES = 2


@lru_cache(maxsize=512)
def _fitted(text: str, font: str, size: float, width: float) -> str:
    return fit_text(printable(text, font), font, size, width)


@lru_cache(maxsize=4096)
def _wrapped(text: str, font: str, size: float, width: float, max_lines: int) -> tuple[str, ...]:
    return tuple(wrap_text(printable(text, font), font, size, width, max_lines))


def _draw_text_block(c: Canvas, fonts, layout: LabelLayout, label: Label,
                     x: float, bottom: float, top: float, width: float) -> None:
    """Tag (bold, large) at the top, line 2 under it (wrapped on up to two
    lines when there is room), network name at the bottom of the block."""
    regular, bold = fonts
    small = layout.small_font
    if width <= 0:
        return
    tag = label.asset_tag
    size = fit_font_size(tag, bold, layout.tag_font_max, width, 6.0)
    tag_text = fit_text(tag, bold, size, width)
    baseline = top - 0.74 * size  # ~ cap height: caps touch the top edge
    c.setFont(bold, size)
    c.drawString(x, baseline, tag_text)
    net_baseline = bottom + 0.22 * small  # descenders stay inside the block
    if label.line2:
        first = baseline - 0.22 * size - 1.05 * small
        leading = 1.15 * small
        floor = net_baseline + 0.95 * small + 0.22 * small  # keep clear of the network name
        room = int((first - floor) // leading) + 1 if first >= floor else 0
        lines = _wrapped(label.line2, regular, small, width, min(room, _LINE2_MAX_LINES))
        if lines:
            c.setFont(regular, small)
            for k, line in enumerate(lines):
                c.drawString(x, first - k * leading, line)
    if label.network_name:
        c.setFont(regular, small)
        c.drawString(x, net_baseline, _fitted(label.network_name, regular, small, width))


def _draw_label(c: Canvas, fonts, layout: LabelLayout, label: Label,
                box: tuple[float, float, float, float]) -> None:
    x, y, w, h = box
    ix, iy = x + layout.padding_x * mm, y + layout.padding_y * mm
    iw, ih = w - 2 * layout.padding_x * mm, h - 2 * layout.padding_y * mm
    bh, gap = layout.barcode_height * mm, layout.gap * mm
    q = layout.qr_side() * mm
    min_bar, min_qr = MIN_BAR_MODULE_MM * mm, MIN_QR_MODULE_MM * mm
    if layout.arrangement == "qr-left":
        # QR left, vertically centred; right column: text above, barcode below.
        draw_qr(c, label.url, ix, iy + (ih - q) / 2, q, min_module=min_qr)
        cx = ix + q + gap
        cw = ix + iw - cx
        draw_code128(c, label.asset_tag, cx, iy, cw, bh, min_module=min_bar)
        _draw_text_block(c, fonts, layout, label, cx, iy + bh + gap, iy + ih, cw)
    else:  # "stacked"
        # Barcode across the bottom; QR top-left; text top-right.
        draw_code128(c, label.asset_tag, ix, iy, iw, bh, min_module=min_bar)
        top = iy + ih
        draw_qr(c, label.url, ix, top - q, q, min_module=min_qr)
        tx = ix + q + _TEXT_GAP
        _draw_text_block(c, fonts, layout, label, tx, top - q, top, ix + iw - tx)


def _check(labels: list[Label], layout: LabelLayout) -> None:
    max_modules = layout.max_code128_modules()
    qr_modules_max = int(layout.qr_side() / MIN_QR_MODULE_MM + 1e-9)
    for label in labels:
        tag = label.asset_tag
        if not isinstance(tag, str) or not tag or not all(32 <= ord(ch) <= 126 for ch in tag):
            raise LabelError(
                f"Numéro d'inventaire invalide pour un code-barres : {tag!r} "
                "(lettres sans accent, chiffres et signes ASCII seulement)."
            )
        if code128_modules(tag) > max_modules:
            raise LabelError(
                f"Le numéro d'inventaire « {tag} » est trop long pour un code-barres "
                f"lisible sur le format « {layout.display_name} »."
            )
        if not isinstance(label.url, str) or not label.url:
            raise LabelError(f"Adresse (URL) manquante pour l'étiquette « {tag} ».")
        try:
            qr_modules = qr_size_modules(label.url)
        except ValueError:  # beyond QR version 40
            qr_modules = qr_modules_max + 1
        if qr_modules > qr_modules_max:
            raise LabelError(
                f"L'adresse de l'étiquette « {tag} » est trop longue pour le QR code "
                f"du format « {layout.display_name} »."
            )


def render_labels(labels: list[Label], layout: str = DEFAULT_LAYOUT, start: int = 1) -> bytes:
    """Render ``labels`` as a PDF and return its bytes.

    ``layout`` is a key of :data:`LAYOUTS`. ``start`` is the 1-based first
    free position on a partly used sheet: positions before it stay blank on
    the first page. Label rolls take one label per page and only accept
    ``start=1``.

    Raises :class:`LabelError` (a ValueError with a French message) for an
    unknown layout, no labels, more than :data:`MAX_LABELS`, a start
    position off the sheet, or a tag/URL that cannot be printed readably.
    """
    spec = LAYOUTS.get(layout) if isinstance(layout, str) else None
    if spec is None:
        raise LabelError(f"Format d'étiquettes inconnu : {layout}.")
    labels = list(labels)
    if not labels:
        raise LabelError("Aucune étiquette à imprimer.")
    if len(labels) > MAX_LABELS:
        raise LabelError(f"Trop d'étiquettes : {MAX_LABELS} au maximum par impression.")
    if isinstance(start, bool) or not isinstance(start, int):
        raise LabelError("Position de départ invalide.")
    if spec.kind == "roll":
        if start != 1:
            raise LabelError(
                "Position de départ invalide : sur un rouleau, l'impression commence "
                "toujours à la première étiquette."
            )
    elif not 1 <= start <= spec.per_page:
        raise LabelError(
            f"Position de départ invalide : {start} (de 1 à {spec.per_page} "
            "sur ce format de planche)."
        )
    _check(labels, spec)

    fonts = register_fonts()
    buf = io.BytesIO()
    c = Canvas(
        buf,
        pagesize=spec.page_size,
        pageCompression=1 if PAGE_COMPRESSION else 0,
        initialFontName=fonts[0],
        initialFontSize=spec.small_font,
    )
    c.setTitle(PDF_TITLE)
    networks = list(dict.fromkeys(lb.network_name for lb in labels if lb.network_name))
    c.setAuthor(", ".join(networks))
    c.setSubject(f"{plural(len(labels), 'étiquette')} — {spec.display_name}")
    c.setCreator("Refurb")

    boxes = [spec.label_box(p) for p in range(1, spec.per_page + 1)]
    slot = start - 1
    for label in labels:
        if slot == spec.per_page:
            c.showPage()
            slot = 0
        _draw_label(c, fonts, spec, label, boxes[slot])
        slot += 1
    c.showPage()
    c.save()
    return buf.getvalue()
