"""Inventory routes of /api/v1: devices in ``api_devices.py``, stock and transfers in ``api_stock.py``."""

from . import api_devices, api_stock  # noqa: F401
