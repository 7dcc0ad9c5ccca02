"""Bad input and bugs still get answers in the API's shapes, never an HTML page or a traceback."""

from __future__ import annotations

import logging

import pytest

from sandbox import jobs, services, views
from sandbox.errors import MAX_BODY
from sandbox.models import Customer
from tests.sandbox.conftest import BASE, assert_error, auth_headers

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("starting_after", "9999-12-31T23:59:59-05:00"),
        ("created_at[before]", "9999-12-31T23:59:59-01:00"),
        ("updated_at[after]", "0001-01-01T00:00:00+05:00"),
    ],
)
def test_list_customers_date_out_of_range_in_utc_returns_invalid_query_params(session, name, value):
    response = session.get(BASE + "/v1/customers", params={name: value})

    body = assert_error(response, 400, "invalid_query_params")
    assert body["details"] == f"Property .{name} cannot be recognized as a ISO-8601 compliant date"


def test_list_customers_date_at_the_edge_of_range_is_accepted(session):
    response = session.get(
        BASE + "/v1/customers", params={"created_at[before]": "9999-12-31T23:59:59Z"}
    )

    assert response.status_code == 200


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"])
def test_create_customer_with_non_json_number_returns_invalid_payload(session, number):
    response = session.post(
        BASE + "/v1/customers",
        data='{"source_id": "n-1", "metadata": {"x": ' + number + "}}",
        headers={"Content-Type": "application/json"},
    )

    body = assert_error(response, 400, "invalid_payload")
    assert body["details"] == "The payload is not valid JSON"
    assert not Customer.objects.using("sandbox").exists()


def test_create_customer_with_deeply_nested_body_returns_invalid_payload(session):
    response = session.post(
        BASE + "/v1/customers",
        data="[" * 100_000 + "]" * 100_000,
        headers={"Content-Type": "application/json"},
    )

    body = assert_error(response, 400, "invalid_payload")
    assert body["details"] == "The payload is nested too deeply"


def test_unexpected_exception_in_a_view_returns_api_500_and_is_logged(client, monkeypatch, caplog):
    def broken(params):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "list_customers", broken)

    with caplog.at_level(logging.ERROR, logger="sandbox.views"):
        response = client.get("/sandbox/v1/customers", headers=auth_headers())

    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == 500
    assert body["key"] == "internal_error"
    assert body["message"] == "Internal server error"
    assert body["request_id"].startswith("v-")
    assert "boom" not in response.content.decode()
    assert any(record.exc_info for record in caplog.records)


def test_adapter_turns_an_exception_escaping_the_view_into_api_500(session, monkeypatch, caplog):
    def broken(error, request_id):
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "error_response", broken)  # breaks the unknown-route view

    with caplog.at_level(logging.ERROR, logger="sandbox.transport"):
        response = session.get(BASE + "/no/such/route")

    body = assert_error(response, 500, "internal_error")
    assert body["message"] == "Internal server error"
    assert any(record.exc_info for record in caplog.records)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/customers"),
        ("PUT", "/v1/customers/cap-1"),
        ("PUT", "/v1/customers/cap-1/consents"),
        ("POST", "/v1/customers/cap-1/permanent-deletion"),
    ],
)
def test_body_over_1_mb_returns_413_boom_shape(session, method, path):
    session.post(BASE + "/v1/customers", json={"source_id": "cap-1"})
    body = b'{"name": "' + b"x" * MAX_BODY + b'"}'

    response = session.request(
        method, BASE + path, data=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 413
    assert response.json() == {
        "statusCode": 413,
        "error": "Request Entity Too Large",
        "message": "Payload content length greater than maximum allowed: 1048576",
    }
    assert session.get(BASE + "/v1/customers/cap-1").status_code == 200


def test_body_of_exactly_1_mb_is_read(session):
    padding = MAX_BODY - len(b'{"source_id": "cap-2", "description": ""}')
    body = b'{"source_id": "cap-2", "description": "' + b"x" * padding + b'"}'

    response = session.post(
        BASE + "/v1/customers", data=body, headers={"Content-Type": "application/json"}
    )

    assert len(body) == MAX_BODY
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("field", "limit"), [("name", 500), ("email", 500), ("phone", 100), ("source_id", 468)]
)
def test_create_customer_string_longer_than_its_column_returns_invalid_payload(
    session, field, limit
):
    def value(length: int) -> str:
        return "a" * (length - len("@b.cd")) + "@b.cd" if field == "email" else "a" * length

    too_long = session.post(BASE + "/v1/customers", json={field: value(limit + 1)})
    fits = session.post(BASE + "/v1/customers", json={field: value(limit)})

    body = assert_error(too_long, 400, "invalid_payload")
    assert body["details"] == f"Property .{field} should NOT be longer than {limit} characters"
    assert fits.status_code == 200


def test_longest_source_id_still_fits_its_column_after_soft_deletion(session):
    source_id = "s" * services.SOURCE_ID_MAX
    session.post(BASE + "/v1/customers", json={"source_id": source_id})

    session.delete(BASE + "/v1/customers/" + source_id)

    renamed = Customer.objects.using("sandbox").get().source_id
    assert len(renamed) == Customer._meta.get_field("source_id").max_length


def test_update_customer_address_city_longer_than_its_column_returns_invalid_payload(session):
    session.post(BASE + "/v1/customers", json={"source_id": "len-1"})

    response = session.put(BASE + "/v1/customers/len-1", json={"address": {"city": "c" * 501}})

    body = assert_error(response, 400, "invalid_payload")
    assert body["details"] == "Property .address.city should NOT be longer than 500 characters"


def test_bulk_update_source_id_longer_than_its_column_is_a_failed_record(session):
    items = [{"source_id": "x" * 469}, {"source_id": "ok-1"}]

    action_id = session.post(BASE + "/v1/customers/bulk/async", json=items).json()[
        "async_action_id"
    ]
    jobs.run_pending_jobs()
    result = session.get(BASE + "/v1/async-actions/" + action_id).json()["result"]

    assert result["done_count"] == 1
    assert result["errors"][0]["details"] == (
        "Property .source_id should NOT be longer than 468 characters"
    )


@pytest.mark.parametrize("limit", ["\u0665", "1_0", " 5", "5 ", "+5", "5.0"])
def test_list_customers_limit_not_in_ascii_digits_returns_invalid_query_params(session, limit):
    response = session.get(BASE + "/v1/customers", params={"limit": limit})

    body = assert_error(response, 400, "invalid_query_params")
    assert body["details"] == "Property .limit should be integer"


def test_list_customers_negative_limit_says_its_minimum(session):
    response = session.get(BASE + "/v1/customers", params={"limit": "-1"})

    body = assert_error(response, 400, "invalid_query_params")
    assert body["details"] == "Property .limit should be >= 1"
