"""In a browser: swapped fragments keep their region, the one small live region says what
arrived in a few words, and a lost connection says so once.

Screen readers announce changes inside an `aria-live` element that stays in the document; the
big regions are not live (a whole table read out is noise): `#live-status` in base.html is, and
app.js puts a swapped fragment's `[data-summary]` into it.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from customers.voucherify import get_client
from dashboard.models import AuditEntry

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])
PROBE = "el => el.dataset.probe = 'kept'"
KEPT = "el => el.dataset.probe === 'kept' && !el.hasAttribute('aria-live')"


def test_customer_list_filtering_swaps_inside_the_same_live_region(signed_in_as, dashboard):
    page = signed_in_as("support")
    page.goto(f"{dashboard.url}/customers/")
    table = page.locator("#customer-table")
    table.evaluate(PROBE)

    page.get_by_label("City").fill("Nowhere")

    expect(table).to_contain_text("No customers match these filters")
    assert table.evaluate(KEPT)
    assert page.locator("#customer-table #customer-table").count() == 0
    expect(page.locator("#live-status")).to_have_text("No customers match these filters.")
    expect(page.get_by_label("City")).to_be_focused()  # typing goes on in the filter


def test_customer_detail_fragments_load_once_inside_their_live_regions(signed_in_as, dashboard):
    customer = get_client().create_customer({"source_id": "live-1", "name": "Ada"})
    page = signed_in_as("support")
    fragment_requests = []
    page.on(
        "request",
        lambda request: (
            fragment_requests.append(request.url)
            if "/segments/" in request.url or "/activities/" in request.url
            else None
        ),
    )

    page.goto(f"{dashboard.url}/customers/{customer.id}/")

    for region, text in (("#customer-segments", "In no segment"), ("#customer-activities", "")):
        expect(page.locator(f"{region} h2")).to_have_count(1)
        expect(page.locator(region)).to_contain_text(text)
    activities = page.locator("#customer-activities")
    activities.evaluate(PROBE)
    page.get_by_label("Activity").select_option("customer.created")
    page.get_by_role("button", name="Filter").click()
    expect(activities).to_contain_text("Customer created")
    page.wait_for_load_state("networkidle")
    assert activities.evaluate(KEPT)
    # hx-trigger="load" stays on the wrapper: it must not fire again after its own swap.
    assert len(fragment_requests) == 3


def test_audit_log_filtering_swaps_inside_the_same_live_region(signed_in_as, dashboard):
    AuditEntry.objects.create(username="sam", operation="update_customer", outcome="success")
    page = signed_in_as("compliance")
    page.goto(f"{dashboard.url}/audit/")
    table = page.locator("#audit-table")
    expect(table).to_contain_text("1 entry")
    table.evaluate(PROBE)

    page.get_by_label("Customer id").fill("cust_none")

    expect(table).to_contain_text("No audit entries match these filters")
    page.wait_for_load_state("networkidle")
    assert table.evaluate(KEPT)
    expect(page.locator("#live-status")).to_have_text("No audit entries match these filters.")


def test_send_error_twice_shows_one_note(signed_in_as, dashboard):
    page = signed_in_as("support")
    page.goto(f"{dashboard.url}/customers/")
    page.route("**/customers/?*", lambda route: route.abort())
    # Counted after app.js's own listener has run.
    page.evaluate(
        "document.addEventListener('htmx:sendError', () =>"
        " document.body.dataset.sendErrors = Number(document.body.dataset.sendErrors || 0) + 1)"
    )

    for number, city in enumerate(("A", "B"), start=1):
        page.get_by_label("City").fill(city)
        expect(page.locator("body")).to_have_attribute("data-send-errors", str(number))

    notes = page.locator("#customer-table").get_by_role("alert")
    expect(notes).to_have_count(1)
    expect(notes).to_have_text(
        "The dashboard could not be reached. Check your connection and try again."
    )
