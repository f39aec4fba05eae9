"""Journeys in real Chromium on the bus's tablet: the link drops, the desk is reloaded and still works; a loan
and a return are made by scanning; the tab is closed and opened again; the link returns and the server has the
loan and the return at their offline times. And the conflict journey: the same device lent at another desk
meanwhile, settled on the "À régulariser" page."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from refurb.accounts.models import User
from refurb.bus.models import SyncConflict
from refurb.clock import utcnow
from refurb.loans import services as loans
from refurb.loans.models import Loan

pytestmark = pytest.mark.browser


def _bus_user(db, lk, password_hash) -> None:
    """The bus's receptionist: one site, the bus."""
    db.add(User(username="chauffeur", full_name="Camille Chauffeur", role="accueil", password_hash=password_hash,
                sites=[lk.site("BUS")], home_site=lk.site("BUS")))
    db.commit()


def _scan(page, code: str) -> None:
    page.locator("#desk-code").focus()
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def _until(page, expression: str) -> None:
    """Wait until ``expression`` is true in the page (polled from here: the page's Content-Security-Policy
    forbids the eval that ``wait_for_function`` needs)."""
    assert _wait_for(lambda: page.evaluate(expression)), expression


def _open_desk_online(page, live_server):
    page.goto(f"{live_server}/prets/comptoir")
    _until(page, "document.documentElement.dataset.busReady === '1'")
    if not page.evaluate("navigator.serviceWorker.controller !== null"):
        # Installed while this very page was loading: it controls the desk from its next load (as for a
        # user, who opens the desk once online before the tour).
        page.reload()
        _until(page, "document.documentElement.dataset.busReady === '1'")
    if not _wait_for(lambda: page.evaluate("navigator.serviceWorker.controller !== null")):
        state = page.evaluate("navigator.serviceWorker.getRegistrations().then(rs => rs.map(r => "
                              "[r.scope, r.active && r.active.state, r.installing && r.installing.state, "
                              "r.waiting && r.waiting.state]))")
        raise AssertionError(f"the service worker does not control the desk: {state}")
    _until(page, "!!document.querySelector('[data-bus-offline]').dataset.busCopy")  # the local copy is kept


def _wait_for(check, timeout=40.0):
    end = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > end:
            return value
        time.sleep(0.2)


def test_the_desk_works_offline_and_the_loan_and_return_reach_the_server_with_their_times(
        db, lk, password_hash, browser_login, live_server, axe_check):
    _bus_user(db, lk, password_hash)
    laptop = lk.device("BUS", "laptop", brand="Dell", model="Latitude 5490")
    tablet = lk.device("BUS", "tablet", brand="Samsung", model="Tab A")
    marie = lk.borrower("BUS", first_name="Marie", last_name="Durand")
    paul = lk.borrower("BUS", first_name="Paul", last_name="Martin")
    loans.check_out(db, lk.user("admin"), paul, [tablet.asset_tag], site=lk.site("BUS"))  # lent before the stop
    laptop_tag, tablet_tag, card = laptop.asset_tag, tablet.asset_tag, marie.card_number

    page = browser_login("chauffeur")
    context = page.context
    _open_desk_online(page, live_server)

    context.set_offline(True)
    page.reload()
    banner = page.locator("[data-bus-banner]")
    expect(banner).to_contain_text("Hors connexion — 0 opération en attente")
    expect(page.get_by_role("heading", name="Comptoir hors connexion")).to_be_visible()

    before = utcnow()
    _scan(page, card)
    expect(page.locator("[data-bus-borrower]")).to_contain_text("Marie D.")
    expect(page.locator("[data-bus-borrower]")).not_to_contain_text("Durand")
    _scan(page, laptop_tag)
    expect(page.locator("[data-bus-basket]")).to_contain_text(laptop_tag)
    page.get_by_role("button", name="Prêter").click()
    expect(banner).to_contain_text("Hors connexion — 1 opération en attente")
    _scan(page, tablet_tag)  # on loan in the local copy: its return
    expect(page.get_by_role("heading", name=f"Retour de {tablet_tag}")).to_be_visible()
    axe_check(page)
    page.get_by_label("Complet", exact=True).check()
    page.get_by_role("button", name="Enregistrer le retour").click()
    expect(banner).to_contain_text("Hors connexion — 2 opérations en attente")
    after = utcnow()

    page.close()  # the tab is closed; the queue is in IndexedDB
    time.sleep(1.5)  # the sync comes later than the scans: the server must keep the scans' times
    page = context.new_page()
    page.goto(f"{live_server}/prets/comptoir")
    banner = page.locator("[data-bus-banner]")
    expect(banner).to_contain_text("Hors connexion — 2 opérations en attente")
    expect(page.locator("[data-bus-queue] li")).to_have_count(2)
    db.rollback()
    assert db.scalar(select(Loan).where(Loan.device_id == laptop.id)) is None  # nothing sent yet

    synced_from = utcnow()
    context.set_offline(False)
    page.wait_for_url(f"{live_server}/prets/comptoir", wait_until="load")
    expect(page.locator("#desk-body")).to_be_visible(timeout=40000)

    def loans_now():
        db.rollback()
        db.expire_all()
        lent = db.scalar(select(Loan).where(Loan.device_id == laptop.id))
        back = db.scalar(select(Loan).where(Loan.device_id == tablet.id))
        return (lent, back) if lent is not None and back.returned_at is not None else None

    found = _wait_for(loans_now)
    assert found, "the queue did not reach the server"
    lent, back = found
    assert lent.borrower_id == marie.id and lent.lent_by.username == "chauffeur"
    assert before <= lent.started_at <= after < synced_from
    assert before <= back.returned_at <= after and back.return_condition == "complete"
    expect(page.locator("[data-bus-results]")).to_contain_text("Prêt enregistré")
    expect(page.locator("[data-bus-banner]")).to_be_hidden()


def test_a_device_lent_at_another_desk_meanwhile_ends_on_the_page_to_settle(
        db, lk, password_hash, browser_login, live_server, axe_check):
    _bus_user(db, lk, password_hash)
    laptop = lk.device("BUS", "laptop", brand="HP", model="EliteBook 840")
    marie = lk.borrower("BUS", first_name="Marie", last_name="Durand")
    jean = lk.borrower("EPN-A", first_name="Jean", last_name="Morel")
    laptop_tag = laptop.asset_tag

    page = browser_login("chauffeur")
    context = page.context
    _open_desk_online(page, live_server)
    context.set_offline(True)
    page.reload()
    _scan(page, marie.card_number)
    _scan(page, laptop_tag)
    page.get_by_role("button", name="Prêter").click()
    expect(page.locator("[data-bus-banner]")).to_contain_text("1 opération en attente")

    # Meanwhile, at another desk with a connection, the same laptop is lent to someone else.
    loans.check_out(db, lk.user("admin"), jean, [laptop_tag], site=lk.site("BUS"))

    context.set_offline(False)
    expect(page.locator("[data-bus-results]")).to_contain_text("À régulariser", timeout=40000)
    expect(page.locator("[data-bus-results]")).to_contain_text("déjà en prêt")
    page.get_by_role("link", name="Voir les opérations à régulariser").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("À régulariser")
    article = page.locator("article", has_text=laptop_tag)
    expect(article).to_contain_text("Ce que la tablette voyait")
    expect(article).to_contain_text("Jean M.")
    axe_check(page)
    article.get_by_role("button", name="Enregistrer ce prêt quand même (et clore l'autre prêt)").click()
    expect(page.locator("#flash")).to_contain_text("régularisé")
    db.rollback()
    db.expire_all()
    assert db.scalar(select(SyncConflict)).state == "resolved"
    open_loan = db.scalar(select(Loan).where(Loan.device_id == laptop.id, Loan.returned_at.is_(None)))
    assert open_loan.borrower_id == marie.id


def _stored_copy(page) -> str:
    """Whether this browser still holds a local copy (IndexedDB), read from the page."""
    return page.evaluate("""new Promise(done => {
        const open = indexedDB.open('refurb-bus');
        open.onsuccess = () => {
            const get = open.result.transaction('meta').objectStore('meta').get('copy');
            get.onsuccess = () => done(get.result ? get.result.value.user : 'none');
        };
    })""")


def test_a_queue_waits_for_its_user_to_log_in_again_and_never_leaves_with_someone_else(
        db, lk, password_hash, browser_login, live_server):
    from sqlalchemy import update

    from refurb.accounts.models import UserSession

    _bus_user(db, lk, password_hash)
    laptop = lk.device("BUS", "laptop")
    marie = lk.borrower("BUS", first_name="Marie", last_name="Durand")
    page = browser_login("chauffeur")
    context = page.context
    _open_desk_online(page, live_server)
    context.set_offline(True)
    page.reload()
    _scan(page, marie.card_number)
    _scan(page, laptop.asset_tag)
    page.get_by_role("button", name="Prêter").click()
    expect(page.locator("[data-bus-banner]")).to_contain_text("1 opération en attente")

    # The session lapses while the bus is out of reach.
    db.execute(update(UserSession).where(UserSession.user_id == lk.user("chauffeur").id,
                                         UserSession.ended_at.is_(None)).values(ended_at=utcnow(), end_reason="idle"))
    db.commit()
    context.set_offline(False)
    banner = page.locator("[data-bus-banner]")
    expect(banner).to_contain_text("reconnectez-vous pour envoyer 1 opération en attente", timeout=40000)
    expect(banner.get_by_role("link", name="Se reconnecter")).to_be_visible()
    db.rollback()
    assert db.scalar(select(Loan).where(Loan.device_id == laptop.id)) is None

    # Someone else logs in on the tablet: the queue is not theirs, it is not sent.
    browser_login("desk")
    page.goto(f"{live_server}/prets/comptoir")
    expect(page.locator("[data-bus-banner]")).to_contain_text("d'un autre utilisateur attendent sur cette tablette",
                                                             timeout=40000)
    time.sleep(1)
    db.rollback()
    assert db.scalar(select(Loan).where(Loan.device_id == laptop.id)) is None
    assert _wait_for(lambda: _stored_copy(page) == "desk")
    page.locator('form[action$="/logout"]').evaluate("form => form.requestSubmit()")
    page.wait_for_url("**/login**")
    assert _stored_copy(page) == "none"  # logout cleared the local copy (cards and names)

    # Its user logs in again: the queue leaves, under their name.
    browser_login("chauffeur")
    page.goto(f"{live_server}/prets/comptoir")

    def lent():
        db.rollback()
        db.expire_all()
        return db.scalar(select(Loan).where(Loan.device_id == laptop.id))

    loan = _wait_for(lent)
    assert loan is not None and loan.lent_by.username == "chauffeur" and loan.borrower_id == marie.id
