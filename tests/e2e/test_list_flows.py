"""Long lists in a real browser: the activity "Load more", paging past page 99, CSV export."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from customers.views.detail import ACTIVITY_PAGE_SIZE
from customers.voucherify import get_client
from sandbox.models import Customer as SandboxCustomer

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])


@pytest.fixture
def support_page(signed_in_as):
    page = signed_in_as("support")
    page.set_default_timeout(5_000)
    return page


def test_activity_load_more_appends_the_next_page_without_duplicates(support_page, dashboard):
    page = support_page
    client = get_client()
    customer = client.create_customer({"source_id": "crm-busy", "name": "Busy Bee"})
    updates = ACTIVITY_PAGE_SIZE + 4
    for number in range(1, updates + 1):
        client.update_customer(customer.id, {"metadata": {"visit": number}})

    page.goto(f"{dashboard.url}/customers/{customer.id}/")
    activities = page.locator("#customer-activities")
    rows = activities.get_by_role("listitem").filter(has=page.locator("time"))
    expect(rows).to_have_count(ACTIVITY_PAGE_SIZE)
    expect(rows.first).to_contain_text("Customer updated")
    expect(rows.filter(has_text="Customer created")).to_have_count(0)

    activities.get_by_role("link", name="Load more").click()

    expect(rows).to_have_count(updates + 1)
    expect(rows.last).to_contain_text("Customer created")
    expect(rows.filter(has_text="Customer created")).to_have_count(1)
    expect(activities.get_by_role("link", name="Load more")).to_have_count(0)
    moments = [time.get_attribute("datetime") for time in rows.locator("time").all()]
    assert len(set(moments)) == len(moments) == updates + 1
    assert moments == sorted(moments, reverse=True)  # newest first, across both pages


@pytest.fixture
def ten_thousand(dashboard):
    """9,950 customers (seeded straight into the sandbox): page 99 of 100 is not the last.

    Customer 1 is the newest; with 100 a page, page 99 holds 9801..9900.
    """
    newest = datetime(2026, 6, 1, tzinfo=UTC)
    rows = []
    for number in range(1, 9_951):
        moment = newest - timedelta(minutes=number)
        rows.append(
            SandboxCustomer(
                id=f"cust_e2e{number:020d}",
                source_id=f"crm-{number:05d}",
                name=f"Customer {number:05d}",
                created_at=moment,
                touched_at=moment,
            )
        )
    SandboxCustomer.objects.using("sandbox").bulk_create(rows, batch_size=1_000)
    return len(rows)


def names_in(page):
    """The name links of the customers table's body rows."""
    table = page.get_by_role("region", name="Customers found")
    return table.get_by_role("row").filter(has=page.get_by_role("cell")).get_by_role("link")


def test_list_page_99_offers_older_then_cursor_pages_older_and_newer(
    support_page, dashboard, ten_thousand
):
    page = support_page
    table = page.get_by_role("region", name="Customers found")
    pages = page.get_by_role("navigation", name="Pages")
    page.goto(f"{dashboard.url}/customers/?limit=100&page=99")

    expect(table).to_contain_text(re.compile(r"9,?950 customers"))
    expect(pages.locator("[aria-current=page]")).to_have_text("99")
    expect(pages.get_by_role("link", name="98", exact=True)).to_be_visible()
    expect(pages.get_by_role("link", name="1", exact=True)).to_be_visible()
    expect(pages.get_by_role("link", name="Next")).to_have_count(0)
    expect(pages.get_by_role("link", name="100", exact=True)).to_have_count(0)
    names = names_in(page)
    expect(names).to_have_count(100)
    expect(names.first).to_have_text("Customer 09801")
    expect(names.last).to_have_text("Customer 09900")

    pages.get_by_role("link", name=re.compile("^Older")).click()

    expect(page).to_have_url(re.compile(r"[?&]starting_after="))
    expect(names).to_have_count(50)
    expect(names.first).to_have_text("Customer 09901")
    expect(names.last).to_have_text("Customer 09950")
    expect(pages.get_by_role("link", name=re.compile("^Older"))).to_have_count(0)

    pages.get_by_role("link", name=re.compile("Newer$")).click()

    expect(page).to_have_url(re.compile(r"[?&]ending_before="))
    expect(names).to_have_count(100)
    expect(names.first).to_have_text("Customer 09801")
    expect(names.last).to_have_text("Customer 09900")

    pages.get_by_role("link", name="Page 1").click()
    expect(names.first).to_have_text("Customer 00001")


def test_list_cursor_url_opened_directly_pages_with_older_and_newer(
    support_page, dashboard, ten_thousand
):
    page = support_page
    pages = page.get_by_role("navigation", name="Pages")
    # Older than customer 20 (created 20 minutes before the newest): customers 21..30.
    page.goto(f"{dashboard.url}/customers/?limit=10&starting_after=2026-05-31T23:40:00.000Z")

    names = names_in(page)
    expect(names).to_have_count(10)
    expect(names.first).to_have_text("Customer 00021")
    expect(names.last).to_have_text("Customer 00030")

    pages.get_by_role("link", name=re.compile("^Older")).click()
    expect(names.first).to_have_text("Customer 00031")
    expect(names.last).to_have_text("Customer 00040")

    pages.get_by_role("link", name=re.compile("Newer$")).click()
    expect(names.first).to_have_text("Customer 00021")
    expect(names.last).to_have_text("Customer 00030")

    pages.get_by_role("link", name=re.compile("Newer$")).click()
    expect(names.first).to_have_text("Customer 00011")
    expect(names.last).to_have_text("Customer 00020")


def test_export_csv_with_a_filter_downloads_only_the_matching_customers(support_page, dashboard):
    page = support_page
    client = get_client()
    client.create_customer(
        {"source_id": "crm-ada", "name": "Ada Lovelace", "address": {"city": "London"}}
    )
    client.create_customer(
        {"source_id": "crm-charles", "name": "Charles Babbage", "address": {"city": "London"}}
    )
    client.create_customer(
        {"source_id": "crm-marie", "name": "Marie Curie", "address": {"city": "Paris"}}
    )
    page.goto(f"{dashboard.url}/customers/")
    table = page.get_by_role("region", name="Customers found")
    expect(table).to_contain_text("Marie Curie")

    page.get_by_label("City").fill("London")
    expect(table).not_to_contain_text("Marie Curie")
    expect(table).to_contain_text("2 customers")
    with page.expect_download() as download_info:
        table.get_by_role("link", name="Export CSV").click()
    download = download_info.value

    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8") as file:
        rows = list(csv.DictReader(io.StringIO(file.read())))
    assert rows and {"id", "source_id", "name", "email", "city"} <= set(rows[0])
    assert sorted((row["name"], row["city"]) for row in rows) == [
        ("Ada Lovelace", "London"),
        ("Charles Babbage", "London"),
    ]
