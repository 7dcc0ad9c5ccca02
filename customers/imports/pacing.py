"""One rate-limit budget for every worker process, kept in the database.

Each answer's X-Rate-Limit-Remaining / X-Rate-Limit-Retry and a 429's Retry-After update the
shared `RateBudget` row (through a `requests` response hook on the worker's client); before a
call a worker asks `wait_for_turn()`, which sleeps a little or tells it to put the job off.
A 429 therefore delays a job (it is queued again for later), it never fails it.
"""

from __future__ import annotations

import datetime
import time

from django.db.models import F
from django.utils import timezone

from customers.models import RateBudget
from customers.voucherify.errors import parse_retry_after

RESERVE = 3  # calls left to the people using the pages when the budget runs low
MAX_SLEEP = 5.0  # longer waits put the job off instead of holding the worker
HOOKED = "_dashboard_pacing"


class PutOff(Exception):
    """The job must wait until `until` (a rate limit): queue it again for then."""

    def __init__(self, until: datetime.datetime, why: str) -> None:
        super().__init__(why)
        self.until = until
        self.why = why


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def record(name: str, headers, status: int) -> None:
    """Update the shared budget from one answer's headers."""
    limit = _int(headers.get("X-Rate-Limit-Limit"))
    remaining = _int(headers.get("X-Rate-Limit-Remaining"))
    retry_at = _int(headers.get("X-Rate-Limit-Retry"))
    retry_after = parse_retry_after(headers.get("Retry-After"))
    if limit is None and remaining is None and retry_after is None and status != 429:
        return  # no rate-limit headers (the sandbox with its limit off)
    now = timezone.now()
    reset = datetime.datetime.fromtimestamp(retry_at, tz=datetime.UTC) if retry_at else None
    not_before = None
    if status == 429:
        not_before = now + datetime.timedelta(seconds=retry_after if retry_after else 30)
    elif remaining is not None and remaining <= RESERVE:
        not_before = reset or now + datetime.timedelta(seconds=60)
    values = {
        "limit": limit,
        "remaining": remaining,
        "reset_at": reset,
        "not_before": not_before,
        "updated_at": now,
    }
    if not RateBudget.objects.filter(name=name).update(**values):
        RateBudget.objects.get_or_create(name=name, defaults=values)


def install(client) -> None:
    """Let every answer `client` gets update the shared budget (once per client)."""
    if getattr(client, HOOKED, False):
        return

    def hook(response, *args, **kwargs):
        record(client.backend, response.headers, response.status_code)
        return response

    client.session.hooks["response"].append(hook)
    setattr(client, HOOKED, True)


def sleep(seconds: float) -> None:
    """The seam tests replace: waiting for the budget."""
    time.sleep(seconds)


def wait_for_turn(name: str) -> None:
    """Return when a call may be made now; raise `PutOff` when the wait would be long."""
    budget = RateBudget.objects.filter(name=name).first()
    if budget is None or budget.not_before is None:
        return
    wait = (budget.not_before - timezone.now()).total_seconds()
    if wait <= 0:
        RateBudget.objects.filter(pk=budget.pk, not_before=budget.not_before).update(
            not_before=None, remaining=F("limit")
        )
        return
    if wait > MAX_SLEEP:
        raise PutOff(budget.not_before, "Voucherify's rate limit is reached")
    sleep(wait)
