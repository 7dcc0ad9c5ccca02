"""List state that tells the truth: the page size shown, clean URLs, no lone pager, and a
create that needs something to find the customer by."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from dashboard.models import AuditEntry
from tests.customers.api_stubs import CUSTOMERS_URL, api, customer_json, list_json
from tests.customers.test_edit import create_post

__all__ = ["api"]
pytestmark = pytest.mark.django_db
LIST = "/customers/"


@pytest.fixture
def support(client_for):
    return client_for("support")


def _selected_limit(response) -> str:
    return HTMLParser(response.text).css_first("#id_limit option[selected]").attributes["value"]


def test_customer_list_without_page_size_shows_the_25_it_lists(support, api):
    api.get(CUSTOMERS_URL, json=list_json([customer_json(n) for n in range(25)], total=30))

    response = support.get(LIST)

    assert _selected_limit(response) == "25"


def test_customer_list_page_size_chosen_is_the_one_shown(support, api):
    api.get(CUSTOMERS_URL, json=list_json([customer_json(1)], total=1))

    assert _selected_limit(support.get(LIST, {"limit": "50"})) == "50"


def test_customer_list_empty_filters_redirect_to_the_url_without_them(support):
    response = support.get(LIST, {"email": "", "name": " ", "city": "Oslo", "order": ""})

    assert response.status_code == 302
    assert response["Location"] == "/customers/?city=Oslo"


def test_customer_list_htmx_empty_filters_answer_and_push_the_clean_url(support, api):
    api.get(CUSTOMERS_URL, json=list_json([customer_json(n) for n in range(10)], total=40))

    response = support.get(
        LIST,
        {"email": "", "city": "Oslo", "limit": "10"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TRIGGER="customer-filters",
    )

    assert response.status_code == 200
    assert response["HX-Push-Url"] == "/customers/?city=Oslo&limit=10"
    links = [a.attributes["href"] for a in HTMLParser(response.text).css("nav.pagination a")]
    assert links
    assert all("email=" not in link for link in links)
    assert "/customers/?city=Oslo&limit=10&page=2" in links


def test_customer_list_single_page_has_no_pager(support, api):
    api.get(CUSTOMERS_URL, json=list_json([customer_json(1), customer_json(2)], total=2))

    page = HTMLParser(support.get(LIST).text)

    assert page.css_first("nav.pagination") is None
    assert page.css_first("[data-position]") is None


def test_customer_list_two_pages_show_the_position_and_links(support, api):
    api.get(CUSTOMERS_URL, json=list_json([customer_json(1)], total=30))

    page = HTMLParser(support.get(LIST).text)

    assert page.css_first("[data-position]").text() == "page 1 of 2"
    assert page.css_first("nav.pagination") is not None


def test_audit_log_empty_filters_redirect_to_the_url_without_them(client_for):
    response = client_for("compliance").get("/audit/", {"user": "", "outcome": "failed"})

    assert response.status_code == 302
    assert response["Location"] == "/audit/?outcome=failed"


def test_audit_log_single_page_shows_no_page_one_of_one(client_for):
    AuditEntry.objects.create(username="x", operation="update_customer", outcome="success")

    page = HTMLParser(client_for("compliance").get("/audit/").text)

    assert page.css_first("[data-position]") is None
    assert page.css_first("nav.pagination") is None


def test_customer_create_without_any_identifying_field_is_refused(support, fake_client):
    response = support.post(
        reverse("customers:create"), create_post(description="Met at the fair", address_city="Oslo")
    )

    assert response.status_code == 200
    alert = HTMLParser(response.text).css_first("[role=alert]")
    assert "at least a source id, an email, a name or a phone number" in alert.text()
    assert fake_client.calls == {}


@pytest.mark.parametrize("field", ["source_id", "email", "name", "phone"])
def test_customer_create_any_one_identifying_field_is_enough(support, fake_client, field):
    value = "ann@example.com" if field == "email" else "x1"

    response = support.post(reverse("customers:create"), create_post(**{field: value}))

    assert response.status_code == 302


def test_customer_create_birthdate_in_the_future_is_refused(support, fake_client):
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)

    response = support.post(
        reverse("customers:create"), create_post(name="Ada", birthdate=tomorrow.isoformat())
    )

    assert response.status_code == 200
    assert "A birthdate cannot be in the future." in response.text
    assert fake_client.calls == {}
