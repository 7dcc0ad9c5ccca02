"""With the keyboard only: after Load more, a page link and a failed save, focus is on the new
content or on the error summary, not fallen back to <body>; "/" finds the search anywhere."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from customers.voucherify import get_client

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])
ACTIVE = "() => document.activeElement"


def test_load_more_moves_focus_to_the_first_new_timeline_entry(signed_in_as, dashboard):
    client = get_client()
    customer = client.create_customer({"source_id": "focus-1", "name": "Ada"})
    for number in range(25):  # more than one page of activity (20)
        client.update_customer(customer.id, {"name": f"Ada {number}"})
    page = signed_in_as("support")
    page.goto(f"{dashboard.url}/customers/{customer.id}/")
    more = page.get_by_role("link", name="Load more")
    expect(page.locator("#activity-list > li")).to_have_count(21)  # 20 entries and Load more

    more.focus()
    page.keyboard.press("Enter")

    focused = page.locator("#activity-list > li:focus")
    expect(focused).to_have_count(1)
    assert focused.evaluate("li => [...li.parentElement.children].indexOf(li)") == 20


def test_page_link_moves_focus_to_the_results_heading_and_says_the_page(signed_in_as, dashboard):
    client = get_client()
    for number in range(12):  # two pages of ten
        client.create_customer({"source_id": f"page-{number}", "name": f"Page {number}"})
    page = signed_in_as("support")
    page.goto(f"{dashboard.url}/customers/?limit=10")

    page.get_by_role("link", name="2", exact=True).focus()
    page.keyboard.press("Enter")

    heading = page.locator("#customer-table .results-count")
    expect(heading).to_be_focused()
    expect(page.locator("#live-status")).to_have_text("12 customers, page 2")


def test_failed_save_starts_at_the_error_summary_which_links_to_the_field(signed_in_as, dashboard):
    customer = get_client().create_customer({"source_id": "focus-2", "name": "Ada"})
    page = signed_in_as("support")
    page.goto(f"{dashboard.url}/customers/{customer.id}/edit/")

    page.get_by_label("Email").fill("not-an-email")
    page.keyboard.press("Enter")

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Email: Enter a valid email address.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Email")).to_be_focused()


def test_slash_focuses_the_search_on_a_page_without_its_own(signed_in_as, dashboard):
    customer = get_client().create_customer({"source_id": "focus-3", "name": "Ada"})
    page = signed_in_as("support")
    page.goto(f"{dashboard.url}/customers/{customer.id}/")

    page.keyboard.press("/")

    expect(page.get_by_role("searchbox", name="Find a customer")).to_be_focused()


# Recorded as the request leaves (htmx:beforeSend): what the page shows while it waits.
WAITING = """() => { window.waiting = new Promise(resolve =>
  document.addEventListener('htmx:beforeSend', event => {
  const elt = event.detail.elt;
  resolve({
    busy: event.detail.target.getAttribute('aria-busy'),
    spinner: getComputedStyle(elt, '::after').animationName,
  });
}, {once: true})); }"""


def test_page_link_and_load_more_show_they_are_waiting(signed_in_as, dashboard):
    client = get_client()
    customer = client.create_customer({"source_id": "wait-0", "name": "Ada"})
    for number in range(11):
        client.create_customer({"source_id": f"wait-{number + 1}", "name": f"Wait {number}"})
        client.update_customer(customer.id, {"name": f"Ada {number}"})
        client.update_customer(customer.id, {"name": f"Ada {number}."})
    page = signed_in_as("support")
    page.goto(f"{dashboard.url}/customers/?limit=10")
    page.evaluate(WAITING)

    page.get_by_role("link", name="2", exact=True).click()

    assert page.evaluate("() => window.waiting") == {"busy": "true", "spinner": "spin"}
    expect(page.locator("#customer-table")).not_to_have_attribute("aria-busy", "true")
    page.goto(f"{dashboard.url}/customers/{customer.id}/")
    more = page.get_by_role("link", name="Load more")
    page.evaluate(WAITING)
    more.click()
    assert page.evaluate("() => window.waiting") == {"busy": "true", "spinner": "spin"}
