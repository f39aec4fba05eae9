"""Security headers on every answer: pages, partials, the API, static files and error pages.

A few lines of ``after_request`` rather than flask-talisman: Talisman's defaults force HTTPS and
secure cookies, which a first install on a site's LAN (plain http://machine:5000) cannot follow, so
most of it would be switched off; what remains is this list of headers, kept here in one place.

The Content-Security-Policy allows no inline script, no eval and no other origin:
- every script is a static file (``static/js``, ``static/vendor``); behaviour that templates used to
  put in ``onchange=`` or ``hx-on`` attributes lives in ``static/js/refurb.js`` (``data-*`` hooks);
- htmx runs with ``allowEval: false`` (see base.html), so it never needs 'unsafe-eval';
- 'wasm-unsafe-eval' lets the camera scanner compile its barcode decoder (zxing WebAssembly, served
  by us); it allows WebAssembly only, not JavaScript eval;
- styles may still be inline (``style=`` attributes and a few ``<style>`` blocks in templates):
  they cannot run code;
- ``data:`` images are the small SVG icons of the stylesheet (Pico).
An answer that sets its own policy keeps it (the erasure report download is sandboxed).

HTML answers that say nothing about caching get ``Cache-Control: no-store``: on a shared PC, the
"Back" button after a logout must not bring a borrower's record back from the browser's cache.
"""

from __future__ import annotations

from flask import current_app

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "media-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that ignore CSP
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # a page URL may name a borrower's card: never sent elsewhere
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=(), payment=(), usb=()",
}

# Browsers then refuse plain HTTP for a year. Sent only when the public address is HTTPS: a site
# still on http:// would otherwise lock its users out.
HSTS = "max-age=31536000"


def init_app(app) -> None:
    @app.after_request
    def _security_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if response.mimetype == "text/html" and "Cache-Control" not in response.headers:
            # Pages show personal data on shared PCs: after a logout, "Back" must not show them again
            # from the browser's cache. Pages meant to be cached (public ones) say so themselves.
            response.headers["Cache-Control"] = "no-store"
        if current_app.config.get("PUBLIC_URL", "").startswith("https://"):
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response
