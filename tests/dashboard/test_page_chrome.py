"""What every page says about where it is: the sandbox banner and the accounts link."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from selectolax.lexbor import LexborHTMLParser as HTMLParser

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def _banner(response):
    return HTMLParser(response.text).css_first("[data-sandbox-banner]")


@pytest.mark.parametrize("path", ["/customers/", "/audit/", "/customers/new/", "/nowhere/"])
def test_banner_sandbox_backend_on_every_page(client_for, path):
    response = client_for("admin").get(path)

    banner = _banner(response)
    assert banner is not None
    assert "made up" in banner.text()


def test_banner_sandbox_backend_on_sign_in_and_403_pages(client, client_for):
    assert _banner(client.get("/signin/")) is not None
    assert _banner(client_for("support").get("/audit/")) is not None


def test_banner_real_voucherify_not_shown(client, settings):
    settings.VOUCHERIFY_USE_SANDBOX = False
    settings.VOUCHERIFY_API_URL = "https://api.voucherify.io"

    assert _banner(client.get("/signin/")) is None


def _nav_links(response) -> dict[str, str]:
    nav = HTMLParser(response.text).css_first('nav[aria-label="Main"]')
    return {a.text(strip=True): a.attributes["href"] for a in nav.css("a")}


def test_nav_admin_gets_accounts_link():
    call_command("create_demo_users")
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username="admin"))

    assert _nav_links(client.get("/customers/"))["Accounts"] == "/admin/"


@pytest.mark.parametrize("role", ["support", "marketing", "compliance"])
def test_nav_other_roles_no_accounts_link(client_for, role):
    assert "Accounts" not in _nav_links(client_for(role).get("/customers/"))


def test_banner_sandbox_served_over_http_is_shown(client, settings):
    settings.VOUCHERIFY_USE_SANDBOX = False
    settings.VOUCHERIFY_API_URL = "http://127.0.0.1:8000/sandbox/"

    assert _banner(client.get("/signin/")) is not None
