"""A marketing user changes a customer's consents in a real browser, against the sandbox over
HTTP: withdraws one consent, sees it in the history, downloads the record, then unsubscribes
the customer from everything after confirming."""

from __future__ import annotations

import csv

import pytest
from playwright.sync_api import expect

from customers.voucherify import get_client
from sandbox import ids
from sandbox.models import Consent, ConsentGroup

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])


@pytest.fixture
def customer_with_consents():
    now = ids.now()
    made = {
        name: Consent.objects.using("sandbox").create(
            id=ids.consent_id(), name=name, description=text, created_at=now
        )
        for name, text in (
            ("Newsletter", "Monthly newsletter by email"),
            ("SMS offers", "Promotions by text message"),
        )
    }
    group = ConsentGroup.objects.using("sandbox").create(
        id=ids.consent_group_id(), name="Marketing", description="Every channel", created_at=now
    )
    group.consents.set(made.values())
    client = get_client()
    customer = client.create_customer({"source_id": "e2e-consents", "name": "Grace Hopper"})
    # Given on the web shop, before anyone used the dashboard.
    client.update_customers_consents(customer.id, {c.id: True for c in made.values()})
    return customer, made


def test_marketing_withdraws_a_consent_downloads_the_record_and_unsubscribes_all(
    signed_in_as, dashboard, customer_with_consents
):
    customer, made = customer_with_consents
    page = signed_in_as("marketing")
    page.goto(f"{dashboard.url}/customers/{customer.id}/")
    section = page.locator("#customer-consents")
    newsletter = section.locator(f"tr[data-consent='{made['Newsletter'].id}']")
    expect(newsletter).to_contain_text("Granted")
    expect(newsletter).to_contain_text("Outside the dashboard")

    section.get_by_label("Newsletter").select_option("withdraw")
    section.get_by_label("How the customer asked").select_option("phone")
    section.get_by_label("Reason").fill("Called: no more newsletters, please")
    section.get_by_role("button", name="Save consents").click()

    expect(section.get_by_role("status")).to_contain_text("Consents saved.")
    expect(newsletter).to_have_attribute("data-state", "withdrawn")
    expect(newsletter).to_contain_text("Phone, by marketing-1")
    newest = section.locator("table.consent-history tbody tr").first
    expect(newest).to_contain_text("Granted → Withdrawn")
    expect(newest).to_contain_text("marketing-1")
    expect(newest).to_contain_text("Called: no more newsletters, please")
    expect(newest).to_contain_text("Applied")

    with page.expect_download() as download:
        section.get_by_role("link", name="Download record (CSV)").click()
    with open(download.value.path(), encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    ours = [r for r in rows if r["source"] == "dashboard ledger"]
    assert [(r["consent_name"], r["new_state"], r["staff_user"]) for r in ours] == [
        ("Newsletter", "withdrawn", "marketing-1")
    ]
    assert download.value.suggested_filename.startswith(f"consents-{customer.id}-")

    section.get_by_label("How the customer asked").select_option("email")
    section.get_by_label("Reason").fill("Emailed: unsubscribe me from everything")
    section.get_by_role("button", name="Unsubscribe from all…").click()
    expect(section.get_by_role("alert")).to_contain_text(
        "Unsubscribe this customer from all marketing?"
    )
    expect(section.get_by_role("alert")).to_contain_text("“SMS offers”")
    assert get_client().get_customer(customer.id).unsubscribed is False
    section.get_by_role("button", name="Yes, unsubscribe from all").click()

    expect(section.locator("[data-unsubscribed]")).to_contain_text(
        "Unsubscribed from all marketing"
    )
    sms = section.locator(f"tr[data-consent='{made['SMS offers'].id}']")
    expect(sms).to_have_attribute("data-state", "withdrawn")
    assert get_client().get_customer(customer.id).unsubscribed is True
