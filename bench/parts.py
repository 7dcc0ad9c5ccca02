"""The reads every request makes, Django's way and the dashboard's, side by side in one process.

Usage:
    .venv/bin/python bench/parts.py [--repeat 2000] [--rounds 7]

For each part it prints microseconds per call (the best of `--rounds` timings of `--repeat`
calls, which is what the part itself costs on a busy machine), for Django's (or requests')
way and for the dashboard's, and their ratio:
- the session load: Django's database store, and dashboard/sessions.py;
- the signed-in user: ModelBackend.get_user, and dashboard/auth.py;
- the audit entries near a timeline's updates, and the seen campaigns of a profile's
  referrals: the ORM's `.filter()`, and dashboard/sql.py's `select()`;
- an API call's client-side cost up to the answer, replayed without the sandbox's work:
  requests' `Session.request` as the client called it before, and the client's own
  preparation handed to `Session.send` (customers/voucherify/client.py).
"""

from __future__ import annotations

import argparse
import datetime
import tempfile
import timeit
from pathlib import Path

from harness import remove, seeded, setup_django, signed_in


def best_us(call, repeat: int, rounds: int) -> float:
    call()
    return min(timeit.repeat(call, number=repeat, repeat=rounds)) / repeat * 1e6


def pairs(username: str):
    """(part, Django's way, the dashboard's way), as zero-argument calls."""
    import requests
    from django.contrib.auth import get_user_model
    from django.contrib.auth.backends import ModelBackend
    from django.contrib.sessions.backends.db import SessionStore as DjangoStore
    from django.utils import timezone

    from customers.models import SeenCampaign
    from customers.services.timeline import AUDITED_WRITES
    from customers.voucherify import get_client
    from dashboard.auth import DashboardBackend
    from dashboard.models import AuditEntry
    from dashboard.sessions import SessionStore
    from dashboard.sql import select
    from sandbox.models import Customer

    user = get_user_model().objects.get(username=username)
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session.save()
    key = session.session_key
    now = timezone.now()
    window = {
        "customer_id": "cust_1",
        "operation__in": AUDITED_WRITES,
        "outcome": AuditEntry.Outcome.SUCCESS,
        "created_at__gte": now - datetime.timedelta(minutes=2),
        "created_at__lte": now + datetime.timedelta(minutes=2),
    }
    campaigns = {"campaign_id__in": ["camp_1", "camp_2"]}

    client = get_client()
    customer_id = Customer.objects.using("sandbox").first().id
    adapter = client.session.get_adapter(client.base_url + "/")
    path = f"/v1/customers/{customer_id}"
    answer = adapter.send(client._prepared("GET", path, None, None, None, None))

    def replayed(request, **kwargs):
        response = requests.Response()
        response.status_code, response.headers = answer.status_code, answer.headers
        response._content, response.encoding = answer.content, answer.encoding
        response.url, response.request, response.raw = request.url, request, answer.raw
        return response

    adapter.send = replayed
    url = client.base_url + path
    return [
        ("session load", lambda: DjangoStore(key).load(), lambda: SessionStore(key).load()),
        (
            "signed-in user",
            lambda: ModelBackend().get_user(user.pk),
            lambda: DashboardBackend().get_user(user.pk),
        ),
        (
            "audit entries near updates",
            lambda: list(AuditEntry.objects.filter(**window)),
            lambda: select(AuditEntry, **window),
        ),
        (
            "seen campaigns",
            lambda: list(SeenCampaign.objects.filter(**campaigns)),
            lambda: select(SeenCampaign, **campaigns),
        ),
        (
            "API call, client side",
            lambda: client.session.request(
                "GET", url, params={}, timeout=client.timeout, allow_redirects=False
            ),
            lambda: client.session.send(
                client._prepared("GET", path, None, None, None, None),
                timeout=client.timeout,
                allow_redirects=False,
                proxies=client.session.proxies,
                verify=client.session.verify,
                stream=False,
                cert=None,
            ),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="parts-bench-"))
    setup_django(workdir / "sandbox.sqlite3")
    seeded(10, 1)
    signed_in("bench-admin", "admin")
    print(f"\nmicroseconds per call, best of {args.rounds} x {args.repeat}")
    print(f"{'part':<30}{'Django':>10}{'dashboard':>11}{'ratio':>8}  (Django: or requests)")
    for name, theirs, ours in pairs("bench-admin"):
        before, after = (best_us(call, args.repeat, args.rounds) for call in (theirs, ours))
        print(f"{name:<30}{before:>10.0f}{after:>11.0f}{after / before:>8.2f}")
    remove(workdir)


if __name__ == "__main__":
    main()
