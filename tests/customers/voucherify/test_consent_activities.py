"""The legacy consent events: the official SDK 6.x rejects activity types outside the
current spec's enum; our client parses them, and any type it does not know, leniently."""

from __future__ import annotations

import pytest

from customers.services.consents import consent_refs
from tests.contract import assert_request_matches_contract
from tests.customers.voucherify.conftest import BASE_URL

CONSENT_ID = "cnst_6jQ5XcUOLnj5L7ImQAdBsJ1I"


def _event(event_id: str, kind: str, data: dict) -> dict:
    return {
        "id": event_id,
        "type": kind,
        "created_at": "2024-05-01T10:00:00.000Z",
        "group_id": "v-0a1b2c3d4e5f6a7b8c",
        "data": {"data": data, "event_source": {"channel": "USER_PORTAL"}},
    }


@pytest.mark.parametrize("kind", ["customer.consents.given", "customer.consents.revoked"])
def test_list_customer_activity_parses_consent_events_with_their_consents(client, api, kind):
    payload = {
        "customer": {"id": "cust_1"},
        "consents": [{"id": CONSENT_ID, "name": "Newsletter", "object": "consent"}],
    }
    api.get(
        f"{BASE_URL}/v1/customers/cust_1/activity",
        json={
            "object": "list",
            "data_ref": "data",
            "data": [
                _event("evcus_0000000000000000a1", kind, payload),
                _event("evcus_0000000000000000a2", "customer.brand_new.event", {"x": {"y": 1}}),
                _event("evcus_0000000000000000a3", kind, {"consents": "not a list"}),
            ],
            "has_more": False,
        },
    )

    page = client.list_customer_activity("cust_1", limit=100)

    assert_request_matches_contract(api.calls[0].request)
    consent, unknown, malformed = page.activities
    assert (consent.type, consent.channel) == (kind, "USER_PORTAL")
    assert consent_refs(consent) == [(CONSENT_ID, "Newsletter")]
    assert unknown.type == "customer.brand_new.event"
    assert unknown.data == {"x": {"y": 1}}
    assert consent_refs(unknown) == []
    assert consent_refs(malformed) == []
