"""Benchmark the sandbox's GET /v1/customers on a large seeded database: every filter and every
order of the contract's list operation.

Usage:
    .venv/bin/python bench/list_customers.py [--customers 100000] [--seed 1] [--repeat 30]
                                             [--db PATH] [--keep] [--goal 20]

Seeds N customers (default 100,000; a few minutes) into a temporary sandbox SQLite file (or
--db, reused when it already holds N customers; its schema is migrated first), then times each
case through two paths, side by side:
- "client": the dashboard's service layer (`VoucherifyClient.list_customers`) over the
  in-process `SandboxAdapter`, i.e. everything a dashboard page pays for the call;
- "sandbox": `sandbox.services.list_customers` alone, the queries and the JSON building.
It prints the seed time, then median and p95 latency (ms) per case, and the cases whose
sandbox median is over --goal ms. The dates of the range cases are medians of the data.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from harness import p95, remove, setup_django

ORDERS = ("-created_at", "created_at", "-updated_at", "updated_at", "source_id", "-source_id")


def timed(call, repeat: int) -> tuple[float, float]:
    call()  # warm-up: caches, prepared statements
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), p95(samples)


def iso(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def cases(sample, segment, created_mid, updated_mid, month) -> dict[str, dict]:
    """Each filter alone (newest first, the default order), each order alone, the deepest
    page, and the combinations the dashboard sends most."""
    month_start, month_end = month
    return {
        "default (limit 10)": {},
        "limit 100": {"limit": 100},
        "page 99, limit 100": {"page": 99, "limit": 100},
        "email": {"email": sample.email},
        "name": {"name": sample.name},
        "city=Berlin": {"city": "Berlin"},
        f"segment_id ({segment.name})": {"segment_id": segment.id},
        "created_at[before] (median)": {"created_at_before": created_mid},
        "created_at[after] (median)": {"created_at_after": created_mid},
        "created_at 1-month range": {
            "created_at_after": month_start,
            "created_at_before": month_end,
        },
        "updated_at[before] (median)": {"updated_at_before": updated_mid},
        "updated_at[after] (median)": {"updated_at_after": updated_mid},
        "updated_at 1-month range": {
            "updated_at_after": month_start,
            "updated_at_before": month_end,
        },
        "starting_after (median)": {"starting_after": created_mid},
        **{f"order={order}": {"order": order} for order in ORDERS},
        "city + order=created_at": {"city": "Paris", "order": "created_at"},
        "starting_after + order=created_at": {"starting_after": created_mid, "order": "created_at"},
    }


QUERY_NAMES = {
    "created_at_after": "created_at[after]",
    "created_at_before": "created_at[before]",
    "updated_at_after": "updated_at[after]",
    "updated_at_before": "updated_at[before]",
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--db", type=Path, help="sandbox SQLite file (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    parser.add_argument("--goal", type=float, default=20.0, help="sandbox median to stay under")
    args = parser.parse_args()

    workdir = None
    if args.db is None:
        workdir = tempfile.mkdtemp(prefix="sandbox-bench-")
        args.db = Path(workdir) / "sandbox.sqlite3"
    setup_django(args.db)

    from django.core.management import call_command
    from django.db import connections

    from customers.voucherify import get_client
    from sandbox import seed, services
    from sandbox.models import Customer, Segment

    call_command("migrate", database="sandbox", verbosity=0)
    existing = Customer.objects.using("sandbox").count()
    if existing != args.customers:
        seed.reset()
        print(f"Seeding {args.customers:,} customers into {args.db} ...", flush=True)
        counts = seed.seed(args.customers, args.seed, log=lambda _line: None)
        print(
            f"Seeded {counts['customers']:,} customers, {counts['activities']:,} activities, "
            f"{counts['memberships']:,} memberships, {counts['consents']:,} consents "
            f"in {counts['seconds']} s ({args.db.stat().st_size / 1e6:.0f} MB)"
        )
    else:
        print(f"Reusing {existing:,} customers in {args.db}")
        with connections["sandbox"].cursor() as cursor:
            cursor.execute("ANALYZE")  # statistics for indexes a migration may have added

    customers = Customer.objects.using("sandbox")
    sample = customers.order_by("created_at")[args.customers // 2]
    updated = customers.filter(updated_at__isnull=False).order_by("updated_at")
    updated_mid = updated[updated.count() // 2].updated_at
    month_start = sample.created_at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    month_end = (month_start + timedelta(days=32)).replace(day=1)
    segment = Segment.objects.using("sandbox").get(name="Berlin shoppers")
    biggest = max(Segment.objects.using("sandbox"), key=lambda s: s.memberships.count())
    table = cases(
        sample,
        segment,
        iso(sample.created_at),
        iso(updated_mid),
        (iso(month_start), iso(month_end)),
    )
    table[f"segment_id ({biggest.name})"] = {"segment_id": biggest.id}
    client = get_client()
    print(f"\n{args.repeat} runs per case, milliseconds")
    print(
        f"{'case':<36}{'client med':>11}{'client p95':>11}"
        f"{'sandbox med':>12}{'sandbox p95':>12}  rows/total"
    )
    over = []
    for name, filters in table.items():
        params = {QUERY_NAMES.get(k, k): str(v) for k, v in filters.items()}
        result = client.list_customers(**filters)
        client_med, client_p95 = timed(lambda f=filters: client.list_customers(**f), args.repeat)
        own_med, own_p95 = timed(lambda p=params: services.list_customers(p), args.repeat)
        print(
            f"{name:<36}{client_med:>11.1f}{client_p95:>11.1f}{own_med:>12.1f}{own_p95:>12.1f}"
            f"  {len(result.customers)}/{result.total}",
            flush=True,
        )
        if own_med > args.goal:
            over.append(name)
    print(
        f"\nSandbox medians over {args.goal:g} ms: {', '.join(over)}"
        if over
        else f"\nEvery sandbox median is at most {args.goal:g} ms."
    )
    if workdir and not args.keep:
        remove(Path(workdir))


if __name__ == "__main__":
    main()
