"""Refurbishment pages and API: who may do what (see tests/test_authz_matrix.py).

Workshop records (diagnosis, erasure, repair, grading, recycling, the queue) are for admin,
managers and technicians; donations, sales and donations out also for reception; prices are
edited by managers. Device-, donation- and batch-level routes are bound to the object's site.
"""

from datetime import timedelta

from refurb.accounts.models import User
from refurb.clock import today
from refurb.db import utcnow
from refurb.refurbishment import services as refurb
from refurb.refurbishment.status import category_checks
from refurb.sites.models import Site

from . import NETWORK, STAFF, Case

WORKSHOP = frozenset({"admin", "gestionnaire", "technicien"})
DESK = STAFF


def arrange(db, ctx):
    admin = db.query(User).filter_by(username="admin").one()
    for which, code in (("own", "EPN-A"), ("other", "EPN-B")):
        site = db.query(Site).filter_by(code=code).one()
        donation, devices = refurb.create_donation(db, admin, {
            "donor": {"kind": "individual", "name": f"Donateur {code}"}, "site": code,
            "received_on": (today() - timedelta(days=30)).isoformat(), "devices": [{"category": "laptop"}, {"category": "laptop"}]})
        device, other = devices
        end = utcnow() - timedelta(hours=1)
        erasure = refurb.record_erasure(db, admin, other, {
            "media": [{"serial": f"DISK-{code}"}], "method": "overwrite", "nist_category": "clear", "tool": "nwipe",
            "tool_version": "0.36", "passes": 1, "verified": True, "result": "passed",
            "started_at": (end - timedelta(hours=1)).isoformat(),
            "ended_at": end.isoformat()})
        refurb.record_diagnosis(db, admin, other, {"checks": {k: "pass" for k in category_checks("laptop")},
                                                   "verdict": "recycle"})
        batch = refurb.create_batch(db, admin, {"asset_tags": [other.asset_tag], "weight_kg": "2.5",
                                                "carrier": "Envie", "facility": "Envie 2E",
                                                "carrier_address": "ZI des Gués, 37700 Saint-Pierre-des-Corps",
                                                "carrier_receipt": "37-1", "treatment_code": "R4",
                                                "facility_address": "ZI des Gués, 37700 Saint-Pierre-des-Corps",
                                                "tracking_number": f"BSD-{code}"})
        ctx[which].update({"rf_tag": device.asset_tag, "rf_donation": donation.id, "rf_batch": batch.id,
                           "rf_erasure": erasure.id, "rf_donor": donation.donor_id, "rf_site": site.code})
    db.flush()


CASES = {
    # queue and scan
    "refurbishment.queue": Case("GET", "/atelier/", WORKSHOP),
    "refurbishment.scan": Case("GET", "/atelier/scan?code={o[rf_tag]}", WORKSHOP, site_bound=True),
    # device panel
    "refurbishment.device_step": Case("GET", "/atelier/appareils/{o[rf_tag]}", DESK, site_bound=True),
    "refurbishment.record_diagnosis": Case("POST", "/atelier/appareils/{o[rf_tag]}/diagnostic", WORKSHOP,
                                           site_bound=True),
    "refurbishment.record_erasure": Case("POST", "/atelier/appareils/{o[rf_tag]}/effacement", WORKSHOP,
                                         site_bound=True),
    "refurbishment.record_destruction": Case("POST", "/atelier/appareils/{o[rf_tag]}/destruction", WORKSHOP,
                                             site_bound=True),
    "refurbishment.record_repair": Case("POST", "/atelier/appareils/{o[rf_tag]}/reparation", WORKSHOP,
                                        site_bound=True),
    "refurbishment.record_grading": Case("POST", "/atelier/appareils/{o[rf_tag]}/grade", WORKSHOP, site_bound=True),
    "refurbishment.record_sale": Case("POST", "/atelier/appareils/{o[rf_tag]}/vente", DESK, site_bound=True),
    "refurbishment.record_gift": Case("POST", "/atelier/appareils/{o[rf_tag]}/don", DESK, site_bound=True),
    # the workshop's plain moves (ready, loan pool…): any staff member, as the device page always allowed
    "refurbishment.move_device": Case("POST", "/atelier/appareils/{o[rf_tag]}/etape", DESK, site_bound=True,
                                      data={"to": "loan_pool"}),
    "refurbishment.erasure_report": Case("GET", "/atelier/effacements/{o[rf_erasure]}/rapport", WORKSHOP,
                                         site_bound=True),
    # donations and donors
    "refurbishment.new_donation": Case("GET", "/atelier/dons/nouveau", DESK),
    "refurbishment.donations": Case("GET", "/atelier/dons", DESK),
    "refurbishment.donation": Case("GET", "/atelier/dons/{o[rf_donation]}", DESK, site_bound=True),
    "refurbishment.donors": Case("GET", "/atelier/donateurs", DESK),
    "refurbishment.new_donor": Case("GET", "/atelier/donateurs/nouveau", DESK),
    # A donor is seen at the sites where it gave (or was registered); network roles see all.
    "refurbishment.edit_donor": Case("GET", "/atelier/donateurs/{o[rf_donor]}", DESK, site_bound=True),
    # out
    "refurbishment.sales": Case("GET", "/atelier/ventes", DESK),
    "refurbishment.recycling": Case("GET", "/atelier/recyclage", WORKSHOP),
    "refurbishment.create_recycling_batch": Case("POST", "/atelier/recyclage", WORKSHOP),
    "refurbishment.recycling_batch": Case("GET", "/atelier/recyclage/{o[rf_batch]}", WORKSHOP, site_bound=True),
    "refurbishment.waste_register": Case("GET", "/atelier/registre-deee", WORKSHOP),
    "refurbishment.waste_register_csv": Case("GET", "/atelier/registre-deee.csv", WORKSHOP),
    "refurbishment.waste_register_xlsx": Case("GET", "/atelier/registre-deee.xlsx", WORKSHOP),
    "refurbishment.prices": Case("GET", "/atelier/tarifs", DESK),
    "refurbishment.update_prices": Case("POST", "/atelier/tarifs", NETWORK),
    "refurbishment.update_reasons": Case("POST", "/atelier/tarifs/motifs", NETWORK),
    # API
    "api.create_donation": Case("POST", "/api/v1/donations", DESK, json={"devices": []}),
    "api.get_donation": Case("GET", "/api/v1/donations/{o[rf_donation]}", DESK, site_bound=True),
    "api.device_status": Case("GET", "/api/v1/devices/{o[rf_tag]}/refurbishment", STAFF, site_bound=True),
    "api.create_diagnosis": Case("POST", "/api/v1/devices/{o[rf_tag]}/diagnosis", WORKSHOP, site_bound=True,
                                 json={}),
    "api.create_erasure": Case("POST", "/api/v1/devices/{o[rf_tag]}/erasures", WORKSHOP, site_bound=True, json={}),
    "api.create_media_destruction": Case("POST", "/api/v1/devices/{o[rf_tag]}/media-destructions", WORKSHOP,
                                         site_bound=True, json={}),
    "api.list_erasures": Case("GET", "/api/v1/devices/{o[rf_tag]}/erasures", STAFF, site_bound=True),
    "api.create_repair": Case("POST", "/api/v1/devices/{o[rf_tag]}/repairs", WORKSHOP, site_bound=True, json={}),
    "api.create_grading": Case("POST", "/api/v1/devices/{o[rf_tag]}/grading", WORKSHOP, site_bound=True, json={}),
    "api.create_sale": Case("POST", "/api/v1/devices/{o[rf_tag]}/sale", DESK, site_bound=True, json={}),
    "api.create_gift": Case("POST", "/api/v1/devices/{o[rf_tag]}/gift", DESK, site_bound=True, json={}),
    "api.create_recycling_batch": Case("POST", "/api/v1/recycling-batches", WORKSHOP, json={}),
    "api.list_recycling_batches": Case("GET", "/api/v1/recycling-batches", WORKSHOP),
}
