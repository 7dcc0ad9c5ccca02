"""An API failure in one part of a page is shown in that part, with a Retry that works."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from customers.views.detail import ACTIVITY_PAGE_SIZE
from customers.voucherify import RateLimited, ServerError, Timeout, get_client
from sandbox.models import Customer as SandboxCustomer
from sandbox.models import Segment, SegmentMembership

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])


def raising(error):
    def fail(*args, **kwargs):
        raise error

    return fail


def retry_control(scope):
    """The Retry control, whether it is a link styled as a button or a button."""
    return scope.get_by_role("link", name="Retry").or_(scope.get_by_role("button", name="Retry"))


@pytest.fixture
def support_page(signed_in_as):
    page = signed_in_as("support")
    page.set_default_timeout(5_000)
    return page


@pytest.fixture
def ada(dashboard):
    client = get_client()
    client.create_customer({"source_id": "crm-other", "name": "Someone Else", "email": "x@y.test"})
    customer = client.create_customer(
        {
            "source_id": "crm-ada",
            "name": "Ada Lovelace",
            "email": "ada@example.test",
            "address": {"city": "London"},
        }
    )
    segment = Segment.objects.using("sandbox").create(
        id="seg_vip", name="VIP buyers", type=Segment.STATIC, created_at=timezone.now()
    )
    SegmentMembership.objects.using("sandbox").create(
        customer=SandboxCustomer.objects.using("sandbox").get(id=customer.id),
        segment=segment,
        created_at=timezone.now(),
    )
    return customer


def test_segments_rate_limited_shows_busy_in_place_then_retry_shows_them(
    support_page, dashboard, ada, monkeypatch
):
    page = support_page
    monkeypatch.setattr(
        get_client(),
        "list_customer_segments",
        raising(RateLimited("Too many", status=429, retry_after=3)),
    )
    page.goto(f"{dashboard.url}/customers/{ada.id}/")

    segments = page.locator("#customer-segments")
    problem = segments.get_by_role("alert")
    expect(problem).to_contain_text("Voucherify is busy")
    expect(problem).to_contain_text("Try again in 3 s")
    expect(retry_control(segments)).to_be_visible()
    # The rest of the profile is there.
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Lovelace")
    expect(page.get_by_role("link", name="ada@example.test")).to_be_visible()
    expect(page.locator("#customer-activities")).to_contain_text("Customer created")
    expect(page.get_by_role("alert")).to_have_count(1)

    monkeypatch.undo()
    retry_control(segments).click()

    expect(segments.get_by_role("link", name="VIP buyers")).to_be_visible()
    expect(segments.get_by_role("alert")).to_have_count(0)
    expect(page).to_have_url(re.compile(rf"/customers/{ada.id}/$"))


def test_list_503_shows_problem_in_table_keeps_filters_then_retry_shows_customers(
    support_page, dashboard, ada, monkeypatch
):
    page = support_page
    table = page.get_by_role("region", name="Customers found")
    page.get_by_label("City").fill("London")
    expect(table).to_contain_text("Ada Lovelace")
    expect(table).not_to_contain_text("Someone Else")

    monkeypatch.setattr(
        get_client(),
        "list_customers",
        raising(ServerError("Service Unavailable", status=503)),
    )
    page.get_by_label("Name").fill("Ada Lovelace")

    problem = table.get_by_role("alert")
    expect(problem).to_contain_text("Voucherify had a problem")
    expect(problem).to_contain_text("try again")
    expect(retry_control(table)).to_be_visible()
    expect(table.get_by_role("link", name="Ada Lovelace")).to_have_count(0)
    # The filters keep what the agent typed; the page around the table still works.
    expect(page.get_by_label("City")).to_have_value("London")
    expect(page.get_by_label("Name")).to_have_value("Ada Lovelace")
    expect(page.get_by_role("searchbox", name="Find a customer")).to_be_enabled()

    monkeypatch.undo()
    retry_control(table).click()

    expect(table.get_by_role("link", name="Ada Lovelace")).to_be_visible()
    expect(table).not_to_contain_text("Someone Else")
    expect(table.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_label("City")).to_have_value("London")
    expect(page.get_by_label("Name")).to_have_value("Ada Lovelace")


def test_activity_load_more_timeout_shows_in_place_of_the_button_then_retry_appends(
    support_page, dashboard, monkeypatch
):
    page = support_page
    client = get_client()
    customer = client.create_customer({"source_id": "crm-busy", "name": "Busy Bee"})
    for number in range(ACTIVITY_PAGE_SIZE):
        client.update_customer(customer.id, {"metadata": {"visit": number}})
    page.goto(f"{dashboard.url}/customers/{customer.id}/")
    activities = page.locator("#customer-activities")
    rows = activities.get_by_role("listitem").filter(has=page.locator("time"))
    expect(rows).to_have_count(ACTIVITY_PAGE_SIZE)

    monkeypatch.setattr(
        client, "list_customer_activity", raising(Timeout("Read timed out", status=None))
    )
    activities.get_by_role("link", name="Load more").click()

    problem = activities.get_by_role("alert")
    expect(problem).to_contain_text("Voucherify is slow")
    expect(rows).to_have_count(ACTIVITY_PAGE_SIZE)  # what was shown stays
    expect(activities.get_by_role("link", name="Load more")).to_have_count(0)

    monkeypatch.undo()
    retry_control(activities).click()

    expect(rows).to_have_count(ACTIVITY_PAGE_SIZE + 1)
    expect(rows.last).to_contain_text("Customer created")
    expect(activities.get_by_role("alert")).to_have_count(0)
