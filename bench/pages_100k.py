"""Benchmark the pages on the sandbox seeded with 100,000 customers, then the list page's
throughput under gunicorn beside the same API call made directly.

Usage:
    .venv/bin/python bench/pages_100k.py [--customers 100000] [--repeat 50] [--db PATH]
                                         [--seconds 10] [--concurrency 8]

1. In-process (Django's test client, an admin signed in): for the list page (100 rows), the
   profile and each fragment, the median and p95 of the total server time, of the time waiting
   on the API (measured at the client's transport) and of the dashboard's own time (the
   difference), and the API calls per page.
2. Under gunicorn (`--workers 2 --threads 4`, the in-process sandbox as the backend): requests
   per second of `GET /customers/?limit=100` at `--concurrency` clients, beside requests per
   second of the API call that page makes (`GET /sandbox/v1/customers?limit=100`, served by
   the same gunicorn), and their ratio (the goal: at least 0.5).

--db keeps the seeded sandbox (seeding 100,000 customers takes minutes); it is reused when it
holds exactly --customers customers.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from harness import ROOT, api_meter, print_pages, seeded, setup_django, signed_in
from pages import HTMX, sample_customer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def hammer(url: str, headers: dict, cookies: dict, seconds: float, concurrency: int) -> float:
    """Requests per second over `seconds` from `concurrency` threads, one Session each."""
    import requests

    done = [0] * concurrency
    failed = [0] * concurrency
    stop = time.perf_counter() + seconds

    def work(i: int) -> None:
        with requests.Session() as session:
            session.headers.update(headers)
            session.cookies.update(cookies)
            while time.perf_counter() < stop:
                response = session.get(url, timeout=30)
                if response.status_code == 200:
                    done[i] += 1
                else:
                    failed[i] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if sum(failed):
        print(f"  {sum(failed)} requests to {url} did not answer 200")
    return sum(done) / elapsed


def under_gunicorn(db: Path, session_cookie: str, seconds: float, concurrency: int) -> None:
    import requests
    from django.conf import settings

    port = free_port()
    env = {
        **os.environ,
        "SANDBOX_DATABASE_URL": f"sqlite:///{db}",
        "DATABASE_URL": f"sqlite:///{db.with_suffix('.default.sqlite3')}",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONPATH": str(ROOT),
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "dashboard.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(f"{base}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        page = f"{base}/customers/?limit=100"
        api = f"{base}/sandbox/v1/customers?limit=100"
        api_headers = {
            "X-App-Id": settings.SANDBOX_APP_ID,
            "X-App-Token": settings.SANDBOX_APP_TOKEN,
            "Accept": "application/json",
        }
        cookies = {settings.SESSION_COOKIE_NAME: session_cookie}
        hammer(page, {}, cookies, 1, concurrency)  # warm-up: both workers, templates
        hammer(api, api_headers, {}, 1, concurrency)
        page_rps = hammer(page, {}, cookies, seconds, concurrency)
        api_rps = hammer(api, api_headers, {}, seconds, concurrency)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    print(
        f"\ngunicorn --workers 2 --threads 4, {concurrency} concurrent clients, {seconds:g} s each"
    )
    print(f"  list page /customers/?limit=100   {page_rps:8.1f} requests/s")
    print(f"  API call  /v1/customers?limit=100 {api_rps:8.1f} requests/s (directly)")
    print(f"  ratio page/API                    {page_rps / api_rps:8.2f}  (goal: >= 0.5)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--db", type=Path, help="sandbox SQLite file (default: a temporary one)")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    if args.db is None:
        args.db = Path(tempfile.mkdtemp(prefix="pages-100k-")) / "sandbox.sqlite3"
    args.db = args.db.resolve()
    setup_django(args.db)
    seeded(args.customers, args.seed, reuse=True)
    browser = signed_in("bench-admin", "admin")

    from django.conf import settings

    detail = f"/customers/{sample_customer(args.customers).id}/"
    pages = {
        "list (100 rows)": ("/customers/?limit=100", {}),
        "list fragment (100 rows)": ("/customers/?limit=100", HTMX),
        "profile": (detail, {}),
        "activities fragment": (f"{detail}activities/", HTMX),
        "segments fragment": (f"{detail}segments/", HTMX),
        "consents fragment": (f"{detail}consents/", HTMX),
    }
    print_pages(browser, pages, api_meter(), args.repeat)
    under_gunicorn(
        args.db, browser.cookies[settings.SESSION_COOKIE_NAME].value, args.seconds, args.concurrency
    )


if __name__ == "__main__":
    main()
