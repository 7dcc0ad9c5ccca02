"""Locks that guard a write, held in the database so that they hold across worker processes.

    with write_lock(f"customer:{customer.id}"):     # the cust_ id, however the page named it
        current = client.get_customer(customer.id)   # the re-read ...
        client.update_customer(customer.id, data)    # ... and the write, never interleaved

(`customers.services.customers.customer_write_lock` finds the `cust_` id of a customer a save
addresses by source_id first, so that both ways of addressing one customer wait for each other.)

A lock is a lease row (`WriteLock`): the unique key makes the insert an atomic test-and-set
on SQLite and PostgreSQL alike, and no transaction stays open during the API call it guards
(which on SQLite would block every other writer). A lease outlives its holder only until
`expires_at`, so a process that died does not block the record for good.
"""

from __future__ import annotations

import datetime
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from dashboard.models import WriteLock

POLL_SECONDS = 0.05


class LockTimeout(Exception):
    """Another request held the lock for longer than the caller was willing to wait."""


def _lease_seconds() -> float:
    # A guarded block makes at most a few API calls, each bounded by the timeout.
    return 4 * settings.VOUCHERIFY_TIMEOUT + 10


def _try_acquire(key: str, owner: str) -> bool:
    now = timezone.now()
    expires = now + datetime.timedelta(seconds=_lease_seconds())
    try:
        with transaction.atomic():
            WriteLock.objects.create(key=key, owner=owner, expires_at=expires)
        return True
    except IntegrityError:
        # Held: take it over only if its lease ran out (the holder died).
        return bool(
            WriteLock.objects.filter(key=key, expires_at__lt=now).update(
                owner=owner, expires_at=expires
            )
        )
    except OperationalError:
        # SQLite's shared-cache test databases report a busy table instead of waiting.
        return False


@contextmanager
def write_lock(key: str, *, wait: float | None = None) -> Iterator[None]:
    """Hold the lock named `key` for the block; wait up to `wait` seconds to get it."""
    owner = uuid.uuid4().hex
    deadline = time.monotonic() + (_lease_seconds() if wait is None else wait)
    while not _try_acquire(key, owner):
        if time.monotonic() >= deadline:
            raise LockTimeout(key)
        time.sleep(POLL_SECONDS)
    try:
        yield
    finally:
        WriteLock.objects.filter(key=key, owner=owner).delete()
