"""Stock-takes, imports, certificates and the bus's tour through their services alone: no Flask app, no
request, no app context; a session of our own on the test database, as a script would use them. Each
use case commits what it did (another session sees it at once), or nothing."""

from __future__ import annotations

import pytest
from conftest import _empty_all_tables
from factories import new_device
from flask import has_app_context
from sqlalchemy import func, select

from refurb.accounts.models import User
from refurb.clock import today
from refurb.db import Database
from refurb.errors import Conflict, Forbidden
from refurb.inventory.models import Device, DeviceEvent
from refurb.models import metadata  # noqa: F401  (every area's models mapped, as the app does)
from refurb.refurbishment.models import DeviceOrigin, Donation, Donor
from refurb.sites.models import Site
from refurb.storage import StoredFile

@pytest.fixture
def database(database_url):
    database = Database(database_url)
    _empty_all_tables(database.engine)
    with database.session(write=True) as db:
        sites = {code: Site(code=code, name=name, kind=kind, city="Chinon")
                 for code, name, kind in (("EPN-A", "EPN A", "epn"), ("EPN-B", "EPN B", "epn"),
                                          ("BUS", "Bus numérique", "unite_mobile"))}
        db.add_all(sites.values())
        for username, role, codes in (("tech", "technicien", ["EPN-A"]), ("techb", "technicien", ["EPN-B"]),
                                      ("manager", "gestionnaire", ["EPN-A"]), ("desk", "accueil", ["EPN-A"])):
            db.add(User(username=username, full_name=username.title(), role=role, password_hash="x",
                        sites=[sites[c] for c in codes], home_site=sites[codes[0]]))
        db.commit()
    yield database
    _empty_all_tables(database.engine)
    database.dispose()


def _user(db, username: str) -> User:
    return db.scalar(select(User).where(User.username == username))


def _device(db, site: str, state: str = "ready", serial: str | None = None) -> Device:
    device = new_device(db, site=site, state=state, user="manager", brand="Lenovo", model="T480",
                        serial_number=serial, has_storage=False)
    db.commit()
    return device


def test_a_stocktake_through_the_services_alone(database):
    from refurb.documents import services

    assert not has_app_context()
    with database.session(write=True) as db:
        here, gone = _device(db, "EPN-A"), _device(db, "EPN-A", serial="SN-GONE")
        elsewhere = _device(db, "EPN-B")
        tech = _user(db, "tech")
        st = services.start_stocktake(db, tech, "EPN-A")
        with pytest.raises(Conflict):  # one open stock-take per site
            services.start_stocktake(db, tech, "EPN-A")
        with pytest.raises(Forbidden):  # not a site of theirs
            services.get_stocktake(db, _user(db, "techb"), st.id)
        scans = [services.record_scan(db, tech, st, code).status
                 for code in (f"https://refurb.example.org/d/{here.asset_tag}", here.asset_tag.lower(),
                              elsewhere.asset_tag, "NO-SUCH-CODE")]
        assert scans == ["found", "duplicate", "unexpected", "unknown"]
        res = services.close_stocktake(db, tech, st)
        assert [d.device.asset_tag for d in res.missing] == [gone.asset_tag]
        assert res.missing[0].action == "lost"  # (EPN-B's device: the technician serves only EPN-A)
        services.resolve(db, tech, st, gone.asset_tag, "lost")
    with database.session() as other:  # each step was committed
        assert other.get(Device, gone.id).state == "lost"
        assert other.scalar(select(func.count()).select_from(DeviceEvent)
                            .where(DeviceEvent.device_id == gone.id, DeviceEvent.to_state == "lost")) == 1


def test_an_import_through_the_services_alone_is_every_line_or_none(database):
    from refurb.documents import services

    content = "Catégorie;Marque;N° de série\nportable;Lenovo;IMP-1\nécran;Dell;IMP-2\n".encode()
    wrong = "Catégorie;Marque;N° de série\nportable;Lenovo;IMP-3\nfrigo;Dell;IMP-4\n".encode()
    with database.session(write=True) as db:
        tech = _user(db, "tech")
        importer = services.get_importer("devices", tech)
        for name, data in (("bon.csv", content), ("faux.csv", wrong)):
            table = services.read_table(name, data)
            token = services.keep_upload(db, tech, "devices", name, data, table, "EPN-A")
            meta, kept = services.pending_upload(db, tech, "devices", token)
            mapping = services.guess_mapping(importer, kept.headers)
            options = {"site": meta["site"], "filename": meta["filename"]}
            if name == "bon.csv":
                assert services.import_table(db, tech, importer, kept, mapping, options, pending=token) == 2
            else:
                with pytest.raises(services.ImportRefused):
                    services.import_table(db, tech, importer, kept, mapping, options, pending=token)
                kept_token = token
    with database.session() as other:
        serials = set(other.scalars(select(Device.serial_number)))
        assert {"IMP-1", "IMP-2"} <= serials and not serials & {"IMP-3", "IMP-4"}
        # the refused file's upload stays for a corrected try; the imported one is gone
        assert list(other.scalars(select(StoredFile.token))) == [kept_token]


def test_a_certificate_through_the_services_alone(database, monkeypatch):
    from refurb.certificates import issuing, services

    monkeypatch.setattr(issuing, "_legacy_key", None)  # a script: no secret key handed over, none needed
    with database.session(write=True) as db:
        device = _device(db, "EPN-A", state="received")
        donor = Donor(kind="association", name="Les Amis du Numérique")
        db.add(donor)
        db.flush()
        donation = Donation(donor_id=donor.id, site_id=device.site_id, received_on=today())
        db.add(donation)
        db.flush()
        db.add(DeviceOrigin(device_id=device.id, donation_id=donation.id))
        db.commit()
        manager = _user(db, "manager")
        cert = services.issue_receipt(db, manager, donation.id)
        assert services.issue_receipt(db, manager, donation.id).reference == cert.reference  # same content
    with database.session() as other:
        result = services.verify(other, cert.reference, cert.code)
        assert result.ok and result.disclosed and result.current


def test_the_bus_s_tour_through_the_services_alone(database):
    from refurb.public import services

    stop = {"site": "BUS", "day": today().isoformat(), "start_time": "09:30", "end_time": "12:00",
            "commune": "Huismes", "place": "Place du Marché", "postal_code": "37420"}
    with database.session(write=True) as db:
        with pytest.raises(Forbidden):
            services.create_stop(db, _user(db, "tech"), stop)
        created = services.create_stop(db, _user(db, "manager"), stop)
    with database.session() as other:
        assert [s.commune for s in services.upcoming_stops(other)] == ["Huismes"]
        assert other.get(type(created), created.id).place == "Place du Marché"
