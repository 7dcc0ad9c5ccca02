"""The paging rules, said once: page numbers up to 99, then the created_at cursor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from customers.voucherify.paging import ListRequest, Pager
from customers.voucherify.resources import Customer, CustomerList
from tests.customers.voucherify.conftest import BASE_URL, query_of

T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def page_of(total: int, *stamps: datetime, has_more: bool | None = None) -> CustomerList:
    customers = tuple(Customer(id=f"cust_{n}", created_at=at) for n, at in enumerate(stamps))
    return CustomerList(customers=customers, total=total, has_more=has_more)


def pager(request: ListRequest, total: int = 100, has_more: bool | None = None) -> Pager:
    rows = page_of(total, T0, T0 - timedelta(minutes=1), has_more=has_more)
    return rows.answering(request).pager


# --- the request: what goes on the wire -----------------------------------------------------


def test_list_request_page_above_the_cap_asks_for_page_99():
    assert ListRequest(limit=10, page=150).query()["page"] == 99


def test_list_request_without_a_page_sends_none():
    assert ListRequest().query() == {
        "limit": None,
        "page": None,
        "order": None,
        "starting_after": None,
    }


def test_list_request_descending_cursor_sends_the_default_order():
    query = ListRequest(limit=10, order="-created_at", starting_after=T0).query()

    assert query == {"limit": 10, "page": None, "order": None, "starting_after": T0}


@pytest.mark.parametrize(("order", "sent"), [(None, "created_at"), ("created_at", None)])
def test_list_request_ending_before_flips_the_order(order, sent):
    query = ListRequest(limit=10, order=order, ending_before=T0).query()

    assert query == {"limit": 10, "order": sent, "starting_after": T0}


def test_list_answering_a_backward_request_gives_rows_in_the_asked_order():
    rows = page_of(5, T0, T0 + timedelta(minutes=1))

    answered = rows.answering(ListRequest(ending_before=T0))

    assert [c.id for c in answered.customers] == ["cust_1", "cust_0"]
    assert answered.request == ListRequest(ending_before=T0)


# --- page numbers ---------------------------------------------------------------------------


def test_pager_middle_page_links_window_previous_and_next():
    shown = pager(ListRequest(limit=10, page=50), total=9900)

    assert shown.mode == "pages"
    assert list(shown.links) == [1, None, 47, 48, 49, 50, 51, 52, 53, None, 99]
    assert (shown.previous, shown.next) == (49, 51)
    assert shown.pages_label == "100+"  # 990 pages: numbers reach 99


def test_pager_few_pages_counts_them_all():
    shown = pager(ListRequest(limit=25, page=1), total=120)

    assert (shown.page, shown.pages, shown.last_page) == (1, 5, 5)
    assert shown.pages_label == "5"
    assert list(shown.links) == [1, 2, 3, 4, 5]
    assert shown.previous is None and shown.next == 2
    assert shown.beyond_numbers is False
    assert shown.forward is None


def test_pager_past_the_cap_counts_pages_as_the_links_reach_them():
    shown = pager(ListRequest(limit=10, page=1), total=5000)

    assert shown.pages == 500 and shown.last_page == 99
    assert shown.pages_label == "100+"
    assert shown.beyond_numbers is True
    assert shown.links[-1] == 99


def test_pager_page_99_offers_the_older_cursor_from_its_last_row():
    shown = pager(ListRequest(limit=10, page=99), total=5000)

    assert shown.next is None
    assert shown.forward == "2024-05-01T09:59:00.000Z"
    assert shown.forward_word == "Older"
    assert shown.capped is False


def test_pager_page_99_ascending_offers_newer():
    shown = pager(ListRequest(limit=10, page=99, order="created_at"), total=5000)

    assert shown.forward_word == "Newer" and shown.backward_word == "Older"
    assert shown.forward is not None


@pytest.mark.parametrize("order", ["source_id", "-updated_at"])
def test_pager_page_99_in_an_order_the_cursor_cannot_walk_is_capped(order):
    shown = pager(ListRequest(limit=10, page=99, order=order), total=5000)

    assert shown.forward is None
    assert shown.capped is True
    assert shown.cursor_continues is False


def test_pager_page_99_of_99_is_the_end():
    shown = pager(ListRequest(limit=10, page=99), total=990)

    assert shown.forward is None and shown.capped is False and shown.next is None


# --- the cursor -----------------------------------------------------------------------------


def test_pager_older_cursor_page_says_created_before_and_links_both_ways():
    shown = pager(ListRequest(limit=10, starting_after=T0), has_more=True)

    assert shown.mode == "cursor"
    assert shown.page is None and list(shown.links) == []
    assert (shown.relation, shown.cursor) == ("before", T0)
    assert shown.forward == "2024-05-01T09:59:00.000Z"
    assert shown.backward == "2024-05-01T10:00:00.000Z"


def test_pager_last_older_page_has_no_older_link():
    shown = pager(ListRequest(limit=10, starting_after=T0), has_more=False)

    assert shown.forward is None
    assert shown.backward is not None


def test_pager_newer_page_says_created_after_and_ends_at_the_newest():
    shown = pager(ListRequest(limit=10, ending_before=T0), has_more=False)

    assert shown.relation == "after"
    assert shown.forward is not None  # back towards the older rows it came from
    assert shown.backward is None  # nothing newer: the API had no more in that direction


def test_pager_ascending_cursor_says_created_after():
    shown = pager(ListRequest(limit=10, order="created_at", starting_after="2024-05-01T10:00Z"))

    assert (shown.relation, shown.cursor) == ("after", T0)
    assert shown.forward_word == "Newer"


# --- numbered lists (the audit log) ---------------------------------------------------------


def test_pager_numbered_pages_have_no_cap_and_no_cursor():
    shown = Pager.numbered(120, 150)

    assert shown.pages_label == "150"
    assert shown.next == 121 and shown.links[-1] == 150
    assert shown.forward is None and shown.capped is False


def test_pager_numbered_single_page_shows_no_links():
    assert Pager.numbered(1, 1).has_links is False


# --- the client attaches the request --------------------------------------------------------


def test_list_customers_ending_before_asks_ascending_and_gives_rows_newest_first(client, api):
    api.get(
        f"{BASE_URL}/v1/customers",
        json={
            "customers": [
                {"id": "a", "created_at": "2024-05-01T10:01:00.000Z"},
                {"id": "b", "created_at": "2024-05-01T10:02:00.000Z"},
            ],
            "total": 2,
            "has_more": True,
        },
    )

    result = client.list_customers(limit=2, ending_before=T0)

    assert query_of(api.calls[0].request) == {
        "limit": "2",
        "order": "created_at",
        "starting_after": "2024-05-01T10:00:00.000Z",
    }
    assert [c.id for c in result.customers] == ["b", "a"]
    assert result.pager.relation == "after"
    assert result.pager.backward == "2024-05-01T10:02:00.000Z"
