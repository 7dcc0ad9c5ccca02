"""/healthz: public, says whether the API answers, and never reveals a setting."""

from __future__ import annotations

import pytest
import requests
import responses
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

import customers.voucherify
from customers.voucherify import get_client
from dashboard.views import HEALTH_CACHE_KEY

API_URL = "https://api.healthz-secret-host.test"
APP_ID = "healthz-app-id-7f3a"
APP_TOKEN = "healthz-app-token-9c1e"
SECRETS = (API_URL, "healthz-secret-host", APP_ID, APP_TOKEN)
LIST = {"object": "list", "data_ref": "customers", "customers": [], "total": 0, "has_more": False}

real_voucherify = override_settings(
    VOUCHERIFY_USE_SANDBOX=False,
    VOUCHERIFY_API_URL=API_URL,
    VOUCHERIFY_APP_ID=APP_ID,
    VOUCHERIFY_APP_TOKEN=APP_TOKEN,
)


@pytest.fixture(autouse=True)
def fresh_client():
    get_client.cache_clear()
    cache.delete(HEALTH_CACHE_KEY)
    yield
    get_client.cache_clear()
    cache.delete(HEALTH_CACHE_KEY)


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@real_voucherify
def test_healthz_api_answers_ok_anonymous(client, api):
    api.get(f"{API_URL}/v1/customers", json=LIST)

    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "voucherify": "reachable", "backend": "voucherify"}
    assert api.calls[0].request.url == f"{API_URL}/v1/customers?limit=1"
    assert "no-cache" in response["Cache-Control"]


def test_healthz_sandbox_backend_named(client, monkeypatch):
    monkeypatch.setattr(
        customers.voucherify,
        "SANDBOX_ADAPTER",
        "tests.customers.voucherify.test_transport.RecordingAdapter",
    )

    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json()["backend"] == "sandbox"


@real_voucherify
@pytest.mark.parametrize(
    ("stub", "error", "cause"),
    [
        (
            {"status": 401, "json": {"code": 401, "message": f"bad token {APP_TOKEN}"}},
            "AuthFailed",
            "configuration",
        ),
        ({"status": 429, "json": {"code": 429, "message": "Too many"}}, "RateLimited", "busy"),
        ({"status": 500, "json": {"code": 500, "message": "Internal"}}, "ServerError", "error"),
        ({"status": 503, "body": "<html>down</html>"}, "ServerError", "error"),
        ({"status": 200, "body": "{not json"}, "BadResponse", "error"),
        (
            {"body": requests.ConnectionError(f"{API_URL} refused")},
            "ConnectionFailed",
            "unreachable",
        ),
    ],
    ids=["401", "429", "500", "503", "malformed", "refused"],
)
def test_healthz_api_fails_503_naming_the_cause_without_settings(
    client, api, stub, error, cause, caplog
):
    api.get(f"{API_URL}/v1/customers", **stub)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json() == {"status": "error", "voucherify": cause, "error": error}
    body = response.content.decode()
    assert not any(secret in body or secret in caplog.text for secret in SECRETS)


@real_voucherify
def test_healthz_slow_api_is_504_slow_not_unreachable(client, api):
    api.get(f"{API_URL}/v1/customers", body=requests.ReadTimeout(f"{API_URL} timed out"))

    response = client.get(reverse("healthz"))

    assert response.status_code == 504
    assert response.json() == {"status": "error", "voucherify": "slow", "error": "Timeout"}


def test_healthz_post_not_allowed(client):
    assert client.post(reverse("healthz")).status_code == 405


@real_voucherify
def test_healthz_repeated_within_seconds_asks_the_api_once(client, api):
    api.get(f"{API_URL}/v1/customers", json=LIST)

    statuses = [client.get(reverse("healthz")).status_code for _ in range(5)]

    assert statuses == [200] * 5
    assert len(api.calls) == 1
