"""Barcodes for reportlab canvases: Code 128 and QR code.

Both stay sharp at any printer resolution and keep PDFs small. Units are points and the origin is the
bottom-left corner, as everywhere in reportlab.

* :func:`draw_code128` uses reportlab's own Code 128 encoder (it switches to
  code set C for runs of digits by itself: ``RF-000123`` is 112 modules
  instead of 123 in set B; its ``Code128Auto`` variant is never shorter on
  our tags) and fits the symbol, with its two 10-module quiet zones, into a
  box. The bars are one path (see :func:`_code128_bars`).
* :func:`draw_qr` draws a QR code with a 4-module quiet zone, as a 1-bit image mask of one sample per module
  (never interpolated: square modules at any resolution, see :func:`_qr_mask`). The symbol comes from
  zxing-cpp's encoder (C++, the same library that reads our codes back in the tests): smallest
  version, error level raised when it costs no extra size, best of the 8
  masks by the ISO/IEC 18004 penalty rules, in ~0.25 ms for a label's URL
  (a pure-Python encoder took ~1.5 ms, most of a 1,000-label print run).
"""

from __future__ import annotations

from functools import lru_cache

import zxingcpp
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm

__all__ = [
    "CODE128_QUIET_MODULES",
    "QR_QUIET_MODULES",
    "code128_modules",
    "draw_code128",
    "draw_qr",
    "qr_matrix",
    "qr_size_modules",
]

#: Quiet zone on each side of a Code 128, in modules (ISO/IEC 15417: 10).
CODE128_QUIET_MODULES = 10
#: Quiet zone around a QR code, in modules (ISO/IEC 18004: 4).
QR_QUIET_MODULES = 4


# --------------------------------------------------------------------------
# Code 128
# --------------------------------------------------------------------------


def _check_code128_value(value: str) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"Code 128: a non-empty string is needed, not {value!r}")
    bad = [c for c in value if ord(c) > 127]
    if bad:
        raise ValueError(f"Code 128 encodes ASCII only; {value!r} contains {bad[0]!r}")


@lru_cache(maxsize=4096)
def _code128_bars(value: str) -> tuple[int, str]:
    """(symbol width in modules, PDF path of its bars in module units).

    reportlab's Code128 encodes (set B, switching to set C for runs of
    digits; check character) and decomposes the symbol into alternating bar/space widths,
    which its own ``draw()`` turns into one ``rect`` per bar; we build a
    single path instead: one fill per symbol, and nothing to format per bar
    at drawing time.
    """
    _check_code128_value(value)
    symbol = Code128(value, barWidth=1, quiet=0, humanReadable=0)
    total = int(round(symbol.width))  # validates, encodes and decomposes
    ops = []
    x = 0
    for ch in symbol.decomposed:  # "A".."Z": bar of 1..26 modules, "a".."z": space
        if "A" <= ch <= "Z":
            w = ord(ch) - 64
            ops.append(f"{x} 0 {w} 1 re")
        else:
            w = ord(ch) - 96
        x += w
    if x != total:  # pragma: no cover - reportlab changed its representation
        raise RuntimeError(f"unexpected Code 128 decomposition for {value!r}")
    return total, " ".join(ops)


def code128_modules(value: str) -> int:
    """Width of the Code 128 symbol of ``value`` in modules, without quiet zones.

    Start + data + check characters are 11 modules each, the stop pattern 13.
    """
    return _code128_bars(value)[0]


def draw_code128(
    canvas,
    value: str,
    x: float,
    y: float,
    width: float,
    height: float,
    *,
    min_module: float = 0.33 * mm,
    max_module: float | None = None,
) -> float:
    """Draw a Code 128 of ``value`` fitted into the box (x, y, width, height).

    The box includes the quiet zones: the module (narrowest bar) is
    ``width / (symbol modules + 2 * 10)``, capped at ``max_module`` if given
    (the symbol is then centred in the box). Bars span the full ``height``.

    Returns the module width used, in points.

    Raises ValueError if ``value`` is empty or not ASCII, or if the module
    would be narrower than ``min_module`` (default 0.33 mm, the minimum
    agreed for our labels in STACK.md).
    """
    n, path = _code128_bars(value)
    total = n + 2 * CODE128_QUIET_MODULES
    module = width / total
    if module < min_module:
        raise ValueError(
            f"Code 128 of {value!r} needs {total} modules with its quiet zones, "
            f"i.e. {total * min_module / mm:.1f} mm at {min_module / mm:.2f} mm per "
            f"module; the box is only {width / mm:.1f} mm wide"
        )
    if height <= 0:
        raise ValueError("Code 128: height must be positive")
    if max_module is not None and module > max_module:
        module = max_module
        x += (width - total * module) / 2
    # Bars are drawn in module units on a scaled canvas: exact edges, and a
    # short content stream.
    canvas.saveState()
    canvas.translate(x + CODE128_QUIET_MODULES * module, y)
    canvas.scale(module, height)
    canvas.addLiteral(path + " f")
    canvas.restoreState()
    return module


# --------------------------------------------------------------------------
# QR code
# --------------------------------------------------------------------------

_ERROR_LEVELS = ("l", "m", "q", "h")
_IMAGE_BITS = bytes.maketrans(b"\x00\xff", b"10")  # the encoder's image: 0 dark, 255 light
_UNBITS = bytes.maketrans(b"01", b"\x00\x01")


@lru_cache(maxsize=2048)
def _qr_rows(data: str, error: str) -> tuple[int, tuple[str, ...]]:
    """(n, rows as '0'/'1' text) of the QR code of ``data``, at error level ``error`` or higher when the
    smallest symbol has room for it."""
    if error not in _ERROR_LEVELS:
        raise ValueError(f"QR error level must be one of {_ERROR_LEVELS}, not {error!r}")
    if not data:
        raise ValueError("QR code: empty data")
    try:
        # Without a level the encoder takes the smallest symbol at level L and raises the level while the
        # symbol keeps its size: when that reaches ``error``, it is the smallest symbol at ``error`` too.
        code = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode)
        if _ERROR_LEVELS.index((code.ec_level or "l").lower()) < _ERROR_LEVELS.index(error):
            code = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode, ec_level=error.upper())
    except ValueError as err:  # beyond version 40
        raise ValueError(f"QR code: {err}") from None
    image = memoryview(code.to_image(scale=1, add_quiet_zones=False))
    n = image.shape[0]
    bits = image.tobytes().translate(_IMAGE_BITS).decode()
    return n, tuple(bits[i * n:(i + 1) * n] for i in range(n))


def qr_matrix(data: str, error: str = "m") -> tuple[bytes, ...]:
    """The QR code of ``data`` as rows of 0/1 bytes (1 = dark), no quiet zone: smallest version, error level
    ``error`` raised when free, best mask."""
    n, rows = _qr_rows(data, error.lower())
    return tuple(r.encode().translate(_UNBITS) for r in rows)


def qr_size_modules(data: str, error: str = "m", quiet_zone: int = QR_QUIET_MODULES) -> int:
    """Side of the QR symbol of ``data`` in modules, quiet zones included."""
    return _qr_rows(data, error.lower())[0] + 2 * quiet_zone


@lru_cache(maxsize=2048)
def _qr_mask(data: str, error: str) -> tuple[int, str]:
    """(n, the symbol as the hexadecimal rows of a 1-bit image mask): each module one sample, 1 dark, each row
    padded to a whole byte. Drawn as an image, a symbol is one small object that prints square modules with no
    seam between them; as rectangles it was about 230 of them per symbol, nine tenths of a label sheet's
    content, and most of the time to write and compress it."""
    n, rows = _qr_rows(data, error)
    width = (n + 7) // 8
    return n, "".join(int(row.ljust(width * 8, "0"), 2).to_bytes(width, "big").hex() for row in rows)


def draw_qr(
    canvas,
    data: str,
    x: float,
    y: float,
    size: float,
    *,
    error: str = "m",
    quiet_zone: int = QR_QUIET_MODULES,
    min_module: float = 0.0,
) -> float:
    """Draw the QR code of ``data`` in the square (x, y, size, size).

    The square includes a ``quiet_zone`` (4 modules) on every side. Error
    correction defaults to M (15 %), raised when it costs no extra
    size. Returns the module size used, in points; raises ValueError if it
    would be smaller than ``min_module`` (data too long for the box).
    """
    n, mask = _qr_mask(data, error.lower())
    total = n + 2 * quiet_zone
    module = size / total
    if module < min_module:
        raise ValueError(
            f"QR code of {len(data)} characters needs {total} modules; at "
            f"{min_module / mm:.2f} mm per module that is {total * min_module / mm:.1f} mm, "
            f"the box is {size / mm:.1f} mm"
        )
    canvas.saveState()
    canvas.translate(x + quiet_zone * module, y + quiet_zone * module)
    canvas.scale(n * module, n * module)
    # An inline image mask (ISO 32000-1, 8.9.7 and 8.9.6.2): the unit square holds the n x n samples, first row
    # on top; /D [1 0] paints the samples set to 1 in the fill colour and leaves the others unpainted; never
    # interpolated. In hexadecimal (/AHx), as the page's content is text.
    canvas.addLiteral(f"BI /W {n} /H {n} /IM true /BPC 1 /D [1 0] /F /AHx ID\n{mask}>\nEI")
    canvas.restoreState()
    return module
