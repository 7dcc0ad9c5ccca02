"""GET /v1/customers reads its pages from indexes: the same answers whichever way it reads."""

from __future__ import annotations

import pytest

from sandbox import services
from sandbox.models import Consent, Customer, Segment, SegmentMembership

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

REQUEST_ID = "v-000000000000000000"


@pytest.fixture
def customers():
    """Six customers, every other one updated, one soft-deleted, one with a consent."""
    made = []
    for n in range(6):
        name = "Bob" if n % 2 else "Ann"
        customer = services.create_customer({"source_id": f"s-{n}", "name": name}, REQUEST_ID)
        if n % 2:
            services.update_customer(customer, {"description": "updated"}, REQUEST_ID)
        made.append(customer)
    services.delete_customer(made[5], REQUEST_ID)
    Consent.objects.using("sandbox").create(
        id="cnst_1", name="Newsletter", created_at=made[0].created_at
    )
    segment = Segment.objects.using("sandbox").create(
        id="seg_all", name="All", type=Segment.STATIC, created_at=made[0].created_at
    )
    for customer in made[:5]:
        SegmentMembership.objects.using("sandbox").create(
            customer=customer, segment=segment, created_at=customer.created_at
        )
    services.update_consents(made[0], {"cnst_1": True}, REQUEST_ID)
    return made


def test_list_total_without_filters_leaves_out_soft_deleted_customers(customers):
    body = services.list_customers({})

    assert body["total"] == 5
    assert Customer.objects.using("sandbox").count() == 6


@pytest.mark.parametrize("order", sorted(services.ORDERS))
@pytest.mark.parametrize(
    "params",
    [
        {"updated_at[after]": "2000-01-01T00:00:00Z"},
        {"updated_at[before]": "2200-01-01T00:00:00Z", "created_at[after]": "2000-01-01T00:00:00Z"},
        {"created_at[before]": "2200-01-01T00:00:00Z", "name": "Ann"},
        {"segment_id": "seg_all"},
        {"starting_after": "the third customer's created_at"},
    ],
)
def test_list_walking_the_orders_index_answers_as_sorting_the_matches(
    customers, monkeypatch, params, order
):
    if "starting_after" in params:
        params = {"starting_after": customers[2].created_at.isoformat()}
    params = {**params, "order": order, "limit": "2"}
    asked = []
    monkeypatch.setattr(services, "walk_the_order", lambda *args: asked.append(args) and False)
    sorted_answer = services.list_customers(params)
    monkeypatch.setattr(services, "walk_the_order", lambda *args: asked.append(args) or True)

    walked_answer = services.list_customers(params)

    assert walked_answer == sorted_answer
    assert sorted_answer["customers"]
    assert len(asked) == 2  # both ways were taken, not a set too small to be walked


@pytest.mark.parametrize(
    ("rows", "live", "total", "walk"),
    [
        (11, 100_000, 100_000, True),  # no filter: the order's index is all there is
        (11, 100_000, 4_000, True),  # a page of Berliners: 275 entries, not 4,000 sorted
        (11, 100_000, 500, False),  # 500 matches: sorted faster than 2,200 entries walked
        (9_901, 100_000, 30_000, False),  # page 99: 33,000 entries walked, 30,000 sorted
    ],
)
def test_walk_the_order_when_a_page_comes_sooner_than_all_matches_sorted(rows, live, total, walk):
    assert services.walk_the_order(rows, live, total) is walk


def test_list_fewer_matches_than_the_page_sorted_without_counting_the_table(
    customers, django_assert_num_queries
):
    # the count of matches, the ids, their rows, their consents: no count of every customer
    with django_assert_num_queries(4, using="sandbox"):
        body = services.list_customers({"name": "Bob"})

    assert [c["source_id"] for c in body["customers"]] == ["s-3", "s-1"]


def test_list_page_past_the_total_is_empty_and_has_no_more(
    customers, django_assert_max_num_queries
):
    with django_assert_max_num_queries(2, using="sandbox"):
        body = services.list_customers({"limit": "5", "page": "2"})

    assert body["customers"] == []
    assert body["total"] == 5
    assert body["has_more"] is False


def test_list_page_keeps_its_order_and_each_customers_consents(customers):
    body = services.list_customers({"order": "created_at", "limit": "3"})

    assert [c["source_id"] for c in body["customers"]] == ["s-0", "s-1", "s-2"]
    consents = [c["system_metadata"].get("consents") for c in body["customers"]]
    assert consents[0]["cnst_1"]["value"] is True
    assert consents[1:] == [None, None]
    assert body["has_more"] is True


def test_list_page_reads_rows_in_a_fixed_number_of_queries(customers, django_assert_num_queries):
    # the count (all, less the deleted), the ids, their rows, their consents
    with django_assert_num_queries(5, using="sandbox"):
        services.list_customers({"limit": "100"})
