"""Exactly once under concurrency: two executors of one request, in two threads, against the
sandbox over real HTTP (a live server), reach Voucherify once between them."""

from __future__ import annotations

import datetime
import threading
from collections import Counter

import pytest
from django.db import connections

from customers.models.privacy import DataSubjectRequest
from customers.services import privacy
from customers.voucherify import get_client
from customers.voucherify.client import VoucherifyClient
from dashboard.models import AuditEntry
from sandbox.models import PermanentDeletion
from tests.customers.services.conftest import GRACE

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])


@pytest.fixture
def over_http(django_db_setup, live_server, settings):
    """The dashboard's client pointed at the live server's /sandbox, as with real Voucherify
    (the test databases first, or the live server shares one connection between threads)."""
    settings.VOUCHERIFY_USE_SANDBOX = False
    settings.VOUCHERIFY_API_URL = f"{live_server.url}/sandbox"
    settings.VOUCHERIFY_APP_ID = settings.SANDBOX_APP_ID
    settings.VOUCHERIFY_APP_TOKEN = settings.SANDBOX_APP_TOKEN
    get_client.cache_clear()
    client = get_client()
    yield client
    client.close()  # no keep-alive connection outlives the test (the server's threads end)
    get_client.cache_clear()


@pytest.fixture
def sent(monkeypatch):
    """Counts the writes the client really sends, whichever thread sends them."""
    counts: Counter[str] = Counter()
    lock = threading.Lock()
    for name in ("customer_permanently_deletion", "delete_customer"):
        real = getattr(VoucherifyClient, name)

        def counted(self, *args, _real=real, _name=name, **kwargs):
            with lock:
                counts[_name] += 1
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(VoucherifyClient, name, counted)
    return counts


def approved(client, user_for, kind):
    customer = client.create_customer(GRACE)
    a, b = user_for("compliance"), user_for("compliance")
    request = privacy.deletion_request_open(
        customer=customer.id,
        kind=kind,
        ticket="HD-2",
        received_on=datetime.date.today(),
        user=a,
    )
    privacy.deletion_request_verify_identity(
        request_id=request.pk, method="id_document", note="", user=a
    )
    privacy.deletion_request_approve(request_id=request.pk, user=b)
    return request, a, b


def run_together(request, users, monkeypatch) -> list:
    """Both executors pass every check (the request is approved for both), then race for it."""
    barrier = threading.Barrier(len(users), timeout=20)
    real_claim = privacy._claim

    def claim_together(*args, **kwargs):
        barrier.wait()
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(privacy, "_claim", claim_together)
    outcomes: list = [None] * len(users)
    errors: list[BaseException] = []

    def execute(index, user):
        try:
            outcomes[index] = privacy.deletion_request_execute(
                request_id=request.pk, confirmation="crm-grace", user=user
            )
        except BaseException as error:  # reported by the test thread below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=execute, args=(i, u)) for i, u in enumerate(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return outcomes


@pytest.mark.parametrize(
    ("kind", "operation"),
    [("erasure", "customer_permanently_deletion"), ("deletion", "delete_customer")],
)
def test_execute_two_executors_at_once_reach_voucherify_once(
    over_http, user_for, monkeypatch, sent, kind, operation
):
    request, a, b = approved(over_http, user_for, kind)

    outcomes = run_together(request, [a, b], monkeypatch)

    assert sorted(type(o).__name__ for o in outcomes) == ["AlreadyRunning", "Executed"]
    assert sent == Counter({operation: 1})
    assert AuditEntry.objects.filter(operation=operation).count() == 1
    request.refresh_from_db()
    assert request.status == DataSubjectRequest.Status.DONE
    assert request.attempts == 1
    if kind == "erasure":
        assert PermanentDeletion.objects.using("sandbox").count() == 1


def test_execute_retry_after_failure_by_two_executors_reaches_voucherify_once(
    over_http, user_for, monkeypatch, sent
):
    request, a, b = approved(over_http, user_for, "erasure")
    DataSubjectRequest.objects.filter(pk=request.pk).update(
        status=DataSubjectRequest.Status.FAILED, attempts=1, last_error="Voucherify is busy"
    )

    outcomes = run_together(request, [a, b], monkeypatch)

    assert sorted(type(o).__name__ for o in outcomes) == ["AlreadyRunning", "Executed"]
    assert sent["customer_permanently_deletion"] == 1
    request.refresh_from_db()
    assert request.attempts == 2
