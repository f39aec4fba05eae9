"""Shared PDF helpers (reportlab): fonts, barcodes and QR codes.

Used by label sheets, borrower cards and certificates.
"""

from .codes import (
    CODE128_QUIET_MODULES,
    QR_QUIET_MODULES,
    code128_modules,
    draw_code128,
    draw_qr,
    qr_matrix,
    qr_size_modules,
)
from .fonts import fit_font_size, fit_text, printable, register_fonts, wrap_text

__all__ = [
    "CODE128_QUIET_MODULES",
    "QR_QUIET_MODULES",
    "code128_modules",
    "draw_code128",
    "draw_qr",
    "fit_font_size",
    "fit_text",
    "printable",
    "qr_matrix",
    "qr_size_modules",
    "register_fonts",
    "wrap_text",
]
