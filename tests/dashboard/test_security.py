"""Security headers and sign-in on every page."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def test_signin_page_sends_security_headers_and_a_strict_csp(client):
    response = client.get("/signin/")

    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_signin_page_loads_htmx_from_our_static_files_not_a_cdn(client):
    html = client.get("/signin/").content.decode()

    assert '<script src="/static/django_htmx/htmx-2.min.js" defer>' in html
    # Every script and stylesheet comes from this server (a random CSRF token may spell "cdn").
    sources = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]*)"', html)
    assert sources and all(src.startswith(("/", "data:")) for src in sources), sources


@pytest.mark.parametrize("url", ["/", "/customers/", "/audit/", "/customers/new/"])
def test_pages_anonymous_user_is_sent_to_signin(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/signin/?next=")


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_healthz_answers_without_signing_in(client):
    assert client.get("/healthz").json()["status"] == "ok"


def test_signin_post_without_csrf_token_is_refused():
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/signin/", {"username": "a", "password": "b"})

    assert response.status_code == 403


def test_sandbox_http_api_refuses_requests_without_its_token(client):
    response = client.get("/sandbox/v1/customers")

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("debug", "token", "served"),
    [
        ("true", "", True),
        ("false", "", False),
        ("false", "a-token-of-our-own", True),
    ],
)
def test_sandbox_http_api_outside_debug_needs_a_token_of_its_own(debug, token, served):
    from tests.dashboard.test_settings import PRODUCTION, start

    env = {**PRODUCTION, "DJANGO_DEBUG": debug}
    if token:
        env["SANDBOX_APP_TOKEN"] = token
    result = start("from django.conf import settings as s; print(s.SANDBOX_SERVE_HTTP)", **env)

    assert result.stdout.split() == [str(served)]


def test_settings_half_voucherify_credentials_stop_the_start():
    from tests.dashboard.test_settings import PRODUCTION, start

    result = start(**PRODUCTION, VOUCHERIFY_APP_ID="app-only")

    assert result.returncode != 0
    assert "Set both VOUCHERIFY_APP_ID and VOUCHERIFY_APP_TOKEN" in result.stderr


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_search_message_quoting_an_email_is_not_stored_in_a_cookie(client_for):
    from datetime import UTC, datetime

    from customers.voucherify import get_client
    from sandbox.models import Customer

    get_client.cache_clear()
    Customer.objects.using("sandbox").create(
        id="cust_ann", email="ann@example.com", created_at=datetime(2024, 1, 1, tzinfo=UTC)
    )
    support = client_for("support")

    response = support.get("/customers/", {"q": "Ann@Example.com"})

    assert response.status_code == 302
    assert all("ann@example.com" not in morsel.value for morsel in response.cookies.values())
    assert "messages" not in response.cookies
