"""Bad input and bugs still get answers in the API's shapes, never an HTML page or a traceback."""

from __future__ import annotations

import logging

import pytest
import requests

from sandbox import services, views
from sandbox.models import Customer
from sandbox.transport import SandboxAdapter
from tests.sandbox.conftest import assert_error, auth_headers

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])
BASE = "http://sandbox.local"


@pytest.fixture
def session():
    session = requests.Session()
    session.mount(BASE + "/", SandboxAdapter())
    session.headers.update(auth_headers())
    yield session
    session.close()


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
