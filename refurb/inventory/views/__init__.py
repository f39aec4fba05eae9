"""Inventory pages (one blueprint): devices in ``devices.py``, stock and transfers in ``stock.py``."""

from flask import Blueprint

bp = Blueprint("inventory", __name__)

from . import devices, stock  # noqa: E402,F401  (register their routes)


def register_hooks(app) -> None:
    """Menu entries, scan resolver, demo data: each module adds its own."""
    for module in (devices, stock):
        hook = getattr(module, "register_hooks", None)
        if hook:
            hook(app)
