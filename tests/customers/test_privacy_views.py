"""The data-subject request pages: roles, the list, opening, each step's form, the poll, the
certificate and export downloads, the profile's button and the create form's suppression."""

from __future__ import annotations

import datetime
import json

import pytest
from django.test import Client
from django.urls import reverse
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from customers.models.privacy import DataSubjectRequest
from customers.services import certificates, privacy
from customers.voucherify import ConnectionFailed, get_client
from dashboard.models import AuditEntry
from tests.customers.pages_support import HTMX, raising
from tests.customers.services.conftest import GRACE, Scripted

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

Status = DataSubjectRequest.Status


@pytest.fixture
def grace(db):
    return get_client().create_customer(GRACE)


@pytest.fixture
def people(user_for):
    made = {role: user_for(role) for role in ("support", "marketing", "admin")}
    made["a"], made["b"] = user_for("compliance"), user_for("compliance")
    return made


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def a(people):
    return as_user(people["a"])


@pytest.fixture
def b(people):
    return as_user(people["b"])


def html(response) -> HTMLParser:
    return HTMLParser(response.content.decode())


def texts(tree: HTMLParser, selector: str) -> list[str]:
    return [node.text(strip=True) for node in tree.css(selector)]


def token(tree: HTMLParser, action: str) -> str:
    """The one-time token of the form posting to `action`."""
    form = tree.css_first(f'form[action="{action}"]')
    assert form is not None, action
    return form.css_first('input[name="form_token"]').attributes["value"]


def opened(people, customer, kind="erasure", to="received"):
    request = privacy.deletion_request_open(
        customer=customer.id,
        kind=kind,
        ticket="HD-77",
        received_on=datetime.date.today(),
        user=people["a"],
    )
    if to in ("identity_verified", "approved"):
        privacy.deletion_request_verify_identity(
            request_id=request.pk, method="id_document", note="", user=people["a"]
        )
    if to == "approved":
        privacy.deletion_request_approve(request_id=request.pk, user=people["b"])
    request.refresh_from_db()
    return request


def urls(pk: int) -> list[tuple[str, str]]:
    gets = ["list", "open"]
    per_request_gets = ["detail", "certificate", "certificate_json", "export", "export_json"]
    posts = ["verify_identity", "approve", "refuse", "cancel", "extend", "execute", "resolve"]
    return [
        *(("get", reverse(f"privacy:{name}")) for name in gets),
        ("post", reverse("privacy:open")),
        *(("get", reverse(f"privacy:{name}", args=[pk])) for name in per_request_gets),
        *(("post", reverse(f"privacy:{name}", args=[pk])) for name in posts),
    ]


# --- roles ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["support", "marketing"])
def test_privacy_pages_support_and_marketing_get_403_everywhere(grace, people, role):
    request = opened(people, grace, to="identity_verified")
    client = as_user(people[role])

    for method, url in urls(request.pk):
        response = getattr(client, method)(url, {"note": "x", "method": "other"})
        assert response.status_code == 403, url

    request.refresh_from_db()
    assert request.status == Status.IDENTITY_VERIFIED


def test_privacy_pages_signed_out_go_to_sign_in(grace, people):
    request = opened(people, grace)

    for method, url in urls(request.pk):
        response = getattr(Client(), method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))


def test_privacy_nav_link_and_profile_button_only_for_compliance_and_admin(grace, people):
    profile = reverse("customers:detail", args=[grace.id])
    open_url = f"{reverse('privacy:open')}?customer={grace.id}"

    for role in ("a", "admin"):
        tree = html(as_user(people[role]).get(profile))
        assert tree.css_first(f'a[href="{open_url}"]').text(strip=True) == "Open a request"
        assert tree.css_first(f'nav a[href="{reverse("privacy:list")}"]') is not None
    for role in ("support", "marketing"):
        tree = html(as_user(people[role]).get(profile))
        assert tree.css_first(f'a[href="{open_url}"]') is None
        assert tree.css_first(f'nav a[href="{reverse("privacy:list")}"]') is None


# --- list -----------------------------------------------------------------------------------


def test_privacy_list_shows_days_left_overdue_and_filters(grace, people, a):
    fresh = opened(people, grace, "access")
    late = opened(people, grace, "erasure")
    DataSubjectRequest.objects.filter(pk=late.pk).update(
        received_on=datetime.date.today() - datetime.timedelta(days=45),
        due_on=datetime.date.today() - datetime.timedelta(days=14),
    )

    tree = html(a.get(reverse("privacy:list")))
    overdue = html(a.get(reverse("privacy:list"), {"overdue": "on"}))
    access = html(a.get(reverse("privacy:list"), {"kind": "access"}, **HTMX))

    rows = tree.css("#request-table tbody tr")
    assert [row.attributes["data-request"] for row in rows] == [str(late.pk), str(fresh.pk)]
    assert rows[0].css_first("[data-overdue]").text(strip=True) == "overdue by 14 days"
    days = rows[1].css_first("[data-days-left]").attributes["data-days-left"]
    assert int(days) == fresh.days_left()
    assert "grace.hopper@example.test" in rows[1].text()
    assert [r.attributes["data-request"] for r in overdue.css("tbody tr")] == [str(late.pk)]
    assert access.css_first(".topbar") is None  # the fragment only
    assert [r.attributes["data-request"] for r in access.css("tbody tr")] == [str(fresh.pk)]


def test_privacy_list_bad_filter_says_so(db, a):
    response = a.get(reverse("privacy:list"), {"due_from": "2026-02-10", "due_to": "2026-02-01"})

    assert response.status_code == 200
    assert "The end date is before the start date." in response.content.decode()


# --- open -----------------------------------------------------------------------------------


def test_privacy_open_form_prefills_customer_from_profile_link(db, a):
    tree = html(a.get(reverse("privacy:open"), {"customer": "cust_123"}))

    assert tree.css_first('input[name="customer"]').attributes["value"] == "cust_123"
    assert tree.css_first('input[name="received_on"]').attributes["value"] == str(
        datetime.date.today()
    )


def test_privacy_open_post_creates_request_and_redirects_to_it(grace, a, people):
    response = a.post(
        reverse("privacy:open"),
        {
            "customer": "crm-grace",
            "kind": "erasure",
            "ticket": "HD-9",
            "received_on": str(datetime.date.today()),
        },
    )

    request = DataSubjectRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == request.get_absolute_url()
    assert request.customer_id == grace.id
    page = a.get(response["Location"])
    assert f"{request.label} opened" in page.content.decode()


def test_privacy_open_unknown_customer_errors_on_field(db, a):
    response = a.post(
        reverse("privacy:open"),
        {"customer": "nobody", "kind": "access", "ticket": "T", "received_on": "2026-01-02"},
    )

    assert response.status_code == 200
    assert "Voucherify has no customer with this id or source id." in response.content.decode()
    assert not DataSubjectRequest.objects.exists()


def test_privacy_open_api_down_shows_problem_keeps_input(db, a, monkeypatch):
    monkeypatch.setattr("customers.voucherify.override", _down())

    response = a.post(
        reverse("privacy:open"),
        {"customer": "crm-x", "kind": "access", "ticket": "T-5", "received_on": "2026-01-02"},
    )

    tree = html(response)
    assert response.status_code == 503
    assert tree.css_first("[data-problem]") is not None
    assert tree.css_first('input[name="ticket"]').attributes["value"] == "T-5"


def _down():
    client = Scripted(get_client())
    client.script["get_customer"] = raising(ConnectionFailed("down"))
    return client


def test_privacy_open_duplicate_links_the_open_request(grace, people, a):
    first = opened(people, grace, "erasure")

    response = a.post(
        reverse("privacy:open"),
        {"customer": grace.id, "kind": "erasure", "ticket": "T", "received_on": "2026-01-02"},
    )

    tree = html(response)
    assert f"{first.label} is already open" in tree.text()
    assert tree.css_first(f'a[href="{first.get_absolute_url()}"]') is not None


# --- the request page and its steps ---------------------------------------------------------


def test_privacy_detail_received_offers_identity_refuse_cancel_extend(grace, people, a):
    request = opened(people, grace)

    tree = html(a.get(request.get_absolute_url()))

    actions = {form.attributes["action"] for form in tree.css("#dsr-request form")}
    assert actions == {
        reverse(f"privacy:{name}", args=[request.pk])
        for name in ("verify_identity", "refuse", "cancel", "extend")
    }
    assert tree.css_first('[data-status="received"]') is not None


def test_privacy_detail_requester_is_told_four_eyes_approver_gets_button(grace, people, a, b):
    request = opened(people, grace, to="identity_verified")
    approve = reverse("privacy:approve", args=[request.pk])

    mine = html(a.get(request.get_absolute_url()))
    theirs = html(b.get(request.get_absolute_url()))

    assert mine.css_first(f'form[action="{approve}"]') is None
    assert "another compliance user must approve" in mine.css_first("[data-four-eyes]").text()
    assert theirs.css_first(f'form[action="{approve}"]') is not None


def test_privacy_step_posts_walk_the_request_and_say_so(grace, people, a, b):
    request = opened(people, grace)
    detail = request.get_absolute_url()

    verify = reverse("privacy:verify_identity", args=[request.pk])
    page = html(a.get(detail))
    response = a.post(
        verify,
        {"method": "account_signin", "note": "", "form_token": token(page, verify)},
    )
    assert response.status_code == 302
    approve = reverse("privacy:approve", args=[request.pk])
    refused = a.post(approve)
    approved = b.post(approve, {"form_token": token(html(b.get(detail)), approve)})

    request.refresh_from_db()
    assert request.status == Status.APPROVED
    assert request.approved_by == people["b"]
    assert "must approve it (four eyes)" in a.get(refused["Location"]).content.decode()
    assert f"{request.label}: approved." in b.get(approved["Location"]).content.decode()


def test_privacy_step_invalid_form_comes_back_with_errors_status_400(grace, people, a):
    request = opened(people, grace)

    response = a.post(reverse("privacy:verify_identity", args=[request.pk]), {"method": "other"})
    cancel = a.post(reverse("privacy:cancel", args=[request.pk]), {"note": ""})

    assert response.status_code == 400
    assert "Describe how the identity was verified." in response.content.decode()
    assert cancel.status_code == 400
    assert html(cancel).css_first("details[open]") is not None
    request.refresh_from_db()
    assert request.status == Status.RECEIVED


def test_privacy_execute_page_shows_loss_and_asks_for_identity(grace, people, a):
    request = opened(people, grace, to="approved")

    tree = html(a.get(request.get_absolute_url()))

    loss = tree.css_first("[data-loss]").text()
    assert "0 loyalty points" in loss
    assert "0 orders" in loss
    assert "0 referrals" in loss
    form = tree.css_first(f'form[action="{reverse("privacy:execute", args=[request.pk])}"]')
    assert form.css_first('input[name="confirmation"]') is not None
    assert form.css_first("button").text(strip=True) == "Erase permanently"


def test_privacy_execute_mismatch_is_400_on_the_field_and_sends_nothing(grace, people, a):
    request = opened(people, grace, to="approved")

    response = a.post(
        reverse("privacy:execute", args=[request.pk]), {"confirmation": "Grace Hopper"}
    )

    assert response.status_code == 400
    assert "That is not the customer's email or source id" in html(response).text()
    request.refresh_from_db()
    assert request.status == Status.APPROVED


def test_privacy_execute_shows_receipt_verification_and_certificate(grace, people, a):
    request = opened(people, grace, to="approved")
    execute = reverse("privacy:execute", args=[request.pk])

    response = a.post(execute, {"confirmation": "grace.hopper@example.test"})
    tree = html(a.get(response["Location"]))

    request.refresh_from_db()
    assert request.status == Status.DONE
    assert request.deletion_id in tree.css_first("[data-receipt]").text()
    verification = tree.css_first("[data-verification]").text()
    assert "not found (404)" in verification
    assert "no match" in verification
    assert "done and verified" in tree.css_first(".messages").text()
    assert tree.css_first(f'a[href="{reverse("privacy:certificate_json", args=[request.pk])}"]')
    assert "grace" not in tree.css_first("#dsr-request").text().lower()


def test_privacy_execute_resent_form_executes_once(grace, people, a, monkeypatch):
    request = opened(people, grace, to="approved")
    execute = reverse("privacy:execute", args=[request.pk])
    sent = token(html(a.get(request.get_absolute_url())), execute)
    client = Scripted(get_client())
    monkeypatch.setattr("customers.voucherify.override", client)

    first = a.post(execute, {"confirmation": "crm-grace", "form_token": sent})
    second = a.post(execute, {"confirmation": "crm-grace", "form_token": sent})

    assert first["Location"] == second["Location"] == request.get_absolute_url()
    assert client.calls["customer_permanently_deletion"] == 1


def test_privacy_execute_api_down_before_sending_says_nothing_was_sent(
    grace, people, a, monkeypatch
):
    request = opened(people, grace, to="approved")
    monkeypatch.setattr("customers.voucherify.override", _down())

    response = a.post(reverse("privacy:execute", args=[request.pk]), {"confirmation": "crm-grace"})

    assert response.status_code == 302
    assert "nothing was sent" in a.get(response["Location"]).content.decode().lower()


def test_privacy_detail_poll_answers_204_unchanged_then_the_fragment(grace, people, a):
    request = opened(people, grace, to="approved")
    DataSubjectRequest.objects.filter(pk=request.pk).update(
        status=Status.EXECUTING,
        phase="sending",
        execution_started_at=datetime.datetime.now(datetime.UTC),
    )
    request.refresh_from_db()
    page = html(a.get(request.get_absolute_url()))
    poll = page.css_first("[data-poll]").attributes["hx-get"]

    unchanged = a.get(poll, **HTMX)
    DataSubjectRequest.objects.filter(pk=request.pk).update(status=Status.FAILED, version=99)
    changed = a.get(poll, **HTMX)

    assert poll == f"{request.get_absolute_url()}?poll={request.version}"
    assert unchanged.status_code == 204
    assert changed.status_code == 200
    fragment = html(changed)
    assert fragment.css_first(".topbar") is None
    assert fragment.css_first("[data-poll]") is None  # a final state: polling stops
    assert fragment.css_first("[data-failed]") is not None
    assert "HX-Request" in changed["Vary"]


def test_privacy_detail_unknown_request_is_404(db, a):
    assert a.get(reverse("privacy:detail", args=[999])).status_code == 404
    assert a.get(reverse("privacy:certificate", args=[999])).status_code == 404


# --- certificate and export -----------------------------------------------------------------


def test_privacy_certificate_page_and_download(grace, people, a):
    request = opened(people, grace, to="approved")
    a.post(reverse("privacy:execute", args=[request.pk]), {"confirmation": "crm-grace"})

    page = html(a.get(reverse("privacy:certificate", args=[request.pk])))
    download = a.get(reverse("privacy:certificate_json", args=[request.pk]))

    assert page.css_first('[data-signature="valid"]') is not None
    assert download["Content-Disposition"] == (
        f'attachment; filename="deletion-certificate-{request.label}.json"'
    )
    document = json.loads(download.content)
    assert certificates.certificate_verify(document).valid
    for personal in ("Grace", "grace.hopper", "crm-grace", grace.id, "+1 202 555 0143"):
        assert personal not in download.content.decode()
        assert personal not in page.text()


def test_privacy_export_page_and_download_is_recorded(grace, people, a):
    request = opened(people, grace, "access", to="approved")
    a.post(reverse("privacy:execute", args=[request.pk]))

    page = html(a.get(reverse("privacy:export", args=[request.pk])))
    download = a.get(reverse("privacy:export_json", args=[request.pk]))

    assert "Grace Hopper" in page.css_first("#profile-h").parent.text()
    assert "customer.created" in page.text()
    assert json.loads(download.content)["profile"]["source_id"] == "crm-grace"
    assert "attachment" in download["Content-Disposition"]
    assert AuditEntry.objects.filter(operation="deletion_request_export_download").count() == 1


def test_privacy_export_escapes_customer_data(db, people, a):
    sly = get_client().create_customer(
        {"source_id": "crm-sly", "name": "<script>alert(1)</script>"}
    )
    request = opened(people, sly, "access", to="approved")
    a.post(reverse("privacy:execute", args=[request.pk]))

    body = a.get(reverse("privacy:export", args=[request.pk])).content.decode()

    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


# --- creating an erased person --------------------------------------------------------------


def create_post(**fields) -> dict:
    return {"meta_row": ["aa"], "meta_key_aa": "", "meta_value_aa": "", **fields}


@pytest.fixture
def erased(grace, people):
    request = opened(people, grace, to="approved")
    privacy.deletion_request_execute(
        request_id=request.pk, confirmation="crm-grace", user=people["a"]
    )
    return grace


def test_customer_create_erased_person_is_stopped_with_clear_message(erased, people):
    support = as_user(people["support"])

    response = support.post(
        reverse("customers:create"),
        create_post(source_id="crm-new", name="G. Hopper", email="Grace.Hopper@example.test"),
    )

    tree = html(response)
    notice = tree.css_first("[data-suppressed]")
    assert response.status_code == 200
    assert notice.attributes["data-suppressed"] == "email"
    assert "erased at their request" in notice.text()
    assert tree.css_first('input[name="override_suppression"]') is None
    assert tree.css_first('input[name="email"]').attributes["value"] == "Grace.Hopper@example.test"
    assert get_client().list_customers(email="Grace.Hopper@example.test").customers == ()


def test_customer_create_erased_person_support_override_is_ignored(erased, people):
    support = as_user(people["support"])

    response = support.post(
        reverse("customers:create"), create_post(source_id="crm-grace", override_suppression="1")
    )

    assert html(response).css_first("[data-suppressed]") is not None
    assert not AuditEntry.objects.filter(operation="suppression_override").exists()


def test_customer_create_erased_person_admin_override_creates_and_audits(erased, people):
    admin = as_user(people["admin"])

    offered = html(admin.post(reverse("customers:create"), create_post(phone="+1 (202) 555-0143")))
    response = admin.post(
        reverse("customers:create"),
        create_post(phone="+1 (202) 555-0143", override_suppression="1"),
    )

    assert offered.css_first('input[name="override_suppression"]') is not None
    assert response.status_code == 302
    entry = AuditEntry.objects.get(operation="suppression_override")
    assert entry.username == people["admin"].username
    assert set(entry.changes) == {"phone"}
    assert "202" not in json.dumps(entry.changes)


def test_privacy_detail_links_the_customers_audit_trail_also_once_erased(grace, people, a):
    request = opened(people, grace, to="approved")
    a.post(reverse("privacy:execute", args=[request.pk]), {"confirmation": "crm-grace"})

    link = html(a.get(request.get_absolute_url())).css_first("[data-audit-link]")
    trail = html(a.get(link.attributes["href"]))

    cells = trail.css("#audit-table tbody td[data-operation]")
    operations = [cell.attributes["data-operation"] for cell in cells]
    assert operations[-1] == "deletion_request_open"
    assert operations[0] == "deletion_request_done"
    assert grace.id not in link.attributes["href"]


def test_profile_of_an_erased_customer_says_so_with_410(erased, people):
    for who, identifier in (("support", erased.id), ("a", "crm-grace")):
        response = as_user(people[who]).get(reverse("customers:detail", args=[identifier]))

        tree = html(response)
        assert response.status_code == 410
        assert tree.css_first("h1").text() == "This customer was erased"
        link = tree.css_first("[data-erased] a[href^='/deletion-requests/']")
        assert (link is not None) == (who == "a")


def test_profile_of_an_unknown_customer_is_still_404(db, people):
    response = as_user(people["support"]).get(reverse("customers:detail", args=["cust_nobody"]))

    assert response.status_code == 404


def test_privacy_refuse_and_extend_posts_record_and_show_them(grace, people, a, b):
    extended = opened(people, grace, "erasure")
    refused = opened(people, grace, "access")

    a.post(
        reverse("privacy:extend", args=[extended.pk]),
        {"months": "2", "reason": "Three systems to search"},
    )
    response = b.post(
        reverse("privacy:refuse", args=[refused.pk]),
        {"ground": "art12_5", "note": "Fourth identical request this month"},
    )

    extended.refresh_from_db()
    refused.refresh_from_db()
    assert extended.extension_months == 2
    page = html(a.get(extended.get_absolute_url()))
    assert "Three systems to search" in page.css_first(".dsr-timeline").text()
    assert page.css_first(f'form[action="{reverse("privacy:extend", args=[extended.pk])}"]') is None
    assert refused.status == Status.REFUSED
    step = html(b.get(response["Location"])).css_first('[data-step="refused"]').text()
    assert "Art. 12(5)" in step
    assert "Fourth identical request" in step


def test_privacy_refuse_erasure_ground_on_access_request_says_why(grace, people, a):
    request = opened(people, grace, "access")

    response = a.post(
        reverse("privacy:refuse", args=[request.pk]), {"ground": "art17_3_a", "note": "n"}
    )

    assert "Choose a ground that applies" in a.get(response["Location"]).content.decode()
    request.refresh_from_db()
    assert request.status == Status.RECEIVED


def test_privacy_resolve_post_settles_an_unknown_outcome(grace, people, a):
    request = opened(people, grace, to="approved")
    DataSubjectRequest.objects.filter(pk=request.pk).update(
        status=Status.EXECUTING, phase="unknown", attempts=1, last_error="no answer"
    )
    page = html(a.get(request.get_absolute_url()))
    resolve = reverse("privacy:resolve", args=[request.pk])

    assert "Outcome unknown" in page.css_first("[data-executing]").text()
    response = a.post(resolve, {"form_token": token(page, resolve)})

    request.refresh_from_db()
    assert request.status == Status.FAILED  # the customer is still there: not applied
    assert "still there" in a.get(response["Location"]).content.decode()
