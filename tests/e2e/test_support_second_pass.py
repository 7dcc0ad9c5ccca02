"""The support pages' second pass in a real browser: search that finds, segments by name,
clean list URLs, a timeline that says what changed, the sandbox banner, the admin pages'
403 and the sign-in lock-out."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from customers.voucherify import get_client
from sandbox.models import Segment, SegmentMembership

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])


@pytest.fixture
def support_page(signed_in_as):
    page = signed_in_as("support")
    page.set_default_timeout(5_000)
    return page


def test_search_mixed_case_email_opens_the_profile_saying_how(support_page, dashboard):
    page = support_page
    ada = get_client().create_customer({"name": "Ada Lovelace", "email": "ada@example.com"})

    page.goto(f"{dashboard.url}/customers/")
    page.get_by_role("searchbox", name="Find a customer").fill("Ada@Example.COM")
    page.get_by_role("button", name="Find").click()

    expect(page).to_have_url(f"{dashboard.url}/customers/{ada.id}/")
    expect(page.get_by_role("status").first).to_contain_text(
        "Found by email, lower-cased: “ada@example.com”"
    )


def test_search_no_match_keeps_the_query_and_says_what_next(support_page, dashboard):
    page = support_page
    page.goto(f"{dashboard.url}/customers/")
    page.get_by_role("searchbox", name="Find a customer").fill("Nobody Here")
    page.get_by_role("button", name="Find").click()

    notice = page.locator("[data-search-notice]")
    expect(notice).to_contain_text("No customer found for “Nobody Here”")
    expect(notice).to_contain_text("What to try next")
    expect(page.get_by_role("searchbox", name="Find a customer")).to_have_value("Nobody Here")


def test_segment_picked_by_name_filters_the_list_with_a_clean_url(support_page, dashboard):
    page = support_page
    client = get_client()
    ada = client.create_customer({"name": "Ada Lovelace", "source_id": "crm-ada"})
    client.create_customer({"name": "Bob Other", "source_id": "crm-bob"})
    segment = Segment.objects.using("sandbox").create(
        id="seg_vip1", name="VIP buyers", type=Segment.STATIC, created_at=ada.created_at
    )
    SegmentMembership.objects.using("sandbox").create(
        customer_id=ada.id, segment=segment, created_at=ada.created_at
    )
    page.goto(f"{dashboard.url}/customers/{ada.id}/")
    expect(page.locator("#customer-segments")).to_contain_text("VIP buyers")

    page.goto(f"{dashboard.url}/customers/")
    expect(page.get_by_label("Per page")).to_have_value("25")
    page.get_by_label("Segment").fill("VIP buyers")

    # Only the filled fields: no `email=&name=&...` in the URL.
    expect(page).to_have_url(
        re.compile(r"/customers/\?segment_id=VIP\+buyers&order=-created_at&limit=25$")
    )
    table = page.locator("#customer-table")
    expect(table).to_contain_text("In the segment VIP buyers")
    expect(table.get_by_role("link", name="Ada Lovelace")).to_be_visible()
    expect(table).not_to_contain_text("Bob Other")


def test_timeline_shows_what_an_edit_changed_and_who(support_page, dashboard):
    page = support_page
    ada = get_client().create_customer({"name": "Ada", "source_id": "crm-ada"})
    page.goto(f"{dashboard.url}/customers/{ada.id}/edit/")
    page.get_by_label("Phone").fill("+47 555 0101")
    page.get_by_role("button", name=re.compile("^Save")).click()
    expect(page).to_have_url(f"{dashboard.url}/customers/{ada.id}/")

    timeline = page.locator("#customer-activities")
    update = timeline.locator("#activity-list > li").filter(has_text="Customer updated")
    expect(update).to_contain_text("Phone: ∅ → +47 555 0101")
    expect(update).to_contain_text("by support-1")

    timeline.get_by_label("Activity").select_option("customer.created")
    expect(page).to_have_url(f"{dashboard.url}/customers/{ada.id}/?type=customer.created")
    expect(
        timeline.locator("#activity-list > li").filter(has_text="Customer updated")
    ).to_have_count(0)
    page.reload()
    expect(page.locator("#customer-activities").get_by_label("Activity")).to_have_value(
        "customer.created"
    )


def test_create_without_anything_to_find_the_customer_by_is_refused(support_page, dashboard):
    page = support_page
    page.goto(f"{dashboard.url}/customers/new/")
    page.get_by_label("City").fill("Oslo")
    page.get_by_role("button", name=re.compile("^(Create|Save)")).click()

    expect(page.get_by_role("alert").first).to_contain_text(
        "at least a source id, an email, a name or a phone number"
    )
    expect(page.get_by_label("City")).to_have_value("Oslo")


def test_sandbox_banner_and_admin_403_for_support(support_page, dashboard):
    page = support_page
    page.goto(f"{dashboard.url}/customers/")
    expect(page.locator("[data-sandbox-banner]")).to_contain_text("made up")
    expect(page.get_by_role("navigation", name="Main")).not_to_contain_text("Accounts")

    page.goto(f"{dashboard.url}/admin/")

    expect(page.get_by_role("heading", name="You are not allowed to do this")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_count(0)


def test_admin_follows_accounts_link_and_sees_roles(user_for, sign_in, dashboard):
    from django.contrib.auth.models import Permission

    admin = user_for("admin", "boss")
    admin.is_staff = True
    admin.set_password("correct-horse-battery")
    admin.save()
    admin.user_permissions.add(Permission.objects.get(codename="view_user"))
    user_for("marketing", "marketer")
    page = sign_in("boss", "correct-horse-battery")
    page.set_default_timeout(5_000)
    page.get_by_role("link", name="Accounts").click()
    page.get_by_role("link", name="Users").first.click()

    row = page.locator("#result_list tbody tr").filter(has_text="marketer")
    expect(row.locator("td.field-role")).to_have_text("marketing")


def test_signin_locks_out_after_repeated_wrong_passwords(user_for, sign_in, dashboard):
    user = user_for("support", "agent")
    user.set_password("correct-horse-battery")
    user.save()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        page = sign_in("agent", "wrong-password")
        expect(page.get_by_role("alert")).to_contain_text("correct username and password")

    page = sign_in("agent", "wrong-password")
    expect(page.get_by_role("heading", name="Sign-in is locked for now")).to_be_visible()

    page = sign_in("agent", "correct-horse-battery")
    expect(page.get_by_role("heading", name="Sign-in is locked for now")).to_be_visible()
