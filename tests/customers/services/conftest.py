"""Fixtures for the data-subject request services: customers in the in-process sandbox,
requests walked to a given state, and a client whose calls can be made to fail."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest

from customers.services import privacy
from customers.voucherify import get_client

GRACE = {
    "source_id": "crm-grace",
    "name": "Grace Hopper",
    "email": "grace.hopper@example.test",
    "phone": "+1 202 555 0143",
    "address": {"city": "Arlington", "country": "US", "line_1": "Navy Yard 7"},
    "metadata": {"favourite": "COBOL compilers"},
}


@pytest.fixture
def grace(db):
    return get_client().create_customer(GRACE)


@pytest.fixture
def staff(user_for):
    """Two compliance users (A opens, B approves), and one user of each other role."""
    return {
        "a": user_for("compliance"),
        "b": user_for("compliance"),
        "admin": user_for("admin"),
        "support": user_for("support"),
        "marketing": user_for("marketing"),
    }


@pytest.fixture
def walk(staff):
    """`walk(customer, kind, to="approved")`: a request opened by A, verified by A,
    approved by B, stopping at the state asked for."""

    def _walk(customer, kind="erasure", to="approved", received_on=None):
        request = privacy.deletion_request_open(
            customer=customer.id,
            kind=kind,
            ticket="HD-1001",
            received_on=received_on or datetime.date.today(),
            notes="",
            user=staff["a"],
        )
        if to == "received":
            return request
        privacy.deletion_request_verify_identity(
            request_id=request.pk, method="email_confirmation", note="", user=staff["a"]
        )
        if to == "identity_verified":
            return _fresh(request)
        privacy.deletion_request_approve(request_id=request.pk, user=staff["b"])
        return _fresh(request)

    return _walk


def _fresh(request):
    request.refresh_from_db()
    return request


class Scripted:
    """The configured client with some calls replaced by `script[name]`; counts every call."""

    def __init__(self, real) -> None:
        self.real = real
        self.script: dict = {}
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name):
        target = self.script.get(name) or getattr(self.real, name)

        def call(*args, **kwargs):
            self.calls[name] += 1
            return target(*args, **kwargs)

        return call


@pytest.fixture
def scripted(monkeypatch):
    client = Scripted(get_client())
    monkeypatch.setattr("customers.voucherify.override", client)  # the one client seam
    return client
