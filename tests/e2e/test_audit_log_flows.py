"""The audit log in a real browser: a compliance user narrows it down to one entry."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from dashboard.audit import audited, diff

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])

ADA, BOB = "cust_AdaAdaAdaAdaAdaAdaAdaAda", "cust_BobBobBobBobBobBobBobBob"


@pytest.fixture
def trail(user_for):
    """What support did to Ada and Bob, recorded through the views' own audit seam."""
    agent = user_for("support", "agent-smith")
    entries = [
        ("create_customer", ADA, diff({}, {"name": "Ada", "phone": "+1 555 0001"})),
        ("update_customer", BOB, diff({"name": "Bob"}, {"name": "Robert"})),
        ("update_customer", ADA, diff({"phone": "+1 555 0001"}, {"phone": "+1 555 0002"})),
        ("delete_customer", BOB, {}),
    ]
    for operation, customer_id, changes in entries:
        with audited(agent, operation, customer_id=customer_id, changes=changes):
            pass


def test_compliance_filters_audit_log_by_action_and_customer_and_sees_only_that_entry(
    trail, signed_in_as, dashboard
):
    page = signed_in_as("compliance")
    page.set_default_timeout(5_000)
    page.goto(f"{dashboard.url}/audit/")
    table = page.get_by_role("region", name="Audit entries")
    entries = table.get_by_role("row").filter(has=page.get_by_role("cell"))
    expect(entries).to_have_count(4)

    page.get_by_label("Action").select_option("update_customer")
    expect(page).to_have_url(re.compile(r"[?&]operation=update_customer"))
    expect(entries).to_have_count(2)

    page.get_by_label("Customer id").fill(ADA)
    expect(page).to_have_url(re.compile(rf"[?&]customer_id={ADA}"))
    expect(entries).to_have_count(1)
    entry = entries.first
    expect(entry).to_contain_text("Edited the customer")
    expect(entry).to_contain_text(ADA)
    expect(entry).to_contain_text("agent-smith")
    expect(entry).to_contain_text("+1 555 0001")
    expect(entry).to_contain_text("+1 555 0002")
    expect(table).not_to_contain_text(BOB)
    expect(table).not_to_contain_text("Created the customer")
    expect(table).to_contain_text("1 entry")

    # The filtered view is a URL: reloading it shows the same single entry.
    page.reload()
    expect(page.get_by_label("Action")).to_have_value("update_customer")
    expect(page.get_by_label("Customer id")).to_have_value(ADA)
    expect(entries).to_have_count(1)
