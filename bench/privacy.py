"""Benchmark a data-subject erasure through the pages: API calls and server time per step.

Usage:
    .venv/bin/python bench/privacy.py [--customers 1000] [--audit 50000] [--repeat 10]

Seeds N customers into temporary SQLite files and `--audit` audit entries spread over them
(the trail the scrub searches), then walks `--repeat` erasures through Django's test client
as two compliance users: open, identity, approval, the execute page (what will be lost), the
execution (the API call, the verification, the scrub, the certificate) and the certificate.
For each step it prints the API calls made (counted at the transport) and the median server
time: whole request, API calls (the in-process sandbox), and the dashboard's own work.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import tempfile
import time
from pathlib import Path

from harness import CallMeter, remove, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--audit", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="privacy-bench-"))
    os.environ.setdefault("DSR_CERTIFICATE_KEY", "bench-certificate-key")
    setup_django(workdir / "sandbox.sqlite3")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")

    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.test import Client

    from customers.models.privacy import DataSubjectRequest
    from customers.voucherify import get_client
    from dashboard.models import AuditEntry
    from sandbox import seed
    from sandbox.models import Customer

    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    call_command("migrate", database="sandbox", verbosity=0)
    counts = seed.seed(args.customers, args.seed, log=lambda _line: None)
    ids = list(Customer.objects.using("sandbox").values_list("id", flat=True))
    AuditEntry.objects.bulk_create(
        AuditEntry(
            username="bench-support",
            operation="update_customer",
            customer_id=ids[n % len(ids)],
            changes={"phone": {"old": "+1 555 0100", "new": "+1 555 0101"}},
            outcome="success",
        )
        for n in range(args.audit)
    )
    print(f"Seeded {counts['customers']:,} customers and {args.audit:,} audit entries")

    group = Group.objects.get(name="compliance")
    officers = []
    for name in ("bench-a", "bench-b"):
        user = User.objects.create_user(name, password=f"{name}-pass")
        user.groups.add(group)
        browser = Client()
        browser.force_login(user)
        officers.append(browser)
    a, b = officers
    client = get_client()
    meter = CallMeter(client.session.get_adapter(client.base_url + "/"))
    samples: dict[str, list[tuple[int, int, float, float]]] = {}

    def step(name: str, browser: Client, method: str, url: str, data=None):
        meter.reset()
        started = time.perf_counter()
        response = getattr(browser, method)(url, data or {})
        total = time.perf_counter() - started
        samples.setdefault(name, []).append(
            (response.status_code, meter.count, total * 1000, meter.seconds * 1000)
        )
        return response

    victims = Customer.objects.using("sandbox").exclude(email=None).order_by("created_at")
    for customer in victims[: args.repeat + 1]:
        step(
            "open (POST)",
            a,
            "post",
            "/deletion-requests/new/",
            {
                "customer": customer.id,
                "kind": "erasure",
                "ticket": "BENCH",
                "received_on": str(datetime.date.today()),
            },
        )
        request = DataSubjectRequest.objects.latest("id")
        base = f"/deletion-requests/{request.pk}/"
        step("identity (POST)", a, "post", f"{base}identity/", {"method": "id_document"})
        step("approve (POST)", b, "post", f"{base}approve/")
        step("execute page (GET)", a, "get", base)
        step("execute (POST)", a, "post", f"{base}execute/", {"confirmation": customer.email})
        step("request page, done", a, "get", base)
        step("certificate (GET)", a, "get", f"{base}certificate/")
    done = DataSubjectRequest.objects.filter(status="done").count()

    print(f"\n{args.repeat} erasures (after one warm-up); {done} done; times are medians in ms")
    print(f"{'step':<22}{'status':>7}{'calls':>7}{'total':>9}{'API':>9}{'own':>9}")
    for name, runs in samples.items():
        runs = runs[1:]  # the warm-up: template compilation, first queries
        statuses = "/".join(sorted({str(s) for s, *_ in runs}))
        calls = "/".join(sorted({str(c) for _, c, *_ in runs}))
        total = statistics.median(t for *_, t, _ in runs)
        api = statistics.median(x for *_, x in runs)
        print(f"{name:<22}{statuses:>7}{calls:>7}{total:>9.1f}{api:>9.1f}{total - api:>9.1f}")

    remove(workdir)


if __name__ == "__main__":
    main()
