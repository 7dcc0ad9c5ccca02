"""Benchmark the dashboard's pages on the seeded sandbox: API calls and server time per page.

Usage:
    .venv/bin/python bench/pages.py [--customers 1000] [--seed 1] [--repeat 30] [--debug]

Seeds N customers into temporary SQLite files, signs an admin-role user in with Django's test
client, and requests each page and fragment `--repeat` times. For every page it prints, side by
side from the same runs:
- the number of API calls the page made (counted at the transport, so retries would show);
- the median server time of the whole request (middleware, view, templates and API call);
- the median time spent in the API calls (here: the in-process sandbox answering);
- the median of the dashboard's own work (the difference) and its share of the total.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from list_customers import setup_django


class CallMeter:
    """Wraps the client's transport: counts API calls and the time spent in them."""

    def __init__(self, adapter) -> None:
        self.count = 0
        self.seconds = 0.0
        self._send = adapter.send
        adapter.send = self.send

    def send(self, request, **kwargs):
        started = time.perf_counter()
        try:
            return self._send(request, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1

    def reset(self) -> None:
        self.count = 0
        self.seconds = 0.0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--debug", action="store_true", help="run with DEBUG on (slower)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="pages-bench-"))
    # DEBUG off, as in production: no template debug info, no query log.
    setup_django(workdir / "sandbox.sqlite3", debug=args.debug)

    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.test import Client

    from customers.voucherify import get_client
    from sandbox import seed
    from sandbox.models import Customer

    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    call_command("migrate", database="sandbox", verbosity=0)
    counts = seed.seed(args.customers, args.seed, log=lambda _line: None)
    print(f"Seeded {counts['customers']:,} customers in {counts['seconds']} s")

    user = User.objects.create_user("bench-admin", password="bench-admin-pass")
    user.groups.add(Group.objects.get(name="admin"))
    browser = Client()
    browser.force_login(user)

    sample = Customer.objects.using("sandbox").order_by("created_at")[args.customers // 2]
    detail = f"/customers/{sample.id}/"
    htmx = {"HTTP_HX_REQUEST": "true"}
    pages = {
        "list": ("/customers/", {}),
        "list, fragment": ("/customers/", htmx),
        "list, 100 rows": ("/customers/?limit=100", {}),
        "list, 100 rows, fragment": ("/customers/?limit=100", htmx),
        "list, city + order": ("/customers/?city=Berlin&order=-created_at", htmx),
        "list, email": (f"/customers/?email={sample.email}", htmx),
        "search by source_id": (f"/customers/?q={sample.source_id}", {}),
        "profile": (detail, {}),
        "activities fragment": (f"{detail}activities/", htmx),
        "segments fragment": (f"{detail}segments/", htmx),
        "consents fragment": (f"{detail}consents/", htmx),
        "consent record (CSV)": (f"{detail}consents/record.csv", {}),
        "edit form": (f"{detail}edit/", {}),
        "audit log": ("/audit/", {}),
    }
    client = get_client()
    meter = CallMeter(client.session.get_adapter(client.base_url + "/"))

    print(f"\n{args.repeat} runs per page; times are medians in milliseconds")
    print(f"{'page':<26}{'status':>7}{'calls':>7}{'total':>9}{'API':>9}{'own':>9}{'own %':>8}")
    for name, (url, headers) in pages.items():
        totals, apis, owns, calls = [], [], [], set()
        status = None
        for attempt in range(args.repeat + 1):
            meter.reset()
            started = time.perf_counter()
            response = browser.get(url, **headers)
            if response.streaming:
                b"".join(response.streaming_content)
            total = time.perf_counter() - started
            if attempt == 0:  # warm-up: template compilation, first queries
                continue
            status = response.status_code
            calls.add(meter.count)
            totals.append(total * 1000)
            apis.append(meter.seconds * 1000)
            owns.append((total - meter.seconds) * 1000)
        total_med, api_med, own_med = (statistics.median(x) for x in (totals, apis, owns))
        print(
            f"{name:<26}{status:>7}{'/'.join(map(str, sorted(calls))):>7}{total_med:>9.1f}"
            f"{api_med:>9.1f}{own_med:>9.1f}{100 * own_med / total_med:>7.0f}%"
        )

    for path in workdir.iterdir():
        path.unlink()
    workdir.rmdir()


if __name__ == "__main__":
    main()
