"""A4 documents drawn straight on the reportlab canvas: header, footer "Page x / y", headings,
paragraphs, long tables split across pages, signature block.

Shared by inventories, stock-take reports, certificates, receipts and reports::

    doc = Document(network="Réseau numérique du Chinonais", title="Inventaire", subtitle="EPN de Chinon",
                   meta=["Au 31/12/2026", "Imprimé le 02/01/2027 10:15 par Claire Gestion"])
    doc.heading("Récapitulatif")
    doc.table([Column("Catégorie", 3), Column("Nombre", 1, align="right")], rows, totals=("Total", "12"))
    doc.signature_block(["Le responsable du site", "Le gestionnaire"])
    pdf_bytes = doc.render()

Why not platypus: a 10,000-line inventory through one platypus ``Table`` takes tens of seconds (it measures
every cell, then splits the table page by page). Here each block knows its height, the whole document is
paginated first (so the total page count is known when the first footer is drawn, and "Page 3 / 212" is
plain text), then each page is drawn once; table columns are written as one text object per column per page.
Figures: benchmarks/bench_documents.py.

All user text is drawn as text (never interpreted as markup), made printable in the embedded Unicode font
(refurb.pdf.fonts) and truncated with "…" to its column.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Callable, Sequence

from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from .fonts import fit_text, printable, register_fonts, wrap_text

__all__ = ["Column", "Document", "draw_signature_boxes"]

GREY = Color(0.35, 0.35, 0.35)
LIGHT = Color(0.93, 0.93, 0.93)
RULE = Color(0.55, 0.55, 0.55)
ACCENT = Color(0, 0.41, 0.42)  # the UI's teal, dark enough to print as a dark grey

Progress = Callable[[int, int], None]


def _clean(text, font: str) -> str:
    text = "" if text is None else str(text)
    if text.isascii() and text.isprintable():  # fast path: most tags, serials, numbers
        return " ".join(text.split()) if "  " in text else text.strip()
    return printable(text, font)


_MAX_ADVANCE: dict[str, float] = {}


def _max_advance(font_name: str) -> float:
    """The widest glyph of a font, in em (to skip measuring short texts)."""
    if font_name not in _MAX_ADVANCE:
        from reportlab.pdfbase.pdfmetrics import getFont

        font = getFont(font_name)
        widths = getattr(getattr(font, "face", None), "charWidths", None) or {}
        _MAX_ADVANCE[font_name] = (max(widths.values()) / 1000.0) if widths else 1.2
    return _MAX_ADVANCE[font_name]


@dataclass(frozen=True)
class Column:
    """A table column: its label, its relative width (weights are shared out over the page width),
    its alignment ("left", "right" or "center")."""

    label: str
    weight: float = 1.0
    align: str = "left"


# --- blocks --------------------------------------------------------------------------------------

class _Block:
    keep_with_next: float = 0.0  # space needed after this block on the same page (headings)

    def height(self, doc: "Document") -> float:
        raise NotImplementedError

    def draw(self, doc: "Document", c: Canvas, y_top: float, part) -> None:
        raise NotImplementedError


@dataclass
class _Spacer(_Block):
    h: float

    def height(self, doc):
        return self.h

    def draw(self, doc, c, y_top, part):
        pass


@dataclass
class _PageBreak(_Block):
    def height(self, doc):
        return 0


@dataclass
class _Heading(_Block):
    text: str
    level: int = 1

    def __post_init__(self):
        self.size = {1: 13.0, 2: 11.0}.get(self.level, 10.0)
        self.keep_with_next = 40.0

    def height(self, doc):
        return self.size * 1.25 + (6 if self.level == 1 else 4)

    def draw(self, doc, c, y_top, part):
        c.setFont(doc.bold, self.size)
        c.setFillColor(ACCENT if self.level == 1 else Color(0, 0, 0))
        text = fit_text(_clean(self.text, doc.bold), doc.bold, self.size, doc.content_width)
        c.drawString(doc.left, y_top - self.size, text)
        c.setFillColor(Color(0, 0, 0))


@dataclass
class _Paragraph(_Block):
    text: str
    size: float = 9.5
    bold: bool = False
    color: Color | None = None

    def _lines(self, doc):
        if not hasattr(self, "_cache"):
            font = doc.bold if self.bold else doc.regular
            lines = []
            for para in str(self.text or "").split("\n"):
                clean = _clean(para, font)
                lines.extend(wrap_text(clean, font, self.size, doc.content_width, 200) or [""])
            self._cache = lines
        return self._cache

    def height(self, doc):
        return len(self._lines(doc)) * self.size * 1.3 + 3

    def draw(self, doc, c, y_top, part):
        font = doc.bold if self.bold else doc.regular
        t = c.beginText(doc.left, y_top - self.size)
        t.setFont(font, self.size, self.size * 1.3)
        if self.color is not None:
            t.setFillColor(self.color)
        for line in self._lines(doc):
            t.textLine(line)
        c.drawText(t)
        c.setFillColor(Color(0, 0, 0))


@dataclass
class _KeyValues(_Block):
    """Label / value pairs; a long value (an address…) wraps onto more lines, it is never cut."""

    pairs: list[tuple[str, str]]
    size: float = 9.5
    label_weight: float = 0.32

    def _lines(self, doc):
        if not hasattr(self, "_cache"):
            label_w = doc.content_width * self.label_weight
            self._cache = [(wrap_text(_clean(label, doc.bold), doc.bold, self.size, label_w - 6, 4) or [""],
                            wrap_text(_clean(value, doc.regular), doc.regular, self.size,
                                      doc.content_width - label_w, 12) or [""]) for label, value in self.pairs]
        return self._cache

    def height(self, doc):
        return sum(max(len(a), len(b)) for a, b in self._lines(doc)) * self.size * 1.45 + 3

    def draw(self, doc, c, y_top, part):
        label_w = doc.content_width * self.label_weight
        y = y_top - self.size
        for labels, values in self._lines(doc):
            for i in range(max(len(labels), len(values))):
                if i < len(labels):
                    c.setFont(doc.bold, self.size)
                    c.drawString(doc.left, y, labels[i])
                if i < len(values):
                    c.setFont(doc.regular, self.size)
                    c.drawString(doc.left + label_w, y, values[i])
                y -= self.size * 1.45


@dataclass
class _Table(_Block):
    """A table that splits across pages; the column header (and the title, marked "(suite)") repeat."""

    columns: Sequence[Column]
    rows: Sequence[Sequence]
    title: str | None = None
    totals: Sequence | None = None
    size: float = 8.0
    zebra: bool = True

    MAX_CELL_LINES = 8

    def __post_init__(self):
        self.row_h = self.size * 1.55
        self.line_h = self.size * 1.2
        self.title_h = (self.size + 2.5) * 1.6 if self.title else 0.0
        self.head_h = self.row_h + 2
        self.totals_h = self.row_h + 3 if self.totals is not None else 0.0
        self.keep_with_next = 0.0
        self.header_lines = [[col.label] for col in self.columns]
        self.wrapped: dict[int, list[list[str]]] = {}  # row index -> lines of each cell, for rows that wrap
        self.tops = None  # tops[i]: offset of row i below the header (None: every row is one line high)

    def prepare(self, doc) -> None:
        """Fold what does not fit its column onto more lines: header labels, and cells (a row grows)."""
        xs = self._xs(doc)
        self.header_lines = [wrap_text(_clean(col.label, doc.bold), doc.bold, self.size, w - 4, 3) or [""]
                             for col, (_x, w) in zip(self.columns, xs)]
        self.head_h = self.row_h + 2 + (max(len(lines) for lines in self.header_lines) - 1) * self.line_h
        limits = [w - 4 for _x, w in xs]
        advance = _max_advance(doc.regular) * self.size
        heights, extra = [], False
        for i, row in enumerate(self.rows):
            lines = None
            for j, limit in enumerate(limits):
                cell = row[j] if j < len(row) else ""
                if cell is None or len(str(cell)) * advance <= limit:
                    continue  # cannot be wider than its column
                text = _clean(cell, doc.regular)
                if stringWidth(text, doc.regular, self.size) <= limit:
                    continue
                if lines is None:
                    lines = [[_clean(c, doc.regular)] if c not in (None, "") else [] for c in row]
                lines[j] = wrap_text(text, doc.regular, self.size, limit, self.MAX_CELL_LINES)
            if lines is not None:
                self.wrapped[i] = lines
                extra = True
                heights.append(self.row_h + (max(len(x) for x in lines) - 1) * self.line_h)
            else:
                heights.append(self.row_h)
        if extra:
            self.tops = [0.0]
            for h in heights:
                self.tops.append(self.tops[-1] + h)

    def rows_height(self, start, end) -> float:
        return (end - start) * self.row_h if self.tops is None else self.tops[end] - self.tops[start]

    def rows_fitting(self, start, room) -> int:
        """How many rows from ``start`` fit in ``room`` points."""
        if self.tops is None:
            return int(room // self.row_h) if room > 0 else 0
        n = 0
        while start + n < len(self.rows) and self.tops[start + n + 1] - self.tops[start] <= room:
            n += 1
        return n

    def min_height(self):
        """Title + column header + two rows (never a header alone at the foot of a page)."""
        return self.title_h + self.head_h + self.rows_height(0, min(2, max(1, len(self.rows)))
                                                             if self.rows else 0) + \
            (self.totals_h if len(self.rows) <= 2 else 0)

    def part_height(self, start, end, with_totals):
        return self.title_h + self.head_h + self.rows_height(start, end) + (self.totals_h if with_totals else 0) + 4

    def height(self, doc):
        return self.part_height(0, len(self.rows), self.totals is not None)

    def _xs(self, doc):
        total = sum(col.weight for col in self.columns) or 1
        xs, x = [], doc.left
        for col in self.columns:
            w = doc.content_width * col.weight / total
            xs.append((x, w))
            x += w
        return xs

    def draw(self, doc, c, y_top, part):
        start, end, continued, with_totals = part
        xs = self._xs(doc)
        y = y_top
        if self.title:
            c.setFont(doc.bold, self.size + 2.5)
            title = _clean(self.title, doc.bold) + (" (suite)" if continued else "")
            c.drawString(doc.left, y - (self.size + 2.5), fit_text(title, doc.bold, self.size + 2.5, doc.content_width))
            y -= self.title_h
        # column header
        c.setFillColor(LIGHT)
        c.rect(doc.left, y - self.head_h, doc.content_width, self.head_h, stroke=0, fill=1)
        c.setFillColor(Color(0, 0, 0))
        depth = max(len(lines) for lines in self.header_lines)
        base = y - self.head_h + (self.head_h - self.size - (depth - 1) * self.line_h) / 2 + 1.2 + \
            (depth - 1) * self.line_h
        t = c.beginText()
        t.setFont(doc.bold, self.size)
        for k in range(depth):
            self._row(t, list(zip(self.columns, xs)), [lines[k] if k < len(lines) else "" for lines in self.header_lines],
                      base - k * self.line_h, doc.bold)
        c.drawText(t)
        y -= self.head_h
        count = end - start

        def offset(i):  # top of row start + i below the header
            return i * self.row_h if self.tops is None else self.tops[start + i] - self.tops[start]

        if self.zebra and count:
            c.setFillColor(Color(0.965, 0.965, 0.965))
            path = c.beginPath()
            for i in range(1, count, 2):
                path.rect(doc.left, y - offset(i + 1), doc.content_width, offset(i + 1) - offset(i))
            c.drawPath(path, stroke=0, fill=1)
            c.setFillColor(Color(0, 0, 0))
        first_base = y - self.row_h + (self.row_h - self.size) / 2 + 1.2
        font = doc.regular
        # One text object for the whole part, row after row (so text extraction reads rows in order).
        t = c.beginText()
        t.setFont(font, self.size)
        cols = list(zip(self.columns, xs))
        for i, row in enumerate(self.rows[start:end]):
            lines = self.wrapped.get(start + i)
            if lines is None:
                self._row(t, cols, row, first_base - offset(i), font)
                continue
            for k in range(max(len(x) for x in lines)):
                self._row(t, cols, [x[k] if k < len(x) else "" for x in lines], first_base - offset(i) - k * self.line_h,
                          font)
        c.drawText(t)
        y -= self.rows_height(start, end)
        c.setStrokeColor(RULE)
        c.setLineWidth(0.5)
        c.line(doc.left, y, doc.left + doc.content_width, y)
        if with_totals and self.totals is not None:
            base = y - self.row_h + (self.row_h - self.size) / 2
            t = c.beginText()
            t.setFont(doc.bold, self.size)
            self._row(t, self._spanning(list(zip(self.columns, xs)), self.totals), self.totals, base, doc.bold)
            c.drawText(t)
            y -= self.totals_h
            c.line(doc.left, y + 1, doc.left + doc.content_width, y + 1)
        c.setStrokeColor(Color(0, 0, 0))

    @staticmethod
    def _spanning(cols, row):
        """A totals line's label runs over the empty cells after it ("Total Ordinateurs portables")."""
        out = list(cols)
        for j, (col, (x, w)) in enumerate(cols):
            if j < len(row) and row[j] and col.align == "left":
                k = j + 1
                while k < len(cols) and not (row[k] if k < len(row) else "") and cols[k][0].align == "left":
                    w += cols[k][1][1]
                    k += 1
                out[j] = (col, (x, w))
        return out

    def _row(self, t, cols, row, base, font) -> None:
        code = t._code
        for j, (col, (x, w)) in enumerate(cols):
            text = self._fit(row[j] if j < len(row) else "", font, w)
            if not text:
                continue
            if col.align == "right":
                x = x + w - 2 - stringWidth(text, font, self.size)
            elif col.align == "center":
                x = x + (w - stringWidth(text, font, self.size)) / 2
            else:
                x = x + 2
            # What setTextOrigin + textOut write, without their per-call overhead (fp_str, cursor width):
            # 10,000 rows × 5 cells is where the time of a big inventory goes.
            code.append(f"1 0 0 1 {x:.2f} {base:.2f} Tm")
            t._textOut(text)

    def _fit(self, value, font, width):
        text = _clean(value, font)
        # No need to measure a text that cannot be wider than the column, even in its widest glyphs.
        if len(text) * _max_advance(font) * self.size <= width - 4:
            return text
        return fit_text(text, font, self.size, width - 4)


@dataclass
class _Drawing(_Block):
    """Anything else (QR code, barcode, logo…): ``draw(canvas, x, y_top, width)`` within ``h`` points."""

    h: float
    fn: Callable[[Canvas, float, float, float], None]

    def height(self, doc):
        return self.h

    def draw(self, doc, c, y_top, part):
        c.saveState()
        self.fn(c, doc.left, y_top, doc.content_width)
        c.restoreState()


@dataclass
class _Signatures(_Block):
    signers: list[str]
    place_line: str = ""

    def height(self, doc):
        return 40 * mm + (6 * mm if self.place_line else 0)

    def draw(self, doc, c, y_top, part):
        y = y_top
        if self.place_line:
            c.setFont(doc.regular, 9.5)
            c.drawString(doc.left, y - 10, fit_text(_clean(self.place_line, doc.regular), doc.regular, 9.5,
                                                    doc.content_width))
            y -= 6 * mm
        draw_signature_boxes(c, doc.left, y - 2 * mm, doc.content_width, 36 * mm, self.signers,
                             regular=doc.regular, bold=doc.bold)


def draw_signature_boxes(c: Canvas, x: float, y_top: float, width: float, height: float, signers: Sequence[str],
                         *, regular: str, bold: str, gap: float = 6 * mm) -> None:
    """Side-by-side boxes "who signs / Nom / Date / Signature" (usable on any canvas)."""
    n = max(1, len(signers))
    w = (width - gap * (n - 1)) / n
    for i, who in enumerate(signers):
        bx = x + i * (w + gap)
        c.setStrokeColor(RULE)
        c.setLineWidth(0.6)
        c.rect(bx, y_top - height, w, height, stroke=1, fill=0)
        c.setFont(bold, 9)
        c.drawString(bx + 3 * mm, y_top - 5 * mm, fit_text(_clean(who, bold), bold, 9, w - 6 * mm))
        c.setFont(regular, 8.5)
        c.setFillColor(GREY)
        c.drawString(bx + 3 * mm, y_top - 11 * mm, "Nom :")
        c.drawString(bx + 3 * mm, y_top - 17 * mm, "Date :")
        c.drawString(bx + 3 * mm, y_top - 23 * mm, "Signature :")
        c.setFillColor(Color(0, 0, 0))
    c.setStrokeColor(Color(0, 0, 0))


# --- the document --------------------------------------------------------------------------------

@dataclass
class Document:
    """An A4 document: add blocks in reading order, then ``render()``.

    ``meta`` lines are printed at the top right of the first page (date, site, who printed it…);
    ``reference`` (if any) is repeated in every footer (certificates: their unique reference)."""

    network: str
    title: str
    subtitle: str = ""
    meta: Sequence[str] = ()
    reference: str = ""
    author: str = ""
    landscape: bool = False
    margin: float = 15 * mm
    blocks: list[_Block] = field(default_factory=list)

    def __post_init__(self):
        self.regular, self.bold = register_fonts()
        self.page_w, self.page_h = landscape(A4) if self.landscape else A4
        self.left = self.margin
        self.content_width = self.page_w - 2 * self.margin
        self.first_header_h = 30 * mm + max(0, len(self.meta) - 3) * 3.6 * mm
        self.other_header_h = 13 * mm
        self.footer_h = 12 * mm

    # -- building ---------------------------------------------------------------------------------
    def heading(self, text: str, level: int = 1) -> "Document":
        self.blocks.append(_Heading(text, level))
        return self

    def paragraph(self, text: str, *, size: float = 9.5, bold: bool = False, muted: bool = False) -> "Document":
        self.blocks.append(_Paragraph(text, size, bold, GREY if muted else None))
        return self

    def key_values(self, pairs: Sequence[tuple[str, str]], *, size: float = 9.5) -> "Document":
        self.blocks.append(_KeyValues(list(pairs), size))
        return self

    def table(self, columns: Sequence[Column], rows: Sequence[Sequence], *, title: str | None = None,
              totals: Sequence | None = None, size: float = 8.0, zebra: bool = True) -> "Document":
        table = _Table(columns, rows, title, totals, size, zebra)
        table.prepare(self)
        self.blocks.append(table)
        return self

    def spacer(self, height: float = 4 * mm) -> "Document":
        self.blocks.append(_Spacer(height))
        return self

    def drawing(self, height: float, draw: Callable[[Canvas, float, float, float], None]) -> "Document":
        """A block drawn by ``draw(canvas, x, y_top, width)`` (e.g. ``refurb.pdf.draw_qr`` for a verification
        QR code); it is never split across pages."""
        self.blocks.append(_Drawing(height, draw))
        return self

    def page_break(self) -> "Document":
        self.blocks.append(_PageBreak())
        return self

    def signature_block(self, signers: Sequence[str], *, place_line: str = "") -> "Document":
        self.blocks.append(_Signatures(list(signers), place_line))
        return self

    # -- pagination -------------------------------------------------------------------------------
    def _frame(self, page_index: int) -> tuple[float, float]:
        """(top, bottom) y of the content area of a page."""
        header = self.first_header_h if page_index == 0 else self.other_header_h
        return self.page_h - self.margin - header, self.margin + self.footer_h

    def _place_table(self, table: _Table, pages, get_y, new_page, set_y) -> None:
        n = len(table.rows)
        start = 0
        continued = False
        while True:
            y = get_y()
            _top, bottom = self._frame(len(pages) - 1)
            room = y - bottom - table.title_h - table.head_h - 4
            fit = table.rows_fitting(start, room)
            remaining = n - start
            if remaining <= fit:
                # everything left fits; totals too?
                if table.totals is None or room - table.rows_height(start, n) >= table.totals_h:
                    pages[-1].append((table, y, (start, n, continued, True)))
                    set_y(y - table.part_height(start, n, True))
                    return
                # totals would not fit: carry the last row over with them
                fit = max(0, remaining - 1)
            if fit < min(2, remaining) or (fit == 0):
                if not pages[-1]:  # a page too small for two rows: place what fits anyway
                    fit = max(1, fit)
                else:
                    new_page()
                    continue
            end = start + fit
            pages[-1].append((table, y, (start, end, continued, False)))
            set_y(y - table.part_height(start, end, False))
            start = end
            continued = True
            new_page()

    # -- drawing ----------------------------------------------------------------------------------
    def render(self, progress: Progress | None = None) -> bytes:
        pages = self.paginate()
        total = len(pages)
        buf = io.BytesIO()
        c = Canvas(buf, pagesize=(self.page_w, self.page_h), pageCompression=1, invariant=0)
        c.setTitle(f"{self.title} — {self.subtitle}" if self.subtitle else self.title)
        c.setAuthor(self.author or self.network)
        c.setSubject(self.network)
        c.setCreator("Refurb")
        for number, items in enumerate(pages, start=1):
            self._draw_header(c, number)
            self._draw_footer(c, number, total)
            for block, y, part in items:
                block.draw(self, c, y, part)
            c.showPage()
            if progress is not None:
                progress(number, total)
        from reportlab import rl_config

        saved, rl_config.useA85 = rl_config.useA85, 0  # binary streams: smaller, and no ASCII85 pass in Python
        try:
            c.save()
        finally:
            rl_config.useA85 = saved
        return buf.getvalue()

    def paginate(self) -> list[list[tuple[_Block, float, object]]]:
        """Place every block on pages: [(block, y of its top, part)] per page."""
        state = {"y": 0.0}
        pages: list[list] = [[]]
        top, _bottom = self._frame(0)
        state["y"] = top

        def new_page():
            pages.append([])
            state["y"] = self._frame(len(pages) - 1)[0]

        blocks = self.blocks
        for index, block in enumerate(blocks):
            if isinstance(block, _PageBreak):
                if pages[-1]:
                    new_page()
                continue
            if isinstance(block, _Table):
                self._place_table(block, pages, lambda: state["y"], new_page,
                                  lambda v: state.__setitem__("y", v))
                continue
            _top, bottom = self._frame(len(pages) - 1)
            h = block.height(self)
            need = h + block.keep_with_next
            if isinstance(block, _Heading) and index + 1 < len(blocks) and isinstance(blocks[index + 1], _Table):
                need = h + blocks[index + 1].min_height()
            if state["y"] - need < bottom and pages[-1]:
                new_page()
            pages[-1].append((block, state["y"], None))
            state["y"] -= h
        return pages

    def page_count(self) -> int:
        return len(self.paginate())

    def _draw_header(self, c: Canvas, number: int) -> None:
        top = self.page_h - self.margin
        left, right = self.left, self.left + self.content_width
        if number == 1:
            c.setFont(self.bold, 9)
            c.setFillColor(ACCENT)
            c.drawString(left, top - 9, fit_text(_clean(self.network, self.bold), self.bold, 9, self.content_width * 0.6))
            c.setFillColor(Color(0, 0, 0))
            c.setFont(self.bold, 16)
            c.drawString(left, top - 29, fit_text(_clean(self.title, self.bold), self.bold, 16, self.content_width * 0.62))
            if self.subtitle:
                c.setFont(self.regular, 11)
                c.drawString(left, top - 45, fit_text(_clean(self.subtitle, self.regular), self.regular, 11,
                                                      self.content_width * 0.62))
            c.setFont(self.regular, 8.5)
            c.setFillColor(GREY)
            y = top - 9
            for line in self.meta:
                c.drawRightString(right, y, fit_text(_clean(line, self.regular), self.regular, 8.5,
                                                     self.content_width * 0.38))
                y -= 3.6 * mm
            c.setFillColor(Color(0, 0, 0))
            rule_y = top - self.first_header_h + 4 * mm
        else:
            c.setFont(self.bold, 8.5)
            text = _clean(" — ".join(p for p in (self.title, self.subtitle) if p), self.bold)
            if stringWidth(text, self.bold, 8.5) > self.content_width * 0.7:
                text = _clean(self.title, self.bold)  # a running head: the title alone rather than a cut subtitle
            c.drawString(left, top - 9, fit_text(text, self.bold, 8.5, self.content_width * 0.7))
            c.setFont(self.regular, 8)
            c.setFillColor(GREY)
            c.drawRightString(right, top - 9, fit_text(_clean(self.network, self.regular), self.regular, 8,
                                                       self.content_width * 0.3))
            c.setFillColor(Color(0, 0, 0))
            rule_y = top - self.other_header_h + 4 * mm
        c.setStrokeColor(RULE)
        c.setLineWidth(0.6)
        c.line(left, rule_y, right, rule_y)
        c.setStrokeColor(Color(0, 0, 0))

    def _draw_footer(self, c: Canvas, number: int, total: int) -> None:
        y = self.margin
        left, right = self.left, self.left + self.content_width
        c.setStrokeColor(RULE)
        c.setLineWidth(0.4)
        c.line(left, y + 8 * mm, right, y + 8 * mm)
        c.setStrokeColor(Color(0, 0, 0))
        c.setFont(self.regular, 8)
        c.setFillColor(GREY)
        label = f"Page {number} / {total}"
        c.drawRightString(right, y + 3 * mm, label)
        pieces = [self.network, self.title] + ([f"Réf. {self.reference}"] if self.reference else [])
        room = self.content_width - stringWidth(label, self.regular, 8) - 8 * mm
        c.drawString(left, y + 3 * mm, fit_text(_clean(" · ".join(p for p in pieces if p), self.regular),
                                                 self.regular, 8, room))
        c.setFillColor(Color(0, 0, 0))
