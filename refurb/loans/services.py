"""The loans area's one door: what views, the API and other areas use of borrowers, loans, kits,
reservations, loan rules and the kiosk.

The rules live in the modules named below (imported only here and by each other); every function that
changes data is a use case (``refurb.db.use_case``: it commits, or rolls everything back).
- ``borrowers``: registration, duplicates, who sees which borrower (``borrower_access``), PIN, blocks, GDPR.
- ``loans``: check-out (a kit lent only whole, the channel from the actor), the one way a loan ends
  (return, kiosk return and its check, lost or stolen), where a device may come back
  (``may_return_here``), renewal, lists, reminders, the agreement.
- ``kits``, ``reservations``, ``rules`` (per-site loan rules, retention), ``kiosk`` (sessions, card +
  PIN, borrow or return), ``desk`` (what the desk shows), ``pdf`` (borrower card, agreement).
"""

from __future__ import annotations

from .borrowers import (
    PANEL,
    RECORD,
    block,
    borrower_access,
    card_exists,
    clean_phone,
    create_borrower,
    duplicate_message,
    duplicates,
    erase,
    get_borrower,
    list_borrowers,
    looks_like_card,
    name_key,
    open_loans_of,
    parse_borrower,
    personal_data,
    personal_data_csv,
    purge_inactive,
    require_desk,
    require_record,
    search,
    sees_record,
    set_pin,
    unblock,
    update_borrower,
)
from .desk import basket_lines, basket_with, desk_overview, loan_in_hand, presented_borrower
from .kiosk import (
    LENT,
    RETURNED,
    borrow_or_return,
    check_pin,
    close_by_staff,
    close_session,
    get_open_session,
    get_session,
    identified_borrower,
    identify,
    kiosk_accounts,
    open_by_staff,
    open_from_desk,
    open_session,
    open_sessions,
    return_at_kiosk,
)
from .kits import (
    create_kit,
    dissolve_kit,
    find_kit,
    get_kit,
    list_kits,
    looks_like_kit,
    missing_from_return,
    open_kit_loans,
    update_kit,
)
from .loans import (
    LOAN_STATES,
    active_kit_of,
    agreement_document,
    basket_refusal,
    borrower_loans,
    channel_of,
    check_out,
    check_out_basket,
    check_out_presented,
    confirm_return,
    declare_lost,
    device_loans,
    device_loans_statement,
    due_today,
    get_loan,
    kit_refusal,
    lendability,
    list_loans,
    loan_at_desk,
    loans_of_device,
    may_return_here,
    names_borrower,
    open_loan_for,
    overdue,
    reminder,
    renew,
    return_kit,
    return_loan,
    return_to_check,
    returns_to_check,
    sees_loan,
    shows_borrower,
    site_for_code,
)
from .pdf import CARD_H, CARD_W, borrower_card_pdf, draw_card_back, draw_card_front
from .reservations import (
    borrower_reservations,
    cancel_reservation,
    create_reservation,
    get_reservation,
    list_reservations,
    to_prepare,
)
from .rules import (
    retention_days,
    rules_for,
    rules_table,
    set_retention_days,
    site_rules,
    update_rules,
)

__all__ = [
    # borrowers
    "PANEL", "RECORD", "block", "borrower_access", "card_exists", "clean_phone", "create_borrower", "duplicate_message",
    "duplicates", "erase", "get_borrower", "list_borrowers", "looks_like_card", "name_key", "open_loans_of",
    "parse_borrower", "personal_data", "personal_data_csv", "purge_inactive", "require_desk", "require_record",
    "search", "sees_record", "set_pin", "unblock", "update_borrower",
    # the desk
    "basket_lines", "basket_with", "desk_overview", "loan_in_hand", "presented_borrower",
    # the kiosk
    "LENT", "RETURNED", "borrow_or_return", "check_pin", "close_by_staff", "close_session", "get_open_session",
    "get_session", "identified_borrower", "identify", "kiosk_accounts", "open_by_staff", "open_from_desk", "open_session", "open_sessions",
    "return_at_kiosk",
    # kits
    "create_kit", "dissolve_kit", "find_kit", "get_kit", "list_kits", "looks_like_kit", "missing_from_return",
    "open_kit_loans", "update_kit",
    # loans
    "LOAN_STATES", "active_kit_of", "agreement_document", "basket_refusal", "borrower_loans", "channel_of",
    "check_out", "check_out_basket", "check_out_presented", "confirm_return", "declare_lost", "device_loans",
    "device_loans_statement", "loans_of_device",
    "due_today", "get_loan", "kit_refusal", "lendability", "list_loans", "loan_at_desk",
    "may_return_here", "names_borrower", "open_loan_for", "overdue", "reminder", "renew", "return_kit", "return_loan",
    "return_to_check", "returns_to_check", "sees_loan", "shows_borrower", "site_for_code",
    # documents
    "CARD_H", "CARD_W", "borrower_card_pdf", "draw_card_back", "draw_card_front",
    # reservations
    "borrower_reservations", "cancel_reservation", "create_reservation", "get_reservation", "list_reservations",
    "to_prepare",
    # rules
    "retention_days", "rules_for", "rules_table", "set_retention_days", "site_rules", "update_rules",
]
