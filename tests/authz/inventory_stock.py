"""Stock per site, minimum levels, transfers (pages and API)."""

from sqlalchemy import select

from refurb.accounts.models import User
from refurb.inventory.models import Device, Transfer, TransferItem
from refurb.sites.models import Site

from . import NETWORK, STAFF, Case


def arrange(db, ctx):
    """One transfer per side: EPN-A → BUS ("own"), and one that stays within EPN-B ("other")."""
    sites = {s.code: s for s in db.scalars(select(Site))}
    admin = db.scalar(select(User).where(User.username == "admin"))
    for which, from_code, to_code, tag in (("own", "EPN-A", "BUS", "AZ-000001"), ("other", "EPN-B", "EPN-B", "AZ-000002")):
        device = Device(asset_tag=tag, category="laptop", site_id=sites[to_code].id, state="ready")
        db.add(device)
        db.flush()
        transfer = Transfer(to_site_id=sites[to_code].id, user_id=admin.id)
        db.add(transfer)
        db.flush()
        db.add(TransferItem(transfer_id=transfer.id, device_id=device.id, from_site_id=sites[from_code].id))
        db.flush()
        ctx[which]["transfer_id"] = transfer.id


CASES = {
    "inventory.stock": Case("GET", "/stock", STAFF),
    "inventory.stock_site": Case("GET", "/stock/{o[site]}", STAFF, site_bound=True),
    "inventory.set_stock_minimum": Case("POST", "/stock/{o[site]}/minimums", NETWORK,
                                        data={"category": "laptop", "state": "loan_pool", "minimum": "2"}),
    "inventory.transfer_new": Case("GET", "/transfers/new", STAFF),
    "inventory.transfer_scan": Case("POST", "/transfers/new/scan", STAFF, data={"code": "RF-000000"}),
    "inventory.transfer_remove": Case("POST", "/transfers/new/remove", STAFF, data={"tag": "RF-000000"}),
    "inventory.transfer_clear": Case("POST", "/transfers/new/clear", STAFF),
    "inventory.create_transfer": Case("POST", "/transfers", STAFF, data={"to_site": "BUS"}),
    "inventory.transfers": Case("GET", "/transfers", STAFF),
    "inventory.transfer_detail": Case("GET", "/transfers/{o[transfer_id]}", STAFF, site_bound=True),
    "inventory.transfer_slip": Case("GET", "/transfers/{o[transfer_id]}/slip.pdf", STAFF, site_bound=True),
    "api.transfers_create": Case("POST", "/api/v1/transfers", STAFF,
                                 json={"to_site": "BUS", "asset_tags": ["RF-000000"]}),
    "api.site_stock": Case("GET", "/api/v1/sites/{o[site]}/stock", STAFF, site_bound=True),
}
