"""Two compliance officers erase a customer in a real browser, four eyes, with a certificate;
afterwards the customer is gone and cannot be created again by mistake."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from playwright.sync_api import expect

from customers.services.certificates import certificate_verify
from customers.voucherify import get_client
from tests.customers.services.conftest import GRACE

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])
PASSWORD = "correct-horse-battery"


@pytest.fixture
def grace(dashboard):
    return get_client().create_customer(GRACE)


@pytest.fixture
def officer(user_for):
    def make(role="compliance"):
        user = user_for(role)
        user.set_password(PASSWORD)
        user.save()
        return user

    return make


def sign_out(page):
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_compliance_erasure_four_eyes_receipt_certificate_then_gone_and_suppressed(
    dashboard, grace, officer, sign_in, page
):
    a, b, support = officer(), officer(), officer("support")

    # A opens an erasure request from the profile and records the identity check.
    sign_in(a.username, PASSWORD)
    page.goto(f"{dashboard.url}/customers/{grace.id}/")
    page.get_by_role("link", name="Open a request").click()
    expect(page.get_by_label("Customer id or source id")).to_have_value(grace.id)
    page.get_by_label("Permanent erasure (Art. 17)").check()
    page.get_by_label("Ticket reference").fill("HD-4242")
    page.get_by_role("button", name="Open the request").click()
    expect(page.get_by_role("status")).to_contain_text("opened; it is due on")
    request_url = page.url
    page.get_by_label("How was the identity verified?").select_option(
        label="Identity document checked"
    )
    page.get_by_label("Identity note").fill("Passport seen on a video call; number not kept")
    page.get_by_role("button", name="Record the identity check").click()
    expect(page.get_by_role("status")).to_contain_text("identity verified")
    expect(page.locator("[data-four-eyes]")).to_contain_text("another compliance user must approve")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    sign_out(page)

    # B, a second compliance officer, approves.
    sign_in(b.username, PASSWORD)
    page.get_by_role("link", name="Requests").click()
    page.locator("#request-table").get_by_role("link", name=re.compile(r"DSR-\d+")).click()
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text("approved")
    sign_out(page)

    # A sees what will be lost, types the identity exactly and executes.
    sign_in(a.username, PASSWORD)
    page.goto(request_url)
    expect(page.locator("[data-loss]")).to_contain_text("loyalty point")
    page.get_by_label("Type the customer's email or source id to confirm").fill("Grace Hopper")
    page.get_by_role("button", name="Erase permanently").click()
    # Said twice: in the error summary (focused, a link to the field) and under the field.
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("That is not the customer's email or source id")
    expect(page.locator("#id_confirmation_error")).to_contain_text("That is not the customer's")
    page.get_by_label("Type the customer's email or source id to confirm").fill(GRACE["email"])
    page.get_by_role("button", name="Erase permanently").click()

    expect(page.get_by_role("status")).to_contain_text("done and verified")
    expect(page.locator("[data-receipt]")).to_contain_text(re.compile(r"del_\w{24}"))
    verification = page.locator("[data-verification]")
    expect(verification).to_contain_text("not found (404)")
    expect(verification).to_contain_text("no match")
    expect(verification).to_contain_text("the customer is gone")
    expect(page.locator("#dsr-request")).not_to_contain_text(GRACE["email"])

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the certificate (JSON)").click()
    download = download_info.value
    assert download.suggested_filename.startswith("deletion-certificate-DSR-")
    certificate = json.loads(open(download.path(), encoding="utf-8").read())  # noqa: SIM115
    assert certificate_verify(certificate).valid
    assert certificate["certificate"]["request"]["ticket"] == "HD-4242"
    assert GRACE["email"] not in json.dumps(certificate)

    # The customer is gone from search, and the profile URL says so.
    page.get_by_role("link", name="Customers", exact=True).click()
    page.get_by_role("searchbox", name="Find a customer").fill(GRACE["email"])
    page.get_by_role("button", name="Find").click()
    expect(page.locator("#customer-table")).to_contain_text(
        f"No customer found for “{GRACE['email']}”"
    )
    response = page.goto(f"{dashboard.url}/customers/{grace.id}/")
    assert response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("This customer was erased")
    expect(page.get_by_role("alert")).to_contain_text("permanently erased")
    sign_out(page)

    # Creating them again is stopped by the suppression list.
    sign_in(support.username, PASSWORD)
    page.goto(f"{dashboard.url}/customers/new/")
    page.get_by_label("Source id").fill("crm-grace-again")
    page.get_by_label("Name").fill("Grace Hopper")
    page.get_by_label("Email").fill(GRACE["email"])
    page.get_by_role("button", name="Create customer").click()
    notice = page.locator("[data-suppressed]")
    expect(notice).to_contain_text("This person was erased.")
    expect(notice).to_contain_text("erased at their request")
    expect(page.get_by_label("Email")).to_have_value(GRACE["email"])
    assert get_client().list_customers(email=GRACE["email"]).customers == ()


def test_compliance_erasure_not_final_yet_page_polls_until_done(
    dashboard, grace, officer, sign_in, page, monkeypatch
):
    from customers.services import privacy
    from customers.voucherify.resources import PermanentDeletion
    from tests.customers.services.conftest import Scripted

    a, b = officer(), officer()
    request = privacy.deletion_request_open(
        customer=grace.id, kind="erasure", ticket="HD-5", received_on=date.today(), user=a
    )
    privacy.deletion_request_verify_identity(
        request_id=request.pk, method="account_signin", note="", user=a
    )
    privacy.deletion_request_approve(request_id=request.pk, user=b)
    client = Scripted(get_client())
    client.script["customer_permanently_deletion"] = lambda customer_id: PermanentDeletion(
        id="del_000000000000000000000042", status="IN_PROGRESS", data_json={"customer": 1}
    )
    monkeypatch.setattr("customers.voucherify.override", client)

    sign_in(a.username, PASSWORD)
    page.goto(f"{dashboard.url}{request.get_absolute_url()}")
    page.get_by_label("Type the customer's email or source id to confirm").fill("crm-grace")
    page.get_by_role("button", name="Erase permanently").click()
    expect(page.locator("[data-executing]")).to_contain_text("IN_PROGRESS")
    expect(page.locator("[data-status]")).to_have_text("Executing")

    client.real.customer_permanently_deletion(grace.id)  # Voucherify finishes meanwhile

    expect(page.locator("[data-status]")).to_have_text("Done", timeout=15_000)
    expect(page.locator("[data-verification]")).to_contain_text("the customer is gone")
    expect(page.locator("[data-poll]")).to_have_count(0)
    assert client.calls["customer_permanently_deletion"] == 1
