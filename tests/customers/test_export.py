from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
import responses
from django.test import Client
from responses import matchers

from customers.export import neutralise
from customers.list_forms import ORDER_CHOICES
from customers.voucherify.dates import parse_datetime
from dashboard.models import AuditEntry
from tests.customers.api_stubs import CUSTOMERS_URL, api, customer_json, list_json

__all__ = ["api"]

pytestmark = pytest.mark.django_db
EXPORT = "/customers/export.csv"


def query_of(call) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


def rows_of(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def page_of(start: int, count: int, *, has_more: bool) -> dict:
    return list_json([customer_json(n) for n in range(start, start + count)], has_more=has_more)


@pytest.fixture
def support(client_for):
    return client_for("support")


def test_customer_export_walks_every_page_with_the_cursor_and_filters(support, api):
    for start, count, more in ((0, 100, True), (100, 100, True), (200, 37, False)):
        api.get(
            CUSTOMERS_URL,
            match=[matchers.query_param_matcher({"city": "Oslo"}, strict_match=False)],
            json=page_of(start, count, has_more=more),
        )

    response = support.get(EXPORT, {"city": "Oslo", "page": "3", "limit": "10"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="customers-')
    rows = rows_of(response)
    assert rows[0] == [
        "id",
        "source_id",
        "name",
        "email",
        "phone",
        "city",
        "country",
        "created_at",
        "updated_at",
        "metadata",
    ]
    assert len(rows) == 1 + 237
    assert len({row[0] for row in rows[1:]}) == 237
    queries = [parse_qs(urlsplit(call.request.url).query) for call in api.calls]
    assert all("page" not in q and q["limit"] == ["100"] for q in queries)
    assert queries[1]["starting_after"] == [customer_json(99)["created_at"]]
    assert queries[2]["starting_after"] == [customer_json(199)["created_at"]]


def cursor_api(customers: list[dict]):
    """A `responses` callback answering like the API: the `starting_after` cursor compares
    created_at (strictly before it, or after it for order=created_at) while the rows are
    sorted by the requested order, so a walk in any other order skips customers."""

    def answer(request):
        query = dict(parse_qsl(urlsplit(request.url).query))
        cursor = parse_datetime(query["starting_after"])
        order = query.get("order", "-created_at")
        key = order.lstrip("-")
        if order == "created_at":
            found = [c for c in customers if parse_datetime(c["created_at"]) > cursor]
        else:
            found = [c for c in customers if parse_datetime(c["created_at"]) < cursor]
        found.sort(key=lambda c: c.get(key) or "", reverse=order.startswith("-"))
        limit = int(query["limit"])
        body = list_json(found[:limit], total=len(found), has_more=len(found) > limit)
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    return answer


@pytest.mark.parametrize("order", ["", *(value for value, _ in ORDER_CHOICES)])
def test_customer_export_any_list_order_exports_every_match_in_creation_order(support, api, order):
    start = datetime(2024, 1, 1, tzinfo=UTC)
    customers = [
        customer_json(
            n,
            created_at=start + timedelta(minutes=n),
            # updated_at and source_id run against creation order
            updated_at=(start + timedelta(days=1, minutes=-n)).isoformat().replace("+00:00", "Z"),
            source_id=f"crm-{(n * 7919) % 230:03d}",
        )
        for n in range(230)
    ]
    api.add_callback(responses.GET, CUSTOMERS_URL, callback=cursor_api(customers))

    rows = rows_of(support.get(EXPORT, {"order": order} if order else {}))[1:]

    assert len(rows) == 230
    assert [row[0] for row in rows] == [c["id"] for c in reversed(customers)]
    assert len(api.calls) == 3
    assert all("order" not in query_of(call) for call in api.calls)


def test_customer_export_row_holds_the_columns_and_metadata_as_json(support, api):
    customer = customer_json(1, metadata={"tier": "gold", "visits": 3})
    api.get(CUSTOMERS_URL, json=list_json([customer], has_more=False))

    rows = rows_of(support.get(EXPORT))

    assert rows[1] == [
        customer["id"],
        "crm-1",
        "Customer 1",
        "customer1@example.com",
        "'+4790000001",
        "Oslo",
        "NO",
        "2024-05-31T23:59:00.000Z",
        "",
        '{"tier": "gold", "visits": 3}',
    ]


def test_customer_export_formula_cells_are_neutralised(support, api):
    customer = customer_json(
        1, name='=HYPERLINK("http://x")', email="@SUM(1)", source_id="-2+3", description="x"
    )
    customer["address"] = {"city": "\tcmd", "country": "\rNO"}
    api.get(CUSTOMERS_URL, json=list_json([customer], has_more=False))

    row = rows_of(support.get(EXPORT))[1]

    assert row[1:4] == ["'-2+3", '\'=HYPERLINK("http://x")', "'@SUM(1)"]
    assert row[5:7] == ["'\tcmd", "'\rNO"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1", "'=1"), ("+1", "'+1"), ("-1", "'-1"), ("@a", "'@a"), ("a=1", "a=1"), (None, "")],
)
def test_neutralise_formula_prefixes_get_a_quote(value, expected):
    assert neutralise(value) == expected


def test_customer_export_failure_before_first_row_shows_the_error_page(support, api):
    api.get(CUSTOMERS_URL, status=503, json={"code": 503, "request_id": "v-abc"})

    response = support.get(EXPORT, {"city": "Oslo"})

    assert response.status_code == 502
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "had a problem" in html and "v-abc" in html


def test_customer_export_failure_mid_stream_ends_with_a_clear_last_line(support, api):
    api.get(CUSTOMERS_URL, json=page_of(0, 100, has_more=True))
    api.get(CUSTOMERS_URL, status=503, json={"code": 503, "request_id": "v-mid"})

    rows = rows_of(support.get(EXPORT))

    assert len(rows) == 1 + 100 + 1
    assert rows[-1][0].startswith("# EXPORT INCOMPLETE")
    assert "after 100 customers" in rows[-1][0] and "v-mid" in rows[-1][0]


def test_customer_export_no_match_is_a_header_only_file(support, api):
    api.get(CUSTOMERS_URL, json=list_json([], has_more=False))

    rows = rows_of(support.get(EXPORT, {"email": "nobody@example.com"}))

    assert len(rows) == 1


def test_customer_export_complete_download_is_audited_with_count_and_filter_names(user_for, api):
    client = Client()
    client.force_login(user_for("support", username="sam"))
    for start, count, more in ((0, 100, True), (100, 37, False)):
        api.get(CUSTOMERS_URL, json=page_of(start, count, has_more=more))

    response = client.get(EXPORT, {"email": "ann@example.com", "city": "Oslo", "order": ""})
    assert not AuditEntry.objects.exists()  # recorded when the stream ends, not before
    rows = rows_of(response)

    entry = AuditEntry.objects.get()
    assert len(rows) == 1 + 137
    assert (entry.operation, entry.username, entry.outcome) == (
        "export_customers",
        "sam",
        "success",
    )
    assert entry.changes["rows"]["new"] == 137
    assert entry.changes["filters"]["new"] == ["city", "email"]
    assert "ann@example.com" not in json.dumps(entry.changes) and "Oslo" not in str(entry.changes)


def test_customer_export_failure_mid_stream_is_audited_as_failed_with_rows_written(support, api):
    api.get(CUSTOMERS_URL, json=page_of(0, 100, has_more=True))
    api.get(CUSTOMERS_URL, status=503, json={"code": 503, "request_id": "v-mid"})

    rows_of(support.get(EXPORT))

    entry = AuditEntry.objects.get()
    assert (entry.operation, entry.outcome) == ("export_customers", "failed")
    assert entry.changes["rows"]["new"] == 100
    assert entry.changes["filters"]["new"] == []
    assert entry.request_id == "v-mid" and entry.error == "503"


def test_customer_export_failure_before_first_row_is_audited_as_failed(support, api):
    api.get(CUSTOMERS_URL, status=503, json={"code": 503, "request_id": "v-abc"})

    support.get(EXPORT, {"segment_id": "seg_1"})

    entry = AuditEntry.objects.get()
    assert (entry.operation, entry.outcome, entry.request_id) == (
        "export_customers",
        "failed",
        "v-abc",
    )
    assert entry.changes["rows"]["new"] == 0
    assert entry.changes["filters"]["new"] == ["segment_id"]


# The end of the response closes the database connection, as the end of a real request does:
# outside a test transaction, so that the audit entry written then is kept.
@pytest.mark.django_db(transaction=True)
def test_customer_export_download_abandoned_is_audited_as_failed(support, api):
    api.get(CUSTOMERS_URL, json=page_of(0, 100, has_more=True))

    response = support.get(EXPORT)
    lines = iter(response.streaming_content)
    next(lines), next(lines), next(lines)  # the header and two rows, then the browser leaves
    response.close()

    entry = AuditEntry.objects.get()
    assert (entry.outcome, entry.error) == ("failed", "ExportStopped")
    assert entry.changes["rows"]["new"] == 2


def test_customer_export_invalid_filters_answer_400_without_calling_the_api(support, api):
    response = support.get(EXPORT, {"created_after": "not-a-date"})

    assert response.status_code == 400
    assert len(api.calls) == 0


# -- against the sandbox, in-process -------------------------------------------------------


@pytest.fixture
def sandbox_customers(db):
    """250 sandbox customers, one minute apart; the first 100 in Bergen, the rest in Oslo."""
    from customers.voucherify import get_client
    from sandbox.models import Customer

    get_client.cache_clear()
    start = datetime(2024, 1, 1, tzinfo=UTC)
    Customer.objects.using("sandbox").bulk_create(
        Customer(
            id=f"cust_{n:024d}",
            source_id=f"crm-{n}",
            name=f"Sandbox {n}",
            email=f"s{n}@example.com",
            address={"city": "Bergen" if n < 100 else "Oslo", "country": "NO"},
            city="Bergen" if n < 100 else "Oslo",
            created_at=start + timedelta(minutes=n),
        )
        for n in range(250)
    )
    yield
    get_client.cache_clear()


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_customer_export_sandbox_streams_all_matching_customers(support, sandbox_customers):
    rows = rows_of(support.get(EXPORT, {"city": "Oslo"}))

    assert len(rows) == 1 + 150
    assert {row[5] for row in rows[1:]} == {"Oslo"}
    assert rows[1][2] == "Sandbox 249"  # newest first
    assert len({row[0] for row in rows[1:]}) == 150
