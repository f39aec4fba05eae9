"""The main loans rules hold through the services alone: no Flask app, no request, no app context; a
session of our own on the test database, as a script or a command line would use them. Each service
commits its own use case (another session sees it at once)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from conftest import _empty_all_tables
from factories import new_device
from flask import has_app_context
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from refurb.accounts.models import User
from refurb.clock import today
from refurb.db import Database, utcnow
from refurb.errors import Conflict, Forbidden, Invalid
from refurb.inventory.models import Device, DeviceEvent
from refurb.loans import services as loans
from refurb.loans.models import Borrower, Loan, LoanSiteRules
from refurb.models import metadata  # noqa: F401  (every area's models mapped, as the app does)
from refurb.sites.models import Site

@pytest.fixture
def database(database_url):
    database = Database(database_url)
    _empty_all_tables(database.engine)
    yield database
    _empty_all_tables(database.engine)
    database.dispose()


@pytest.fixture
def net(database):
    """Three sites (B refuses other sites' returns), a desk for A and the bus, a technician, a manager and
    a kiosk account at A, made straight in the database."""
    with database.session(write=True) as db:
        sites = {code: Site(code=code, name=name, kind="epn", city="Chinon")
                 for code, name in (("EPN-A", "EPN A"), ("EPN-B", "EPN B"), ("BUS", "Bus numérique"))}
        db.add_all(sites.values())
        for username, role, codes in (("desk", "accueil", ["EPN-A", "BUS"]), ("tech", "technicien", ["EPN-A"]),
                                      ("manager", "gestionnaire", ["EPN-A"]), ("kiosk", "borne", ["EPN-A"])):
            db.add(User(username=username, full_name=username.title(), role=role, password_hash="x",
                        sites=[sites[c] for c in codes], home_site=sites[codes[0]]))
        db.flush()
        db.add(LoanSiteRules(site_id=sites["EPN-B"].id, accept_other_site_returns=False, no_show_days=2,
                             kiosk_ip_ranges="", kiosk_idle_seconds=60))
        db.commit()
    return database


def _user(db, username: str) -> User:
    return db.scalar(select(User).where(User.username == username))


def _site(db, code: str) -> Site:
    return db.scalar(select(Site).where(Site.code == code))


def _device(db, site: str = "EPN-A", category: str = "tablet") -> Device:
    device = new_device(db, site=site, category=category, state="loan_pool", user="manager", brand="Samsung",
                        model="Tab A8", has_storage=False)
    db.commit()
    return device


def _borrower(db, last_name: str, *, site: str = "EPN-A", kind: str = "partner", consent: bool = True):
    return loans.create_borrower(db, _user(db, "manager"), {
        "first_name": "Claire", "last_name": last_name, "phone": "06 12 34 56 78", "home_site": site,
        "kind": kind, "organisation": "Centre social" if kind == "partner" else "", "consent": consent})


def _open_loans(database, device_id: int) -> int:
    with database.session() as other:
        return other.scalar(select(func.count()).select_from(Loan)
                            .where(Loan.device_id == device_id, Loan.returned_at.is_(None)))


def test_no_app_is_needed(net):
    assert not has_app_context()
    with net.session(write=True) as db:
        borrower = _borrower(db, "Sansapp")
        loan = loans.check_out(db, _user(db, "desk"), borrower, [_device(db).asset_tag])[0]
    with net.session() as other:  # the use case committed: another session sees the loan and its event
        assert other.get(Loan, loan.id).device.state == "on_loan"
        assert other.scalar(select(DeviceEvent.action).where(DeviceEvent.device_id == loan.device_id)
                                .order_by(DeviceEvent.id.desc()).limit(1)) == "loan"


def test_one_open_loan_per_device_under_two_check_outs(net):
    with net.session(write=True) as db:
        device = _device(db)
        people = [_borrower(db, f"Deux{i}") for i in range(2)]
        device_id, borrower_ids = device.id, [b.id for b in people]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def desk(borrower_id: int) -> None:  # a desk of its own: its session, its transaction
        with net.session(write=True) as db:
            borrower, tag = db.get(Borrower, borrower_id), db.get(Device, device_id).asset_tag
            desk_user = _user(db, "desk")
            db.commit()
            barrier.wait()
            try:
                loans.check_out(db, desk_user, borrower, [tag])
                outcomes.append("lent")
            except Conflict as err:
                outcomes.append(err.code)

    threads = [threading.Thread(target=desk, args=(b,)) for b in borrower_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["lent", "on_loan"]
    assert _open_loans(net, device_id) == 1
    # and the database refuses a second open loan, whatever the code does
    with net.session(write=True) as db:
        now = utcnow()
        db.add(Loan(device_id=device_id, borrower_id=borrower_ids[0], site_id=_site(db, "EPN-A").id,
                    category="tablet", borrower_kind="partner", channel="desk", started_at=now, start_on=today(),
                    due_on=today() + timedelta(days=7), renewals=0, rules_accepted_at=now, return_note=""))
        with pytest.raises(IntegrityError):
            db.commit()


def test_a_kit_is_lent_whole_and_comes_back_at_the_desk(net):
    with net.session(write=True) as db:
        desk, kiosk = _user(db, "desk"), _user(db, "kiosk")
        tablets = [_device(db) for _ in range(2)]
        tags = [t.asset_tag for t in tablets]
        kit = loans.create_kit(db, desk, {"name": "Atelier", "site": "EPN-A", "asset_tags": tags})
        partner = _borrower(db, "Atelier")
        with pytest.raises(Conflict, match="fait partie du kit « Atelier »"):
            loans.check_out(db, desk, partner, [tags[0]])
        with pytest.raises(Conflict, match="se prête en entier : il manque"):
            loans.check_out(db, desk, partner, [tags[0]], kit=kit)
        assert _open_loans(net, tablets[0].id) == 0
        made = loans.check_out_basket(db, desk, partner, tags, [kit.code], site=_site(db, "EPN-A"))
        assert {loan.kit_id for loan in made} == {kit.id} and len(made) == 2
        # the kiosk takes nothing of a kit back: the kit comes back whole, at the desk
        ks = loans.open_session(db, desk, kiosk, "")
        with pytest.raises(Conflict, match="rendez le kit complet à l'accueil"):
            loans.return_at_kiosk(db, ks, kiosk, partner, db.get(Device, tablets[0].id))
        with pytest.raises(Conflict, match="Il manque 1 appareil"):
            loans.return_kit(db, desk, kit, [tags[0]], condition="complete")
        loans.return_kit(db, desk, kit, tags, condition="complete")
    assert _open_loans(net, tablets[0].id) == _open_loans(net, tablets[1].id) == 0


def test_returns_at_another_site(net):
    with net.session(write=True) as db:
        desk, manager = _user(db, "desk"), _user(db, "manager")
        borrower = _borrower(db, "Voyage", kind="resident")
        at_b = loans.check_out(db, manager, borrower, [_device(db, "EPN-B").asset_tag])[0]
        at_a = loans.check_out(db, desk, borrower, [_device(db, "EPN-A").asset_tag])[0]
        # EPN B takes back only its own devices; the desk serves neither EPN B...
        with pytest.raises(Conflict, match="ne reprend pas le matériel des autres sites"):
            loans.return_loan(db, manager, at_a, condition="complete", site=_site(db, "EPN-B"))
        with pytest.raises(Forbidden):
            loans.return_loan(db, desk, at_b, condition="complete", site=_site(db, "EPN-B"))
        # ...while the bus takes other sites' devices (the default): the device now belongs to the bus
        loans.return_loan(db, desk, at_a, condition="complete", site=_site(db, "BUS"))
        assert at_a.return_site.code == "BUS" and at_a.device.site.code == "BUS"
        assert at_a.device.state == "loan_pool"
        moved = db.scalar(select(DeviceEvent).where(DeviceEvent.device_id == at_a.device_id,
                                                    DeviceEvent.action == "transfer"))
        assert moved.data["from_site"] == "EPN-A" and moved.data["to_site"] == "BUS"
        assert at_b.returned_at is None


def test_the_kiosk_channel_and_the_api_default_come_from_the_actor(net):
    with net.session(write=True) as db:
        kiosk, tech, desk, manager = (_user(db, u) for u in ("kiosk", "tech", "desk", "manager"))
        newcomer = _borrower(db, "Nouvelle", consent=False)
        with pytest.raises(Forbidden):  # a technician lends nothing, whatever it asks
            loans.check_out(db, tech, newcomer, [_device(db).asset_tag])
        with pytest.raises(Invalid, match="accepter le règlement de prêt"):  # the desk says so explicitly
            loans.check_out(db, desk, newcomer, [_device(db).asset_tag])
        manager.authenticated_by = "token"  # as the API door marks the user of a Bearer token
        by_api = loans.check_out(db, manager, newcomer, [_device(db).asset_tag])[0]
        assert by_api.channel == "api" and newcomer.consent_at is not None
        by_kiosk = loans.check_out(db, kiosk, newcomer, [_device(db).asset_tag])[0]
        by_desk = loans.check_out(db, desk, newcomer, [_device(db).asset_tag])[0]
        assert (by_kiosk.channel, by_desk.channel) == ("kiosk", "desk")
        # a kiosk return is closed "to check": not lent again before the desk's check
        ks = loans.open_session(db, desk, kiosk, "")
        loans.return_at_kiosk(db, ks, kiosk, newcomer, by_kiosk.device)
        assert by_kiosk.return_condition == "to_check" and by_kiosk.device.state == "loan_pool"
        with pytest.raises(Conflict, match="pas encore été vérifié"):
            loans.check_out(db, desk, newcomer, [by_kiosk.device.asset_tag])
        loans.confirm_return(db, desk, by_kiosk, condition="complete")
        assert loans.lendability(db, by_kiosk.device, None, newcomer) is None
