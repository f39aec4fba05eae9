"""JSON shapes shared by API endpoints."""

from __future__ import annotations


def site_json(site) -> dict:
    return {
        "code": site.code, "name": site.name, "kind": site.kind, "address": site.address,
        "postal_code": site.postal_code, "city": site.city, "phone": site.phone, "email": site.email,
        "opening_hours": site.opening_hours, "active": site.active,
    }


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


# The device fields that the workshop's answers embed (schema RefurbDevice); device_json gives them all.
DEVICE_BRIEF = ("asset_tag", "category", "brand", "model", "serial_number", "has_storage", "state", "grade",
                "site", "version")


def device_json(device, *, brief: bool = False) -> dict:
    """A device as the API shows it (schema Device; ``brief``: schema RefurbDevice)."""
    full = {"asset_tag": device.asset_tag, "category": device.category, "brand": device.brand,
            "model": device.model, "serial_number": device.serial_number, "has_storage": device.has_storage,
            "specs": device.specs or {}, "condition": device.condition, "notes": device.notes,
            "grade": device.grade, "site": device.site.code, "state": device.state,
            "created_at": _iso(device.created_at), "updated_at": _iso(device.updated_at), "version": device.version}
    return {key: full[key] for key in DEVICE_BRIEF} if brief else full
