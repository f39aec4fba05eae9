"""The refurbishment rules, one module per part of the channel; this module gathers them
for callers (views, API, demo, other areas such as the documents of issue 6)."""

from .donations import (create_donation, create_donor, donation_counts, get_donation, get_donor,  # noqa: F401
                        list_donations, list_donors, origin_of, update_donor)
from .erasure import ReportFile, erasures_of, get_erasure, record_erasure, report_file  # noqa: F401
from .recycling import candidates, create_batch, get_batch, register  # noqa: F401
from .sales import (caps, eligibility_reasons, gift_of, give, list_gifts, list_sales, price_list,  # noqa: F401
                    pricing, sale_of, sell, update_prices, update_reasons, warranty_months)
from .status import erasure_status, is_refurbished, refurbished_gaps, status, statuses  # noqa: F401
from .workshop import (latest_diagnosis, move, queue, record_diagnosis, record_grading,  # noqa: F401
                       record_repair, repairs_of)
