"""Benchmark one `list_customers(limit=100)` call against the official SDK's parsing.

Usage:
    .venv/bin/python bench/resources.py [--repeat 2000] [--seed 1]

The body is a real GET /v1/customers?limit=100 answer of the sandbox, seeded with `--seed`
(addresses, metadata, summary, loyalty, referrals, system_metadata; some fields missing, as the
API leaves them out). Side by side, alternating, in one run:
- "ours": `VoucherifyClient.list_customers(limit=100)` through a requests adapter that answers
  that body at once: building the request, the session, the status mapping, decoding and the
  pager's request included;
- "sdk": the official `voucherify` package parsing the same body with
  `CustomersListResponseBody.from_json` (bytes to text included), and nothing else.
It prints the median of each in microseconds and ours / sdk (the goal: at most 0.5).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import requests
from harness import remove, setup_django
from requests.adapters import BaseAdapter

BASE_URL = "https://api.bench.test"


class CannedAdapter(BaseAdapter):
    """Answers every request with the same JSON body, at once."""

    def __init__(self, body: bytes) -> None:
        super().__init__()
        self.body = body

    def send(self, request, **kwargs) -> requests.Response:
        response = requests.Response()
        response.status_code = 200
        response._content = self.body
        response.headers["Content-Type"] = "application/json; charset=utf-8"
        response.url = request.url
        response.request = request
        return response

    def close(self) -> None:
        pass


def sandbox_body(seed_value: int) -> bytes:
    """A GET /v1/customers?limit=100 body of a freshly seeded sandbox."""
    workdir = Path(tempfile.mkdtemp(prefix="resources-bench-"))
    setup_django(workdir / "sandbox.sqlite3")
    from django.core.management import call_command

    from sandbox import seed, services

    call_command("migrate", database="sandbox", verbosity=0)
    seed.seed(300, seed_value, log=lambda _line: None)
    body = services.list_customers({"limit": "100"})
    remove(workdir)
    return json.dumps(body).encode()


def median_us(samples: list[float]) -> float:
    return statistics.median(samples) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    body = sandbox_body(args.seed)
    from voucherify.models.customers_list_response_body import CustomersListResponseBody

    from customers.voucherify.client import VoucherifyClient

    client = VoucherifyClient(
        BASE_URL, "app-id", "app-token", timeout=5.0, adapter=CannedAdapter(body)
    )

    def ours():
        return client.list_customers(limit=100)

    def sdk():
        return CustomersListResponseBody.from_json(body.decode())

    mine, theirs = ours(), sdk()
    assert len(mine.customers) == len(theirs.customers) == 100, "both must read 100 customers"
    assert [c.id for c in mine.customers] == [c.id for c in theirs.customers]

    timings: dict[str, list[float]] = {"ours": [], "sdk": []}
    for _ in range(args.repeat):
        for name, call in (("ours", ours), ("sdk", sdk)):
            started = time.perf_counter()
            call()
            timings[name].append(time.perf_counter() - started)
    ours_us, sdk_us = median_us(timings["ours"]), median_us(timings["sdk"])
    print(f"body: 100 customers, {len(body):,} bytes; {args.repeat} runs each, alternating")
    print(f"ours  list_customers(limit=100)          median {ours_us:9.1f} us")
    print(f"sdk   CustomersListResponseBody.from_json median {sdk_us:9.1f} us")
    print(f"ours / sdk = {ours_us / sdk_us:.2f} (goal: at most 0.50)")


if __name__ == "__main__":
    main()
