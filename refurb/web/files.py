"""The one way a view sends a file (PDF, CSV, XLSX, JSON download)."""

from __future__ import annotations

from flask import Response


def send_bytes(data: bytes | str, filename: str, mimetype: str, *, inline: bool = False,
               cache: str = "private, no-store") -> Response:
    """``mimetype`` is the bare type ("text/csv"): Werkzeug adds the charset of text types once."""
    response = Response(data, mimetype=mimetype)
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Cache-Control"] = cache
    return response
