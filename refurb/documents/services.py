"""The one door of the documents area: inventories (today or at a past date), stock-takes by scanning,
the CSV/XLSX exports and the imports, and the background jobs that prepare long documents."""

from __future__ import annotations

from .exports import DATASETS, Dataset, get_dataset
from .importers import IMPORTERS, get_importer
from .imports import (
    MAX_IMPORT_BYTES,
    Checked,
    ImportRefused,
    Importer,
    Table,
    TooLarge,
    check_table,
    guess_mapping,
    import_table,
    keep_upload,
    mapping_from_form,
    pending_upload,
    read_table,
    too_large_message,
)
from .inventory import (
    Inventory,
    build_inventory,
    count_inventory,
    inventory_table,
    parse_inventory_date,
    render_inventory_pdf,
)
from .jobs import (
    STATE_LABELS,
    Job,
    JobOutput,
    Runner,
    effective_state,
    get_job,
    job_result,
    percent,
    retry_job,
    start_inventory_job,
    start_job,
    state_message,
)
from .stocktakes import (
    OUTCOME_LABELS,
    RESOLUTION_LABELS,
    close_stocktake,
    counts,
    get_stocktake,
    last_scans,
    list_stocktakes,
    open_stocktake_for,
    record_scan,
    render_report_pdf,
    resolve,
    results,
    start_stocktake,
)

__all__ = [
    # exports
    "DATASETS", "Dataset", "get_dataset",
    # imports
    "IMPORTERS", "get_importer", "MAX_IMPORT_BYTES", "Checked", "ImportRefused", "Importer", "Table", "TooLarge", "check_table",
    "guess_mapping", "import_table", "keep_upload", "mapping_from_form", "pending_upload", "read_table",
    "too_large_message",
    # inventories
    "Inventory", "build_inventory", "count_inventory", "inventory_table", "parse_inventory_date",
    "render_inventory_pdf",
    # background jobs
    "STATE_LABELS", "Job", "JobOutput", "Runner", "effective_state", "get_job", "job_result", "percent",
    "retry_job", "start_inventory_job", "start_job", "state_message",
    # stock-takes
    "OUTCOME_LABELS", "RESOLUTION_LABELS", "close_stocktake", "counts", "get_stocktake", "last_scans",
    "list_stocktakes", "open_stocktake_for", "record_scan", "render_report_pdf", "resolve", "results", "start_stocktake",
]
