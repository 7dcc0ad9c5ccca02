"""Every way a call can fail, and the exception (and the details) the caller gets."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests

from customers.voucherify import (
    AuthFailed,
    BadResponse,
    ConnectionFailed,
    NotFound,
    RateLimited,
    ServerError,
    Timeout,
    ValidationFailed,
    VoucherifyError,
)
from customers.voucherify.errors import parse_field_errors, parse_retry_after
from tests.contract import response_examples
from tests.customers.voucherify.conftest import APP_TOKEN, BASE_URL, ODD_ID, ODD_ID_QUOTED

CUSTOMERS = f"{BASE_URL}/v1/customers"


def test_error_400_invalid_payload_details_become_field_errors(client, api):
    api.post(
        CUSTOMERS,
        status=400,
        json={
            "code": 400,
            "key": "invalid_payload",
            "message": "Invalid payload",
            "details": "Property .email should be string; Property .address.city should be "
            "string,null",
            "request_id": "v-0b4c590350857970df",
        },
    )

    with pytest.raises(ValidationFailed) as caught:
        client.create_customer({"email": 1, "address": {"city": 2}})

    error = caught.value
    assert error.status == 400
    assert error.key == "invalid_payload"
    assert error.message == "Invalid payload"
    assert error.request_id == "v-0b4c590350857970df"
    assert error.field_errors == {
        "email": ["should be string"],
        "address.city": ["should be string,null"],
    }


def test_error_400_query_params_contract_example_keeps_details(client, api):
    body = response_examples("/v1/async-actions", "get", 400)["Invalid Query Parameters"]
    api.get(f"{BASE_URL}/v1/async-actions", status=400, json=body)

    with pytest.raises(ValidationFailed) as caught:
        client.list_async_actions(end_date="yesterday")

    assert caught.value.key == "invalid_query_params"
    assert caught.value.field_errors == {
        "end_date": ["cannot be recognized as a ISO-8601 compliant date"]
    }
    assert "ISO-8601" in str(caught.value)


def test_error_409_duplicate_is_validation_failed(client, api):
    api.post(
        CUSTOMERS,
        status=409,
        json={"code": 409, "key": "duplicate_found", "message": "Duplicated resource found"},
    )

    with pytest.raises(ValidationFailed) as caught:
        client.create_customer({"source_id": "dup"})

    assert caught.value.status == 409
    assert caught.value.field_errors == {}


@pytest.mark.parametrize("status", [401, 403])
def test_error_401_403_auth_failed_without_credentials(client, api, status):
    api.get(CUSTOMERS, status=status, json={"code": status, "message": "Unauthorized"})

    with pytest.raises(AuthFailed) as caught:
        client.list_customers()

    assert caught.value.status == status
    assert APP_TOKEN not in str(caught.value)
    assert APP_TOKEN not in repr(caught.value)


def test_error_404_contract_example_not_found(client, api):
    body = response_examples("/v1/customers/{customerId}", "get", 404)["Not found"]
    api.get(f"{CUSTOMERS}/{ODD_ID_QUOTED}", status=404, json=body)

    with pytest.raises(NotFound) as caught:
        client.get_customer(ODD_ID)

    assert caught.value.key == "not_found"
    assert caught.value.details == body["details"]
    assert caught.value.request_id == body.get("request_id")


def test_error_413_boom_shape_is_validation_failed(client, api):
    body = response_examples("/v1/customers/bulk/async", "post", 413)["Request Entity Too Large"]
    api.post(f"{CUSTOMERS}/bulk/async", status=413, json=body)

    with pytest.raises(ValidationFailed) as caught:
        client.update_customers_in_bulk([{"source_id": "a"}])

    assert caught.value.status == 413
    assert caught.value.message == "Request Entity Too Large"
    assert caught.value.details == body["message"]
    assert caught.value.key is None


def test_error_429_without_key_reads_retry_after_seconds(client, api):
    api.post(
        f"{CUSTOMERS}/bulk/async",
        status=429,
        json={"code": 429, "message": "Too many requests hit the API too quickly."},
        headers={"Retry-After": "7"},
    )

    with pytest.raises(RateLimited) as caught:
        client.update_customers_in_bulk([{"source_id": "a"}])

    assert caught.value.retry_after == 7
    assert caught.value.key is None
    assert caught.value.message == "Too many requests hit the API too quickly."


def test_error_429_retry_after_http_date_gives_seconds():
    later = datetime.now(UTC) + timedelta(seconds=90)

    seconds = parse_retry_after(format_datetime(later, usegmt=True))

    assert 85 <= seconds <= 91


def test_error_429_retry_after_http_date_without_zone_taken_as_utc():
    later = datetime.now(UTC) + timedelta(seconds=60)

    seconds = parse_retry_after(later.strftime("%a, %d %b %Y %H:%M:%S -0000"))

    assert 55 <= seconds <= 61


def test_error_validation_rule_message_used_when_no_details(client, api):
    api.post(
        CUSTOMERS,
        status=400,
        json={"code": 400, "message": "Invalid", "error": {"message": "Phone is required"}},
    )

    with pytest.raises(ValidationFailed) as caught:
        client.create_customer({})

    assert caught.value.details == "Phone is required"


@pytest.mark.parametrize("value", [None, "", "soon"])
def test_error_429_retry_after_missing_or_garbage_gives_none(value):
    assert parse_retry_after(value) is None


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_error_5xx_server_error(client, api, status):
    api.get(CUSTOMERS, status=status, body="<html>upstream trouble</html>")

    with pytest.raises(ServerError) as caught:
        client.list_customers()

    assert caught.value.status == status
    assert not isinstance(caught.value, BadResponse)


def test_error_405_other_status_base_error(client, api):
    api.get(CUSTOMERS, status=405, json={"code": 405, "message": "HTTP Method Not Allowed"})

    with pytest.raises(VoucherifyError) as caught:
        client.list_customers()

    assert type(caught.value) is VoucherifyError
    assert caught.value.message == "HTTP Method Not Allowed"


def test_error_redirect_not_followed_token_stays_home(client, api):
    api.get(CUSTOMERS, status=302, headers={"Location": "https://elsewhere.test/steal"})

    with pytest.raises(VoucherifyError) as caught:
        client.list_customers()

    assert caught.value.status == 302
    assert len(api.calls) == 1


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"", b"[1, 2]", b"<html>maintenance</html>"],
    ids=["malformed", "empty", "array", "html"],
)
def test_error_200_without_json_object_bad_response(client, api, body):
    api.get(f"{CUSTOMERS}/cust_1", status=200, body=body)

    with pytest.raises(BadResponse) as caught:
        client.get_customer("cust_1")

    assert isinstance(caught.value, ServerError)


def test_error_202_without_async_action_id_bad_response(client, api):
    api.post(f"{CUSTOMERS}/metadata/async", status=202, json={})

    with pytest.raises(BadResponse):
        client.update_customers_metadata_in_bulk(["a"], {"k": "v"})


def test_error_read_timeout_becomes_timeout_from_it(client, api):
    api.get(CUSTOMERS, body=requests.ReadTimeout("slow"))

    with pytest.raises(Timeout) as caught:
        client.list_customers()

    assert isinstance(caught.value.__cause__, requests.ReadTimeout)
    assert not isinstance(caught.value, ConnectionFailed)  # reached, but slow
    assert caught.value.status is None
    assert caught.value.may_have_applied is False  # a GET changes nothing


def test_error_read_timeout_of_a_write_may_have_applied(client, api):
    api.put(f"{CUSTOMERS}/c1", body=requests.ReadTimeout("slow"))

    with pytest.raises(Timeout) as caught:
        client.update_customer("c1", {"name": "x"})

    assert caught.value.may_have_applied is True


def test_error_connect_timeout_is_unreachable_not_slow(client, api):
    api.get(CUSTOMERS, body=requests.ConnectTimeout("no route"))

    with pytest.raises(ConnectionFailed) as caught:
        client.list_customers()

    assert not isinstance(caught.value, Timeout)
    assert caught.value.may_have_applied is False


def test_error_read_timeout_wrapped_by_urllib3_retry_is_still_slow(client, api):
    # urllib3's Retry turns a retried method's read timeout into MaxRetryError, which
    # requests raises as a ConnectionError: the cause decides, not the wrapper.
    from urllib3.exceptions import MaxRetryError, ReadTimeoutError

    reason = ReadTimeoutError(None, "/v1/customers", "Read timed out.")
    api.get(CUSTOMERS, body=requests.ConnectionError(MaxRetryError(None, "/", reason)))

    with pytest.raises(Timeout):
        client.list_customers()


def test_error_requests_connection_error_becomes_connection_failed(client, api):
    api.get(CUSTOMERS, body=requests.ConnectionError("refused"))

    with pytest.raises(ConnectionFailed) as caught:
        client.list_customers()

    assert not isinstance(caught.value, Timeout)
    assert isinstance(caught.value.__cause__, requests.ConnectionError)


@pytest.mark.parametrize("bad_id", ["", None])
def test_error_empty_id_not_found_without_request(client, api, bad_id):
    with pytest.raises(NotFound):
        client.get_customer(bad_id)

    assert len(api.calls) == 0


def test_error_logged_as_warning_with_voucherify_request_id_never_token(client, api, caplog):
    api.get(
        f"{CUSTOMERS}/{ODD_ID_QUOTED}",
        status=404,
        json={
            "code": 404,
            "message": "Resource not found",
            "details": f"Cannot find customer with id {ODD_ID}",
            "request_id": "v-0123456789abcdef01",
        },
    )
    caplog.set_level(logging.DEBUG, logger="customers.voucherify")

    with pytest.raises(NotFound):
        client.get_customer(ODD_ID)

    (record,) = [r for r in caplog.records if r.name == "customers.voucherify.client"]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == "voucherify GET /v1/customers/{id} -> 404"
    assert record.voucherify_request_id == "v-0123456789abcdef01"
    assert record.error == "NotFound"
    assert record.path == "/v1/customers/{id}"
    assert isinstance(record.duration_ms, float)
    logged = " ".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    assert ODD_ID not in logged
    assert ODD_ID_QUOTED not in logged
    assert APP_TOKEN not in logged


def test_error_unreachable_logged_with_the_error_and_no_status(client, api, caplog):
    api.get(CUSTOMERS, body=requests.ConnectionError("refused"))
    caplog.set_level(logging.DEBUG, logger="customers.voucherify")

    with pytest.raises(ConnectionFailed):
        client.list_customers()

    (record,) = [r for r in caplog.records if r.name == "customers.voucherify.client"]
    assert record.getMessage() == "voucherify GET /v1/customers -> ConnectionFailed"
    assert record.status is None


def test_error_success_logged_at_info_without_the_id(client, api, caplog):
    api.delete(f"{CUSTOMERS}/ann%40example.com", status=204)
    api.get(f"{CUSTOMERS}/ann%40example.com/segments", json={"data": [], "total": 0})
    caplog.set_level(logging.DEBUG, logger="customers.voucherify")

    client.delete_customer("ann@example.com")
    client.list_customer_segments("ann@example.com")

    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.INFO, "voucherify DELETE /v1/customers/{id} -> 204"),
        (logging.INFO, "voucherify GET /v1/customers/{id}/segments -> 200"),
    ]


def test_parse_field_errors_no_property_text_gives_empty():
    assert parse_field_errors("The payload cannot be empty") == {}
    assert parse_field_errors(None) == {}


def test_parse_field_errors_same_field_twice_collects_both():
    details = "Property .phone should be string, Property .phone should match pattern"

    assert parse_field_errors(details) == {"phone": ["should be string", "should match pattern"]}


def test_error_message_echoing_the_app_token_is_redacted(client, api):
    api.get(
        f"{CUSTOMERS}/c1",
        status=401,
        json={"code": 401, "message": f"Bad token {APP_TOKEN}", "details": f"got {APP_TOKEN}"},
    )

    with pytest.raises(AuthFailed) as caught:
        client.get_customer("c1")

    assert APP_TOKEN not in str(caught.value) and APP_TOKEN not in repr(caught.value.args)
    assert caught.value.message == "Bad token [app token]"


@pytest.mark.parametrize("body", ["<html>portal</html>", "{broken"])
def test_body_less_call_answered_with_a_body_that_is_not_json_is_bad_response(client, api, body):
    api.put(f"{CUSTOMERS}/c1/consents", status=200, body=body)

    with pytest.raises(BadResponse) as caught:
        client.update_customers_consents("c1", {"unsubscribed": True})

    assert caught.value.may_have_applied is True


def test_body_less_call_answered_with_json_or_nothing_is_fine(client, api):
    api.put(f"{CUSTOMERS}/c1/consents", status=200, body="")
    api.put(f"{CUSTOMERS}/c2/consents", status=200, json={})

    client.update_customers_consents("c1", {"unsubscribed": True})
    client.update_customers_consents("c2", {"unsubscribed": True})
