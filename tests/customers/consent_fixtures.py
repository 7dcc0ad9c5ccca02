"""Consents tests: canned definitions, activities and ledger entries, and the sandbox seeded
with consents behind a client that records every request (to check them against the contract).

Loaded as a plugin by tests/conftest.py, so its fixtures are available everywhere.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import pytest
from django.conf import settings

from customers.models import ConsentLedgerEntry
from customers.models.consents import wording_fingerprint
from customers.voucherify import SANDBOX_BASE_URL, VoucherifyClient
from customers.voucherify.resources import Activity, Consents, Customer
from sandbox.transport import SandboxAdapter

NEWSLETTER = "cnst_newsletter00000000000001"
SMS = "cnst_sms000000000000000000001"
PROFILING = "cnst_profiling0000000000001"
CID = "cust_0000000000000000000000c1"
T0 = datetime.datetime(2026, 1, 10, 9, 0, tzinfo=datetime.UTC)


def at(days: float = 0, minutes: float = 0) -> datetime.datetime:
    return T0 + datetime.timedelta(days=days, minutes=minutes)


def iso(moment: datetime.datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def definitions(*, newsletter_description: str = "Monthly newsletter by email") -> Consents:
    return Consents.from_api(
        {
            "groups": {
                "object": "list",
                "data_ref": "data",
                "total": 1,
                "data": [
                    {
                        "id": "cnstgr_marketing0000000000001",
                        "name": "Marketing",
                        "description": "Every marketing channel",
                        "consents": [NEWSLETTER, SMS],
                        "object": "consent_group",
                    }
                ],
            },
            "consents": {
                "object": "list",
                "data_ref": "data",
                "total": 3,
                "data": [
                    {"id": NEWSLETTER, "name": "Newsletter", "description": newsletter_description},
                    {"id": SMS, "name": "SMS offers", "description": "Promotions by text"},
                    {"id": PROFILING, "name": "Profiling", "description": "Offers by history"},
                ],
            },
        }
    )


def customer(consents: dict | None = None, **fields) -> Customer:
    data = {"id": CID, "source_id": "crm-c1", "name": "Ada", "object": "customer"}
    if consents is not None:
        data["system_metadata"] = {"consents": consents}
    data.update(fields)
    return Customer.from_api(data)


def consent_event(
    granted: bool, moment: datetime.datetime, *ids: str, channel: str = "API", n: int = 0
) -> Activity:
    return Activity.from_api(
        {
            "id": f"evcus_{n:018x}",
            "type": "customer.consents.given" if granted else "customer.consents.revoked",
            "created_at": iso(moment),
            "group_id": "v-0000000000000000aa",
            "data": {
                "data": {
                    "customer": {"id": CID},
                    "consents": [{"id": i, "name": i, "object": "consent"} for i in ids],
                },
                "event_source": {"channel": channel},
            },
        }
    )


def entry(
    consent_id: str,
    old: str,
    new: str,
    moment: datetime.datetime,
    *,
    outcome: str = "applied",
    user=None,
    name: str = "Newsletter",
    description: str = "Monthly newsletter by email",
) -> ConsentLedgerEntry:
    return ConsentLedgerEntry.objects.create(
        customer_id=CID,
        consent_id=consent_id,
        consent_name=name,
        consent_description=description,
        wording_fingerprint=wording_fingerprint(name, description),
        old_state=old,
        new_state=new,
        recorded_at=moment,
        method="phone",
        reason="The customer called",
        user=user,
        username=user.get_username() if user else "marketing-1",
        outcome=outcome,
    )


class RecordingAdapter(SandboxAdapter):
    """The in-process sandbox, keeping each (PreparedRequest, Response) it answered."""

    def __init__(self):
        super().__init__()
        self.calls: list = []

    def send(self, request, **kwargs):
        response = super().send(request, **kwargs)
        self.calls.append((request, response))
        return response

    def puts(self) -> list:
        return [(req, resp) for req, resp in self.calls if req.method == "PUT"]


@dataclass
class ConsentsSandbox:
    """The sandbox with three consents (two in a group) and one customer."""

    client: VoucherifyClient
    adapter: RecordingAdapter
    customer: Customer
    consents: dict[str, str] = field(default_factory=dict)  # name -> id

    def id(self, name: str) -> str:
        return self.consents[name]

    def current(self) -> Customer:
        return self.client.get_customer(self.customer.id)


@pytest.fixture
def consents_sandbox(monkeypatch) -> ConsentsSandbox:
    """Needs `django_db(databases=["default", "sandbox"])`. Every `get_client()` caller (the
    consents service, the profile's views) gets this client."""
    from sandbox import ids
    from sandbox.models import Consent, ConsentGroup

    db = "sandbox"
    now = ids.now()
    made = {}
    for name, description in (
        ("Newsletter", "Monthly newsletter by email"),
        ("SMS offers", "Promotions by text message"),
        ("Profiling", "Offers based on purchase history"),
    ):
        consent = Consent.objects.using(db).create(
            id=ids.consent_id(), name=name, description=description, created_at=now
        )
        made[name] = consent
    group = ConsentGroup.objects.using(db).create(
        id=ids.consent_group_id(), name="Marketing", description="Every channel", created_at=now
    )
    group.consents.set([made["Newsletter"], made["SMS offers"]])
    adapter = RecordingAdapter()
    client = VoucherifyClient(
        SANDBOX_BASE_URL,
        settings.SANDBOX_APP_ID,
        settings.SANDBOX_APP_TOKEN,
        timeout=5.0,
        adapter=adapter,
        backend="sandbox",
    )
    monkeypatch.setattr("customers.voucherify.override", client)
    customer = client.create_customer({"source_id": "consent-1", "name": "Ada Lovelace"})
    adapter.calls.clear()
    return ConsentsSandbox(client, adapter, customer, {n: c.id for n, c in made.items()})
