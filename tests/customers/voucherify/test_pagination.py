"""Iterators: the starting_after timestamp cursor (past page 99) and the activity id cursor."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses

from customers.voucherify.dates import parse_datetime
from tests.customers.voucherify.conftest import BASE_URL, ODD_ID, ODD_ID_QUOTED, query_of

CUSTOMERS = f"{BASE_URL}/v1/customers"
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def _customer(number: int, created_at: datetime) -> dict:
    stamp = created_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {"id": f"cust_{number:05d}", "created_at": stamp, "object": "customer"}


def _page(customers, has_more=True) -> dict:
    body = {"object": "list", "data_ref": "customers", "customers": customers, "total": 999}
    if has_more is not None:
        body["has_more"] = has_more
    return body


def _fake_api(customers: list[dict]):
    """A `responses` callback answering like the API: strictly before the cursor, newest first
    (or strictly after it, oldest first, for order=created_at)."""

    def answer(request):
        query = dict(parse_qsl(urlsplit(request.url).query))
        cursor = parse_datetime(query["starting_after"])
        limit = int(query["limit"])
        if query.get("order") == "created_at":
            found = sorted(
                (c for c in customers if parse_datetime(c["created_at"]) > cursor),
                key=lambda c: c["created_at"],
            )
        else:
            found = sorted(
                (c for c in customers if parse_datetime(c["created_at"]) < cursor),
                key=lambda c: c["created_at"],
                reverse=True,
            )
        body = _page(found[:limit], has_more=len(found) > limit)
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    return answer


def test_iter_customers_walks_past_page_99_with_the_cursor_only(client, api):
    customers = [_customer(n, T0 + timedelta(seconds=n)) for n in range(250)]
    api.add_callback(responses.GET, CUSTOMERS, callback=_fake_api(customers))

    seen = [c.id for c in client.iter_customers(limit=2, city="Paris")]

    assert seen == [f"cust_{n:05d}" for n in reversed(range(250))]
    queries = [query_of(call.request) for call in api.calls]
    assert len(queries) == 125  # more than 99 pages
    assert all("page" not in q for q in queries)
    assert all(q["city"] == "Paris" and q["limit"] == "2" for q in queries)
    cursors = [q["starting_after"] for q in queries]
    assert cursors[0] == "2200-01-01T00:00:00Z"
    assert cursors[1] == "2024-03-01T12:04:08.000Z"  # the oldest of the first page
    assert cursors[1:] == sorted(cursors[1:], reverse=True)


def test_iter_customers_ascending_order_starts_at_epoch_and_moves_forward(client, api):
    customers = [_customer(n, T0 + timedelta(minutes=n)) for n in range(5)]
    api.add_callback(responses.GET, CUSTOMERS, callback=_fake_api(customers))

    seen = [c.id for c in client.iter_customers(limit=2, order="created_at")]

    assert seen == [f"cust_{n:05d}" for n in range(5)]
    cursors = [query_of(call.request)["starting_after"] for call in api.calls]
    assert cursors == [
        "1970-01-01T00:00:00Z",
        "2024-03-01T12:01:00.000Z",
        "2024-03-01T12:03:00.000Z",
    ]


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (None, [f"cust_{n:05d}" for n in reversed(range(7))]),
        ("-created_at", [f"cust_{n:05d}" for n in reversed(range(7))]),
        ("created_at", [f"cust_{n:05d}" for n in range(7)]),
    ],
)
def test_iter_customers_created_at_orders_walk_every_page(client, api, order, expected):
    customers = [_customer(n, T0 + timedelta(minutes=n)) for n in range(7)]
    api.add_callback(responses.GET, CUSTOMERS, callback=_fake_api(customers))

    seen = [c.id for c in client.iter_customers(limit=2, order=order)]

    assert seen == expected
    assert len(api.calls) == 4
    # Descending is the cursor's default order, sent without `order`.
    sent_orders = {query_of(call.request).get("order") for call in api.calls}
    assert sent_orders == ({"created_at"} if order == "created_at" else {None})


@pytest.mark.parametrize("order", ["updated_at", "-updated_at", "source_id", "-source_id", ""])
def test_iter_customers_order_the_cursor_cannot_walk_raises_before_any_request(client, api, order):
    with pytest.raises(ValueError, match="created_at cursor"):
        client.iter_customers(order=order)

    assert len(api.calls) == 0


def test_iter_customers_inclusive_cursor_duplicates_skipped_by_id(client, api):
    a, b, c, d = (_customer(n, T0 - timedelta(seconds=n)) for n in range(4))
    # An API that includes the boundary customer again on the next page.
    api.get(CUSTOMERS, json=_page([a, b]))
    api.get(CUSTOMERS, json=_page([b, c]))
    api.get(CUSTOMERS, json=_page([c, d], has_more=False))

    seen = [customer.id for customer in client.iter_customers(limit=2)]

    assert seen == [a["id"], b["id"], c["id"], d["id"]]
    cursors = [query_of(call.request)["starting_after"] for call in api.calls]
    assert cursors == [
        "2200-01-01T00:00:00Z",
        b["created_at"],
        c["created_at"],
    ]


def test_iter_customers_same_timestamp_boundary_accumulates_seen_ids(client, api):
    a, b, c = (_customer(n, T0) for n in range(3))
    api.get(CUSTOMERS, json=_page([a, b]))
    api.get(CUSTOMERS, json=_page([b, c]))
    api.get(CUSTOMERS, json=_page([a, b, c], has_more=None))  # nothing new: stop

    assert [customer.id for customer in client.iter_customers(limit=2)] == [
        a["id"],
        b["id"],
        c["id"],
    ]


def test_iter_customers_has_more_absent_stops_on_empty_page(client, api):
    api.get(CUSTOMERS, json=_page([_customer(1, T0)], has_more=None))
    api.get(CUSTOMERS, json=_page([], has_more=None))

    assert [c.id for c in client.iter_customers()] == ["cust_00001"]
    assert query_of(api.calls[0].request)["limit"] == "100"


def test_iter_customers_is_lazy(client, api):
    api.get(CUSTOMERS, json=_page([_customer(1, T0), _customer(2, T0 - timedelta(1))]))

    first = next(client.iter_customers(limit=2))

    assert first.id == "cust_00001"
    assert len(api.calls) == 1


def _activity_page(ids, more=None):
    body = {
        "object": "list",
        "data_ref": "data",
        "data": [{"id": i, "type": "customer.updated", "data": {}} for i in ids],
        "has_more": more is not None,
    }
    if more:
        body["more_starting_after"] = more
    return body


def test_iter_customer_activity_follows_more_starting_after(client, api, sent):
    url = f"{BASE_URL}/v1/customers/{ODD_ID_QUOTED}/activity"
    api.get(url, json=_activity_page(["evcus_1", "evcus_2"], more="evcus_2"))
    api.get(url, json=_activity_page(["evcus_3"]))

    seen = [a.id for a in client.iter_customer_activity(ODD_ID, limit=2, category="ACTION")]

    assert seen == ["evcus_1", "evcus_2", "evcus_3"]
    first, second = (query_of(sent(i)) for i in (0, 1))
    assert first == {"limit": "2", "category": "ACTION"}
    assert second == {"limit": "2", "category": "ACTION", "starting_after_id": "evcus_2"}


def test_iter_customer_activity_stuck_cursor_stops(client, api):
    url = f"{BASE_URL}/v1/customers/c/activity"
    api.get(url, json=_activity_page(["evcus_1"], more="evcus_1"))
    api.get(url, json=_activity_page(["evcus_1"], more="evcus_1"))

    assert [a.id for a in client.iter_customer_activity("c")] == ["evcus_1", "evcus_1"]
    assert len(api.calls) == 2
