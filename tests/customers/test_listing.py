from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from responses import matchers
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from customers.models import SeenSegment
from dashboard.models import AuditEntry
from tests.customers.api_stubs import API, CUSTOMERS_URL, api, customer_json, list_json

__all__ = ["api"]  # the fixture, imported for the tests below

pytestmark = pytest.mark.django_db
LIST = "/customers/"


def query_of(call) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


def hrefs(response, marker: str) -> list[str]:
    """Unescaped hrefs of the links that carry `marker` (an attribute or a rel value)."""
    html = response.content.decode()
    tags = [tag for tag in re.findall(r"<a [^>]*>", html) if marker in tag]
    return [unescape(re.search(r'href="([^"]+)"', tag).group(1)) for tag in tags]


@pytest.fixture
def support(client_for):
    return client_for("support")


def test_customer_list_full_page_shows_rows_linking_to_profiles_with_one_call(support, api):
    api.get(CUSTOMERS_URL, json=list_json([customer_json(1), customer_json(2)]))

    response = support.get(LIST)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html
    assert 'id="customer-filters"' in html
    assert "Customer 1" in html and "customer2@example.com" in html and "crm-1" in html
    assert "+4790000002" in html
    assert "Oslo" in html and "2024-05-31 23:59" in html
    assert f'href="/customers/cust_{1:024d}/"' in html
    assert "Press <kbd>/</kbd> to search" in html
    assert "data-search-box" in html
    assert len(api.calls) == 1
    assert query_of(api.calls[0]) == {"limit": ["25"], "page": ["1"]}
    assert response["Vary"] == "HX-Request" or "HX-Request" in response["Vary"]


@pytest.mark.parametrize(("role", "offered"), [("support", True), ("marketing", False)])
def test_customer_list_new_customer_button_only_for_roles_that_may_create(
    client_for, api, role, offered
):
    api.get(CUSTOMERS_URL, json=list_json([customer_json(1)]))

    html = client_for(role).get(LIST).content.decode()

    assert ('href="/customers/new/"' in html) is offered


def test_customer_list_htmx_request_returns_only_the_table_fragment(support, api):
    api.get(CUSTOMERS_URL, json=list_json([customer_json(1)]))

    response = support.get(LIST, {"city": "Oslo"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="customer-table"' not in html  # the content of the live region only
    assert "<html" not in html and "customer-filters" not in html
    assert "Customer 1" in html
    assert len(api.calls) == 1


def test_customer_list_history_restore_request_returns_the_full_page(support, api):
    api.get(CUSTOMERS_URL, json=list_json([customer_json(1)]))

    response = support.get(LIST, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")

    assert "<html" in response.content.decode()


def test_customer_list_every_filter_reaches_the_api_as_the_contract_names_it(support, api):
    SeenSegment.objects.create(segment_id="seg_123", name="VIP")  # no get_segment call
    api.get(
        CUSTOMERS_URL,
        match=[
            matchers.query_param_matcher(
                {
                    "email": "ann@example.com",
                    "name": "Ann Lee",
                    "city": "Oslo",
                    "segment_id": "seg_123",
                    "created_at[after]": "2024-01-01T00:00:00.000Z",
                    "created_at[before]": "2024-01-31T23:59:59.999Z",
                    "updated_at[after]": "2024-02-01T00:00:00.000Z",
                    "updated_at[before]": "2024-02-02T23:59:59.999Z",
                    "order": "-updated_at",
                    "limit": "50",
                    "page": "3",
                }
            )
        ],
        json=list_json([customer_json(1)], total=500),
    )

    response = support.get(
        LIST,
        {
            "email": "ann@example.com",
            "name": "Ann Lee",
            "city": "Oslo",
            "segment_id": "seg_123",
            "created_after": "2024-01-01",
            "created_before": "2024-01-31",
            "updated_after": "2024-02-01",
            "updated_before": "2024-02-02",
            "order": "-updated_at",
            "limit": "50",
            "page": "3",
        },
    )

    assert response.status_code == 200
    assert len(api.calls) == 1


def test_customer_list_filters_round_trip_into_form_pager_and_export_links(support, api):
    api.get(CUSTOMERS_URL, json=list_json([customer_json(1)], total=120))
    params = {"city": "Oslo", "created_after": "2024-01-01", "order": "source_id", "limit": "10"}

    response = support.get(LIST, {**params, "page": "2"})

    html = response.content.decode()
    assert 'name="city" value="Oslo"' in html
    assert 'name="created_after" value="2024-01-01"' in html
    assert '<option value="source_id" selected>' in html
    assert '<option value="10" selected>' in html
    next_link = hrefs(response, 'rel="next"')[0]
    assert parse_qs(urlsplit(next_link).query) == {
        **{k: [v] for k, v in params.items()},
        "page": ["3"],
    }
    export = hrefs(response, "data-export")[0]
    assert urlsplit(export).path == "/customers/export.csv"
    # The export walks in creation order whatever the list's order, and says so.
    assert parse_qs(urlsplit(export).query) == {
        "city": ["Oslo"],
        "created_after": ["2024-01-01"],
    }
    assert "holds every customer matching these filters" in html
    assert "newest first by creation date" in html


def test_customer_list_filter_form_is_applied_as_you_type_and_without_js(support, api):
    api.get(CUSTOMERS_URL, json=list_json([]))

    html = support.get(LIST).content.decode()

    form = re.search(r'<form id="customer-filters"[^>]*>', html).group(0)
    assert 'method="get"' in form and 'action="/customers/"' in form
    assert 'hx-get="/customers/"' in form
    assert 'hx-trigger="input changed delay:400ms, submit"' in form
    assert 'hx-target="#customer-table"' in form and 'hx-push-url="true"' in form
    assert 'hx-indicator="#customer-table-loading"' in form
    assert "match exactly" in html


def test_customer_list_page_window_shows_neighbours_first_and_last(support, api):
    api.get(CUSTOMERS_URL, json=list_json([customer_json(1)], total=9900))

    html = support.get(LIST, {"page": "50", "limit": "100"}).content.decode()

    numbers = re.findall(r">(\d+)</(?:a|span)>", html.split('class="pagination"')[1])
    assert numbers == ["1", "47", "48", "49", "50", "51", "52", "53", "99"]
    assert '<span aria-current="page">50</span>' in html


def test_customer_list_page_99_with_more_offers_the_older_cursor(support, api):
    last = customer_json(10)
    api.get(
        CUSTOMERS_URL,
        match=[matchers.query_param_matcher({"limit": "10", "page": "99"})],
        json=list_json([customer_json(9), last], total=5000),
    )

    response = support.get(LIST, {"limit": "10", "page": "99"})

    older = hrefs(response, 'data-cursor="forward"')
    assert len(older) == 1
    query = parse_qs(urlsplit(older[0]).query)
    assert query["starting_after"] == [last["created_at"]]
    assert "page" not in query
    assert query["limit"] == ["10"]
    assert "Older" in response.content.decode()


def test_customer_list_cursor_sends_starting_after_without_page(support, api):
    api.get(
        CUSTOMERS_URL,
        match=[
            matchers.query_param_matcher(
                {"limit": "10", "starting_after": "2024-05-01T10:00:00.000Z", "city": "Oslo"}
            )
        ],
        json=list_json([customer_json(1), customer_json(2)], total=5000, has_more=True),
    )

    response = support.get(
        LIST, {"limit": "10", "city": "Oslo", "starting_after": "2024-05-01T10:00:00.000Z"}
    )

    assert response.status_code == 200
    assert len(api.calls) == 1
    newer = parse_qs(urlsplit(hrefs(response, 'data-cursor="backward"')[0]).query)
    assert newer["ending_before"] == [customer_json(1)["created_at"]]
    assert "starting_after" not in newer
    older = parse_qs(urlsplit(hrefs(response, 'data-cursor="forward"')[0]).query)
    assert older["starting_after"] == [customer_json(2)["created_at"]]
    assert older["city"] == ["Oslo"]


def test_customer_list_cursor_last_page_has_no_older_link(support, api):
    api.get(CUSTOMERS_URL, json=list_json([customer_json(1)], total=5000, has_more=False))

    response = support.get(LIST, {"starting_after": "2024-05-01T10:00:00.000Z"})

    assert hrefs(response, 'data-cursor="forward"') == []
    assert len(hrefs(response, 'data-cursor="backward"')) == 1


def test_customer_list_newer_cursor_flips_order_and_shows_rows_newest_first(support, api):
    api.get(
        CUSTOMERS_URL,
        match=[
            matchers.query_param_matcher(
                {"limit": "25", "order": "created_at", "starting_after": "2024-05-01T10:00:00.000Z"}
            )
        ],
        json=list_json([customer_json(3), customer_json(2)], total=5000, has_more=True),
    )

    html = support.get(LIST, {"ending_before": "2024-05-01T10:00:00.000Z"}).content.decode()

    assert html.index("Customer 2") < html.index("Customer 3")


def test_customer_list_page_99_ordered_by_source_id_explains_the_cap(support, api):
    api.get(CUSTOMERS_URL, json=list_json([customer_json(1)], total=5000))

    response = support.get(LIST, {"page": "99", "limit": "10", "order": "source_id"})

    assert hrefs(response, 'data-cursor="forward"') == []
    assert "The API pages up to 99" in response.content.decode()


def position_of(response) -> str:
    """The pager's position line, as text."""
    html = response.content.decode()
    line = re.search(r"<span[^>]*data-position>(.*?)</span>", html, re.S).group(1)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", line)).strip()


@pytest.mark.parametrize("number", ["1", "99"])
def test_customer_list_past_99_pages_the_header_agrees_with_the_links(support, api, number):
    api.get(CUSTOMERS_URL, json=list_json([customer_json(1), customer_json(2)], total=5000))

    response = support.get(LIST, {"limit": "10", "page": number})

    assert position_of(response) == f"page {number} of 100+; older by date"
    numbers = re.findall(
        r">(\d+)</(?:a|span)>", response.content.decode().split('class="pagination"')[1]
    )
    assert numbers[-1] == "99"


def test_customer_list_past_99_pages_in_another_order_says_numbers_stop(support, api):
    api.get(CUSTOMERS_URL, json=list_json([customer_json(1)], total=5000))

    response = support.get(LIST, {"limit": "10", "page": "3", "order": "source_id"})

    assert position_of(response) == "page 3 of 100+; numbered to 99"


def test_customer_list_few_pages_header_counts_them(support, api):
    api.get(CUSTOMERS_URL, json=list_json([customer_json(1)], total=120))

    assert position_of(support.get(LIST, {"limit": "25", "page": "2"})) == "page 2 of 5"


def test_customer_list_cursor_page_says_where_it_is(support, api):
    api.get(CUSTOMERS_URL, json=list_json([customer_json(11), customer_json(12)], has_more=True))

    older = support.get(LIST, {"limit": "10", "starting_after": "2024-05-01T10:00:00.000Z"})

    assert position_of(older) == "customers created before 2024-05-01 10:00"
    assert '<time datetime="2024-05-01T10:00:00+00:00">' in older.content.decode()


def test_customer_list_newer_cursor_page_says_created_after(support, api):
    api.get(CUSTOMERS_URL, json=list_json([customer_json(3), customer_json(2)], has_more=True))

    newer = support.get(LIST, {"limit": "10", "ending_before": "2024-05-01T10:00:00.000Z"})

    assert position_of(newer) == "customers created after 2024-05-01 10:00"


def test_customer_list_and_audit_log_render_the_one_pager_template(support, client_for, api):
    api.get(CUSTOMERS_URL, json=list_json([customer_json(1)], total=120))
    AuditEntry.objects.bulk_create(
        AuditEntry(username="sam", operation="update_customer", outcome="success")
        for _ in range(120)
    )

    customers = support.get(LIST, {"limit": "25", "page": "2"})
    audit = client_for("compliance").get("/audit/", {"page": "2"})

    for response in (customers, audit):
        used = [template.name for template in response.templates]
        assert used.count("includes/_pagination.html") == 2  # the position and the links
        assert response.content.decode().count('class="pagination"') == 1
    assert position_of(audit) == "page 2 of 3"


def test_customer_list_invalid_filters_show_errors_without_calling_the_api(support, api):
    response = support.get(
        LIST,
        {
            "created_after": "2024-02-01",
            "created_before": "2024-01-01",
            "page": "100",
            "limit": "7",
        },
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "The end date is before the start date." in html
    assert "Some filters are not valid" in html
    assert len(api.calls) == 0


def test_customer_list_htmx_invalid_filters_listed_by_label_inside_the_fragment(support, api):
    response = support.get(
        LIST,
        {"created_after": "2024-02-01", "created_before": "2024-01-01", "city": "Oslo"},
        HTTP_HX_REQUEST="true",
    )

    html = response.content.decode()
    assert 'id="customer-table"' not in html  # the content of the live region only
    errors = re.search(r"<div[^>]*data-filter-errors.*?</div>", html, re.S).group(0)
    assert re.sub(r"<[^>]+>|\s+", " ", errors).count("Created to : The end date is before") == 1
    assert 'href="#id_created_before"' in errors
    assert "data-first-page" not in errors  # no page link was given: nothing to reset
    assert len(api.calls) == 0


def test_customer_list_page_above_the_cap_shows_page_99(support, api):
    api.get(
        CUSTOMERS_URL,
        match=[matchers.query_param_matcher({"limit": "10", "page": "99"})],
        json=list_json([customer_json(1)], total=5000),
    )

    response = support.get(LIST, {"limit": "10", "page": "100"})

    html = response.content.decode()
    assert response.status_code == 200
    assert '<span aria-current="page">99</span>' in html
    assert "data-filter-errors" not in html


@pytest.mark.parametrize("cursor", ["starting_after", "ending_before"])
def test_customer_list_malformed_cursor_explains_and_links_to_page_one(support, api, cursor):
    response = support.get(
        LIST, {"city": "Oslo", cursor: "2024-13-99Tgarbage"}, HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert 'id="customer-table"' not in html  # the content of the live region only
    assert "Page link: Not a position in the list" in re.sub(r"<[^>]+>", "", html)
    first_page = hrefs(response, "data-first-page")
    assert first_page == ["/customers/?city=Oslo"]
    assert len(api.calls) == 0


def test_customer_list_no_match_shows_empty_state_with_clear_link(support, api):
    api.get(CUSTOMERS_URL, json=list_json([]))

    html = support.get(LIST, {"email": "nobody@example.com"}).content.decode()

    assert "No customers match these filters." in html
    assert '<a href="/customers/">Clear the filters</a>' in html


def test_customer_list_no_customers_at_all_says_so(support, api):
    api.get(CUSTOMERS_URL, json=list_json([]))

    assert "No customers yet." in support.get(LIST).content.decode()


def test_customer_list_customer_data_is_escaped(support, api):
    api.get(CUSTOMERS_URL, json=list_json([customer_json(1, name="<script>alert(1)</script>")]))

    html = support.get(LIST).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("stub", "status", "text"),
    [
        ({"status": 404, "json": {"code": 404, "key": "not_found"}}, 404, "Not found"),
        ({"status": 429, "json": {"code": 429}, "headers": {"Retry-After": "7"}}, 429, "busy"),
        ({"status": 503, "json": {"code": 503, "request_id": "v-0a1"}}, 502, "had a problem"),
        ({"body": requests.ReadTimeout("slow")}, 504, "did not answer in time"),
        ({"body": requests.ConnectTimeout("no answer")}, 503, "could not reach Voucherify"),
    ],
)
def test_customer_list_api_failure_keeps_filters_and_explains(support, api, stub, status, text):
    api.get(CUSTOMERS_URL, **stub)

    response = support.get(LIST, {"city": "Oslo", "order": "source_id"})

    html = response.content.decode()
    assert response.status_code == status
    assert text in html
    assert 'name="city" value="Oslo"' in html
    assert 'role="alert"' in html
    assert "Traceback" not in html
    if status != 404:
        assert ">Retry</a>" in html
    if status == 429:
        assert response["Retry-After"] == "7"


def test_customer_list_api_failure_htmx_fragment_offers_retry_in_place(support, api):
    api.get(CUSTOMERS_URL, status=503, json={"code": 503})

    response = support.get(LIST, {"city": "Oslo"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 502
    assert 'id="customer-table"' not in html  # the content of the live region only
    assert 'hx-get="/customers/?city=Oslo"' in html
    assert 'hx-target="#customer-table"' in html


def test_customer_search_id_that_exists_redirects_to_the_profile(support, api):
    customer = customer_json(7)
    api.get(f"{CUSTOMERS_URL}/{customer['id']}", json=customer)

    response = support.get(LIST, {"q": customer["id"]})

    assert response.status_code == 302
    assert response["Location"] == f"/customers/{customer['id']}/"
    assert len(api.calls) == 1


def test_customer_search_source_id_redirects_to_the_profile_by_id(support, api):
    customer = customer_json(7, source_id="crm/7 x")
    api.get(f"{CUSTOMERS_URL}/crm%2F7%20x", json=customer)

    response = support.get(LIST, {"q": " crm/7 x "})

    assert response["Location"] == f"/customers/{customer['id']}/"


def test_customer_search_htmx_request_redirects_with_hx_redirect(support, api):
    customer = customer_json(7)
    api.get(f"{CUSTOMERS_URL}/{customer['id']}", json=customer)

    response = support.get(LIST, {"q": customer["id"]}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/customers/{customer['id']}/"


def test_customer_search_no_match_is_a_neutral_notice_keeping_the_query(support, api):
    api.get(f"{CUSTOMERS_URL}/Ann%20Lee", status=404, json={"code": 404, "key": "not_found"})
    api.get(
        CUSTOMERS_URL,
        match=[matchers.query_param_matcher({"name": "Ann Lee", "limit": "25"})],
        json=list_json([], total=0),
    )

    response = support.get(LIST, {"q": "Ann Lee"})

    assert response.status_code == 200
    page = HTMLParser(response.text)
    notice = page.css_first("[data-search-notice]")
    assert "No customer found for “Ann Lee”" in notice.text()
    assert "What to try next" in notice.text()
    assert "exact name" in notice.text()
    assert notice.attributes["role"] == "status"
    assert not page.css("ul.messages")  # not a (green) success message
    assert page.css_first("#id_q").attributes["value"] == "Ann Lee"


def test_customer_search_api_failure_shows_the_problem(support, api):
    api.get(f"{API}/v1/customers/cust_x", status=503, json={"code": 503})

    response = support.get(LIST, {"q": "cust_x"})

    assert response.status_code == 502
    assert "had a problem" in response.content.decode()
    assert 'value="cust_x"' in response.content.decode()


def test_customer_list_post_is_not_allowed(support):
    assert support.post(LIST).status_code == 405


# -- against the sandbox, in-process -------------------------------------------------------


@pytest.fixture
def sandbox_client(db, monkeypatch):
    """The real sandbox-backed client, 1,000 customers one minute apart (cust_...0 oldest),
    and a list of the HTTP requests it sends."""
    from datetime import UTC, datetime, timedelta

    from customers.voucherify import get_client
    from sandbox.models import Customer

    get_client.cache_clear()
    client = get_client()
    sent: list[str] = []
    adapter = client.session.get_adapter(client.base_url + "/")
    send = adapter.send

    def counting(request, **kwargs):
        sent.append(f"{request.method} {request.url}")
        return send(request, **kwargs)

    monkeypatch.setattr(adapter, "send", counting)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    Customer.objects.using("sandbox").bulk_create(
        Customer(
            id=f"cust_{n:024d}",
            source_id=f"crm-{n}",
            name=f"Sandbox {n}",
            email=f"s{n}@example.com",
            address={"city": "Bergen" if n % 2 else "Oslo"},
            city="Bergen" if n % 2 else "Oslo",
            created_at=start + timedelta(minutes=n),
        )
        for n in range(1000)
    )
    yield sent
    get_client.cache_clear()


def names_in(response) -> list[str]:
    return re.findall(r">(Sandbox \d+)</a>", response.content.decode())


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_customer_list_sandbox_city_filter_shows_matching_rows(support, sandbox_client):
    response = support.get(LIST, {"city": "Bergen", "limit": "10"})

    assert names_in(response) == [f"Sandbox {n}" for n in range(999, 979, -2)]
    assert "500 customers" in response.content.decode()
    assert len(sandbox_client) == 1


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_customer_list_sandbox_past_page_99_follows_the_cursor(support, sandbox_client):
    page_99 = support.get(LIST, {"limit": "10", "page": "99"})
    assert names_in(page_99) == [f"Sandbox {n}" for n in range(19, 9, -1)]

    older = support.get(hrefs(page_99, 'data-cursor="forward"')[0])
    assert names_in(older) == [f"Sandbox {n}" for n in range(9, -1, -1)]
    assert hrefs(older, 'data-cursor="forward"') == []

    newer = support.get(hrefs(older, 'data-cursor="backward"')[0], HTTP_HX_REQUEST="true")
    assert names_in(newer) == names_in(page_99)
    assert len(sandbox_client) == 3


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_customer_list_sandbox_search_by_source_id_opens_the_profile(support, sandbox_client):
    response = support.get(LIST, {"q": "crm-42"})

    assert response["Location"] == f"/customers/cust_{42:024d}/"
