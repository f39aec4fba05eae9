"""Documents: inventories, jobs, stock-takes, exports, imports; their API."""

from sqlalchemy import select

from . import NETWORK, STAFF, Case

STOCKTAKE = frozenset({"admin", "gestionnaire", "technicien"})


def arrange(db, ctx):
    from refurb.accounts.models import User
    from refurb.clock import utcnow
    from refurb.documents.models import StockTake
    from refurb.sites.models import Site

    admin = db.scalar(select(User).where(User.username == "admin"))
    now = utcnow()
    for which, code in (("own", "EPN-A"), ("other", "EPN-B")):
        site = db.scalar(select(Site).where(Site.code == code))
        open_st = StockTake(site_id=site.id, status="open", started_at=now, started_by_id=admin.id, note="")
        closed = StockTake(site_id=site.id, status="closed", started_at=now, started_by_id=admin.id,
                           closed_at=now, closed_by_id=admin.id, note="")
        db.add_all([open_st, closed])
        db.flush()
        ctx[which]["stocktake"] = open_st.id
        ctx[which]["stocktake_closed"] = closed.id


CASES = {
    "documents.index": Case("GET", "/documents/", STAFF),
    "documents.inventory_form": Case("GET", "/documents/inventory", STAFF),
    "documents.inventory_document": Case("GET", "/documents/inventory.pdf?site={o[site]}", STAFF, site_bound=True),
    "documents.job": Case("GET", "/documents/jobs/inconnu", STAFF),
    "documents.job_file": Case("GET", "/documents/jobs/inconnu/file", STAFF),
    "documents.job_retry": Case("POST", "/documents/jobs/inconnu/relancer", STAFF),
    "documents.stocktakes_list": Case("GET", "/stocktakes/", STOCKTAKE),
    "documents.stocktake_start": Case("POST", "/stocktakes/", STOCKTAKE, data={"site": "EPN-A"}),
    "documents.stocktake": Case("GET", "/stocktakes/{o[stocktake]}", STOCKTAKE, site_bound=True),
    "documents.stocktake_scan": Case("POST", "/stocktakes/{o[stocktake]}/scan", STOCKTAKE, site_bound=True,
                                     data={"code": "INCONNU-1"}),
    "documents.stocktake_close": Case("POST", "/stocktakes/{o[stocktake_closed]}/close", STOCKTAKE,
                                      site_bound=True),
    "documents.stocktake_resolve": Case("POST", "/stocktakes/{o[stocktake_closed]}/resolve", STOCKTAKE,
                                        site_bound=True, data={"asset_tag": "RF-999999", "action": "lost"}),
    "documents.stocktake_report": Case("GET", "/stocktakes/{o[stocktake]}/report.pdf", STOCKTAKE,
                                       site_bound=True),
    "documents.export": Case("GET", "/exports/devices.csv", STAFF),
    "documents.import_upload": Case("GET", "/imports/devices", STOCKTAKE),
    "documents.import_preview": Case("GET", "/imports/devices/inconnu", STOCKTAKE),
    "api.site_inventory_pdf": Case("GET", "/api/v1/sites/{o[site]}/inventory.pdf", STAFF, site_bound=True),
    "api.network_inventory_pdf": Case("GET", "/api/v1/inventory.pdf", NETWORK),
    "api.job_status": Case("GET", "/api/v1/jobs/inconnu", STAFF),
    "api.job_result": Case("GET", "/api/v1/jobs/inconnu/result", STAFF),
    "api.stocktake_create": Case("POST", "/api/v1/stocktakes", STOCKTAKE, json={"site": "EPN-A"}),
    "api.stocktake_show": Case("GET", "/api/v1/stocktakes/{o[stocktake]}", STOCKTAKE, site_bound=True),
    "api.stocktake_scan": Case("POST", "/api/v1/stocktakes/{o[stocktake]}/scans", STOCKTAKE, site_bound=True,
                               json={"code": "INCONNU-2"}),
    "api.stocktake_close": Case("POST", "/api/v1/stocktakes/{o[stocktake_closed]}/close", STOCKTAKE,
                                site_bound=True, json={}),
    "api.stocktake_resolution": Case("POST", "/api/v1/stocktakes/{o[stocktake_closed]}/resolutions", STOCKTAKE,
                                     site_bound=True, json={"asset_tag": "RF-999999", "action": "lost"}),
    "api.stocktake_report": Case("GET", "/api/v1/stocktakes/{o[stocktake]}/report.pdf", STOCKTAKE,
                                 site_bound=True),
}
