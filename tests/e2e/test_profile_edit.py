"""The profile and edit pages in a real browser: fragments load, rows come and go, saves land."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from customers.voucherify import get_client

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])


@pytest.fixture
def support_page(signed_in_as):
    return signed_in_as("support")


def test_profile_loads_fragments_then_edit_metadata_and_save(support_page, dashboard):
    page = support_page
    client = get_client()
    customer = client.create_customer(
        {"source_id": "e2e-1", "name": "Grace", "metadata": {"gone": "soon", "keep": 1}}
    )
    client.update_customer(customer.id, {"phone": "123"})

    page.goto(f"{dashboard.url}/customers/{customer.id}/")
    activities = page.locator("#customer-activities")
    expect(activities).to_contain_text("Customer created")
    expect(activities).to_contain_text("Customer updated")
    expect(page.locator("#customer-segments h2")).to_have_text("Segments")

    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("Name")).to_have_value("Grace")
    page.get_by_role("button", name="Add field").click()
    expect(page.locator(".kv-row")).to_have_count(3)
    page.locator(".kv-row").nth(2).get_by_label("Metadata key").fill("added")
    page.locator(".kv-row").nth(2).get_by_label("Metadata value").fill("true")
    page.locator(".kv-row").nth(0).get_by_role("button", name="Remove").click()
    expect(page.locator(".kv-row")).to_have_count(2)
    page.get_by_label("Name").fill("Grace Hopper")
    page.get_by_role("button", name="Save", exact=True).last.click()

    expect(page.get_by_role("status")).to_contain_text("Customer saved")
    expect(page.locator("h1")).to_have_text("Grace Hopper")
    saved = client.get_customer(customer.id)
    assert saved.metadata.get("added") is True
    assert saved.metadata.get("gone") is None
    assert saved.metadata.get("keep") == 1
