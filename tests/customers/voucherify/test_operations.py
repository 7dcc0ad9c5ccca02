"""Every operation: the request it sends (method, path, query, body, headers) and what it returns.

Requests and stubbed responses are checked against the OpenAPI contract (the `sent` fixture);
stub bodies are the contract's own examples wherever it has one.
"""

from __future__ import annotations

import email
import email.policy
import io
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import requests
from openapi_core.validation.request.exceptions import InvalidParameter

from customers.voucherify.errors import ValidationFailed
from customers.voucherify.resources import (
    Activity,
    AsyncAction,
    BulkUpdateResult,
    Customer,
    ImportCsvResult,
    MessageResult,
)
from tests.contract import assert_request_matches_contract, request_examples, response_examples
from tests.customers.voucherify.conftest import (
    BASE_URL,
    ODD_ID,
    ODD_ID_QUOTED,
    json_of,
    path_of,
    query_of,
)

CUSTOMER = response_examples("/v1/customers/{customerId}", "get")["Example"]


def _activity(event_id: str, kind: str = "customer.created") -> dict:
    return {
        "id": event_id,
        "type": kind,
        "data": {"data": {"customer": CUSTOMER}, "event_source": {"channel": "API"}},
        "created_at": "2024-05-01T10:00:00.000Z",
        "group_id": "v-0c5547cc4d8b0f5be4",
    }


def test_list_customers_every_filter_sends_bracketed_query(client, api, sent):
    body = response_examples("/v1/customers", "get")["Example"]
    api.get(f"{BASE_URL}/v1/customers", json=body)
    warsaw = timezone(timedelta(hours=2))

    result = client.list_customers(
        limit=50,
        page=99,
        email="bob@example.com",
        name="Bob Smith",
        city="New York",
        segment_id="seg_1",
        created_at_before=datetime(2024, 5, 1, 12, 0, tzinfo=warsaw),
        created_at_after="2024-01-01T00:00:00Z",
        updated_at_before=datetime(2024, 6, 1, tzinfo=UTC),
        updated_at_after=datetime(2024, 2, 1, 8, 30),
        order="-updated_at",
        starting_after="2200-01-01T00:00:00Z",
    )

    request = sent()
    assert request.method == "GET"
    assert path_of(request) == "/v1/customers"
    assert "created_at%5Bbefore%5D=" in request.url
    assert query_of(request) == {
        "limit": "50",
        "page": "99",
        "email": "bob@example.com",
        "name": "Bob Smith",
        "city": "New York",
        "segment_id": "seg_1",
        "created_at[before]": "2024-05-01T10:00:00.000Z",
        "created_at[after]": "2024-01-01T00:00:00Z",
        "updated_at[before]": "2024-06-01T00:00:00.000Z",
        "updated_at[after]": "2024-02-01T08:30:00.000Z",
        "order": "-updated_at",
        "starting_after": "2200-01-01T00:00:00Z",
    }
    assert result.total == body["total"]
    assert [c.id for c in result.customers] == [c["id"] for c in body["customers"]]
    assert all(isinstance(c, Customer) for c in result.customers)


def test_list_customers_no_filters_sends_no_query(client, api, sent):
    api.get(f"{BASE_URL}/v1/customers", json=response_examples("/v1/customers", "get")["Example"])

    client.list_customers()

    assert query_of(sent()) == {}


def test_get_customer_odd_id_is_quoted_into_one_segment(client, api, sent):
    api.get(f"{BASE_URL}/v1/customers/{ODD_ID_QUOTED}", json=CUSTOMER)

    customer = client.get_customer(ODD_ID)

    request = sent()
    assert request.method == "GET"
    assert path_of(request) == f"/v1/customers/{ODD_ID_QUOTED}"
    assert request.body is None
    assert customer.id == CUSTOMER["id"]
    assert customer.email == "alice.morgan@email.com"


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_create_customer_with_non_json_number_is_validation_failed_and_not_sent(
    client, api, number
):
    with pytest.raises(ValidationFailed) as raised:
        client.create_customer({"source_id": "n-1", "metadata": {"score": number}})

    assert raised.value.message == "The data cannot be sent as JSON"
    assert "Nothing was sent" in raised.value.details
    assert len(api.calls) == 0


def test_update_customers_in_bulk_with_nan_is_validation_failed(client, api):
    with pytest.raises(ValidationFailed):
        client.update_customers_in_bulk([{"source_id": "n-1", "metadata": {"x": float("nan")}}])

    assert len(api.calls) == 0


@pytest.mark.parametrize(("identifier", "quoted"), [("..", "%2E%2E"), (".", "%2E")])
def test_get_customer_dot_id_is_quoted_so_no_url_normaliser_drops_it(
    client, api, sent, identifier, quoted
):
    api.get(f"{BASE_URL}/v1/customers/{quoted}", json=CUSTOMER)

    client.get_customer(identifier)

    assert sent().url == f"{BASE_URL}/v1/customers/{quoted}"


def test_list_customer_activity_dot_id_keeps_its_suffix(client, api, sent):
    api.get(
        f"{BASE_URL}/v1/customers/%2E%2E/activity",
        json={"object": "list", "data_ref": "data", "data": [], "has_more": False},
    )

    client.list_customer_activity("..", limit=5)

    assert sent().url == f"{BASE_URL}/v1/customers/%2E%2E/activity?limit=5"


def test_create_customer_posts_json_body(client, api, sent):
    data = request_examples("/v1/customers", "post")["Example"]
    created = response_examples("/v1/customers", "post")["Example"]
    api.post(f"{BASE_URL}/v1/customers", json=created)

    customer = client.create_customer(data)

    request = sent()
    assert request.method == "POST"
    assert path_of(request) == "/v1/customers"
    assert request.headers["Content-Type"] == "application/json"
    assert json_of(request) == data
    assert customer.id == created["id"]
    assert customer.source_id == created["source_id"]


def test_update_customer_puts_json_body(client, api, sent):
    data = request_examples("/v1/customers/{customerId}", "put")["Example"]
    updated = response_examples("/v1/customers/{customerId}", "put")["Example"]
    api.put(f"{BASE_URL}/v1/customers/{ODD_ID_QUOTED}", json=updated)

    customer = client.update_customer(ODD_ID, data)

    request = sent()
    assert request.method == "PUT"
    assert path_of(request) == f"/v1/customers/{ODD_ID_QUOTED}"
    assert json_of(request) == data
    assert customer.updated_at is not None


def test_delete_customer_204_returns_none(client, api, sent):
    api.delete(f"{BASE_URL}/v1/customers/{ODD_ID_QUOTED}", status=204)

    assert client.delete_customer(ODD_ID) is None

    request = sent()
    assert request.method == "DELETE"
    assert path_of(request) == f"/v1/customers/{ODD_ID_QUOTED}"


def test_customer_permanently_deletion_posts_without_body(client, api, sent):
    receipt = response_examples("/v1/customers/{customerId}/permanent-deletion", "post")["Example"]
    api.post(f"{BASE_URL}/v1/customers/{ODD_ID_QUOTED}/permanent-deletion", json=receipt)

    deletion = client.customer_permanently_deletion(ODD_ID)

    request = sent()
    assert request.method == "POST"
    assert path_of(request) == f"/v1/customers/{ODD_ID_QUOTED}/permanent-deletion"
    assert not request.body
    assert request.headers["Content-Length"] == "0"
    assert "Content-Type" not in request.headers
    assert deletion.id == receipt["id"]
    assert deletion.object == "pernament_deletion"
    assert deletion.data_json["customer"] == 1


def test_import_customers_using_csv_posts_multipart_file(client, api, sent):
    csv = b"Source_id,Name,Email\nsrc-1,Ann,ann@example.com\n"
    answer = response_examples("/v1/customers/importCSV", "post", 202)["Example"]
    api.post(f"{BASE_URL}/v1/customers/importCSV", status=202, json=answer)

    action_id = client.import_customers_using_csv(io.BytesIO(csv), 'my "new" customers.csv')

    request = sent()
    assert request.method == "POST"
    assert path_of(request) == "/v1/customers/importCSV"
    content_type = request.headers["Content-Type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    message = email.message_from_bytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + request.body,
        policy=email.policy.HTTP,
    )
    (part,) = message.iter_parts()
    assert part.get_param("name", header="content-disposition") == "file"
    assert part.get_filename() == 'my "new" customers.csv'
    assert part.get_content_type() == "text/csv"
    assert part.get_payload(decode=True) == csv
    assert action_id == answer["async_action_id"]


def test_list_customer_activities_every_filter_in_query(client, api, sent):
    body = {"object": "list", "data_ref": "data", "data": [_activity("evcus_1")], "total": 7}
    api.get(f"{BASE_URL}/v1/customers/{ODD_ID_QUOTED}/activities", json=body)

    result = client.list_customer_activities(
        ODD_ID,
        limit=20,
        order="-created_at",
        starting_after=datetime(2024, 1, 1, tzinfo=UTC),
        starting_after_id="evcus_0",
        campaign_type="LOYALTY_PROGRAM",
        campaign_id="camp_1",
        product_id="prod_1",
        start_date="2023-01-01T00:00:00Z",
        end_date=datetime(2024, 12, 31, 23, 59, tzinfo=UTC),
    )

    request = sent()
    assert path_of(request) == f"/v1/customers/{ODD_ID_QUOTED}/activities"
    assert query_of(request) == {
        "limit": "20",
        "order": "-created_at",
        "starting_after": "2024-01-01T00:00:00.000Z",
        "starting_after_id": "evcus_0",
        "campaign_type": "LOYALTY_PROGRAM",
        "campaign_id": "camp_1",
        "product_id": "prod_1",
        "start_date": "2023-01-01T00:00:00Z",
        "end_date": "2024-12-31T23:59:00.000Z",
    }
    assert result.total == 7
    assert result.has_more is False
    (activity,) = result.activities
    assert isinstance(activity, Activity)
    assert activity.data["customer"]["id"] == CUSTOMER["id"]


def test_list_customer_activity_every_filter_in_query(client, api, sent):
    body = {
        "object": "list",
        "data_ref": "data",
        "data": [_activity("evcus_1"), _activity("evcus_2", "customer.updated")],
        "has_more": True,
        "more_starting_after": "evcus_2",
    }
    api.get(f"{BASE_URL}/v1/customers/{ODD_ID_QUOTED}/activity", json=body)

    result = client.list_customer_activity(
        ODD_ID,
        limit=2,
        order="created_at",
        starting_after_id="evcus_0",
        start_date=datetime(2024, 1, 1, tzinfo=UTC),
        end_date="2024-12-31T00:00:00Z",
        campaign_id="camp_1",
        campaign_type="PROMOTION",
        category="ACTION",
        type="customer.updated",
    )

    request = sent()
    assert path_of(request) == f"/v1/customers/{ODD_ID_QUOTED}/activity"
    assert query_of(request) == {
        "limit": "2",
        "order": "created_at",
        "starting_after_id": "evcus_0",
        "start_date": "2024-01-01T00:00:00.000Z",
        "end_date": "2024-12-31T00:00:00Z",
        "campaign_id": "camp_1",
        "campaign_type": "PROMOTION",
        "category": "ACTION",
        "type": "customer.updated",
    }
    assert result.has_more is True
    assert result.more_starting_after == "evcus_2"
    assert result.total is None
    assert [a.type for a in result.activities] == ["customer.created", "customer.updated"]
    assert result.activities[0].channel == "API"


def test_list_customer_segments_returns_refs(client, api, sent):
    body = response_examples("/v1/customers/{customerId}/segments", "get")["Example"]
    api.get(f"{BASE_URL}/v1/customers/{ODD_ID_QUOTED}/segments", json=body)

    segments = client.list_customer_segments(ODD_ID)

    request = sent()
    assert path_of(request) == f"/v1/customers/{ODD_ID_QUOTED}/segments"
    assert [(s.id, s.name) for s in segments] == [(s["id"], s["name"]) for s in body["data"]]


def test_get_segment_returns_segment(client, api, sent):
    body = response_examples("/v1/segments/{segmentId}", "get")["Tier Segment"]
    api.get(f"{BASE_URL}/v1/segments/{ODD_ID_QUOTED}", json=body)

    segment = client.get_segment(ODD_ID)

    assert path_of(sent()) == f"/v1/segments/{ODD_ID_QUOTED}"
    assert segment.id == body["id"]
    assert segment.type == "auto-update"
    assert segment.filter["junction"] == "and"


def test_update_customers_consents_puts_map_expects_204(client, api, sent):
    api.put(f"{BASE_URL}/v1/customers/{ODD_ID_QUOTED}/consents", status=204)

    result = client.update_customers_consents(
        ODD_ID, {"cnst_6jQ5XcUOLnj5L7ImQAdBsJ1I": True, "unsubscribed": False}
    )

    request = sent()
    assert result is None
    assert request.method == "PUT"
    assert path_of(request) == f"/v1/customers/{ODD_ID_QUOTED}/consents"
    assert json_of(request) == {"cnst_6jQ5XcUOLnj5L7ImQAdBsJ1I": True, "unsubscribed": False}


def test_list_consents_returns_groups_and_consents(client, api, sent):
    body = response_examples("/v1/consents", "get")["Marketing Permissions Groups and Consents"]
    api.get(f"{BASE_URL}/v1/consents", json=body)

    consents = client.list_consents()

    assert path_of(sent()) == "/v1/consents"
    assert [g.id for g in consents.groups] == [g["id"] for g in body["groups"]["data"]]
    assert [c.name for c in consents.consents] == ["Consent", "Consent 2"]
    assert consents.consents[0].updated_at is None
    assert consents.groups[0].consents == tuple(body["groups"]["data"][0]["consents"])


def test_update_customers_in_bulk_posts_json_array(client, api, sent):
    customers = request_examples("/v1/customers/bulk/async", "post")["Example"]
    api.post(
        f"{BASE_URL}/v1/customers/bulk/async",
        status=202,
        json={"async_action_id": "aa_0a875d56c805df6601"},
    )

    action_id = client.update_customers_in_bulk(customers)

    request = sent()
    assert request.method == "POST"
    assert path_of(request) == "/v1/customers/bulk/async"
    assert json_of(request) == customers
    assert action_id == "aa_0a875d56c805df6601"


def test_update_customers_metadata_in_bulk_posts_ids_and_metadata(client, api, sent):
    answer = response_examples("/v1/customers/metadata/async", "post", 202)["Example"]
    api.post(f"{BASE_URL}/v1/customers/metadata/async", status=202, json=answer)

    action_id = client.update_customers_metadata_in_bulk(
        ("source_123", "source_456"), {"lang": "en", "test": None}
    )

    request = sent()
    assert path_of(request) == "/v1/customers/metadata/async"
    assert json_of(request) == {
        "source_ids": ["source_123", "source_456"],
        "metadata": {"lang": "en", "test": None},
    }
    assert action_id == answer["async_action_id"]


@pytest.mark.parametrize(
    ("example", "result_type"),
    [
        ("CUSTOMERS.IMPORT_CSV", ImportCsvResult),
        ("CUSTOMERS.BULK_UPDATE", BulkUpdateResult),
        ("CUSTOMERS.METADATA_UPDATE", BulkUpdateResult),
        ("CUSTOMERS.METADATA_KEY_PURGE", MessageResult),
        ("CAMPAIGN.VOUCHERS_GENERATE", dict),
    ],
)
def test_get_async_action_result_typed_per_type(client, api, sent, example, result_type):
    body = response_examples("/v1/async-actions/{asyncActionId}", "get")[example]
    api.get(f"{BASE_URL}/v1/async-actions/{ODD_ID_QUOTED}", json=body)

    action = client.get_async_action(ODD_ID)

    assert path_of(sent()) == f"/v1/async-actions/{ODD_ID_QUOTED}"
    assert isinstance(action, AsyncAction)
    assert action.id == body["id"]
    assert action.status == "DONE"
    assert action.finished is True
    assert isinstance(action.result, result_type)


def test_list_async_actions_limit_and_bare_date(client, api, sent):
    body = response_examples("/v1/async-actions", "get")["List Async Actions"]
    api.get(f"{BASE_URL}/v1/async-actions", json=body)

    result = client.list_async_actions(limit=5, end_date=date(2016, 11, 16))

    request = sent(validate=False)  # `end_date` is a bare date, which the contract types as
    # date-time although its description (and the API) accept `2016-11-16`.
    assert path_of(request) == "/v1/async-actions"
    assert query_of(request) == {"limit": "5", "end_date": "2016-11-16"}
    assert [a.type for a in result.async_actions] == [
        "CUSTOMERS.BULK_UPDATE",
        "CUSTOMERS.METADATA_UPDATE",
    ]
    assert result.async_actions[0].result is None


def test_list_async_actions_datetime_matches_contract(client, api, sent):
    body = response_examples("/v1/async-actions", "get")["List Async Actions"]
    api.get(f"{BASE_URL}/v1/async-actions", json=body)

    client.list_async_actions(end_date=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))

    assert query_of(sent()) == {"end_date": "2024-01-02T03:04:05.000Z"}


def test_contract_helper_accepts_any_host_and_mount_prefix():
    request = requests.Request(
        "GET",
        "http://127.0.0.1:8123/sandbox/v1/customers/a%2Fb",
        params={"limit": 5},
        headers={"X-App-Id": "i", "X-App-Token": "t"},
    ).prepare()

    assert_request_matches_contract(request)
    assert request.url == "http://127.0.0.1:8123/sandbox/v1/customers/a%2Fb?limit=5"


def test_contract_helper_rejects_what_the_contract_forbids():
    request = requests.Request(
        "GET", f"{BASE_URL}/v1/customers", params={"page": 100}, headers={"X-App-Id": "i"}
    ).prepare()

    with pytest.raises(InvalidParameter):
        assert_request_matches_contract(request)
