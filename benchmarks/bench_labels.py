"""Time the label PDF for 1,000 labels (Avery L7160), with and without page
compression, from a cold start (no QR code cached).

    python benchmarks/bench_labels.py [--count 1000] [--layout avery-l7160] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

from refurb.inventory import labels as labels_module
from refurb.inventory.labels import DEFAULT_LAYOUT, Label, render_labels
from refurb.pdf import codes


def make(count: int, offset: int) -> list[Label]:
    return [
        Label(
            asset_tag=f"RF-{i:06d}",
            url=f"https://refurb.example.org/d/RF-{i:06d}",
            network_name="Réseau numérique de Touraine",
            line2="Portable — Lenovo ThinkPad T480",
        )
        for i in range(offset, offset + count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--layout", default=DEFAULT_LAYOUT)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    render_labels(make(1, 999_000), args.layout)  # import/font registration, not timed
    saved = labels_module.PAGE_COMPRESSION
    try:
        for compression in (True, False):
            labels_module.PAGE_COMPRESSION = compression
            times, size = [], 0
            for run in range(args.repeat):
                codes._qr_rows.cache_clear()
                codes._qr_mask.cache_clear()
                batch = make(args.count, 1 + run * args.count)  # fresh tags and URLs
                start = time.perf_counter()
                pdf = render_labels(batch, args.layout)
                times.append(time.perf_counter() - start)
                size = len(pdf)
            warm_start = time.perf_counter()
            render_labels(batch, args.layout)  # same labels again: QR codes cached
            warm = time.perf_counter() - warm_start
            print(
                f"{args.count} labels, {args.layout}, compression {'on ' if compression else 'off'}: "
                f"best {min(times):.2f} s, median {statistics.median(times):.2f} s "
                f"(cached QR: {warm:.2f} s), {size / 1e6:.2f} MB"
            )
    finally:
        labels_module.PAGE_COMPRESSION = saved


if __name__ == "__main__":
    main()
