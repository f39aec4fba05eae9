"""The refurbishment rules, one module per part of the channel; this module gathers them
for callers (views, API, demo, other areas such as the certificates of issue 6)."""

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
                        ReportFile,
                        destructions_of,
                        erasures_of,
                        get_erasure,
                        record_erasure,
                        record_media_destruction,
                        report_file,
)
from .recycling import (
                        candidates,
                        create_batch,
                        destructions_of_batch,
                        get_batch,
                        register,
)
from .sales import (
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
                        erasure_status,
                        is_refurbished,
                        media_disposal_refusal,
                        refurbished_gaps,
                        status,
                        statuses,
                        still_holding_data,
)
from .workshop import (
                        latest_diagnosis,
                        move,
                        queue,
                        record_diagnosis,
                        record_grading,
                        record_repair,
                        repairs_of,
)

__all__ = [
    "create_donation", "create_donor", "donation_counts", "donor_choices", "get_donation", "get_donor", "list_donations",
    "list_donors", "origin_of", "update_donor",
    "ReportFile", "destructions_of", "erasures_of", "get_erasure", "record_erasure", "record_media_destruction",
    "report_file", "media_disposal_refusal", "still_holding_data",
    "candidates", "create_batch", "destructions_of_batch", "get_batch", "register",
    "caps", "eligibility_reasons", "gift_of", "give", "list_gifts", "list_sales", "price_list", "pricing", "sale_of",
    "sell", "update_prices", "update_reasons", "warranty_months",
    "erasure_status", "is_refurbished", "refurbished_gaps", "status", "statuses",
    "latest_diagnosis", "move", "queue", "record_diagnosis", "record_grading", "record_repair", "repairs_of",
]
