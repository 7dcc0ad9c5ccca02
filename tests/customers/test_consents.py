"""The consents section, its change form and the record download, through the view stack
against the sandbox (the consents service's client is `consents_sandbox`'s)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from customers.models import ConsentLedgerEntry
from customers.voucherify import ConnectionFailed, ServerError, Timeout
from customers.voucherify.errors import error_from_status
from tests.api_errors import WRITE_NOT_APPLIED
from tests.customers.pages_support import HTMX

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])
REFUSED = error_from_status(
    400, {"code": 400, "key": "invalid_payload", "details": "Property .x bad", "request_id": "v-1"}
)


def url(sandbox, name="consents") -> str:
    return reverse(f"customers:{name}", args=[sandbox.customer.id])


def parse(response) -> HTMLParser:
    return HTMLParser(response.content.decode())


def form_data(response, **values) -> dict:
    """The change form's fields as rendered (hidden marker and token included), then `values`."""
    page = parse(response)
    # A fragment retargeted to #consent-change is that element's inside.
    form = page.css_first("#consent-change form") or page.css_first("form")
    data = {}
    for node in form.css("input[name], select[name], textarea[name]"):
        if node.tag == "select":
            chosen = node.css_first("option[selected]")
            data[node.attributes["name"]] = chosen.attributes.get("value", "") if chosen else ""
        elif node.tag == "textarea":
            data[node.attributes["name"]] = node.text()
        else:
            data[node.attributes["name"]] = node.attributes.get("value") or ""
    data.update(values)
    return data


def consent_field(sandbox, name: str) -> str:
    return f"consent_{sandbox.id(name)}"


@pytest.fixture
def marketing(client_for):
    return client_for("marketing")


@pytest.fixture
def opened(consents_sandbox, marketing):
    """The section as a marketing user opened it."""
    response = marketing.get(url(consents_sandbox))
    assert response.status_code == 200
    return response


def withdraw_newsletter(sandbox, opened, **values):
    values.setdefault(consent_field(sandbox, "Newsletter"), "withdraw")
    values.setdefault("method", "phone")
    values.setdefault("reason", "Asked on the phone to stop the newsletter")
    values.setdefault("action", "change")
    return form_data(opened, **values)


def fail_put(sandbox, monkeypatch, error, *, apply_first=False):
    real = sandbox.client.update_customers_consents

    def put(customer_id, body):
        if apply_first:
            real(customer_id, body)
        raise error

    monkeypatch.setattr(sandbox.client, "update_customers_consents", put)


# --- the section, as a page and as a fragment ----------------------------------------------


def test_consents_page_shows_definitions_by_group_with_their_state(consents_sandbox, opened):
    page = parse(opened)

    assert page.css_first("html") is not None
    section = page.css_first("section#customer-consents")
    assert [h.text() for h in section.css("h3")][:2] == ["Marketing", "Other consents"]
    rows = {r.attributes["data-consent"]: r for r in section.css("tr[data-consent]")}
    newsletter = rows[consents_sandbox.id("Newsletter")]
    assert newsletter.attributes["data-state"] == "never_asked"
    assert "Monthly newsletter by email" in newsletter.text()
    assert section.css_first("[data-unsubscribed='false']") is not None
    form = section.css_first("#consent-change form")
    assert form.attributes["method"] == "post"
    assert form.attributes["hx-post"] == url(consents_sandbox)
    assert form.css_first("input[name='form_token']") is not None
    assert form.css_first("input[name='csrfmiddlewaretoken']") is not None
    labels = {label.text() for label in form.css("label")}
    assert {"Newsletter", "SMS offers", "Profiling"} <= labels
    assert [o.attributes["value"] for o in form.css("select[name='method'] option")] == [
        "",
        "phone",
        "email",
        "in_person",
        "written",
        "web_form",
        "other",
    ]
    assert "HX-Request" in opened["Vary"]


def test_consents_fragment_is_the_section_without_the_page(consents_sandbox, marketing):
    response = marketing.get(url(consents_sandbox), **HTMX)

    assert response.status_code == 200
    page = parse(response)
    assert page.css_first("header.topbar") is None
    assert page.css_first("h2").text() == "Consents"
    assert page.css_first("#consent-change form") is not None


def test_consents_admin_may_open_the_section(consents_sandbox, client_for):
    assert client_for("admin").get(url(consents_sandbox)).status_code == 200


def test_profile_loads_the_consents_fragment_for_marketing_only(consents_sandbox, client_for):
    detail = reverse("customers:detail", args=[consents_sandbox.customer.id])

    shown = parse(client_for("marketing").get(detail))
    hidden = parse(client_for("support").get(detail))

    placeholder = shown.css_first("section#customer-consents")
    assert placeholder.attributes["hx-get"] == url(consents_sandbox)
    assert placeholder.attributes["hx-trigger"] == "load"
    assert hidden.css_first("section#customer-consents") is None
    assert hidden.css_first("section#customer-activities") is not None


# --- permissions ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["support", "compliance"])
@pytest.mark.parametrize("name", ["consents", "consents_csv", "consents_json"])
def test_consents_views_refuse_support_and_compliance(consents_sandbox, client_for, role, name):
    response = client_for(role).get(url(consents_sandbox, name))

    assert response.status_code == 403
    assert consents_sandbox.adapter.calls == []


@pytest.mark.parametrize("role", ["support", "compliance"])
def test_consents_change_refused_to_support_and_compliance_sends_nothing(
    consents_sandbox, client_for, opened, role
):
    data = withdraw_newsletter(consents_sandbox, opened)
    consents_sandbox.adapter.calls.clear()

    response = client_for(role).post(url(consents_sandbox), data)

    assert response.status_code == 403
    assert consents_sandbox.adapter.calls == []
    assert not ConsentLedgerEntry.objects.exists()


@pytest.mark.parametrize("name", ["consents", "consents_csv", "consents_json"])
def test_consents_views_send_anonymous_users_to_sign_in(consents_sandbox, client, name):
    response = client.get(url(consents_sandbox, name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_consents_change_anonymous_post_is_sent_to_sign_in(consents_sandbox, client):
    response = client.post(url(consents_sandbox), {"method": "phone", "reason": "x"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not ConsentLedgerEntry.objects.exists()


# --- the change -----------------------------------------------------------------------------


def test_consents_change_saves_redirects_and_shows_the_new_state_and_who(
    consents_sandbox, marketing, opened
):
    sandbox = consents_sandbox
    grant = withdraw_newsletter(sandbox, opened, **{consent_field(sandbox, "Newsletter"): "grant"})
    marketing.post(url(sandbox), grant)
    opened = marketing.get(url(sandbox))

    response = marketing.post(url(sandbox), withdraw_newsletter(sandbox, opened, ticket="T-9"))

    assert response.status_code == 302
    assert response["Location"] == url(sandbox)
    page = parse(marketing.get(url(sandbox), **HTMX))
    assert "Consents saved." in page.css_first(".messages").text()
    row = page.css_first(f"tr[data-consent='{sandbox.id('Newsletter')}']")
    assert row.attributes["data-state"] == "withdrawn"
    newest = page.css_first("table.consent-history tbody tr")
    cells = [td.text(strip=True) for td in newest.css("td")]
    assert cells[1:6] == [
        "Newsletter",
        "Granted → Withdrawn",
        "Phoneticket T-9",
        "marketing-1",
        "Asked on the phone to stop the newsletter",
    ]
    assert cells[6] == "Applied"


@pytest.mark.parametrize("missing", ["method", "reason"])
def test_consents_change_requires_method_and_reason_and_keeps_the_input(
    consents_sandbox, marketing, opened, missing
):
    sandbox = consents_sandbox
    data = withdraw_newsletter(sandbox, opened, **{missing: ""})
    sandbox.adapter.calls.clear()

    response = marketing.post(url(sandbox), data, **HTMX)

    assert response.status_code == 200
    assert response["HX-Retarget"] == "#consent-change"
    page = parse(response)
    errors = page.css(".errorlist")
    assert [e.text() for e in errors] == ["This field is required."]
    kept = form_data(response)
    assert kept[consent_field(sandbox, "Newsletter")] == "withdraw"
    assert kept["method"] == data["method"]
    assert kept["reason"].strip() == data["reason"].strip()
    assert sandbox.adapter.calls == []
    assert not ConsentLedgerEntry.objects.exists()


def test_consents_change_without_any_consent_chosen_says_so(consents_sandbox, marketing, opened):
    data = withdraw_newsletter(consents_sandbox, opened)
    data[consent_field(consents_sandbox, "Newsletter")] = ""

    response = marketing.post(url(consents_sandbox), data)

    assert response.status_code == 200
    assert "Choose at least one consent" in parse(response).css_first("[data-error-summary]").text()
    assert not ConsentLedgerEntry.objects.exists()


def test_consents_change_with_a_forged_marker_is_refused(consents_sandbox, marketing, opened):
    data = withdraw_newsletter(consents_sandbox, opened, shown="forged")

    response = marketing.post(url(consents_sandbox), data)

    assert "out of date" in response.content.decode()
    assert not ConsentLedgerEntry.objects.exists()


def test_consents_unsubscribe_all_asks_for_confirmation_then_sends_unsubscribed(
    consents_sandbox, marketing, opened
):
    sandbox = consents_sandbox
    data = withdraw_newsletter(sandbox, opened, action="unsubscribe_all", method="written")
    sandbox.adapter.calls.clear()

    asked = marketing.post(url(sandbox), data, **HTMX)

    assert asked.status_code == 200
    confirm = parse(asked).css_first("form")
    assert "Unsubscribe this customer from all marketing?" in confirm.text()
    assert confirm.css_first("input[name='confirmed']").attributes["value"] == "true"
    assert sandbox.adapter.calls == []

    fields = {
        n.attributes["name"]: n.attributes.get("value") or "" for n in confirm.css("input[name]")
    }
    done = marketing.post(url(sandbox), fields)

    assert done.status_code == 302
    (request, _), *_ = sandbox.adapter.puts()
    assert json.loads(request.body) == {"unsubscribed": True}
    assert sandbox.current().unsubscribed is True
    page = parse(marketing.get(url(sandbox)))
    assert page.css_first("[data-unsubscribed]").attributes.get("data-unsubscribed") is None
    assert "Unsubscribed from all marketing" in page.css_first("[data-unsubscribed]").text()


def test_consents_change_sent_twice_with_one_form_token_writes_once(
    consents_sandbox, marketing, opened
):
    data = withdraw_newsletter(consents_sandbox, opened)

    first = marketing.post(url(consents_sandbox), data)
    second = marketing.post(url(consents_sandbox), data)

    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert len(consents_sandbox.adapter.puts()) == 1
    assert ConsentLedgerEntry.objects.count() == 1


def test_consents_change_reworded_since_opened_shows_the_new_wording_and_keeps_input(
    consents_sandbox, marketing, opened
):
    from sandbox.models import Consent

    sandbox = consents_sandbox
    Consent.objects.using("sandbox").filter(id=sandbox.id("Newsletter")).update(
        description="Weekly newsletter and partner offers"
    )

    response = marketing.post(url(sandbox), withdraw_newsletter(sandbox, opened))

    assert response.status_code == 409
    page = parse(response)
    assert "changed since the form was opened" in page.css_first("#consent-change").text()
    assert "Weekly newsletter and partner offers" in page.text()
    assert form_data(response)[consent_field(sandbox, "Newsletter")] == "withdraw"
    assert sandbox.adapter.puts() == []


@pytest.mark.parametrize(
    ("error", "status", "says"),
    [
        *((error, status, "Nothing was saved") for error, status, _title in WRITE_NOT_APPLIED),
        (REFUSED, 400, "Nothing was saved"),
        # A fresh 500: the table's instance is also used as a read (which changed nothing).
        (ServerError("boom", status=500), 502, "may have saved"),
    ],
    ids=["429", "unreachable", "503", "refused", "500"],
)
def test_consents_change_api_error_keeps_the_input_and_says_what_was_saved(
    consents_sandbox, marketing, opened, monkeypatch, error, status, says
):
    sandbox = consents_sandbox
    data = withdraw_newsletter(sandbox, opened, ticket="T-77")
    fail_put(sandbox, monkeypatch, error)

    response = marketing.post(url(sandbox), data, **HTMX)

    assert response.status_code == status
    page = parse(response)
    assert says in page.css_first("[data-problem]").text()
    kept = form_data(response)
    assert kept[consent_field(sandbox, "Newsletter")] == "withdraw"
    assert (kept["method"], kept["ticket"]) == ("phone", "T-77")
    assert kept["reason"].strip() == data["reason"]
    if status == 429:
        assert response["Retry-After"] == "7"


def test_consents_change_timeout_read_back_applied_is_saved(
    consents_sandbox, marketing, opened, monkeypatch
):
    sandbox = consents_sandbox
    fail_put(sandbox, monkeypatch, Timeout("slow"), apply_first=True)
    data = withdraw_newsletter(sandbox, opened, **{consent_field(sandbox, "Newsletter"): "grant"})

    response = marketing.post(url(sandbox), data)

    assert response.status_code == 302
    page = parse(marketing.get(url(sandbox), **HTMX))
    assert "re-reading the customer shows the change was applied" in page.text()
    assert ConsentLedgerEntry.objects.get().outcome == "applied"


def test_consents_change_timeout_unresolved_says_unknown_and_keeps_input(
    consents_sandbox, marketing, opened, monkeypatch
):
    sandbox = consents_sandbox
    data = withdraw_newsletter(sandbox, opened, **{consent_field(sandbox, "Profiling"): "grant"})
    fail_put(sandbox, monkeypatch, Timeout("slow"))

    response = marketing.post(url(sandbox), data, **HTMX)

    assert response.status_code == 504
    page = parse(response)
    assert "may have saved" in page.css_first("[data-problem]").text()
    assert page.css_first("[data-pending]") is not None
    assert "Unknown" in page.css_first("table.consent-history").text()
    assert form_data(response)[consent_field(sandbox, "Profiling")] == "grant"


def test_consents_change_read_failure_keeps_the_input_in_the_form(
    consents_sandbox, marketing, opened, monkeypatch
):
    sandbox = consents_sandbox
    data = withdraw_newsletter(sandbox, opened)
    monkeypatch.setattr(
        sandbox.client, "list_consents", lambda: (_ for _ in ()).throw(ConnectionFailed("x"))
    )

    response = marketing.post(url(sandbox), data, **HTMX)

    assert response.status_code == 503
    assert response["HX-Retarget"] == "#consent-change"
    assert "Nothing was saved" in parse(response).css_first("[data-problem]").text()
    assert form_data(response)["reason"].strip() == data["reason"]


def test_consents_section_read_failure_offers_a_retry_in_place(
    consents_sandbox, marketing, monkeypatch
):
    monkeypatch.setattr(
        consents_sandbox.client,
        "get_customer",
        lambda cid: (_ for _ in ()).throw(Timeout("slow")),
    )

    response = marketing.get(url(consents_sandbox), **HTMX)

    assert response.status_code == 504
    retry = parse(response).css_first("[data-problem] a.button")
    assert retry.attributes["hx-target"] == "#customer-consents"


# --- not enabled (404, 410, feature disabled) ----------------------------------------------


def test_consents_gone_410_says_not_enabled_offers_no_form_and_the_profile_works(
    consents_sandbox, client_for, settings
):
    settings.SANDBOX_CONSENTS_GONE = True
    marketing = client_for("marketing")

    response = marketing.get(url(consents_sandbox), **HTMX)

    assert response.status_code == 200
    page = parse(response)
    assert (
        "not enabled for this Voucherify project"
        in page.css_first("[data-consents-unavailable]").text()
    )
    assert page.css_first("form") is None
    profile = marketing.get(reverse("customers:detail", args=[consents_sandbox.customer.id]))
    assert profile.status_code == 200
    assert "Ada Lovelace" in profile.content.decode()


def test_consents_gone_after_the_form_was_opened_says_not_enabled(
    consents_sandbox, marketing, opened, settings
):
    settings.SANDBOX_CONSENTS_GONE = True

    response = marketing.post(url(consents_sandbox), withdraw_newsletter(consents_sandbox, opened))

    assert response.status_code == 200
    assert parse(response).css_first("[data-consents-unavailable]") is not None
    assert not ConsentLedgerEntry.objects.exists()


# --- the record -----------------------------------------------------------------------------


def test_consents_record_csv_and_json_hold_each_change(consents_sandbox, marketing, opened):
    sandbox = consents_sandbox
    marketing.post(url(sandbox), withdraw_newsletter(sandbox, opened, reason="=HYPERLINK(x)"))
    sandbox.client.update_customers_consents(sandbox.customer.id, {sandbox.id("SMS offers"): True})

    as_csv = marketing.get(url(sandbox, "consents_csv"))
    as_json = marketing.get(url(sandbox, "consents_json"))

    assert as_csv["Content-Type"].startswith("text/csv")
    assert as_csv["Content-Disposition"].startswith('attachment; filename="consents-cust_')
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode())))
    assert [(r["source"], r["consent_name"], r["new_state"]) for r in rows] == [
        ("voucherify event", "SMS offers", "granted"),
        ("dashboard ledger", "Newsletter", "withdrawn"),
    ]
    ours = rows[1]
    assert (ours["method"], ours["staff_user"], ours["outcome"]) == (
        "phone",
        "marketing-1",
        "applied",
    )
    assert ours["reason"] == "'=HYPERLINK(x)"  # not run as a formula by a spreadsheet
    assert ours["wording_fingerprint"].startswith("sha256:")
    assert ours["recorded_at_utc"].endswith("Z")
    body = json.loads(as_json.content)
    assert body["customer"] == {"id": sandbox.customer.id, "source_id": "consent-1"}
    assert body["changes"][1]["consent_description"] == "Monthly newsletter by email"
    assert {c["consent_name"]: c["state"] for c in body["current"]} == {
        "Newsletter": "withdrawn",
        "SMS offers": "granted",
        "Profiling": "never_asked",
    }


def test_consents_timeline_names_the_consents_of_a_consent_event(consents_sandbox, client_for):
    sandbox = consents_sandbox
    sandbox.client.update_customers_consents(sandbox.customer.id, {sandbox.id("Newsletter"): True})

    response = client_for("support").get(
        reverse("customers:activities", args=[sandbox.customer.id]), **HTMX
    )

    item = parse(response).css_first("#activity-list li")
    assert "Consent given" in item.text()
    assert "“Newsletter”" in item.text()


def test_consents_change_timeout_read_back_not_applied_says_nothing_was_saved(
    consents_sandbox, marketing, opened, monkeypatch
):
    sandbox = consents_sandbox
    sandbox.client.update_customers_consents(sandbox.customer.id, {sandbox.id("Newsletter"): True})
    opened = marketing.get(url(sandbox))
    fail_put(sandbox, monkeypatch, Timeout("slow"))

    response = marketing.post(url(sandbox), withdraw_newsletter(sandbox, opened), **HTMX)

    assert response.status_code == 504
    problem = parse(response).css_first("[data-problem]").text()
    assert "Re-reading the customer shows that it was not applied." in problem
    assert "Nothing was saved" in problem
    assert ConsentLedgerEntry.objects.get().outcome == "failed"


def test_consents_change_to_what_the_customer_has_sends_nothing(
    consents_sandbox, marketing, opened
):
    sandbox = consents_sandbox
    data = withdraw_newsletter(sandbox, opened, **{consent_field(sandbox, "Newsletter"): ""})
    data[consent_field(sandbox, "SMS offers")] = "withdraw"
    marketing.post(url(sandbox), data)
    sandbox.adapter.calls.clear()

    response = marketing.post(url(sandbox), {**data, "form_token": "another-token-0123456789"})

    assert response.status_code == 302
    assert "No changes" in parse(marketing.get(url(sandbox), **HTMX)).css_first(".messages").text()
    assert sandbox.adapter.puts() == []
    assert ConsentLedgerEntry.objects.count() == 1


def test_consents_record_still_downloads_the_ledger_when_consents_are_gone(
    consents_sandbox, marketing, opened, settings
):
    marketing.post(url(consents_sandbox), withdraw_newsletter(consents_sandbox, opened))
    settings.SANDBOX_CONSENTS_GONE = True

    body = json.loads(marketing.get(url(consents_sandbox, "consents_json")).content)

    assert body["consents_available"] is False
    assert [c["consent_name"] for c in body["changes"]] == ["Newsletter"]
    assert body["current"] == []


def test_consents_record_read_failure_is_a_problem_page(consents_sandbox, marketing, monkeypatch):
    monkeypatch.setattr(
        consents_sandbox.client,
        "get_customer",
        lambda cid: (_ for _ in ()).throw(ConnectionFailed("x")),
    )

    response = marketing.get(url(consents_sandbox, "consents_csv"))

    assert response.status_code == 503
    assert "Voucherify is unreachable" in parse(response).css_first("[data-problem]").text()
