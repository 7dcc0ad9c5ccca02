"""The search box's rules (customer_search) and the list's segment names, on the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from customers.models import SeenSegment
from customers.services.search import (
    CustomerFound,
    CustomersFound,
    NothingFound,
    SegmentFound,
    customer_search,
)
from customers.services.segments import segment_find
from customers.voucherify import get_client
from sandbox.models import Customer, Segment, SegmentMembership

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])
LIST = "/customers/"
AT = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture
def sandbox():
    get_client.cache_clear()
    yield get_client()
    get_client.cache_clear()


def _customer(n: int, **fields) -> Customer:
    values = {
        "id": f"cust_{n:024d}",
        "source_id": f"crm-{n}",
        "name": f"Person {n}",
        "email": f"p{n}@example.com",
        "created_at": AT,
        **fields,
    }
    return Customer.objects.using("sandbox").create(**values)


@pytest.fixture
def support(client_for):
    return client_for("support")


def test_customer_search_unique_email_opens_the_profile(support, sandbox):
    _customer(1, email="ann@example.com")
    _customer(2)

    response = support.get(LIST, {"q": "ann@example.com"}, follow=True)

    assert response.redirect_chain[-1][0] == f"/customers/cust_{1:024d}/"
    assert "Found by email: “ann@example.com”" in response.text


def test_customer_search_mixed_case_email_finds_the_lower_case_customer(support, sandbox):
    _customer(1, email="ann.lee@example.com")

    outcome = customer_search(query="Ann.Lee@Example.com", user=None)
    assert isinstance(outcome, CustomerFound)
    assert outcome.matched == "email, lower-cased"
    assert outcome.value == "ann.lee@example.com"

    response = support.get(LIST, {"q": "Ann.Lee@Example.com"}, follow=True)
    assert response.redirect_chain[-1][0] == f"/customers/cust_{1:024d}/"
    assert "Found by email, lower-cased: “ann.lee@example.com”" in response.text


def test_customer_search_email_as_typed_is_tried_first(sandbox):
    _customer(1, email="Ann@Example.com")
    _customer(2, email="ann@example.com")

    outcome = customer_search(query="Ann@Example.com", user=None)

    assert isinstance(outcome, CustomerFound)
    assert outcome.customer.id == f"cust_{1:024d}"
    assert outcome.matched == "email"


def test_customer_search_unique_name_opens_the_profile(support, sandbox):
    _customer(3, name="Grace Hopper")

    response = support.get(LIST, {"q": "Grace Hopper"})

    assert response.status_code == 302
    assert response["Location"] == f"/customers/cust_{3:024d}/"


def test_customer_search_shared_name_lists_them_keeping_the_query(support, sandbox):
    _customer(1, name="Sam Lee")
    _customer(2, name="Sam Lee")

    assert isinstance(customer_search(query="Sam Lee", user=None), CustomersFound)
    response = support.get(LIST, {"q": "Sam Lee"})

    page = HTMLParser(response.text)
    assert response.status_code == 200
    assert "2 customers have the name “Sam Lee”" in page.css_first("[data-search-notice]").text()
    assert page.css_first("#id_q").attributes["value"] == "Sam Lee"
    assert page.css_first("#id_name").attributes["value"] == "Sam Lee"
    assert len(page.css("#customer-table tbody tr")) == 2


def test_customer_search_no_match_says_what_was_tried_and_what_next(support, sandbox):
    _customer(1)

    outcome = customer_search(query="Nobody@Example.com", user=None)
    assert outcome == NothingFound(
        "Nobody@Example.com",
        ("id or source id", "email as typed", "email lower-cased"),
        is_email=True,
    )
    response = support.get(LIST, {"q": "Nobody@Example.com"})

    page = HTMLParser(response.text)
    notice = page.css_first("[data-search-notice]")
    assert "No customer found for “Nobody@Example.com”" in notice.text()
    assert "email lower-cased" in notice.text()
    assert "What to try next" in notice.text()
    assert page.css_first("#id_q").attributes["value"] == "Nobody@Example.com"


def _segment(id_: str, name: str, *members: Customer) -> Segment:
    segment = Segment.objects.using("sandbox").create(
        id=id_, name=name, type=Segment.STATIC, created_at=AT
    )
    for member in members:
        SegmentMembership.objects.using("sandbox").create(
            customer=member, segment=segment, created_at=AT
        )
    return segment


def test_customer_segments_fragment_remembers_segment_names(support, sandbox):
    ann = _customer(1)
    _segment("seg_vip", "VIP buyers", ann)

    support.get(f"/customers/{ann.id}/segments/")

    assert list(SeenSegment.objects.values_list("segment_id", "name")) == [
        ("seg_vip", "VIP buyers")
    ]


def test_segments_record_writes_only_what_changed(support, sandbox):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ann = _customer(1)
    _segment("seg_vip", "VIP buyers", ann)
    support.get(f"/customers/{ann.id}/segments/")
    first_seen = SeenSegment.objects.get().seen_at

    with CaptureQueriesContext(connection) as queries:  # viewed again, nothing new
        support.get(f"/customers/{ann.id}/segments/")
    writes = [q["sql"] for q in queries if q["sql"].startswith(("INSERT", "UPDATE"))]
    assert writes == []
    assert SeenSegment.objects.get().seen_at == first_seen

    Segment.objects.using("sandbox").filter(id="seg_vip").update(name="VIP, renamed")
    support.get(f"/customers/{ann.id}/segments/")
    assert list(SeenSegment.objects.values_list("segment_id", "name")) == [
        ("seg_vip", "VIP, renamed")
    ]


def test_segments_record_renews_seen_at_after_a_day(sandbox):
    from datetime import timedelta

    from customers.services.segments import SEEN_REFRESH, segments_record
    from customers.voucherify.resources import SegmentRef

    old = datetime.now(UTC) - SEEN_REFRESH - timedelta(minutes=1)
    SeenSegment.objects.create(segment_id="seg_a", name="A", seen_at=old)
    SeenSegment.objects.create(segment_id="seg_b", name="B", seen_at=datetime.now(UTC))
    b_seen = SeenSegment.objects.get(segment_id="seg_b").seen_at

    segments_record([SegmentRef(id="seg_a", name="A"), SegmentRef(id="seg_b", name="B")])

    assert SeenSegment.objects.get(segment_id="seg_a").seen_at > old
    assert SeenSegment.objects.get(segment_id="seg_b").seen_at == b_seen


def test_customer_list_segment_by_name_filters_by_its_id(support, sandbox):
    ann, bob = _customer(1), _customer(2)
    _segment("seg_vip", "VIP buyers", ann)
    support.get(f"/customers/{ann.id}/segments/")  # the dashboard sees the segment

    response = support.get(LIST, {"segment_id": "vip BUYERS"})

    page = HTMLParser(response.text)
    names = [a.text() for a in page.css("#customer-table tbody td a")]
    assert names == ["Person 1"]
    assert "VIP buyers" in page.css_first("[data-segment]").text()
    options = [o.attributes["value"] for o in page.css("datalist#known-segments option")]
    assert options == ["VIP buyers"]
    assert bob.name not in names


def test_customer_search_segment_name_opens_the_segments_list(support, sandbox):
    ann = _customer(1)
    _segment("seg_vip", "VIP buyers", ann)
    support.get(f"/customers/{ann.id}/segments/")

    assert customer_search(query="VIP buyers", user=None) == SegmentFound("seg_vip", "VIP buyers")
    response = support.get(LIST, {"q": "VIP buyers"})
    assert response["Location"] == "/customers/?segment_id=seg_vip"


def test_customer_list_unknown_segment_name_is_a_field_error(support, sandbox):
    response = support.get(LIST, {"segment_id": "Never seen"})

    assert "No segment named “Never seen” has been seen" in response.text


def test_segment_find_raw_id_asks_get_segment_once_then_remembers(sandbox, monkeypatch):
    _segment("seg_new", "Newcomers")
    calls = []
    get_segment = sandbox.get_segment
    monkeypatch.setattr(sandbox, "get_segment", lambda i: calls.append(i) or get_segment(i))

    assert segment_find(text="seg_new").name == "Newcomers"
    assert segment_find(text="seg_new").name == "Newcomers"
    assert calls == ["seg_new"]


def test_segment_find_unknown_raw_id_is_kept_without_a_name(sandbox):
    found = segment_find(text="seg_missing")

    assert (found.id, found.name) == ("seg_missing", "")
    assert not SeenSegment.objects.exists()


def test_customer_list_segment_name_lookup_failing_still_lists(support, sandbox, monkeypatch):
    from customers.voucherify.errors import ServerError

    _customer(1)

    def down(segment_id):
        raise ServerError("down", status=503)

    monkeypatch.setattr(sandbox, "get_segment", down)

    response = support.get(LIST, {"segment_id": "seg_unknown"})

    assert response.status_code == 200
    assert "No customers match these filters" in response.text
