"""The support agent's main job in a real browser: find, read, fix; and what other roles may not."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from customers.voucherify import get_client

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])


@pytest.fixture
def ada(dashboard):
    client = get_client()
    client.create_customer({"source_id": "crm-other", "name": "Someone Else", "email": "x@y.test"})
    return client.create_customer(
        {
            "source_id": "crm-ada",
            "name": "Ada Lovelace",
            "email": "ada@example.test",
            "phone": "+44 20 7946 0000",
            "address": {"city": "London", "country": "GB"},
            "metadata": {"tier": "gold"},
        }
    )


def test_support_finds_reads_and_edits_then_sees_timeline_and_audit(
    signed_in_as, dashboard, ada, page
):
    signed_in_as("support")

    # Find by exact email: the one match opens the profile, its fragments loaded after it.
    page.get_by_role("searchbox", name="Find a customer").fill("ada@example.test")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Lovelace")
    expect(page.get_by_role("status").first).to_contain_text("Found by email")
    expect(page.locator("#customer-activities")).to_contain_text("Customer created")
    expect(page.locator("#customer-segments")).to_be_visible()
    expect(page.get_by_text("+44 20 7946 0000")).to_be_visible()

    # Edit the phone and a metadata value.
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Phone").fill("+44 20 7946 0999")
    value = page.locator(".kv-row").filter(has=page.locator("input[value='tier']"))
    value.get_by_label("Metadata value").fill("platinum")
    page.get_by_role("button", name="Save", exact=True).last.click()

    expect(page.get_by_role("status")).to_contain_text("Customer saved")
    expect(page.get_by_text("+44 20 7946 0999", exact=True)).to_be_visible()
    expect(page.locator("main")).to_contain_text("platinum")
    expect(page.locator("#customer-activities")).to_contain_text("Customer updated")

    # The audit log (compliance) records who changed what, old and new.
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Sign out").click()
    auditor = signed_in_as("compliance")
    auditor.goto(f"{dashboard.url}/audit/")
    row = auditor.locator("#audit-table tbody tr").filter(has_text="Edited the customer").first
    expect(row).to_contain_text(ada.id)
    expect(row).to_contain_text("+44 20 7946 0000")
    expect(row).to_contain_text("+44 20 7946 0999")
    expect(row).to_contain_text("platinum")
    expect(row).to_contain_text("support-1")
    auditor.wait_for_load_state("networkidle")


def test_marketing_sees_no_edit_button_and_gets_403_on_edit_url(signed_in_as, dashboard, ada, page):
    signed_in_as("marketing")
    page.goto(f"{dashboard.url}/customers/{ada.id}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Lovelace")
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)

    response = page.goto(f"{dashboard.url}/customers/{ada.id}/edit/")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You are not allowed to do this")


def test_slash_focuses_search_and_filters_apply_as_you_type(signed_in_as, dashboard, ada, page):
    signed_in_as("support")
    page.locator("body").press("/")
    expect(page.get_by_role("searchbox", name="Find a customer")).to_be_focused()

    page.get_by_label("City").fill("London")
    expect(page).to_have_url(re.compile(r"[?&]city=London"))
    expect(page.locator("#customer-table")).to_contain_text("Ada Lovelace")
    expect(page.locator("#customer-table")).not_to_contain_text("Someone Else")

    page.go_back()
    expect(page.locator("#customer-table")).to_contain_text("Someone Else")
