"""Helpers for the profile and edit page tests: canned customers and a counting fake client."""

from __future__ import annotations

from collections import Counter

import pytest

from customers.voucherify.resources import ActivityList, Consents, Customer, SegmentRef

HTMX = {"HTTP_HX_REQUEST": "true"}
CID = "cust_0000000000000000000000a1"
SANDBOX = pytest.mark.django_db(databases=["default", "sandbox"])


def raising(error):
    """A stand-in for a client method that fails with `error`."""

    def call(*args, **kwargs):
        raise error

    return call


def make_customer(**fields) -> Customer:
    data = {
        "id": "cust_0000000000000000000000a1",
        "source_id": "crm-1",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "created_at": "2024-07-23T12:27:32.926Z",
        "updated_at": "2024-08-01T10:00:00.000Z",
        "address": {"city": "London", "country": "UK"},
        "metadata": {"tier": "gold", "visits": 3},
        "summary": {"orders": {"total_amount": 123456, "total_count": 4, "average_amount": 30864}},
        "loyalty": {
            "points": 120,
            "campaigns": {"Coffee Club": {"points": 120, "loyalty_tier": "ltr_gold"}},
        },
        "referrals": {"total": 0, "campaigns": []},
        "object": "customer",
    }
    data.update(fields)
    return Customer.from_api(data)


class FakeClient:
    """Answers from canned values and counts calls per method."""

    backend = "fake"

    def __init__(self, customer: Customer | None = None) -> None:
        self.customer = customer or make_customer()
        self.calls: Counter[str] = Counter()
        self.sent: list = []
        self.activities = ActivityList(activities=(), has_more=False)
        self.segments: tuple[SegmentRef, ...] = ()
        self.consents = Consents()

    def get_customer(self, customer_id):
        self.calls["get_customer"] += 1
        return self.customer

    def list_customer_activity(self, customer_id, **filters):
        self.calls["list_customer_activity"] += 1
        self.sent.append(("list_customer_activity", customer_id, filters))
        return self.activities

    def list_customer_segments(self, customer_id):
        self.calls["list_customer_segments"] += 1
        return self.segments

    def list_consents(self):
        self.calls["list_consents"] += 1
        return self.consents

    def update_customer(self, customer_id, data):
        self.calls["update_customer"] += 1
        self.sent.append(("update_customer", customer_id, dict(data)))
        return self.customer

    def create_customer(self, data):
        self.calls["create_customer"] += 1
        self.sent.append(("create_customer", dict(data)))
        return self.customer
