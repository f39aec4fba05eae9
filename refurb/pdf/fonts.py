"""Unicode fonts for reportlab documents.

reportlab's built-in Helvetica only knows the WinAnsi encoding; a TrueType
font gives us every French character (é, œ, «, €, …) and is embedded
(subset) in the PDF, so the document prints the same everywhere.

We prefer the Bitstream Vera fonts shipped *inside* the reportlab package:
they exist on every platform reportlab runs on (including Windows sites),
whereas DejaVu (Vera's descendant) is only a Linux system font.
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

#: Names under which the fonts are registered with reportlab.
FAMILY = "RefurbSans"
REGULAR = "RefurbSans"
BOLD = "RefurbSans-Bold"
ITALIC = "RefurbSans-Italic"
BOLD_ITALIC = "RefurbSans-BoldItalic"


def _candidates() -> list[tuple[Path, tuple[str, str, str, str]]]:
    """(folder, (regular, bold, italic, bold italic)) by preference."""
    import reportlab

    bundled = Path(reportlab.__file__).resolve().parent / "fonts"
    return [
        (bundled, ("Vera.ttf", "VeraBd.ttf", "VeraIt.ttf", "VeraBI.ttf")),
        (
            Path("/usr/share/fonts/truetype/dejavu"),
            (
                "DejaVuSans.ttf",
                "DejaVuSans-Bold.ttf",
                "DejaVuSans-Oblique.ttf",
                "DejaVuSans-BoldOblique.ttf",
            ),
        ),
    ]


_lock = threading.Lock()
_registered: tuple[str, str] | None = None


def register_fonts() -> tuple[str, str]:
    """Register the Unicode sans-serif family once; return ``(regular, bold)``.

    Safe to call many times and from several threads. Italic faces are
    registered too (``RefurbSans-Italic``, ``RefurbSans-BoldItalic``) and the
    family is declared so that ``<b>``/``<i>`` work in platypus Paragraphs.
    Falls back to Helvetica (WinAnsi: still covers French) if no TrueType
    font can be found.
    """
    global _registered
    if _registered is not None:
        return _registered
    with _lock:
        if _registered is not None:
            return _registered
        for folder, files in _candidates():
            paths = [folder / f for f in files]
            if not (paths[0].is_file() and paths[1].is_file()):
                continue
            names = (REGULAR, BOLD, ITALIC, BOLD_ITALIC)
            for i, (name, path) in enumerate(zip(names, paths)):
                if not path.is_file():  # italics are optional
                    path = paths[i % 2]
                pdfmetrics.registerFont(TTFont(name, os.fspath(path)))
            pdfmetrics.registerFontFamily(
                FAMILY, normal=REGULAR, bold=BOLD, italic=ITALIC, boldItalic=BOLD_ITALIC
            )
            _registered = (REGULAR, BOLD)
            break
        else:
            _registered = ("Helvetica", "Helvetica-Bold")
        return _registered


# Characters the font may lack, replaced by a close equivalent before drawing.
_SUBSTITUTES = {
    "\u202f": "\u00a0",  # narrow no-break space (Babel's French grouping) -> nbsp
    "\u2009": " ",
    "\u2007": "\u00a0",
    "\u2011": "-",
    "\u2212": "-",
}
_glyph_cache: dict[str, frozenset[int] | None] = {}


def _glyphs(font_name: str) -> frozenset[int] | None:
    """Code points the font can draw (None = unknown, e.g. a standard font)."""
    if font_name not in _glyph_cache:
        font = pdfmetrics.getFont(font_name)
        face = getattr(font, "face", None)
        cmap = getattr(face, "charToGlyph", None)
        _glyph_cache[font_name] = frozenset(cmap) if cmap else None
    return _glyph_cache[font_name]


def printable(text: str, font_name: str) -> str:
    """Make arbitrary user text safe to draw as a single line in ``font_name``.

    Control characters and line breaks become spaces, runs of white space
    collapse, and characters the font has no glyph for become ``?`` (so that
    nothing silently disappears and no empty boxes are printed). The text is
    never interpreted as markup.
    """
    text = unicodedata.normalize("NFC", text or "")
    glyphs = _glyphs(font_name)
    out = []
    for ch in text:
        ch = _SUBSTITUTES.get(ch, ch)
        cat = unicodedata.category(ch)
        if cat[0] in ("C", "Z") and ch != "\u00a0":
            out.append(" ")  # controls, separators, format chars
        elif glyphs is not None and ord(ch) not in glyphs:
            out.append("?")
        elif glyphs is None and not _in_winansi(ch):
            out.append("?")
        else:
            out.append(ch)
    return _SPACES.sub(" ", "".join(out)).strip()


_SPACES = re.compile(" {2,}")


def _in_winansi(ch: str) -> bool:
    try:
        ch.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def fit_text(text: str, font_name: str, size: float, max_width: float) -> str:
    """Return ``text`` (already :func:`printable`) truncated with "…" to fit."""
    width = pdfmetrics.stringWidth
    max_width *= 1 + 1e-9  # a size from fit_font_size must fit despite rounding
    if width(text, font_name, size) <= max_width:
        return text
    ellipsis = "\u2026"
    lo, hi = 0, len(text)
    while lo < hi:  # longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if width(text[:mid].rstrip() + ellipsis, font_name, size) <= max_width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + ellipsis if lo else ""


def fit_font_size(
    text: str, font_name: str, max_size: float, max_width: float, min_size: float
) -> float:
    """Largest size <= ``max_size`` at which ``text`` fits ``max_width`` (not below ``min_size``)."""
    w = pdfmetrics.stringWidth(text, font_name, max_size)
    if w <= max_width or w == 0:
        return max_size
    return max(min_size, max_size * max_width / w)


def wrap_text(text: str, font_name: str, size: float, max_width: float, max_lines: int) -> list[str]:
    """Greedy word wrap of ``text`` (already :func:`printable`) into at most
    ``max_lines`` lines; the last line is truncated with "…" if needed."""
    if max_lines <= 0 or not text:
        return []
    width = pdfmetrics.stringWidth
    words = text.split(" ")
    lines: list[str] = []
    i = 0
    while i < len(words) and len(lines) < max_lines - 1:
        line, j = words[i], i + 1
        while j < len(words) and width(line + " " + words[j], font_name, size) <= max_width:
            line += " " + words[j]
            j += 1
        if width(line, font_name, size) > max_width:
            break  # one over-long word: it goes, truncated, on the last line
        lines.append(line)
        i = j
    if i < len(words):
        last = fit_text(" ".join(words[i:]), font_name, size, max_width)
        if last:
            lines.append(last)
    return lines
