"""Every page, as every role, on a phone (390 px) and at a desk (1400 px): nothing scrolls
sideways, nothing spills out of its card, and axe-core finds no serious or critical violation.

One browser page per role walks all of that role's pages (the matrix stays fast); each page is
loaded once per width, so that what depends on the width at load (the folded filters) is seen
as a person on that screen sees it. The figures of the last run are written to
var/layout-a11y.txt for the notes.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from playwright.sync_api import expect

from customers.services import privacy
from customers.voucherify import get_client
from dashboard.audit import audited
from sandbox.models import Customer as SandboxCustomer

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])

WIDTHS = (390, 1400)
AXE = Axe()
SERIOUS = {"serious", "critical"}
REPORT = Path(settings.BASE_DIR) / "var" / "layout-a11y.txt"
CSV = (
    "Source_id,Name,Email,Favourite_store_location_for_pickup\nw-1,Wide One,one@example.com,Oslo\n"
)

# What a page is measured on: the document's own sideways scroll, and every card whose
# content is wider than the card (a table scrolling in its .table-scroll wrapper is not).
MEASURE = """() => ({
  scroll: document.documentElement.scrollWidth,
  viewport: window.innerWidth,
  spilling: [...document.querySelectorAll('.card, fieldset, .topbar')]
    .filter(el => el.scrollWidth > el.clientWidth + 1)
    .map(el => el.id || el.getAttribute('aria-labelledby') || el.className),
})"""


@pytest.fixture
def wide_customer(dashboard):
    """A customer whose profile has every table filled with long values."""
    customer = get_client().create_customer(
        {
            "source_id": "crm-layout-with-a-rather-long-source-id",
            "name": "Maximiliane Ottilie von Wackerbarth-Sonnenschein",
            "email": "maximiliane.von.wackerbarth-sonnenschein@example.com",
            "address": {"line_1": "Lange Straße 1", "city": "Berlin", "country": "DE"},
            "metadata": {"favourite_store_location_for_pickup": "Berlin Mitte", "visits": 3},
        }
    )
    SandboxCustomer.objects.using("sandbox").filter(id=customer.id).update(
        loyalty={
            "points": 1200,
            "referred_customers": 1,
            "campaigns": {
                "Coffee Club Loyalty Programme Spring 2026": {
                    "points": 1200,
                    "loyalty_tier": "ltr_" + "a" * 24,
                    "referred_customers": 1,
                }
            },
        },
        referrals={
            "total": 1,
            "campaigns": [
                {
                    "campaign_id": "camp_" + "b" * 24,
                    "referrer_id": "cust_" + "c" * 24,
                    "related_object_id": "r_" + "d" * 24,
                    "related_object_type": "redemption",
                    "date": "2026-03-01T10:00:00.000Z",
                }
            ],
        },
    )
    with audited(None, "update_customer", customer_id=customer.id, changes={"name": ("A", "B")}):
        pass
    return customer


def uploaded_preview(page, base_url, tmp_path) -> str:
    """An import preview (marketing): upload a small CSV, return the preview's URL."""
    csv_file = tmp_path / "wide.csv"
    csv_file.write_text(CSV, encoding="utf-8")
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{base_url}/imports/new/")
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", name="Columns")).to_be_visible()
    return page.url


def started_job(page, preview_url) -> str:
    """A job (not worked on: no worker runs here), from the preview; returns its URL."""
    page.goto(preview_url)
    page.get_by_role("button", name="Start the import").click()
    expect(page.get_by_role("heading", name="Job", exact=False).first).to_be_visible()
    return page.url


def requests_pages(base: str, customer, user_for) -> dict[str, str]:
    """The data-subject request pages (compliance, admin): a request waiting for its identity
    check, one approved (the execute form and what will be lost), an access export."""

    def opened(kind: str):
        return privacy.deletion_request_open(
            customer=customer.id,
            kind=kind,
            ticket="HD-1",
            received_on=date.today(),
            notes="",
            user=opener,
        )

    opener, approver = user_for("compliance"), user_for("compliance")
    waiting = opened("erasure")
    access = opened("access")
    for request in (access,):
        privacy.deletion_request_verify_identity(
            request_id=request.pk, method="email_confirmation", note="", user=opener
        )
        privacy.deletion_request_approve(request_id=request.pk, user=approver)
    privacy.deletion_request_execute(request_id=access.pk, user=approver)
    requests = f"{base}/deletion-requests/"
    return {
        "requests": requests,
        "open a request": f"{requests}new/?customer={customer.id}",
        "request, received": f"{requests}{waiting.pk}/",
        "request, access done": f"{requests}{access.pk}/",
        "access export": f"{requests}{access.pk}/export/",
    }


def pages_of(role: str, base: str, customer_id: str) -> dict[str, str]:
    profile = f"{base}/customers/{customer_id}/"
    pages = {
        "customers list": f"{base}/customers/",
        "list, no match": f"{base}/customers/?city=Nowhere",
        "profile": profile,
        "activity page": f"{profile}activities/",
        "segments page": f"{profile}segments/",
        "not found (404)": f"{base}/customers/cust_nobody/",
        "not allowed (403)": f"{base}/audit/" if role != "compliance" else f"{profile}edit/",
    }
    if role in ("support", "admin"):
        pages |= {"edit form": f"{profile}edit/", "create form": f"{base}/customers/new/"}
    if role in ("marketing", "admin"):
        pages |= {
            "consents page": f"{profile}consents/",
            "import upload": f"{base}/imports/new/",
            "jobs": f"{base}/jobs/",
        }
    if role in ("compliance", "admin"):
        pages |= {"audit log": f"{base}/audit/"}
    return pages


def check(page, name: str, url: str, rows: list) -> list[str]:
    """Load `url` at each width; the problems found, and a figures row per width."""
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        page.wait_for_load_state("networkidle")
        measured = page.evaluate(MEASURE)
        violations = AXE.run(page).response["violations"]
        serious = [v for v in violations if v["impact"] in SERIOUS]
        rows.append(
            (
                name,
                width,
                measured["scroll"],
                len(measured["spilling"]),
                len(violations),
                len(serious),
            )
        )
        if measured["scroll"] > measured["viewport"]:
            problems.append(f"{name} @{width}: {measured['scroll']} px wide")
        if measured["spilling"]:
            problems.append(f"{name} @{width}: spills out of {measured['spilling']}")
        for violation in serious:
            targets = [node["target"] for node in violation["nodes"][:3]]
            problems.append(f"{name} @{width}: axe {violation['id']} on {targets}")
    return problems


def write_figures(role: str, rows: list) -> None:
    REPORT.parent.mkdir(exist_ok=True)
    lines = [f"{'role':<11}{'page':<20}{'width':>6}{'scrollW':>9}{'spill':>6}{'axe':>5}{'ser+':>6}"]
    lines += [f"{role:<11}{n:<20}{w:>6}{s:>9}{sp:>6}{a:>5}{se:>6}" for n, w, s, sp, a, se in rows]
    with REPORT.open("a", encoding="utf-8") as report:
        report.write("\n".join(lines) + "\n")


@pytest.mark.parametrize("role", ["support", "marketing", "compliance", "admin"])
def test_every_page_of_role_fits_both_widths_and_passes_axe(
    role, signed_in_as, dashboard, wide_customer, tmp_path, user_for
):
    page = signed_in_as(role)
    pages = pages_of(role, dashboard.url, wide_customer.id)
    if role in ("compliance", "admin"):
        pages |= requests_pages(dashboard.url, wide_customer, user_for)
    if role in ("marketing", "admin"):
        preview = uploaded_preview(page, dashboard.url, tmp_path)
        pages |= {"import preview": preview, "job": started_job(page, preview)}
    rows: list = []

    problems = [problem for name, url in pages.items() for problem in check(page, name, url, rows)]

    write_figures(role, rows)
    assert problems == []


def test_sign_in_and_error_pages_fit_both_widths_and_pass_axe(page, dashboard):
    rows: list = []
    problems = check(page, "sign-in", f"{dashboard.url}/signin/", rows)
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("[data-error-summary]")).to_be_focused()
    problems += check(page, "sign-in, refused", page.url, rows)

    write_figures("anonymous", rows)
    assert problems == []


def test_customer_list_on_a_phone_folds_filters_and_starts_results_near_the_top(
    signed_in_as, dashboard, wide_customer
):
    page = signed_in_as("admin")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{dashboard.url}/customers/")

    filters = page.locator("details[data-fold-wide]")
    expect(filters).not_to_have_attribute("open", "")
    first_row = page.locator("#customer-table tbody tr").first
    assert first_row.bounding_box()["y"] < 844  # on the first screen
    page.get_by_text("Filters", exact=True).click()
    expect(page.get_by_label("City")).to_be_visible()

    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{dashboard.url}/customers/")
    expect(page.get_by_label("City")).to_be_visible()


def test_edit_form_on_a_phone_shows_metadata_keys_whole(signed_in_as, dashboard, wide_customer):
    page = signed_in_as("support")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{dashboard.url}/customers/{wide_customer.id}/edit/")

    key = page.get_by_label("Metadata key").first
    expect(key).to_have_value("favourite_store_location_for_pickup")
    box = key.bounding_box()
    fits = key.evaluate("el => el.scrollWidth <= el.clientWidth")
    assert box["width"] >= 250 and fits
