"""Writes in a real browser: a concurrent change, an upsert by source_id, a refused email."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from customers.voucherify import NotFound, get_client

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])


@pytest.fixture
def support_page(signed_in_as):
    page = signed_in_as("support")
    page.set_default_timeout(5_000)
    return page


@pytest.fixture
def ada(dashboard):
    return get_client().create_customer(
        {
            "source_id": "crm-ada",
            "name": "Ada Lovelace",
            "email": "ada@example.test",
            "phone": "+44 20 7946 0000",
            "address": {"city": "London", "country": "GB"},
            "metadata": {"tier": "gold"},
        }
    )


def save_button(page):
    return page.get_by_role("button", name="Save", exact=True).last


def test_edit_other_field_changed_meanwhile_merges_both_and_says_so(support_page, dashboard, ada):
    page = support_page
    client = get_client()
    page.goto(f"{dashboard.url}/customers/{ada.id}/edit/")
    expect(page.get_by_label("Phone")).to_have_value("+44 20 7946 0000")

    # Someone else renames the customer while the agent types a new phone number.
    client.update_customer(ada.id, {"name": "Ada King"})
    page.get_by_label("Phone").fill("+44 20 7946 0999")
    save_button(page).click()

    expect(page).to_have_url(re.compile(rf"/customers/{ada.id}/$"))
    status = page.get_by_role("status")
    expect(status).to_contain_text("Customer saved")
    expect(status).to_contain_text("Kept the changes made meanwhile by someone else to: Name")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada King")
    saved = client.get_customer(ada.id)
    assert (saved.name, saved.phone) == ("Ada King", "+44 20 7946 0999")


def test_edit_same_field_changed_meanwhile_asks_about_that_field_only_then_save_anyway(
    support_page, dashboard, ada
):
    page = support_page
    client = get_client()
    page.goto(f"{dashboard.url}/customers/{ada.id}/edit/")
    expect(page.get_by_label("Metadata key")).to_have_count(1)

    # Someone else changes the tier and adds a key while the agent changes the tier too.
    client.update_customer(ada.id, {"metadata": {"tier": "silver", "since": 2020}})
    page.get_by_label("Metadata value").first.fill("platinum")
    page.get_by_label("Phone").fill("+44 20 7946 0999")
    save_button(page).click()

    warning = page.get_by_role("alert").filter(has_text="Someone else changed 1 of the fields")
    expect(warning).to_contain_text("Nothing was saved")
    tier_row = warning.get_by_role("row").filter(has_text="tier")
    expect(tier_row).to_contain_text("gold")  # when the agent opened the form
    expect(tier_row).to_contain_text("silver")  # now
    expect(tier_row).to_contain_text("platinum")  # the agent's
    # Neither the agent's untouched phone edit nor the other key are asked about.
    expect(warning.get_by_role("row").filter(has_text="Phone")).to_have_count(0)
    expect(warning).to_contain_text("will be kept either way")
    expect(page.get_by_label("Phone")).to_have_value("+44 20 7946 0999")
    assert client.get_customer(ada.id).phone == "+44 20 7946 0000"

    warning.get_by_role("button", name="Save anyway").click()

    expect(page.get_by_role("status")).to_contain_text("Customer saved")
    saved = client.get_customer(ada.id)
    assert saved.metadata == {"tier": "platinum", "since": 2020}
    assert saved.phone == "+44 20 7946 0999"


def test_create_double_click_on_save_creates_one_customer(support_page, dashboard):
    page = support_page
    page.goto(f"{dashboard.url}/customers/new/")
    page.get_by_label("Email").fill("double@example.test")
    page.get_by_label("Name").fill("Double Click")

    page.get_by_role("button", name="Create customer").dblclick()

    expect(page.get_by_role("heading", level=1)).to_have_text("Double Click")
    assert get_client().list_customers(email="double@example.test").total == 1


def test_create_with_existing_source_id_asks_to_confirm_then_updates_that_customer(
    support_page, dashboard, ada
):
    page = support_page
    client = get_client()
    before = client.list_customers(limit=10).total

    page.get_by_role("link", name="New customer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New customer")
    page.get_by_label("Source id").fill("crm-ada")
    page.get_by_label("Phone").fill("+1 555 0100")
    page.get_by_role("button", name="Create customer").click()

    warning = page.get_by_role("alert").filter(has_text="already exists")
    expect(warning).to_contain_text("crm-ada")
    expect(warning).to_contain_text("Nothing was saved yet")
    expect(warning.get_by_role("link", name="Ada Lovelace")).to_be_visible()
    expect(page.get_by_label("Phone")).to_have_value("+1 555 0100")
    assert client.get_customer(ada.id).phone == "+44 20 7946 0000"

    warning.get_by_role("button", name="Update the existing customer").click()

    expect(page).to_have_url(re.compile(rf"/customers/{ada.id}/$"))
    expect(page.get_by_role("status")).to_contain_text("Customer saved")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Lovelace")
    expect(page.get_by_text("+1 555 0100", exact=True)).to_be_visible()
    assert client.list_customers(limit=10).total == before
    updated = client.get_customer(ada.id)
    assert (updated.phone, updated.email) == ("+1 555 0100", "ada@example.test")


def test_create_with_source_id_equal_to_another_customers_id_does_not_promise_to_update_it(
    support_page, dashboard, ada
):
    """The API upserts by source_id only: a source_id that is some customer's *id* creates a
    new customer, so the page must not say that saving will update that customer."""
    page = support_page
    client = get_client()
    page.goto(f"{dashboard.url}/customers/new/")
    page.get_by_label("Source id").fill(ada.id)
    page.get_by_label("Name").fill("Imported Person")
    page.get_by_role("button", name="Create customer").click()

    expect(page.get_by_role("alert").filter(has_text="already exists")).to_have_count(0)
    expect(page.get_by_role("status")).to_contain_text("Customer saved")
    expect(page.get_by_role("heading", level=1)).to_have_text("Imported Person")
    assert client.get_customer(ada.id).name == "Ada Lovelace"


def test_create_with_invalid_email_keeps_every_value_then_saves_after_fix(support_page, dashboard):
    page = support_page
    page.goto(f"{dashboard.url}/customers/new/")
    page.get_by_label("Source id").fill("crm-grace")
    page.get_by_label("Name").fill("Grace Hopper")
    page.get_by_label("Email").fill("grace-at-navy")
    page.get_by_label("Phone").fill("+1 202 555 0199")
    page.get_by_label("City").fill("Arlington")
    keys, values = page.get_by_label("Metadata key"), page.get_by_label("Metadata value")
    keys.nth(0).fill("rank")
    values.nth(0).fill("admiral")
    page.get_by_role("button", name="Add field").click()
    expect(keys).to_have_count(2)
    keys.nth(1).fill("languages")
    values.nth(1).fill("3")
    page.get_by_role("button", name="Create customer").click()

    email = page.get_by_label("Email")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description(re.compile("valid email", re.IGNORECASE))
    expect(email).to_have_value("grace-at-navy")
    expect(page.get_by_label("Source id")).to_have_value("crm-grace")
    expect(page.get_by_label("Name")).to_have_value("Grace Hopper")
    expect(page.get_by_label("Phone")).to_have_value("+1 202 555 0199")
    expect(page.get_by_label("City")).to_have_value("Arlington")
    expect(keys).to_have_count(2)
    expect(keys.nth(0)).to_have_value("rank")
    expect(values.nth(0)).to_have_value("admiral")
    expect(keys.nth(1)).to_have_value("languages")
    expect(values.nth(1)).to_have_value("3")
    with pytest.raises(NotFound):
        get_client().get_customer("crm-grace")

    email.fill("grace@navy.test")
    page.get_by_role("button", name="Create customer").click()

    expect(page).to_have_url(re.compile(r"/customers/[^/]+/$"))
    expect(page.get_by_role("status")).to_contain_text("Customer saved")
    expect(page.get_by_role("heading", level=1)).to_have_text("Grace Hopper")
    expect(page.get_by_role("link", name="grace@navy.test")).to_be_visible()
    metadata = page.get_by_role("table").filter(has_text="rank")
    expect(metadata).to_contain_text("admiral")
    expect(metadata).to_contain_text("languages")
    saved = get_client().get_customer("crm-grace")
    assert saved.metadata == {"rank": "admiral", "languages": 3}
    assert saved.address.city == "Arlington"
