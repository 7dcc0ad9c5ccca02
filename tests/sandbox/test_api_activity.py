"""Activities, segments and consents over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sandbox.models import Activity, Consent, ConsentGroup, Segment
from tests.sandbox.conftest import assert_error

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])
T0 = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture
def berlin():
    return Segment.objects.using("sandbox").create(
        id="seg_" + "B" * 24,
        name="Berlin shoppers",
        type=Segment.AUTO_UPDATE,
        filter={"junction": "and", "address.city": {"conditions": {"$is": ["Berlin"]}}},
        created_at=T0,
    )


@pytest.fixture
def consents():
    newsletter = Consent.objects.using("sandbox").create(
        id="cnst_" + "N" * 24, name="Newsletter", category="marketing", created_at=T0
    )
    sms = Consent.objects.using("sandbox").create(
        id="cnst_" + "S" * 24, name="SMS", category="marketing", created_at=T0
    )
    group = ConsentGroup.objects.using("sandbox").create(
        id="cnstgr_" + "M" * 24, name="Marketing", created_at=T0
    )
    group.consents.set([newsletter, sms])
    return newsletter, sms


def test_activity_records_created_and_updated_newest_first(sandbox_http, make_customer):
    made = make_customer(source_id="a-1")
    sandbox_http.call("PUT", "/v1/customers/a-1", json={"name": "New name"})

    body = sandbox_http.call("GET", "/v1/customers/a-1/activity").json()

    assert [a["type"] for a in body["data"]] == ["customer.updated", "customer.created"]
    item = body["data"][0]
    assert item["id"].startswith("evcus_")
    assert len(item["id"]) == 24
    assert item["group_id"].startswith("v-")
    assert item["data"]["event_source"] == {"channel": "API"}
    assert item["data"]["data"]["customer"]["name"] == "New name"
    assert item["data"]["data"]["customer"]["id"] == made["id"]
    assert body["has_more"] is False
    assert "more_starting_after" not in body


def test_activity_id_cursor_pages_through_all(sandbox_http, make_customer):
    make_customer(source_id="a-2")
    for n in range(4):
        sandbox_http.call("PUT", "/v1/customers/a-2", json={"name": f"v{n}"})

    first = sandbox_http.call("GET", "/v1/customers/a-2/activity", params={"limit": 3}).json()
    second = sandbox_http.call(
        "GET",
        "/v1/customers/a-2/activity",
        params={"limit": 3, "starting_after_id": first["more_starting_after"]},
    ).json()

    assert first["has_more"] is True
    assert first["more_starting_after"] == first["data"][-1]["id"]
    assert second["has_more"] is False
    names = [a["data"]["data"]["customer"].get("name") for a in first["data"] + second["data"]]
    assert names == ["v3", "v2", "v1", "v0", None]


@pytest.mark.parametrize("path", ["activity", "activities"])
def test_activity_cursor_of_another_customers_event_returns_400(sandbox_http, make_customer, path):
    make_customer(source_id="mine")
    make_customer(source_id="theirs")
    theirs = sandbox_http.call("GET", "/v1/customers/theirs/activity").json()["data"][0]["id"]

    response = sandbox_http.request(
        "GET", f"/v1/customers/mine/{path}", params={"starting_after_id": theirs}
    )

    body = assert_error(response, 400, "invalid_query_params")
    assert theirs in body["details"]


def test_activity_filters_by_type_and_ascending_order(sandbox_http, make_customer):
    make_customer(source_id="a-3")
    sandbox_http.call("PUT", "/v1/customers/a-3", json={"name": "x"})

    created = sandbox_http.call(
        "GET", "/v1/customers/a-3/activity", params={"type": "customer.created"}
    ).json()
    ascending = sandbox_http.call(
        "GET", "/v1/customers/a-3/activity", params={"order": "created_at"}
    ).json()

    assert [a["type"] for a in created["data"]] == ["customer.created"]
    assert [a["type"] for a in ascending["data"]] == ["customer.created", "customer.updated"]


@pytest.mark.parametrize("path", ["activity", "activities"])
def test_activity_filters_by_campaign_find_the_events_that_name_it(
    sandbox_http, make_customer, path
):
    made = make_customer(source_id="a-camp")
    campaign = {"id": "camp_" + "R" * 24, "name": "Refer a Friend"}
    Activity.objects.using("sandbox").create(
        id="evcus_" + "0" * 17 + "1",
        customer_id=made["id"],
        type="customer.referred",
        data={"campaign": {**campaign, "campaign_type": "REFERRAL_PROGRAM"}},
        group_id="v-" + "0" * 18,
        created_at=T0,
    )
    url = f"/v1/customers/a-camp/{path}"

    def types(**params):
        return [a["type"] for a in sandbox_http.call("GET", url, params=params).json()["data"]]

    assert types() == ["customer.created", "customer.referred"]
    assert types(campaign_id=campaign["id"]) == ["customer.referred"]
    assert types(campaign_type="REFERRAL_PROGRAM") == ["customer.referred"]
    assert types(campaign_id="camp_other") == []
    assert types(campaign_type="LOYALTY_PROGRAM") == []
    assert types(product_id="prod_1") == []
    referred = sandbox_http.call("GET", url, params={"campaign_id": campaign["id"]}).json()
    assert referred["data"][0]["data"]["data"]["campaign"]["name"] == "Refer a Friend"


def test_activity_unknown_customer_returns_404(sandbox_http):
    assert_error(sandbox_http.call("GET", "/v1/customers/ghost/activity"), 404, "not_found")


def test_activity_bad_order_returns_400(sandbox_http, make_customer):
    make_customer(source_id="a-4")

    response = sandbox_http.request("GET", "/v1/customers/a-4/activity", params={"order": "type"})

    assert_error(response, 400, "invalid_query_params")


def test_activities_deprecated_has_total_and_date_cursor(sandbox_http, make_customer):
    make_customer(source_id="a-5")
    sandbox_http.call("PUT", "/v1/customers/a-5", json={"name": "x"})
    newest = sandbox_http.call("GET", "/v1/customers/a-5/activities").json()

    older = sandbox_http.call(
        "GET",
        "/v1/customers/a-5/activities",
        params={"starting_after": newest["data"][0]["created_at"]},
    ).json()

    assert newest["total"] == 2
    assert newest["data_ref"] == "data"
    assert [a["type"] for a in older["data"]] == ["customer.created"]


@pytest.mark.parametrize(
    ("order", "types"),
    [
        ("code", ["customer.created", "customer.updated"]),
        ("-code", ["customer.updated", "customer.created"]),
        ("campaign", ["customer.created", "customer.updated"]),
        ("-campaign", ["customer.updated", "customer.created"]),
        ("category", ["customer.created", "customer.updated"]),
        ("-category", ["customer.updated", "customer.created"]),
    ],
)
def test_activities_deprecated_accepts_every_order_of_the_contract(
    sandbox_http, make_customer, order, types
):
    make_customer(source_id="a-6")
    sandbox_http.call("PUT", "/v1/customers/a-6", json={"name": "x"})

    response = sandbox_http.call("GET", "/v1/customers/a-6/activities", params={"order": order})

    assert response.status_code == 200
    assert [a["type"] for a in response.json()["data"]] == types


def test_segment_membership_follows_changes_with_activities(sandbox_http, make_customer, berlin):
    make_customer(source_id="s-1", address={"city": "Berlin"})

    joined = sandbox_http.call("GET", "/v1/customers/s-1/segments").json()
    members = sandbox_http.call("GET", "/v1/customers", params={"segment_id": berlin.id}).json()
    sandbox_http.call("PUT", "/v1/customers/s-1", json={"address": {"city": "Paris"}})
    left = sandbox_http.call("GET", "/v1/customers/s-1/segments").json()
    types = [
        a["type"] for a in sandbox_http.call("GET", "/v1/customers/s-1/activity").json()["data"]
    ]

    assert joined == {
        "object": "list",
        "data_ref": "data",
        "data": [{"id": berlin.id, "name": "Berlin shoppers", "object": "segment"}],
        "total": 1,
    }
    assert [c["source_id"] for c in members["customers"]] == ["s-1"]
    assert left["total"] == 0
    assert types == [
        "customer.segment.left",
        "customer.updated",
        "customer.segment.entered",
        "customer.created",
    ]


def test_segments_of_unknown_customer_is_empty_not_404(sandbox_http):
    response = sandbox_http.call("GET", "/v1/customers/nobody/segments")

    assert response.status_code == 200
    assert response.json()["total"] == 0


def test_get_segment_returns_it_or_404(sandbox_http, berlin):
    found = sandbox_http.call("GET", f"/v1/segments/{berlin.id}").json()
    missing = sandbox_http.call("GET", "/v1/segments/seg_missing")

    assert found["type"] == "auto-update"
    assert found["filter"]["address.city"] == {"conditions": {"$is": ["Berlin"]}}
    assert found["object"] == "segment"
    body = assert_error(missing, 404, "not_found")
    assert body["resource_type"] == "segment"


def test_list_consents_returns_groups_and_definitions(sandbox_http, consents):
    body = sandbox_http.call("GET", "/v1/consents").json()

    assert body["consents"]["total"] == 2
    assert {c["name"] for c in body["consents"]["data"]} == {"Newsletter", "SMS"}
    assert body["groups"]["data"][0]["consents"] == sorted(c.id for c in consents)
    assert body["groups"]["data"][0]["object"] == "consent_group"
    assert body["groups"]["data"][0]["updated_at"] is None
    assert [c["updated_at"] for c in body["consents"]["data"]] == [None, None]


def test_update_consents_returns_204_and_keeps_state(sandbox_http, make_customer, consents):
    newsletter, sms = consents
    make_customer(source_id="c-1")

    response = sandbox_http.call(
        "PUT", "/v1/customers/c-1/consents", json={newsletter.id: True, sms.id: False}
    )
    state = sandbox_http.call("GET", "/v1/customers/c-1").json()["system_metadata"]["consents"]
    # The consents events are legacy: the current contract's activity `type` enum lacks them.
    types = [
        a["type"] for a in sandbox_http.request("GET", "/v1/customers/c-1/activity").json()["data"]
    ]

    assert response.status_code == 204
    assert response.content == b""
    assert state[newsletter.id]["value"] is True
    assert state[sms.id]["value"] is False
    assert state["unsubscribed"] is False
    assert set(types[:2]) == {"customer.consents.given", "customer.consents.revoked"}


def test_unsubscribed_revokes_every_consent(sandbox_http, make_customer, consents):
    newsletter, sms = consents
    make_customer(source_id="c-2")
    sandbox_http.call("PUT", "/v1/customers/c-2/consents", json={newsletter.id: True, sms.id: True})

    sandbox_http.call("PUT", "/v1/customers/c-2/consents", json={"unsubscribed": True})

    state = sandbox_http.call("GET", "/v1/customers/c-2").json()["system_metadata"]["consents"]
    assert state["unsubscribed"] is True
    assert state[newsletter.id]["value"] is False
    assert state[sms.id]["value"] is False


def test_update_consents_empty_body_returns_400(sandbox_http, make_customer):
    make_customer(source_id="c-3")

    response = sandbox_http.call("PUT", "/v1/customers/c-3/consents", json={})

    body = assert_error(response, 400, "invalid_payload")
    assert body["details"] == "The payload cannot be empty"


def test_update_consents_unknown_consent_returns_400(sandbox_http, make_customer):
    make_customer(source_id="c-4")

    response = sandbox_http.call("PUT", "/v1/customers/c-4/consents", json={"cnst_nope": True})

    assert_error(response, 400, "invalid_payload")
