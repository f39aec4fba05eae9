"""Hardware reports (lshw, smartctl, nwipe, Workbench): sent by the workshop (admin, managers, technicians),
read by any staff member; device-level routes are bound to the device's site."""

from pathlib import Path

from refurb.accounts.models import User
from refurb.clock import today
from refurb.refurbishment import services as refurb

from . import STAFF, Case

WORKSHOP = frozenset({"admin", "gestionnaire", "technicien"})
SMARTCTL = (Path(__file__).parent.parent / "assets" / "hwreports" / "smartctl_hdd_passed.json").read_text()


def arrange(db, ctx):
    admin = db.query(User).filter_by(username="admin").one()
    for which, code in (("own", "EPN-A"), ("other", "EPN-B")):
        _donation, [device] = refurb.create_donation(db, admin, {
            "donor": {"kind": "individual", "name": f"Donateur rapports {code}"}, "site": code,
            "received_on": today().isoformat(), "devices": [{"category": "laptop"}]})
        ctx[which]["hw_tag"] = device.asset_tag
        content = SMARTCTL.replace("WD-WX41A1234567", f"WD-AUTHZ-{which.upper()}").encode()
        outcome = refurb.add_report(db, admin, device, refurb.Upload(filename=f"{which}.json", content=content))
        ctx[which]["hw_report"] = outcome.report.id


CASES = {
    "refurbishment.reports_page": Case("GET", "/atelier/rapports", WORKSHOP),
    "refurbishment.reports_upload": Case("POST", "/atelier/rapports", WORKSHOP),
    "refurbishment.reports_assign": Case("POST", "/atelier/rapports/attente/jeton-inconnu-0123456789", WORKSHOP,
                                         data={"asset_tag": "RF-00001"}),
    "refurbishment.device_reports_upload": Case("POST", "/atelier/appareils/{o[hw_tag]}/rapports", WORKSHOP,
                                                site_bound=True),
    "refurbishment.device_report_choice": Case("POST", "/atelier/appareils/{o[hw_tag]}/rapports/{o[hw_report]}/choix",
                                               WORKSHOP, site_bound=True, data={"index": "0", "take": "0"}),
    "refurbishment.report_download": Case("GET", "/atelier/rapports/{o[hw_report]}/fichier", STAFF, site_bound=True),
    "api.add_device_reports": Case("POST", "/api/v1/devices/{o[hw_tag]}/reports", WORKSHOP, site_bound=True),
    "api.list_device_reports": Case("GET", "/api/v1/devices/{o[hw_tag]}/reports", STAFF, site_bound=True),
    "api.add_stick_reports": Case("POST", "/api/v1/reports", WORKSHOP),
    "api.download_report": Case("GET", "/api/v1/reports/{o[hw_report]}/file", STAFF, site_bound=True),
    "api.assign_pending": Case("POST", "/api/v1/reports/pending/jeton-inconnu-0123456789", WORKSHOP, json={}),
}
