"""JSON shapes shared by API endpoints."""

from __future__ import annotations


def site_json(site) -> dict:
    return {
        "code": site.code, "name": site.name, "kind": site.kind, "address": site.address,
        "postal_code": site.postal_code, "city": site.city, "phone": site.phone, "email": site.email,
        "opening_hours": site.opening_hours, "active": site.active,
    }
