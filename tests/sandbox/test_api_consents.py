"""The sandbox's consents: each change shows in the state, the global opt-out and the
activities; SANDBOX_CONSENTS_GONE answers the consent endpoints 410."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sandbox.models import Consent
from tests.sandbox.conftest import assert_error

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])
T0 = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture
def newsletter():
    return Consent.objects.using("sandbox").create(
        id="cnst_" + "N" * 24, name="Newsletter", description="Monthly", created_at=T0
    )


def consent_events(sandbox_http, customer: str) -> list[tuple[str, list[str]]]:
    # The consents events are legacy: the current contract's activity `type` enum lacks them.
    data = sandbox_http.request("GET", f"/v1/customers/{customer}/activity").json()["data"]
    return [
        (a["type"], [c["id"] for c in a["data"]["data"]["consents"]])
        for a in data
        if a["type"].startswith("customer.consents.")
    ]


def test_consents_gone_answers_410_on_both_consent_endpoints(
    sandbox_http, make_customer, newsletter, settings
):
    make_customer(source_id="g-1")
    settings.SANDBOX_CONSENTS_GONE = True

    listing = sandbox_http.request("GET", "/v1/consents")
    update = sandbox_http.request("PUT", "/v1/customers/g-1/consents", json={newsletter.id: True})

    assert_error(listing, 410, "gone")
    assert_error(update, 410, "gone")
    customer = sandbox_http.call("GET", "/v1/customers/g-1").json()
    assert "consents" not in customer["system_metadata"]


def test_unsubscribe_then_opt_back_in_shows_in_state_flag_and_events(
    sandbox_http, make_customer, newsletter
):
    make_customer(source_id="g-2")
    path = "/v1/customers/g-2/consents"
    sandbox_http.call("PUT", path, json={newsletter.id: True})

    sandbox_http.call("PUT", path, json={"unsubscribed": True})
    after_opt_out = sandbox_http.call("GET", "/v1/customers/g-2").json()["system_metadata"]
    sandbox_http.call("PUT", path, json={newsletter.id: True, "unsubscribed": False})
    after_opt_in = sandbox_http.call("GET", "/v1/customers/g-2").json()["system_metadata"]

    assert after_opt_out["consents"]["unsubscribed"] is True
    assert after_opt_out["consents"][newsletter.id]["value"] is False
    assert after_opt_in["consents"]["unsubscribed"] is False
    assert after_opt_in["consents"][newsletter.id]["value"] is True
    assert consent_events(sandbox_http, "g-2") == [
        ("customer.consents.given", [newsletter.id]),
        ("customer.consents.revoked", [newsletter.id]),
        ("customer.consents.given", [newsletter.id]),
    ]
