"""Inventory pages (one blueprint): devices in ``devices.py``, stock and transfers in ``stock.py``."""

from flask import Blueprint

bp = Blueprint("inventory", __name__)

from . import devices, stock  # noqa: E402  (their routes, on ``bp``)


def register_hooks() -> None:
    """The menu entries, the manager's home page and the scan box's device resolver."""
    devices.register_hooks()
    stock.register_hooks()
