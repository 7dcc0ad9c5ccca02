"""Policies applied to every request: sign-in for HTMX too, and no caching of private pages."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def test_htmx_request_after_session_expired_redirects_the_whole_page_to_signin(client):
    response = client.get(
        "/customers/?city=Oslo",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/customers/?city=Oslo&page=2",
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == "/signin/?next=/customers/%3Fcity%3DOslo%26page%3D2"


def test_plain_request_without_session_redirects_to_signin(client):
    response = client.get("/customers/?city=Oslo")

    assert response.status_code == 302
    assert response["Location"] == "/signin/?next=/customers/%3Fcity%3DOslo"


def test_signed_in_pages_are_not_stored_by_browsers(client_for):
    response = client_for("support").get("/customers/")

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
