"""Benchmark the sandbox's GET /v1/customers on a large seeded database.

Usage:
    .venv/bin/python bench/list_customers.py [--customers 100000] [--seed 1] [--repeat 30]
                                             [--db PATH] [--keep]

Seeds N customers (default 100,000) into a temporary sandbox SQLite file (or --db, reused when
it already holds N customers), then times each list case through two paths, side by side:
- "client": the dashboard's service layer (`VoucherifyClient.list_customers`) over the
  in-process `SandboxAdapter`, i.e. everything a dashboard page pays for the call;
- "sandbox": `sandbox.services.list_customers` alone, the query and the JSON building.
It prints the seed time, then median and p95 latency (ms) per case.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(db_path: Path, *, debug: bool = True) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["SANDBOX_DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path.with_suffix('.default.sqlite3')}"
    os.environ["DJANGO_DEBUG"] = "true" if debug else "false"
    if not debug:  # what production refuses to start without
        os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
        os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
        os.environ.setdefault("DSR_CERTIFICATE_KEY", "bench-only-certificate-key")
    os.environ["SANDBOX_WORKER"] = "false"
    os.environ["VOUCHERIFY_APP_ID"] = ""
    os.environ["VOUCHERIFY_APP_TOKEN"] = ""
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "dashboard.settings"
    import django

    django.setup()


def timed(call, repeat: int) -> tuple[float, float]:
    call()  # warm-up: caches, prepared statements
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--db", type=Path, help="sandbox SQLite file (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    args = parser.parse_args()

    workdir = None
    if args.db is None:
        workdir = tempfile.mkdtemp(prefix="sandbox-bench-")
        args.db = Path(workdir) / "sandbox.sqlite3"
    setup_django(args.db)

    from django.core.management import call_command

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

    sample = Customer.objects.using("sandbox").order_by("created_at")[args.customers // 2]
    berlin = Segment.objects.using("sandbox").get(name="Berlin shoppers")
    cases = {
        "default (limit 10)": {},
        "limit 100": {"limit": 100},
        "email": {"email": sample.email},
        "city=Berlin": {"city": "Berlin"},
        "segment_id (Berlin)": {"segment_id": berlin.id},
        "created_at 1-month range": {
            "created_at_after": "2025-03-01T00:00:00Z",
            "created_at_before": "2025-04-01T00:00:00Z",
        },
        "order=source_id": {"order": "source_id"},
        "order=-updated_at": {"order": "-updated_at"},
        "city + order=created_at": {"city": "Paris", "order": "created_at"},
        "page 99, limit 100": {"page": 99, "limit": 100},
        "starting_after (mid)": {"starting_after": sample.created_at.isoformat()},
    }
    query_names = {
        "created_at_after": "created_at[after]",
        "created_at_before": "created_at[before]",
    }
    client = get_client()
    print(f"\n{args.repeat} runs per case, milliseconds")
    print(
        f"{'case':<28}{'client med':>12}{'client p95':>12}"
        f"{'sandbox med':>13}{'sandbox p95':>13}  rows/total"
    )
    for name, filters in cases.items():
        params = {query_names.get(k, k): str(v) for k, v in filters.items()}
        result = client.list_customers(**filters)
        client_med, client_p95 = timed(lambda f=filters: client.list_customers(**f), args.repeat)
        own_med, own_p95 = timed(
            lambda p=params: services.list_customers(p),
            args.repeat,
        )
        print(
            f"{name:<28}{client_med:>12.1f}{client_p95:>12.1f}{own_med:>13.1f}{own_p95:>13.1f}"
            f"  {len(result.customers)}/{result.total}"
        )
    if workdir and not args.keep:
        for path in Path(workdir).iterdir():
            path.unlink()
        os.rmdir(workdir)


if __name__ == "__main__":
    main()
