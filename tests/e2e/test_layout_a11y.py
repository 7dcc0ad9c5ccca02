"""Every page, as every role, on a phone (390 px) and at a desk (1400 px): nothing scrolls
sideways, nothing spills out of its card, a table wider than its place scrolls in a named,
focusable region, and axe-core finds no serious or critical violation.

One browser page per role walks all of that role's pages (the matrix stays fast); each page is
loaded once per width, so that what depends on the width at load (the folded filters) is seen
as a person on that screen sees it. The fixtures hold long values, so that on a phone the
tables are wider than the screen. The figures of the last run are written to
var/layout-a11y.txt for the notes.
"""

from __future__ import annotations

import datetime
import re
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from axe_playwright_python.sync_playwright import Axe
from axes.utils import reset as reset_sign_in_failures
from django.conf import settings
from django.contrib.auth.models import Permission
from django.utils import timezone
from playwright.sync_api import expect

from customers.models import Chunk, FailedRow, Job
from customers.services import privacy
from customers.voucherify import get_client
from dashboard.audit import audited
from dashboard.management.commands.create_demo_users import ADMIN_AUTH_PERMISSIONS
from sandbox.models import Customer as SandboxCustomer
from tests.api_errors import BUSY, UNREACHABLE, slow

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])

WIDTHS = (390, 1400)
AXE = Axe()
SERIOUS = {"serious", "critical"}
REPORT = Path(settings.BASE_DIR) / "var" / "layout-a11y.txt"
CSV = (
    "Source_id,Name,Email,Favourite_store_location_for_pickup\n"
    "crm-layout-import-with-a-rather-long-source-id,Wide One,"
    "wide.one.with.a.rather.long.mailbox@example.com,Oslo Sentrum by the harbour\n"
    "crm-layout-import-with-a-wrong-email-address,Wide Two,not-an-email-address-at-all,Bergen\n"
)
LONG_REASON = (
    "Not sent: Email: enter an email address like name@example.com "
    "(the file said not-an-email-address-at-all)"
)

# What a page is measured on: the status it was answered with, whether a phone lays it out at
# its own width (the viewport meta tag), the document's own sideways scroll, every card whose
# content is wider than the card, the tables scrolling in their region (on a phone there
# should be some: the fixtures are wide), and every table wider than its place that is not in
# a named, focusable scroll region (`.table-scroll`, or the admin's results; axe's
# scrollable-region-focusable asks for it).
MEASURE = """() => {
  const wide = [...document.querySelectorAll('table')]
    .filter(table => table.offsetWidth > table.parentElement.clientWidth + 1);
  const inRegion = table => table.parentElement.matches('[role=region][aria-label][tabindex="0"]');
  return {
    status: performance.getEntriesByType('navigation')[0].responseStatus,
    phone: !!document.querySelector('meta[name=viewport][content*="width=device-width"]'),
    scroll: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
    spilling: [...document.querySelectorAll('.card, fieldset, .topbar')]
      .filter(el => el.scrollWidth > el.clientWidth + 1)
      .map(el => el.id || el.getAttribute('aria-labelledby') || el.className),
    scrolling: wide.filter(inRegion).length,
    loose: wide.filter(table => !inRegion(table))
      .map(table => table.id || table.closest('[id]')?.id || table.className || 'table'),
  };
}"""


@pytest.fixture(scope="module", autouse=True)
def fresh_report():
    """The figures of this run only."""
    REPORT.unlink(missing_ok=True)


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


@pytest.fixture
def erasure(dashboard, user_for):
    """A customer erased at their request (GDPR Art. 17): the request is done, certified."""
    customer = get_client().create_customer(
        {
            "source_id": "crm-layout-erased-with-a-rather-long-source-id",
            "name": "Friederike Adelheid von Erasmus-Vergessen",
            "email": "friederike.von.erasmus-vergessen@example.com",
        }
    )
    opener, approver = user_for("compliance"), user_for("compliance")
    request = privacy.deletion_request_open(
        customer=customer.id,
        kind="erasure",
        ticket="HD-2026-000123456789",
        received_on=date.today(),
        notes="",
        user=opener,
    )
    privacy.deletion_request_verify_identity(
        request_id=request.pk, method="email_confirmation", note="", user=opener
    )
    privacy.deletion_request_approve(request_id=request.pk, user=approver)
    done = privacy.deletion_request_execute(
        request_id=request.pk, confirmation=customer.email, user=opener
    )
    assert isinstance(done, privacy.Executed)
    # The request now holds only keyed hashes: the id the profile's URL had is kept here.
    return SimpleNamespace(customer_id=customer.id, request=done.request)


@pytest.fixture
def long_named_user(user_for):
    """A staff account whose names fill the admin's user list and change page."""
    user = user_for("support", "support-agent-with-a-rather-long-username-2026")
    user.first_name = "Maximiliane Ottilie"
    user.last_name = "von Wackerbarth-Sonnenschein"
    user.email = "maximiliane.von.wackerbarth-sonnenschein@example.com"
    user.save()
    return user


def accounts_admin(user_for, sign_in):
    """An admin who manages staff accounts in /admin/ (like the demo `admin`), signed in."""
    user = user_for("admin")
    user.is_staff = True
    user.set_password("correct-horse-battery")
    user.save()
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="auth", codename__in=ADMIN_AUTH_PERMISSIONS
        )
    )
    return sign_in(user.username, "correct-horse-battery")


def uploaded_preview(page, base_url, tmp_path) -> str:
    """An import preview (marketing): upload a small CSV, return the preview's URL."""
    csv_file = tmp_path / "spring-campaign-2026-sign-ups-from-the-pop-up-stores.csv"
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


def finished_jobs(base: str, user) -> dict[str, str]:
    """Two jobs as their worker leaves them: an import done with a row refused, and a bulk
    update that failed as a whole (Voucherify refused each request)."""
    now = timezone.now()
    times = {"started_at": now - datetime.timedelta(minutes=3), "finished_at": now}
    done = Job.objects.create(
        kind=Job.Kind.MERGE,
        state=Job.State.DONE,
        user=user,
        username=user.username,
        filename="spring-campaign-2026-sign-ups-from-the-pop-up-stores.csv",
        rows_total=3,
        done_count=2,
        failed_count=1,
        progress=100,
        **times,
    )
    Chunk.objects.create(job=done, index=0, state=Chunk.State.DONE, done_count=2, failed_count=1)
    FailedRow.objects.create(
        job=done,
        row=2,
        source_id="crm-layout-import-with-a-rather-long-source-id",
        reason=LONG_REASON,
    )
    failed = Job.objects.create(
        kind=Job.Kind.METADATA,
        state=Job.State.FAILED,
        user=user,
        username=user.username,
        rows_total=2,
        failed_count=2,
        progress=100,
        **times,
    )
    Chunk.objects.create(
        job=failed,
        index=0,
        state=Chunk.State.FAILED,
        failed_count=2,
        note="Voucherify refused the request (400): metadata favourite_store_location_for_pickup",
    )
    for number in range(2):
        FailedRow.objects.create(
            job=failed,
            customer_id=f"cust_{number}" + "e" * 23,
            reason="Voucherify refused the request: metadata favourite_store_location_for_pickup",
        )
    return {"job, done": f"{base}/jobs/{done.pk}/", "job, failed": f"{base}/jobs/{failed.pk}/"}


def requests_pages(base: str, customer, erasure, user_for) -> dict[str, str]:
    """The data-subject request pages (compliance, admin): a request waiting for its identity
    check, one approved (the execute form and what will be lost), an access export, and an
    erasure done with its certificate."""

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
        "request, erasure done": f"{requests}{erasure.request.pk}/",
        "certificate": f"{requests}{erasure.request.pk}/certificate/",
    }


def pages_of(role: str, base: str, customer_id: str, erased_id: str) -> dict[str, str]:
    profile = f"{base}/customers/{customer_id}/"
    pages = {
        "customers list": f"{base}/customers/",
        "list, no match": f"{base}/customers/?city=Nowhere",
        "profile": profile,
        "activity page": f"{profile}activities/",
        "segments page": f"{profile}segments/",
        "erased (410)": f"{base}/customers/{erased_id}/",
        "not found (404)": f"{base}/customers/cust_nobody/",
    }
    if role != "admin":  # an admin may do everything
        pages |= {
            "not allowed (403)": f"{profile}edit/" if role == "compliance" else f"{base}/audit/"
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
    if role != "admin":  # the accounts are the admin's (accounts_pages)
        pages |= {"accounts (403)": f"{base}/admin/"}
    return pages


def accounts_pages(base: str, user) -> dict[str, str]:
    """Staff accounts and roles in Django's admin (admin): the index, the users, `user`'s
    change page and that of their role."""
    role = user.groups.get()
    return {
        "accounts": f"{base}/admin/",
        "accounts, users": f"{base}/admin/auth/user/",
        "accounts, a user": f"{base}/admin/auth/user/{user.pk}/change/",
        "accounts, a role": f"{base}/admin/auth/group/{role.pk}/change/",
    }


def check(page, name: str, load, rows: list) -> list[str]:
    """Load the page at each width (`load`: its URL, or a function that brings it up); the
    problems found, and a figures row per width. It must answer the status its name ends
    with (as "erased (410)"), else 200."""
    named_status = re.search(r"\((\d{3})\)$", name)
    expected = int(named_status.group(1)) if named_status else 200
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        seen = measured(page, load)
        rows.append(
            (
                name,
                width,
                seen["status"],
                seen["scroll"],
                len(seen["spilling"]),
                seen["scrolling"],
                seen["axe"],
                len(seen["serious"]),
            )
        )
        problems += [f"{name} @{width}: {problem}" for problem in problems_in(seen, expected)]
    return problems


def measured(page, load) -> dict:
    """MEASURE of the page as loaded, with what its Content-Security-Policy refused (an inline
    style or script that the browser ignored) and axe's violations."""
    refused = []

    def on_console(message):
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    page.on("console", on_console)
    if callable(load):
        load()
    else:
        page.goto(load)
    page.wait_for_load_state("networkidle")
    page.remove_listener("console", on_console)
    seen = page.evaluate(MEASURE)
    violations = AXE.run(page).response["violations"]
    seen |= {
        "refused": refused,
        "axe": len(violations),
        "serious": [v for v in violations if v["impact"] in SERIOUS],
    }
    return seen


def problems_in(seen: dict, expected_status: int) -> list[str]:
    problems = []
    if seen["status"] != expected_status:
        problems.append(f"answered {seen['status']}, not {expected_status}")
    if not seen["phone"]:
        problems.append("no viewport meta tag (phones zoom it out)")
    if seen["scroll"] > seen["viewport"]:
        problems.append(f"{seen['scroll']} px wide")
    if seen["spilling"]:
        problems.append(f"spills out of {seen['spilling']}")
    if seen["loose"]:
        problems.append(f"tables wider than their place, not in a scroll region {seen['loose']}")
    problems += [f"the CSP refused: {text[:70]}…" for text in seen["refused"]]
    for violation in seen["serious"]:
        targets = [node["target"] for node in violation["nodes"][:3]]
        problems.append(f"axe {violation['id']} on {targets}")
    return problems


def write_figures(role: str, rows: list) -> None:
    REPORT.parent.mkdir(exist_ok=True)
    header = ("role", "page", "width", "status", "scrollW", "spill", "tables", "axe", "ser+")
    lines = [f"{header[0]:<11}{header[1]:<26}" + "".join(f"{h:>8}" for h in header[2:])]
    lines += [
        f"{role:<11}{name:<26}" + "".join(f"{n:>8}" for n in numbers) for name, *numbers in rows
    ]
    with REPORT.open("a", encoding="utf-8") as report:
        report.write("\n".join(lines) + "\n")


@pytest.mark.parametrize("role", ["support", "marketing", "compliance", "admin"])
def test_every_page_of_role_fits_both_widths_and_passes_axe(
    role,
    signed_in_as,
    sign_in,
    dashboard,
    wide_customer,
    erasure,
    long_named_user,
    tmp_path,
    user_for,
):
    page = accounts_admin(user_for, sign_in) if role == "admin" else signed_in_as(role)
    pages = pages_of(role, dashboard.url, wide_customer.id, erasure.customer_id)
    if role in ("compliance", "admin"):
        pages |= requests_pages(dashboard.url, wide_customer, erasure, user_for)
    if role in ("marketing", "admin"):
        # A started job's preview leads to the job: the preview measured is another upload.
        pages |= {
            "import preview": uploaded_preview(page, dashboard.url, tmp_path),
            "job, queued": started_job(page, uploaded_preview(page, dashboard.url, tmp_path)),
        }
        pages |= finished_jobs(dashboard.url, user_for(role))
    if role == "admin":
        pages |= accounts_pages(dashboard.url, long_named_user)
    rows: list = []

    problems = [
        problem for name, load in pages.items() for problem in check(page, name, load, rows)
    ]

    write_figures(role, rows)
    assert problems == []


def refused_sign_in(page, base_url: str) -> None:
    page.goto(f"{base_url}/signin/")
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_and_error_pages_fit_both_widths_and_pass_axe(page, dashboard):
    def refused():
        refused_sign_in(page, dashboard.url)
        expect(page.locator("[data-error-summary]")).to_be_focused()

    def locked_out():
        refused_sign_in(page, dashboard.url)
        expect(page.get_by_role("heading", name="Sign-in is locked for now")).to_be_visible()

    rows: list = []
    problems = check(page, "sign-in", f"{dashboard.url}/signin/", rows)
    problems += check(page, "sign-in, refused", refused, rows)
    reset_sign_in_failures()  # the refusals above count too: start the lock-out from none
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        refused()
    problems += check(page, "sign-in, locked out (429)", locked_out, rows)

    write_figures("anonymous", rows)
    assert problems == []


def test_server_error_and_api_problem_pages_fit_both_widths_and_pass_axe(
    signed_in_as, dashboard, wide_customer, monkeypatch
):
    """The profile when its one call to Voucherify fails, and when the dashboard fails (500:
    templates/500.html, rendered by Django's handler with no context)."""
    page = signed_in_as("support")
    profile = f"{dashboard.url}/customers/{wide_customer.id}/"
    failures = {  # the status each page answers with: tests/api_errors.py
        "server error (500)": RuntimeError("a bug"),
        "unreachable (503)": UNREACHABLE[0],
        "slow (504)": slow()[0],
        "rate-limited (429)": BUSY[0],
    }
    rows: list = []
    problems = []
    for name, error in failures.items():
        monkeypatch.setattr(get_client(), "get_customer", raising(error))
        problems += check(page, name, profile, rows)

    write_figures("support", rows)
    assert problems == []


def raising(error):
    def fail(*args, **kwargs):
        raise error

    return fail


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
