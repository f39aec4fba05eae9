"""A site's loan rules for a kind of borrower are read in one query (every desk scan asks them): the site's
limits and each category's own rule where the site set them, the defaults elsewhere — also when only one of
the two tables has rows, and never the rows of another site or another kind."""

from __future__ import annotations

from decimal import Decimal

from refurb.loans.models import LoanCategoryRules, LoanKindRules
from refurb.loans.rules import rules_by_category
from refurb.sites.services import get_site


def _rules(db, site, kind="resident"):
    return rules_by_category(db, site.id, kind)


def test_defaults_without_rows(app, db):
    a = get_site(db, "EPN-A")
    laptop, other = _rules(db, a)("laptop"), _rules(db, a)("screen")
    assert (laptop.loan_days, laptop.deposit, laptop.max_devices, laptop.max_renewals, laptop.max_days) == \
        (21, Decimal("50"), 2, 1, 42)
    assert (other.loan_days, other.deposit) == (14, Decimal("0"))
    assert _rules(db, a, "staff")("laptop").loan_days == 60


def test_the_limits_alone_then_the_categories_alone_then_both(app, db):
    a, b = get_site(db, "EPN-A"), get_site(db, "EPN-B")
    db.add(LoanKindRules(site_id=a.id, borrower_kind="resident", max_devices=5, max_renewals=0, max_days=30))
    db.add(LoanKindRules(site_id=b.id, borrower_kind="resident", max_devices=9, max_renewals=9, max_days=99))
    db.flush()
    rules = _rules(db, a)
    assert (rules("laptop").max_devices, rules("laptop").max_renewals, rules("laptop").max_days) == (5, 0, 30)
    assert rules("laptop").loan_days == 21  # the category's default, within the site's longest loan

    db.add(LoanCategoryRules(site_id=b.id, borrower_kind="resident", category="tablet", loan_days=7,
                             deposit=Decimal("12.50")))
    db.add(LoanCategoryRules(site_id=b.id, borrower_kind="partner", category="laptop", loan_days=3,
                             deposit=Decimal("1")))
    db.flush()
    assert _rules(db, b)("tablet").loan_days == 7 and _rules(db, b)("tablet").deposit == Decimal("12.50")
    assert _rules(db, b)("laptop").loan_days == 21  # another kind's rule is not this one's
    partner = _rules(db, b, "partner")("laptop")  # a category rule without the kind's limits: the defaults
    assert (partner.loan_days, partner.deposit, partner.max_devices, partner.max_days) == (3, Decimal("1"), 15, 120)

    db.add(LoanCategoryRules(site_id=a.id, borrower_kind="resident", category="laptop", loan_days=60,
                             deposit=Decimal("80")))
    db.flush()
    laptop = _rules(db, a)("laptop")
    assert (laptop.loan_days, laptop.deposit, laptop.max_devices) == (30, Decimal("80"), 5)  # capped at 30 days
    assert _rules(db, a)("tablet").loan_days == 21  # no rule of its own at EPN-A (EPN-B's is not read)
    db.rollback()
