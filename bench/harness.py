"""What every benchmark here shares: Django set up on temporary SQLite files as production runs
it (DEBUG off, hashed static files), a seeded sandbox with a signed-in user, a meter on the
API client's transport, and the table of per-page medians.

Not a benchmark itself; the scripts beside it import it.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(db_path: Path, *, debug: bool = False) -> None:
    """Point both databases at files beside `db_path`, then `django.setup()`.

    With DEBUG off (the default, as in production) the static files are collected into a
    folder beside the database first: the hashed-name storage refuses to render a page
    otherwise."""
    sys.path.insert(0, str(ROOT))
    os.environ["SANDBOX_DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path.with_suffix('.default.sqlite3')}"
    os.environ["DJANGO_DEBUG"] = "true" if debug else "false"
    if not debug:  # what production refuses to start without
        os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
        os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
        os.environ.setdefault("DSR_CERTIFICATE_KEY", "bench-only-certificate-key")
        # Outside DEBUG the sandbox answers over HTTP only with a token of its own.
        os.environ.setdefault("SANDBOX_APP_TOKEN", "bench-only-sandbox-token")
        os.environ["DJANGO_STATIC_ROOT"] = str(db_path.parent / "static")
    os.environ["SANDBOX_WORKER"] = "false"
    os.environ["VOUCHERIFY_APP_ID"] = ""
    os.environ["VOUCHERIFY_APP_TOKEN"] = ""
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "dashboard.settings"
    import django

    django.setup()
    if not debug:
        from django.core.management import call_command

        call_command("collectstatic", interactive=False, verbosity=0)


def started() -> None:
    """What a server process does once it has started, before its first request (as
    dashboard/wsgi.py does): the objects made so far are left out of cycle collection."""
    import gc

    gc.freeze()


class CallMeter:
    """Wraps the client's transport: counts API calls and the time spent in them."""

    def __init__(self, adapter) -> None:
        self.count = 0
        self.seconds = 0.0
        self.cpu_seconds = 0.0
        self._send = adapter.send
        adapter.send = self.send

    def send(self, request, **kwargs):
        started, started_cpu = time.perf_counter(), time.thread_time()
        try:
            return self._send(request, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started
            self.cpu_seconds += time.thread_time() - started_cpu
            self.count += 1

    def reset(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self.cpu_seconds = 0.0


def api_meter() -> CallMeter:
    """A meter on the transport of the dashboard's API client."""
    from customers.voucherify import get_client

    client = get_client()
    return CallMeter(client.session.get_adapter(client.base_url + "/"))


def seeded(customers: int, seed_value: int, *, reuse: bool = False) -> None:
    """Migrate both databases and seed the sandbox with `customers` customers (kept when
    `reuse` and the sandbox already holds exactly that many)."""
    from django.core.management import call_command

    from sandbox import seed
    from sandbox.models import Customer

    call_command("migrate", verbosity=0)
    call_command("migrate", database="sandbox", verbosity=0)
    if reuse and Customer.objects.using("sandbox").count() == customers:
        print(f"Reusing {customers:,} customers")
        return
    seed.reset()
    print(f"Seeding {customers:,} customers ...", flush=True)
    counts = seed.seed(customers, seed_value, log=lambda _line: None)
    print(f"Seeded {counts['customers']:,} customers in {counts['seconds']} s")


def signed_in(username: str, role: str):
    """Django's test client, signed in as a user of `role` (created if need be), on a
    process that has `started()`."""
    from django.contrib.auth.models import Group, User
    from django.test import Client

    user, _ = User.objects.get_or_create(username=username)
    user.groups.add(Group.objects.get(name=role))
    browser = Client()
    browser.force_login(user)
    started()
    return browser


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


@dataclass
class Figures:
    status: int
    calls: str
    totals: list[float]
    apis: list[float]
    owns: list[float]
    own_cpus: list[float]


def measure(browser, url: str, headers: dict, meter: CallMeter, repeat: int) -> Figures:
    """GET `url` once to warm up (template compilation, first queries), then `repeat` times:
    milliseconds in all, in API calls, and the dashboard's own (the difference), both as
    elapsed time and as this thread's CPU time. The CPU figure is the steadier one on a busy
    machine: waiting for a core does not count in it."""
    totals, apis, owns, own_cpus, calls = [], [], [], [], set()
    status = 0
    for attempt in range(repeat + 1):
        meter.reset()
        started, started_cpu = time.perf_counter(), time.thread_time()
        response = browser.get(url, **headers)
        if response.streaming:
            b"".join(response.streaming_content)
        total, total_cpu = time.perf_counter() - started, time.thread_time() - started_cpu
        if attempt == 0:
            continue
        status = response.status_code
        calls.add(meter.count)
        totals.append(total * 1000)
        apis.append(meter.seconds * 1000)
        owns.append((total - meter.seconds) * 1000)
        own_cpus.append((total_cpu - meter.cpu_seconds) * 1000)
    return Figures(status, "/".join(map(str, sorted(calls))), totals, apis, owns, own_cpus)


def print_pages(browser, pages: dict[str, tuple[str, dict]], meter: CallMeter, repeat: int):
    """One line per page: status, API calls, then median / p95 of total, API and own time
    (elapsed), and of the own CPU time."""
    print(f"\n{repeat} runs per page; milliseconds, median / p95")
    print(
        f"{'page':<28}{'status':>7}{'calls':>6}{'total':>16}{'API':>16}{'own':>16}{'own CPU':>16}"
    )
    for name, (url, headers) in pages.items():
        figures = measure(browser, url, headers, meter, repeat)
        cells = "".join(
            f"{statistics.median(x):>8.1f} /{p95(x):>6.1f}"
            for x in (figures.totals, figures.apis, figures.owns, figures.own_cpus)
        )
        print(f"{name:<28}{figures.status:>7}{figures.calls:>6}{cells}")


def remove(workdir: Path) -> None:
    import shutil

    shutil.rmtree(workdir, ignore_errors=True)
