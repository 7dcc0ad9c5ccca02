"""A real `VoucherifyClient` pointed at a `responses` base URL, and API-shaped customer JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import responses
from urllib3.util.retry import Retry

from customers.voucherify import VoucherifyClient

API = "https://api.test"
CUSTOMERS_URL = f"{API}/v1/customers"


def customer_json(n: int, *, created_at: datetime | None = None, **fields) -> dict:
    created = created_at or datetime(2024, 6, 1, tzinfo=UTC) - timedelta(minutes=n)
    data = {
        "id": f"cust_{n:024d}",
        "source_id": f"crm-{n}",
        "name": f"Customer {n}",
        "email": f"customer{n}@example.com",
        "phone": f"+4790000{n:03d}",
        "address": {"city": "Oslo", "country": "NO"},
        "metadata": {"tier": "gold"},
        "summary": {},
        "loyalty": {},
        "referrals": {},
        "created_at": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "object": "customer",
    }
    data.update(fields)
    return data


def list_json(customers: list[dict], *, total: int | None = None, has_more=None) -> dict:
    body = {
        "object": "list",
        "data_ref": "customers",
        "customers": customers,
        "total": len(customers) if total is None else total,
    }
    if has_more is not None:
        body["has_more"] = has_more
    return body


def stub_client() -> VoucherifyClient:
    return VoucherifyClient(API, "app-id", "app-token", timeout=1.0, retries=Retry(total=0))


@pytest.fixture
def api(monkeypatch):
    """`responses` stubs behind the client the customer views get; unused stubs fail."""
    client = stub_client()
    monkeypatch.setattr("customers.voucherify.override", client)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps
