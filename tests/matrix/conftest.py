from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.test import Client

from tests import faults
from tests.matrix.cases import World


@pytest.fixture
def plan(monkeypatch) -> faults.FaultPlan:
    cache.clear()  # healthz caches its answer
    return faults.install(monkeypatch)


@pytest.fixture
def roles(user_for):
    """One signed-in client per role, made on first use."""
    made: dict[str, Client] = {}

    def client(role: str) -> Client:
        if role not in made:
            made[role] = Client()
            if role != "anonymous":
                made[role].force_login(user_for(role) if role != "none" else _no_role_user())
        return made[role]

    return client


def _no_role_user():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user("no-role", password="x")


@pytest.fixture
def world(plan, user_for) -> World:
    """A customer with consents defined, another one, a draft import, an open access request."""
    from customers.services import imports, privacy
    from customers.voucherify import get_client
    from sandbox import ids
    from sandbox.models import Consent

    client = get_client()
    customer = client.create_customer(
        {"source_id": "matrix-1", "name": "Matrix One", "email": "m1@example.com"}
    )
    other = client.create_customer({"source_id": "matrix-other", "name": "Other"})
    Consent.objects.using("sandbox").create(
        id=ids.consent_id(), name="Newsletter", description="Monthly", created_at=ids.now()
    )
    owner = user_for("marketing", "job-owner")
    csv = b"source_id,name,email\nup-1,Up One,up1@example.com\n"
    job = imports.import_upload(chunks=[csv], filename="m.csv", size=len(csv), user=owner)
    officer = user_for("compliance", "officer-a")
    request = privacy.deletion_request_open(
        customer=customer.id,
        kind="erasure",
        ticket="HD-1",
        received_on=datetime.date.today(),
        user=officer,
    )
    second = user_for("compliance", "officer-b")
    erasure = privacy.deletion_request_open(
        customer=other.id,
        kind="erasure",
        ticket="HD-2",
        received_on=datetime.date.today(),
        user=officer,
    )
    privacy.deletion_request_verify_identity(
        request_id=erasure.pk, method="id_document", note="", user=officer
    )
    privacy.deletion_request_approve(request_id=erasure.pk, user=second)
    plan.calls.clear()
    plan.raw_paths.clear()
    return World(customer.id, customer, job.pk, request.pk, erasure.pk)
