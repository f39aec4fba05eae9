"""What the desk (comptoir) shows: the borrower whose card is presented, the basket with each device's due
date, suggested deposit and the reason it cannot be lent, the return or check in progress, and beside it
today's returns, overdue loans, kiosk returns to check and reservations to prepare.

The desk keeps only ids between requests (its borrower, the tags and kit codes of its basket, the loan
or kit being returned); this module turns them back into what the page shows, with the same rules as
the check-out and the returns."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..clock import today
from ..inventory.services import devices_by_tag
from ..sites.models import Site
from . import borrowers, kits
from . import loans as lending
from . import reservations as bookings
from .models import Borrower, Loan
from .rules import rules_by_category

DESK_LIST_SIZE = 10  # the overdue loans shown beside the desk (the whole list has its own page)


def presented_borrower(db: Session, actor, borrower_id: int | None) -> Borrower | None:
    """The borrower whose card was presented at this desk (kept by the desk between requests), while their
    record is live."""
    borrowers.require_desk(actor)
    borrower = db.get(Borrower, borrower_id) if borrower_id else None
    return borrower if borrower is not None and borrower.anonymised_at is None else None


def loan_in_hand(db: Session, actor, loan_id: int | None, *, to_check: bool = False) -> Loan | None:
    """The loan of the device scanned at this desk: still open (a return in progress), or, ``to_check``,
    a kiosk return still waiting for the desk's check."""
    borrowers.require_desk(actor)
    loan = db.get(Loan, loan_id) if loan_id else None
    if loan is None:
        return None
    if to_check:
        return loan if loan.to_check else None
    return loan if loan.returned_at is None else None


def basket_lines(db: Session, actor, site: Site, borrower: Borrower | None, tags: list[str],
                 kit_codes: list[str]) -> list[dict]:
    """The basket as the desk shows it: each device with its due date and suggested deposit under the
    site's rules, its kit when it is lent with one, and why it cannot be lent now (or None)."""
    kind = borrower.kind if borrower else "resident"
    day = today()
    devices = devices_by_tag(db, tags)  # the basket keeps asset tags: one query for all of them
    kits = lending.active_kits_of(db, devices)
    rules_of = rules_by_category(db, site.id, kind)
    problems = lending.lendabilities(db, devices, site, borrower, rules={site.id: rules_of} if borrower else None)
    lines = []
    for device in devices:
        rules = rules_of(device.category)
        kit = kits.get(device.id)
        lines.append({"device": device, "due": rules.due_on(day), "deposit": rules.deposit,
                      "kit": kit if kit is not None and kit.code in kit_codes else None,
                      "active_kit": kit, "problem": problems[device.id]})
    return lines


def basket_with(db: Session, actor, site: Site, borrower: Borrower | None, tags: list[str], kit_codes: list[str],
                device) -> tuple[list[dict], str | None]:
    """The basket with ``device`` scanned into it, or, when it cannot join it on its own
    (``lending.basket_problem``, the rule of ``basket_refusal``), the basket as it was and why: its lines
    are read once for both."""
    lines = basket_lines(db, actor, site, borrower, [*tags, device.asset_tag], kit_codes)
    line = next((line for line in lines if line["device"].id == device.id), None)
    if line is None:  # a tag the basket cannot read back: judge the device alone, never fail the scan
        return lines, lending.basket_refusal(db, device, site, borrower)
    reason = lending.basket_problem(device, line["problem"], line["active_kit"])
    if reason:
        return [other for other in lines if other is not line], reason
    return lines, None


def desk_overview(db: Session, actor, site: Site, *, borrower_id: int | None = None, basket: list[str] = (),
                  kit_codes: list[str] = (), return_id: int | None = None, check_id: int | None = None,
                  kit_code: str | None = None, done_ids: list[int] = (), part: str = "body",
                  lines: list[dict] | None = None) -> dict:
    """What the desk shows for ``actor`` at ``site``: ``part="body"``, all of it; ``"main"``, its working
    column alone (what is due beside it, unchanged by a scan into the basket, is not read); ``"basket"``, the
    basket alone (when nothing else in the working column changes: the borrower's loans are not read).
    ``lines``: the basket's lines when the caller has just read them (``basket_with``)."""
    borrower = presented_borrower(db, actor, borrower_id)
    if lines is None:
        lines = basket_lines(db, actor, site, borrower, list(basket), list(kit_codes))
    day = today()
    basket_part = {"site": site, "borrower": borrower, "basket": lines, "today": day,
                   "can_lend": borrower is not None and bool(lines) and not any(line["problem"] for line in lines)}
    if part == "basket":
        return basket_part
    return_loan = loan_in_hand(db, actor, return_id)
    kit_return = kits.find_kit(db, kit_code) if kit_code else None
    context = basket_part | {
        "borrower_record": borrower is not None and borrowers.sees_record(actor, borrower),
        "return_loan": return_loan,
        "return_named": return_loan is not None and lending.shows_borrower(actor, return_loan),
        "return_seen": return_loan is not None and lending.sees_loan(actor, return_loan),
        "check_loan": loan_in_hand(db, actor, check_id, to_check=True),
        "open_loans": lending.borrower_loans(db, borrower, open_only=True) if borrower else [],
        "bookings": [r for r in bookings.borrower_reservations(db, borrower)
                     if r.effective_status(day) == "active"] if borrower else [],
        "kit_return": kit_return,
        "kit_loans": kits.open_kit_loans(db, kit_return) if kit_return else [],
        "done": [loan for loan in (db.get(Loan, i) for i in done_ids) if loan is not None],
    }
    if part == "body":
        overdue, overdue_total = lending.overdue(db, actor, site, per_page=DESK_LIST_SIZE)
        context |= {"due_today": lending.due_today(db, actor, site), "overdue": overdue,
                    "overdue_total": overdue_total, "to_check": lending.returns_to_check(db, actor, site),
                    "to_prepare": bookings.to_prepare(db, actor, site)}
    return context
