"""Benchmark the dashboard's pages on the seeded sandbox: API calls and server time per page.

Usage:
    .venv/bin/python bench/pages.py [--customers 1000] [--seed 1] [--repeat 30] [--debug]

Seeds N customers into temporary SQLite files, signs an admin-role user in with Django's test
client, and requests each page and fragment `--repeat` times, with DEBUG off as in production
(`--debug` turns it on). For every page it prints, side by side from the same runs:
- the number of API calls the page made (counted at the transport, so retries would show);
- the median and p95 server time of the whole request (middleware, view, templates, API);
- the same of the time spent in the API calls (here: the in-process sandbox answering);
- the same of the dashboard's own work (the difference): the figure issue 8's goals are about
  (at most 10 ms for the list of 100 rows, 5 ms for the profile and each fragment).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from harness import api_meter, measure, print_pages, remove, seeded, setup_django, signed_in

HTMX = {"HTTP_HX_REQUEST": "true"}


def pages_of(sample) -> dict[str, tuple[str, dict]]:
    """The pages measured, by name: (URL, request headers). `sample` is a seeded customer."""
    detail = f"/customers/{sample.id}/"
    return {
        "list": ("/customers/", {}),
        "list, fragment": ("/customers/", HTMX),
        "list, 100 rows": ("/customers/?limit=100", {}),
        "list, 100 rows, fragment": ("/customers/?limit=100", HTMX),
        "list, city + order": ("/customers/?city=Berlin&order=-created_at", HTMX),
        "list, email": (f"/customers/?email={sample.email}", HTMX),
        "search by source_id": (f"/customers/?q={sample.source_id}", {}),
        "profile": (detail, {}),
        "activities fragment": (f"{detail}activities/", HTMX),
        "segments fragment": (f"{detail}segments/", HTMX),
        "consents fragment": (f"{detail}consents/", HTMX),
        "consent record (CSV)": (f"{detail}consents/record.csv", {}),
        "edit form": (f"{detail}edit/", {}),
        "audit log": ("/audit/", {}),
    }


def sample_customer(customers: int):
    from sandbox.models import Customer

    return Customer.objects.using("sandbox").order_by("created_at")[customers // 2]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--debug", action="store_true", help="run with DEBUG on (slower)")
    parser.add_argument(
        "--page", action="append", metavar="NAME", help="only this page (repeatable)"
    )
    parser.add_argument(
        "--serve",
        action="store_true",
        help="answer `PAGE<TAB>N` lines on stdin with N own CPU times (JSON), for compare.py",
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="pages-bench-"))
    setup_django(workdir / "sandbox.sqlite3", debug=args.debug)
    seeded(args.customers, args.seed)
    browser = signed_in("bench-admin", "admin")
    pages = pages_of(sample_customer(args.customers))
    if args.page:
        pages = {name: pages[name] for name in args.page}
    if args.serve:
        serve(browser, pages, api_meter())
    else:
        print_pages(browser, pages, api_meter(), args.repeat)
    remove(workdir)


def serve(browser, pages, meter) -> None:
    """One JSON line of own CPU milliseconds per `PAGE<TAB>N` line read, until stdin ends."""
    print("ready", flush=True)
    for line in sys.stdin:
        name, _, count = line.rstrip("\n").partition("\t")
        url, headers = pages[name]
        figures = measure(browser, url, headers, meter, int(count))
        print(json.dumps(figures.own_cpus), flush=True)


if __name__ == "__main__":
    main()
