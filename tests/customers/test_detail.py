from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from customers.voucherify import (
    ConnectionFailed,
    NotFound,
    RateLimited,
    ServerError,
    Timeout,
    get_client,
)
from customers.voucherify.resources import Activity, ActivityList, SegmentRef
from tests.customers.pages_support import (
    CID,
    HTMX,
    SANDBOX,
    make_customer,
    raising,
)

ERRORS = [
    (NotFound("Resource not found", status=404, key="not_found"), 404, "Not found"),
    (RateLimited("Too many", status=429, retry_after=7), 429, "Voucherify is busy"),
    (ConnectionFailed("refused"), 503, "Voucherify is unreachable"),
    (Timeout("read timeout"), 504, "Voucherify is slow"),
    (ServerError("boom", status=500, request_id="v-123"), 502, "Voucherify had a problem"),
]
RETRYABLE = [error for error in ERRORS if error[1] != 404]


@pytest.fixture
def fake(fake_client):
    return fake_client


@pytest.fixture
def support(client_for):
    return client_for("support")


def text(response) -> str:
    return response.content.decode()


# --- profile -------------------------------------------------------------------------------


def test_customer_detail_full_page_shows_profile_with_one_api_call(support, fake):
    response = support.get(reverse("customers:detail", args=[CID]))

    page = text(response)
    assert response.status_code == 200
    assert "<html" in page
    assert "Ada Lovelace" in page
    assert "crm-1" in page
    assert "ada@example.com" in page
    assert "London" in page
    assert "<code>tier</code>" in page and "gold" in page
    assert "1,234.56" in page  # total_amount 123456 cents
    assert "308.64" in page  # average_amount
    assert "Coffee Club" in page and "ltr_gold" in page
    assert "2024-07-23 12:27" in page
    assert fake.calls == {"get_customer": 1}


def referred_customer(*referrals: tuple[str, str]):
    """A customer referred through each `(campaign id, referrer id)`."""
    campaigns = [{"campaign_id": c, "referrer_id": r} for c, r in referrals]
    return make_customer(referrals={"total": len(campaigns), "campaigns": campaigns})


def test_customer_detail_referrer_id_with_a_slash_is_shown_without_a_link(support, fake):
    fake.customer = referred_customer(("camp_1", "cust_ref1"), ("camp_2", "crm/7"))

    response = support.get(reverse("customers:detail", args=[CID]))

    page = text(response)
    assert response.status_code == 200
    assert '<a href="/customers/cust_ref1/"><code>cust_ref1</code></a>' in page
    assert "<code>crm/7</code>" in page and 'href="/customers/crm/7/"' not in page


def referred(campaign: dict, event_id: str = "evcus_r1") -> Activity:
    """A `customer.referred` event naming its campaign, as Voucherify sends it."""
    payload = {"referrer": {"id": "cust_ref1", "object": "customer"}, "campaign": campaign}
    return activity("customer.referred", id=event_id, payload=payload)


def referral_cells(page: str) -> list[str]:
    rows = HTMLParser(page).css("[aria-label='Referrals, table'] tbody tr")
    return [row.css_first("td").html for row in rows]


def test_customer_detail_referral_campaign_seen_in_an_activity_shows_its_name(support, fake):
    fake.activities = ActivityList(
        activities=(referred({"id": "camp_1", "name": "Refer a Friend", "object": "campaign"}),)
    )
    support.get(reverse("customers:activities", args=[CID]), **HTMX)  # the timeline is read
    fake.customer = referred_customer(("camp_1", "cust_ref1"), ("camp_2", "cust_ref2"))

    page = text(support.get(reverse("customers:detail", args=[CID])))

    assert referral_cells(page) == [
        "<td>Refer a Friend <code>camp_1</code></td>",
        "<td><code>camp_2</code></td>",  # never named by an activity read here
    ]
    assert fake.calls["get_customer"] == 1


def test_customer_detail_referral_campaign_never_seen_shows_its_id(support, fake):
    fake.customer = referred_customer(("camp_9", "c_1"))

    page = text(support.get(reverse("customers:detail", args=[CID])))

    assert referral_cells(page) == ["<td><code>camp_9</code></td>"]
    assert fake.calls == {"get_customer": 1}


def test_customer_detail_referral_campaign_name_is_escaped(support, fake):
    hostile = "<img src=x onerror=alert(1)>"
    fake.activities = ActivityList(activities=(referred({"id": "camp_x", "name": hostile}),))
    timeline = text(support.get(reverse("customers:activities", args=[CID]), **HTMX))
    fake.customer = referred_customer(("camp_x", "c_1"))

    page = text(support.get(reverse("customers:detail", args=[CID])))

    assert hostile not in page and hostile not in timeline
    assert referral_cells(page) == [
        "<td>&lt;img src=x onerror=alert(1)&gt; <code>camp_x</code></td>"
    ]


def test_customer_detail_mailto_link_is_url_encoded(support, fake):
    fake.customer = make_customer(email="ann?cc=eve@example.com&body=hi")

    page = text(support.get(reverse("customers:detail", args=[CID])))

    href = re.search(r'href="(mailto:[^"]*)"', page).group(1)
    assert href == "mailto:ann%3Fcc%3Deve%40example.com%26body%3Dhi"


@pytest.mark.parametrize(
    ("referer", "back"),
    [
        ("http://testserver/customers/?city=Oslo&page=3", "/customers/?city=Oslo&amp;page=3"),
        ("http://testserver/customers/", "/customers/"),
        ("http://testserver/audit/?customer=x", "/customers/"),
        ("https://evil.example/customers/?city=Oslo", "/customers/"),
        (None, "/customers/"),
    ],
)
def test_customer_detail_all_customers_link_returns_to_the_list_as_left(
    support, fake, referer, back
):
    headers = {"HTTP_REFERER": referer} if referer else {}

    page = text(support.get(reverse("customers:detail", args=[CID]), **headers))

    assert f'<a href="{back}">All customers</a>' in page


def test_customer_detail_loads_fragments_with_href_fallbacks(support, fake):
    page = text(support.get(reverse("customers:detail", args=[CID])))

    activities = reverse("customers:activities", args=[CID])
    segments = reverse("customers:segments", args=[CID])
    assert f'hx-get="{activities}" hx-trigger="load"' in page
    assert f'href="{activities}"' in page
    assert f'hx-get="{segments}" hx-trigger="load"' in page
    assert f'href="{segments}"' in page


def test_customer_detail_htmx_request_gets_the_page(support, fake):
    response = support.get(reverse("customers:detail", args=[CID]), **HTMX)

    assert response.status_code == 200
    assert "Ada Lovelace" in text(response)
    assert "HX-Request" in response["Vary"]


def test_customer_detail_escapes_customer_data(support, fake):
    fake.customer = make_customer(
        name="<script>alert(1)</script>",
        metadata={"<b>k</b>": "<img src=x onerror=alert(2)>"},
        address={"city": "<i>Town</i>"},
    )

    page = text(support.get(reverse("customers:detail", args=[CID])))

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<b>k</b>" not in page
    assert "<i>Town</i>" not in page


def test_customer_detail_edit_button_only_for_editors(client_for, fake):
    edit_url = reverse("customers:update", args=[CID])

    assert edit_url in text(client_for("support").get(reverse("customers:detail", args=[CID])))
    assert edit_url not in text(
        client_for("marketing").get(reverse("customers:detail", args=[CID]))
    )


def test_customer_detail_without_view_permission_is_forbidden(django_user_model, client, fake):
    client.force_login(django_user_model.objects.create_user("nobody", password="x"))

    response = client.get(reverse("customers:detail", args=[CID]))

    assert response.status_code == 403
    assert fake.calls == {}


def test_customer_detail_fresh_customer_shows_never_updated_and_no_address(support, fake):
    fake.customer = make_customer(updated_at=None, address=None, metadata=None, summary={})

    page = text(support.get(reverse("customers:detail", args=[CID])))

    assert "never" in page
    assert "No address." in page
    assert "No metadata." in page
    assert "0.00" in page


@pytest.mark.parametrize(("error", "status", "title"), ERRORS)
def test_customer_detail_api_error_gives_problem_page(support, fake, error, status, title):
    fake.get_customer = raising(error)

    response = support.get(reverse("customers:detail", args=[CID]))

    page = text(response)
    assert response.status_code == status
    assert title in page
    assert "Traceback" not in page
    assert ("Retry</a>" in page) is (status != 404)


def test_customer_detail_rate_limited_sends_retry_after(support, fake):
    fake.get_customer = raising(RateLimited("Too many", status=429, retry_after=7))

    response = support.get(reverse("customers:detail", args=[CID]))

    assert response["Retry-After"] == "7"
    assert "Try again in 7 s." in text(response)


@SANDBOX
def test_customer_detail_sandbox_customer_shows_profile(support):
    customer = get_client().create_customer(
        {"source_id": "sb-1", "name": "Grace Hopper", "metadata": {"rank": "admiral"}}
    )

    response = support.get(reverse("customers:detail", args=[customer.id]))

    page = text(response)
    assert response.status_code == 200
    assert "Grace Hopper" in page and "sb-1" in page and "admiral" in page


@SANDBOX
def test_customer_detail_sandbox_referee_names_the_campaign_once_the_timeline_was_read(support):
    from sandbox import seed
    from sandbox.models import Customer as SandboxCustomer

    seed.seed(200, 6, log=lambda _: None)
    referee = next(c for c in SandboxCustomer.objects.using("sandbox") if c.referrals)
    (referral,) = referee.referrals["campaigns"]
    url = reverse("customers:detail", args=[referee.id])
    before = text(support.get(url))

    timeline = text(support.get(reverse("customers:activities", args=[referee.id]), **HTMX))
    after = text(support.get(url))

    assert referral_cells(before) == [f"<td><code>{referral['campaign_id']}</code></td>"]
    assert "Customer referred" in timeline and "in “Refer a Friend”" in timeline
    assert referral_cells(after) == [
        f"<td>Refer a Friend <code>{referral['campaign_id']}</code></td>"
    ]


@SANDBOX
def test_customer_detail_sandbox_unknown_customer_is_404(support):
    response = support.get(reverse("customers:detail", args=["cust_doesnotexist"]))

    assert response.status_code == 404
    assert "Not found" in text(response)


# --- activities ----------------------------------------------------------------------------


def activity(type_="customer.created", **fields) -> Activity:
    data = {
        "id": fields.pop("id", "evcus_1"),
        "type": type_,
        "created_at": "2024-08-01T10:00:00.000Z",
        "data": {"data": fields.pop("payload", {}), "event_source": {"channel": "API"}},
    }
    return Activity.from_api(data)


def test_customer_activities_full_page_shows_timeline(support, fake):
    fake.activities = ActivityList(
        activities=(
            activity(),
            activity(
                "customer.segment.entered", id="evcus_2", payload={"segment": {"name": "VIPs"}}
            ),
        ),
        has_more=False,
    )

    response = support.get(reverse("customers:activities", args=[CID]))

    page = text(response)
    assert response.status_code == 200
    assert "<html" in page
    assert 'id="customer-activities"' in page
    assert "Customer created" in page
    assert "Entered segment" in page and "VIPs" in page
    assert "API" in page
    assert "2024-08-01 10:00:00" in page
    assert "Load more" not in page
    assert fake.calls == {"list_customer_activity": 1}


def test_customer_activities_htmx_gets_the_section_only(support, fake):
    fake.activities = ActivityList(activities=(activity(),), has_more=False)

    response = support.get(reverse("customers:activities", args=[CID]), **HTMX)

    page = text(response)
    assert response.status_code == 200
    assert "<html" not in page
    assert 'id="customer-activities"' not in page  # the content of the live region only
    assert "Customer created" in page


def test_customer_activities_filters_are_sent_to_the_api(support, fake):
    support.get(
        reverse("customers:activities", args=[CID]),
        {
            "campaign_type": "PROMOTION",
            "type": "customer.updated",
            "start_date": "2024-01-01",
            "end_date": "2024-01-02",
        },
        **HTMX,
    )

    (_, customer_id, filters) = fake.sent[0]
    assert customer_id == CID
    assert filters["campaign_type"] == "PROMOTION"
    assert filters["type"] == "customer.updated"
    assert filters["start_date"] == datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    assert filters["end_date"].date() == datetime.date(2024, 1, 2)


def test_customer_activities_invalid_filter_shows_error_without_api_call(support, fake):
    response = support.get(
        reverse("customers:activities", args=[CID]),
        {"start_date": "2024-02-01", "end_date": "2024-01-01"},
        **HTMX,
    )

    assert response.status_code == 200
    assert "The end date is before the start date." in text(response)
    assert fake.calls == {}


def test_customer_activities_has_more_offers_load_more_keeping_filters(support, fake):
    fake.activities = ActivityList(
        activities=(activity(),), has_more=True, more_starting_after="evcus_1"
    )

    page = text(
        support.get(
            reverse("customers:activities", args=[CID]),
            {"campaign_type": "PROMOTION"},
            **HTMX,
        )
    )

    url = reverse("customers:activities", args=[CID])
    more = f"{url}?campaign_type=PROMOTION&amp;starting_after_id=evcus_1"
    assert f'href="{more}"' in page
    assert f'hx-get="{more}" hx-target="closest li" hx-swap="outerHTML"' in page
    assert "Load more" in page


def test_customer_activities_load_more_htmx_gets_only_the_next_items(support, fake):
    fake.activities = ActivityList(activities=(activity("customer.updated", id="evcus_9"),))

    response = support.get(
        reverse("customers:activities", args=[CID]), {"starting_after_id": "evcus_1"}, **HTMX
    )

    page = text(response)
    assert page.lstrip().startswith("<li")
    assert "<section" not in page and "<form" not in page
    assert "Customer updated" in page
    assert "No activity" not in page
    assert fake.sent[0][2]["starting_after_id"] == "evcus_1"


def test_customer_activities_load_more_without_js_is_a_page(support, fake):
    fake.activities = ActivityList(activities=(activity("customer.updated", id="evcus_9"),))

    response = support.get(
        reverse("customers:activities", args=[CID]), {"starting_after_id": "evcus_1"}
    )

    page = text(response)
    assert "<html" in page
    assert "Back to the newest" in page
    assert "Customer updated" in page


def test_customer_activities_customer_updated_shows_changes_from_payload(support, fake):
    fake.activities = ActivityList(
        activities=(
            activity(
                "customer.updated",
                payload={
                    "customer": {"name": "New"},
                    "changes": {"name": {"old": "Old", "new": "New"}},
                },
            ),
        )
    )

    page = text(support.get(reverse("customers:activities", args=[CID]), **HTMX))

    assert "Name: Old → New" in page


def test_customer_activities_empty_says_so(support, fake):
    page = text(support.get(reverse("customers:activities", args=[CID]), **HTMX))

    assert "No activity" in page


@pytest.mark.parametrize(("error", "status", "title"), ERRORS)
def test_customer_activities_api_error_keeps_section_with_retry(
    support, fake, error, status, title
):
    fake.list_customer_activity = raising(error)
    url = reverse("customers:activities", args=[CID])

    response = support.get(url, **HTMX)

    page = text(response)
    assert response.status_code == status
    assert 'id="customer-activities"' not in page  # the content of the live region only
    assert title in page
    if status != 404:
        assert f'hx-get="{url}" hx-target="#customer-activities" hx-swap="innerHTML"' in page


@pytest.mark.parametrize(("error", "status", "title"), RETRYABLE)
def test_customer_activities_load_more_error_replaces_the_load_more_row(
    support, fake, error, status, title
):
    fake.list_customer_activity = raising(error)

    response = support.get(
        reverse("customers:activities", args=[CID]), {"starting_after_id": "evcus_1"}, **HTMX
    )

    page = text(response)
    assert response.status_code == status
    assert page.lstrip().startswith('<li id="activity-more">')
    assert title in page
    assert 'hx-target="#activity-more"' in page


def test_customer_activities_api_error_full_page_has_retry_link(support, fake):
    fake.list_customer_activity = raising(Timeout("slow"))

    response = support.get(reverse("customers:activities", args=[CID]))

    assert response.status_code == 504
    assert "<html" in text(response)
    assert "Retry</a>" in text(response)


@SANDBOX
def test_customer_activities_sandbox_records_create_and_update(support):
    client = get_client()
    customer = client.create_customer({"source_id": "sb-act", "name": "A"})
    client.update_customer(customer.id, {"name": "B"})

    page = text(support.get(reverse("customers:activities", args=[customer.id]), **HTMX))

    assert "Customer created" in page
    assert "Customer updated" in page


# --- segments ------------------------------------------------------------------------------


def test_customer_segments_full_page_lists_names(support, fake):
    fake.segments = (SegmentRef("seg_1", "VIPs"), SegmentRef("seg_2", "<b>Bold</b>"))

    response = support.get(reverse("customers:segments", args=[CID]))

    page = text(response)
    assert response.status_code == 200
    assert "<html" in page
    assert "VIPs" in page
    assert "&lt;b&gt;Bold&lt;/b&gt;" in page and "<b>Bold</b>" not in page
    assert "segment_id=seg_1" in page
    assert fake.calls == {"list_customer_segments": 1}


def test_customer_segments_htmx_gets_the_section_only(support, fake):
    response = support.get(reverse("customers:segments", args=[CID]), **HTMX)

    page = text(response)
    assert 'id="customer-segments"' not in page  # the content of the live region only
    assert "In no segment." in page


@pytest.mark.parametrize(("error", "status", "title"), RETRYABLE)
def test_customer_segments_api_error_keeps_section_with_retry(support, fake, error, status, title):
    fake.list_customer_segments = raising(error)
    url = reverse("customers:segments", args=[CID])

    response = support.get(url, **HTMX)

    page = text(response)
    assert response.status_code == status
    assert 'id="customer-segments"' not in page  # the content of the live region only
    assert title in page
    assert f'hx-get="{url}" hx-target="#customer-segments" hx-swap="innerHTML"' in page


def test_customer_fragments_without_view_permission_are_forbidden(django_user_model, client, fake):
    client.force_login(django_user_model.objects.create_user("nobody", password="x"))

    for name in ("customers:activities", "customers:segments"):
        assert client.get(reverse(name, args=[CID]), **HTMX).status_code == 403
    assert fake.calls == {}
