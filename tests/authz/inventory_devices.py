"""Device pages and device API: who may do what (see tests/test_authz_matrix.py)."""

from refurb.accounts.models import User
from refurb.inventory import services
from refurb.sites.models import Site

from . import PUBLIC, STAFF, Case


def arrange(db, ctx):
    admin = db.query(User).filter_by(username="admin").one()
    for which, code in (("own", "EPN-A"), ("other", "EPN-B")):
        site = db.query(Site).filter_by(code=code).one()
        device = services.create_device(db, admin, services.DeviceInput(category="laptop", site=site),
                                        allow_known_serial=True)
        ctx[which]["tag"] = device.asset_tag
    db.flush()
    # /d/<tag> is public (a finder's short page) yet site-bound for staff: the matrix cannot say
    # both, so it opens the own-site device in both columns; tests/test_inventory_devices.py
    # checks the 403 on another site's device.
    ctx["own"]["public_tag"] = ctx["other"]["public_tag"] = ctx["own"]["tag"]


CASES = {
    "inventory.device_page": Case("GET", "/d/{o[public_tag]}", PUBLIC),
    "inventory.device_transition": Case("POST", "/d/{o[tag]}/transition", STAFF, site_bound=True,
                                        data={"to": "diagnosing"}),
    "inventory.device_undo": Case("POST", "/d/{o[tag]}/annuler", STAFF, site_bound=True),
    "inventory.new_device": Case("GET", "/devices/new", STAFF),
    "inventory.device_specs": Case("GET", "/devices/new/specs?category=tablet", STAFF),
    "inventory.new_batch": Case("GET", "/devices/batch", STAFF),
    "inventory.device_list": Case("GET", "/devices", STAFF),
    "inventory.device_export": Case("GET", "/devices.csv", STAFF),
    "inventory.labels_page": Case("GET", "/labels?tag={o[tag]}", STAFF, site_bound=True),
    "inventory.labels_pdf": Case("GET", "/labels.pdf?tag={o[tag]}", STAFF, site_bound=True),
    "api.create_device": Case("POST", "/api/v1/devices", STAFF, json={"category": "laptop", "site": "EPN-A"}),
    "api.list_devices": Case("GET", "/api/v1/devices", STAFF),
    "api.get_device": Case("GET", "/api/v1/devices/{o[tag]}", STAFF, site_bound=True),
    "api.transition_device": Case("POST", "/api/v1/devices/{o[tag]}/transition", STAFF, site_bound=True,
                                  json={"to": "diagnosing"}),
    "api.labels_pdf": Case("GET", "/api/v1/labels.pdf?tag={o[tag]}", STAFF, site_bound=True),
}
