"""The refurbishment channel's door: its use cases and lookups, one module per part of the channel
(donations, erasure, workshop records and moves, sales and gifts, recycling) and its rules (``rules.py``).
Views, the API, the demo and other areas (certificates, reports, loans) import this module, its
``models`` and its ``catalog`` (the fixed vocabularies)."""

from .common import add_months
from .donations import (
    create_donation,
    create_donor,
    donation_counts,
    donor_choices,
    get_donation,
    get_donor,
    list_donations,
    list_donors,
    origin_of,
    update_donor,
)
from .erasure import (
    DEFAULT_MAX_REPORT_MB,
    ReportFile,
    ReportStore,
    check_sanitization,
    destructions_of,
    erasures_of,
    get_erasure,
    record_erasure,
    record_media_destruction,
    import_report_files,
    report_file,
)
from .hardware import (
    DEFAULT_MAX_HARDWARE_REPORT_MB,
    PINNED_SPECS,
    SPEC_LABELS,
    Outcome,
    TooLarge,
    Unmatched,
    Upload,
    add_report,
    add_unassigned_report,
    assign_pending_report,
    diagnosis_defaults,
    get_report,
    hardware_records,
    open_choices,
    report_content,
    reports_for_page,
    reports_of,
    require_report_sender,
    settle_choice,
    workshop_hints,
)
from .exports import REGISTER_COLUMNS, register_row
from .recycling import (
    REGISTER_RULE,
    candidates,
    create_batch,
    destructions_of_batch,
    get_batch,
    register,
)
from .rules import (
    DANGER_CONSEQUENCES,
    Action,
    available_actions,
    ensure_diagnosis_allows_release,
    ensure_erased_before_release,
    ensure_media_cleared,
    still_holding_data,
)
from .sales import (
    ORGANISATION_SETTINGS,
    caps,
    eligibility_reasons,
    gift_of,
    give,
    list_gifts,
    list_sales,
    price_list,
    pricing,
    sale_of,
    sell,
    update_prices,
    update_reasons,
    warranty_months,
)
from .status import (
    STEP_LABELS,
    STEP_ORDER,
    category_checks,
    erasure_status,
    is_refurbished,
    page_status,
    refurbished_gaps,
    status,
    statuses,
    workshop_records,
)
from .workshop import (
    QueueItem,
    grade_and_declare_ready,
    latest_diagnosis,
    move,
    queue,
    record_diagnosis,
    record_grading,
    record_repair,
    repairs_of,
)

__all__ = [
    "add_months",
    "create_donation", "create_donor", "donation_counts", "donor_choices", "get_donation", "get_donor", "list_donations",
    "list_donors", "origin_of", "update_donor",
    "DEFAULT_MAX_REPORT_MB", "ReportFile", "ReportStore", "destructions_of", "erasures_of", "get_erasure",
    "record_erasure", "record_media_destruction", "report_file", "import_report_files",
    "DEFAULT_MAX_HARDWARE_REPORT_MB", "PINNED_SPECS", "SPEC_LABELS", "Outcome", "TooLarge", "Unmatched", "Upload",
    "add_report", "add_unassigned_report", "assign_pending_report", "diagnosis_defaults", "get_report",
    "hardware_records", "open_choices", "report_content", "reports_for_page", "reports_of", "require_report_sender",
    "settle_choice", "workshop_hints",
    "candidates", "create_batch", "destructions_of_batch", "get_batch", "register", "REGISTER_RULE",
    "REGISTER_COLUMNS", "register_row", "check_sanitization", "ORGANISATION_SETTINGS",
    "Action", "DANGER_CONSEQUENCES", "available_actions", "ensure_diagnosis_allows_release",
    "ensure_erased_before_release",
    "ensure_media_cleared", "still_holding_data",
    "caps", "eligibility_reasons", "gift_of", "give", "list_gifts", "list_sales", "price_list", "pricing", "sale_of",
    "sell", "update_prices", "update_reasons", "warranty_months",
    "STEP_LABELS", "STEP_ORDER", "category_checks", "erasure_status", "is_refurbished", "refurbished_gaps", "status",
    "statuses", "page_status", "workshop_records",
    "QueueItem", "grade_and_declare_ready", "latest_diagnosis", "move", "queue", "record_diagnosis", "record_grading",
    "record_repair",
    "repairs_of",
]
