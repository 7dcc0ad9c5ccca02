"""Structured logs: JSON lines with our request id, the user's id and Voucherify's request id;
paths as routes, exceptions without messages, never a customer's data."""

from __future__ import annotations

import io
import json
import logging

import pytest

from dashboard.logs import JsonFormatter, RequestContextFilter

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

EMAIL = "ann.lee@example.com"


@pytest.fixture
def log_lines():
    """What the console handler of LOGGING writes, as parsed JSON objects."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)

    def read() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield read
    root.removeHandler(handler)
    root.setLevel(previous)


def _request_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["logger"] == "dashboard.request"]


def test_request_line_has_request_id_user_id_route_and_status(client_for, log_lines):
    client = client_for("support")
    user_id = client.session["_auth_user_id"]

    response = client.get(f"/customers/?email={EMAIL}")

    (line,) = _request_lines(log_lines())
    assert line["request_id"] == response["X-Request-ID"]
    assert str(line["user_id"]) == user_id
    assert line["route"] == "customers/"
    assert line["status"] == 200
    assert line["method"] == "GET"
    assert line["duration_ms"] >= 0
    assert EMAIL not in json.dumps(log_lines())


def test_request_id_from_the_proxy_is_kept_when_valid(client, log_lines):
    kept = client.get("/healthz", headers={"X-Request-ID": "lb-0123456789abcdef"})
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id\nwith a newline"})

    assert kept["X-Request-ID"] == "lb-0123456789abcdef"
    assert replaced["X-Request-ID"] != "bad id\nwith a newline"
    assert len(replaced["X-Request-ID"]) == 32
    assert [line["request_id"] for line in _request_lines(log_lines())] == [
        "lb-0123456789abcdef",
        replaced["X-Request-ID"],
    ]


def test_not_found_logged_by_django_names_the_route_not_the_path(client_for, log_lines):
    client = client_for("support")

    response = client.get(f"/customers/{EMAIL}/")

    assert response.status_code == 404
    lines = log_lines()
    django_line = next(line for line in lines if line["logger"] == "django.request")
    assert django_line["message"].startswith("Not Found: customers/")
    assert django_line["request_id"] == response["X-Request-ID"]
    assert EMAIL not in json.dumps(lines)


def test_failed_api_call_puts_voucherify_request_id_on_the_request_line(client_for, log_lines):
    client = client_for("support")

    client.get(f"/customers/{EMAIL}/")

    lines = log_lines()
    call = next(line for line in lines if line["logger"] == "customers.voucherify.client")
    (request_line,) = _request_lines(lines)
    assert call["voucherify_request_id"].startswith("v-")
    assert call["path"] == "/v1/customers/{id}"
    assert request_line["voucherify_request_id"] == call["voucherify_request_id"]
    assert call["request_id"] == request_line["request_id"]


def test_exception_logged_with_type_and_stack_never_its_message(log_lines):
    try:
        raise ValueError(f"no customer {EMAIL}")
    except ValueError:
        logging.getLogger("customers.views").exception("page failed")

    (line,) = log_lines()
    assert line["exception"] == "builtins.ValueError"
    assert line["stack"][0].endswith(
        "in test_exception_logged_with_type_and_stack_never_its_message"
    )
    assert line["message"] == "page failed"
    assert EMAIL not in json.dumps(line)


def test_runserver_line_keeps_the_method_and_status_not_the_path(log_lines):
    logging.getLogger("django.server").info(
        '"%s" %s %s', f"GET /customers/?email={EMAIL} HTTP/1.1", "200", "512"
    )

    (line,) = log_lines()
    assert line["message"] == '"GET" 200 512'
