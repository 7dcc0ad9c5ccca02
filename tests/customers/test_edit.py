from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from customers.forms import CustomerForm, metadata_text
from customers.voucherify import (
    NotFound,
    Timeout,
    ValidationFailed,
    get_client,
)
from dashboard.models import AuditEntry
from tests import api_errors
from tests.api_errors import WRITE_NOT_APPLIED
from tests.customers.pages_support import (
    CID,
    HTMX,
    SANDBOX,
    make_customer,
    raising,
)

FAILURES = WRITE_NOT_APPLIED
# The re-read before a write: no 404 here (tested apart), a slow one wrote nothing.
READ_FAILURES = [case for case in api_errors.READ_FAILURES if case[1] != 404]


@pytest.fixture
def fake(fake_client):
    return fake_client


@pytest.fixture
def support(client_for):
    return client_for("support")


def text(response) -> str:
    return response.content.decode()


def edit_post(customer, metadata=None, **changes) -> dict:
    """What the edit form posts when opened on `customer` and changed by `changes`."""
    data = dict(CustomerForm.for_customer(customer).initial)
    data.update(changes)
    rows = customer.metadata if metadata is None else metadata
    tokens = [f"{i:x}f" for i in range(len(rows))]
    data["meta_row"] = tokens
    for token, (key, value) in zip(tokens, rows.items(), strict=True):
        data[f"meta_key_{token}"] = key
        data[f"meta_value_{token}"] = metadata_text(value)
    return data


def create_post(**fields) -> dict:
    data = {"meta_row": ["aa"], "meta_key_aa": "", "meta_value_aa": ""}
    data.update(fields)
    return data


def input_value(page: str, name: str) -> str | None:
    node = HTMLParser(page).css_first(f'input[name="{name}"]')
    return None if node is None else node.attributes.get("value")


# --- create --------------------------------------------------------------------------------


def test_customer_create_form_shows_every_field(support, fake):
    response = support.get(reverse("customers:create"))

    page = text(response)
    assert response.status_code == 200
    for name in (
        "source_id",
        "name",
        "email",
        "phone",
        "birthdate",
        "address_line_1",
        "address_line_2",
        "address_city",
        "address_state",
        "address_postal_code",
        "address_country",
    ):
        assert f'name="{name}"' in page
    assert '<textarea name="description"' in page
    assert 'type="date" name="birthdate"' in page
    assert 'type="email" name="email"' in page
    assert "csrfmiddlewaretoken" in page
    assert "saved as numbers and booleans" in page
    assert fake.calls == {}


def test_customer_create_htmx_request_gets_the_page(support, fake):
    response = support.get(reverse("customers:create"), **HTMX)

    assert response.status_code == 200
    assert 'name="source_id"' in text(response)


@pytest.mark.parametrize("role", ["marketing", "compliance"])
def test_customer_create_without_edit_permission_is_forbidden(client_for, fake, role):
    client = client_for(role)

    assert client.get(reverse("customers:create")).status_code == 403
    assert client.post(reverse("customers:create"), create_post(name="X")).status_code == 403
    assert fake.calls == {}


def test_customer_create_post_without_csrf_token_is_forbidden(user_for, fake):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user_for("support"))

    response = client.post(reverse("customers:create"), create_post(name="X"))

    assert response.status_code == 403
    assert fake.calls == {}


def test_customer_create_invalid_input_keeps_it_without_api_call(support, fake):
    response = support.post(
        reverse("customers:create"),
        create_post(
            name="Ada",
            email="not-an-email",
            meta_row=["aa", "bb"],
            meta_key_aa="tier",
            meta_value_aa="gold",
            meta_key_bb="tier",
            meta_value_bb="silver",
        ),
    )

    page = text(response)
    assert response.status_code == 200
    assert "Enter a valid email address." in page
    assert "The key “tier” is used twice." in page
    assert input_value(page, "name") == "Ada"
    assert input_value(page, "meta_value_bb") == "silver"
    assert fake.calls == {}


def test_customer_create_success_redirects_with_message_and_audit(support, fake):
    response = support.post(
        reverse("customers:create"),
        create_post(name="Ada", email="ada@example.com", meta_key_aa="visits", meta_value_aa="3"),
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("customers:detail", args=[CID])
    assert "Customer saved" in text(response)
    assert (
        "create_customer",
        {"name": "Ada", "email": "ada@example.com", "metadata": {"visits": 3}},
    ) in fake.sent
    entry = AuditEntry.objects.get(operation="create_customer")
    assert entry.outcome == "success"
    assert entry.customer_id == CID
    assert entry.changes["name"] == {"old": None, "new": "Ada"}
    assert entry.changes["metadata.visits"] == {"old": None, "new": 3}


def test_customer_create_existing_source_id_asks_to_confirm(support, fake):
    data = create_post(source_id="crm-1", name="Ada L.")

    response = support.post(reverse("customers:create"), data)

    page = text(response)
    assert response.status_code == 200
    assert "already exists" in page
    assert "saving will change that customer" in page
    assert f'name="confirm_upsert" value="{CID}"' in page
    assert input_value(page, "name") == "Ada L."
    assert fake.calls == {"get_customer": 1}

    response = support.post(reverse("customers:create"), {**data, "confirm_upsert": CID})

    assert response.status_code == 302
    assert fake.calls == {"get_customer": 2, "create_customer": 1}
    entry = AuditEntry.objects.get(operation="create_customer")
    assert entry.changes == {"name": {"old": "Ada Lovelace", "new": "Ada L."}}


def test_customer_create_new_source_id_saves_without_confirm(support, fake):
    fake.get_customer = raising(NotFound("not found", status=404))

    response = support.post(reverse("customers:create"), create_post(source_id="crm-new"))

    assert response.status_code == 302
    assert fake.sent == [("create_customer", {"source_id": "crm-new"})]


@pytest.mark.parametrize(("error", "status", "title"), FAILURES)
def test_customer_create_api_failure_keeps_input_and_audits(support, fake, error, status, title):
    fake.create_customer = raising(error)

    response = support.post(
        reverse("customers:create"), create_post(name="Ada", meta_key_aa="k", meta_value_aa="v")
    )

    page = text(response)
    assert response.status_code == status
    assert title in page
    assert "Nothing was saved. Your input is kept below" in page
    assert input_value(page, "name") == "Ada"
    assert input_value(page, "meta_value_aa") == "v"
    assert "Submit again to retry." in page
    assert ">Retry</a>" not in page  # a GET retry link would drop the input
    assert "Traceback" not in page
    entry = AuditEntry.objects.get(operation="create_customer")
    assert (entry.outcome, entry.customer_id) == ("failed", "")
    # No customer id to scrub it by later: the field names only, no personal values.
    assert entry.changes == {"metadata.k": {}, "name": {}}


@pytest.mark.parametrize(("error", "status", "title"), READ_FAILURES)
def test_customer_create_source_id_check_failure_keeps_input(support, fake, error, status, title):
    fake.get_customer = raising(error)

    response = support.post(reverse("customers:create"), create_post(source_id="s", name="Ada"))

    assert response.status_code == status
    assert title in text(response)
    assert input_value(text(response), "source_id") == "s"
    assert "create_customer" not in fake.calls


def test_customer_create_api_validation_errors_appear_on_fields(support, fake):
    fake.create_customer = raising(
        ValidationFailed(
            "Invalid payload",
            status=400,
            key="invalid_payload",
            field_errors={"email": ["Email is not allowed"], "address.city": ["Bad city"]},
        )
    )

    response = support.post(
        reverse("customers:create"), create_post(email="a@b.co", address_city="X")
    )

    page = text(response)
    assert response.status_code == 200
    assert "Email is not allowed" in page
    assert "Bad city" in page
    assert input_value(page, "address_city") == "X"


def test_customer_create_add_row_without_js_adds_a_row_and_keeps_input(support, fake):
    response = support.post(
        reverse("customers:create"),
        create_post(name="Ada", email="bad", meta_key_aa="k", meta_value_aa="v", add_row="1"),
    )

    page = text(response)
    assert response.status_code == 200
    assert page.count('class="kv-row"') == 2
    assert input_value(page, "meta_key_aa") == "k"
    assert input_value(page, "email") == "bad"
    assert "Enter a valid email address." not in page
    assert fake.calls == {}


def test_customer_create_remove_row_without_js_drops_the_row(support, fake):
    response = support.post(
        reverse("customers:create"),
        create_post(
            meta_row=["aa", "bb"],
            meta_key_aa="gone",
            meta_value_aa="1",
            meta_key_bb="kept",
            meta_value_bb="2",
            remove_row="aa",
        ),
    )

    page = text(response)
    assert page.count('class="kv-row"') == 1
    assert "gone" not in page
    assert input_value(page, "meta_key_bb") == "kept"


# --- metadata row --------------------------------------------------------------------------


def test_metadata_row_htmx_returns_one_empty_row(support):
    response = support.get(reverse("customers:metadata_row"), **HTMX)

    page = text(response)
    assert response.status_code == 200
    assert page.count('class="kv-row"') == 1
    assert "<html" not in page
    token = HTMLParser(page).css_first('input[name="meta_row"]').attributes["value"]
    assert f'name="meta_key_{token}"' in page and f'name="meta_value_{token}"' in page


def test_metadata_row_remove_returns_empty_200(support):
    response = support.get(reverse("customers:metadata_row"), {"remove": "1"}, **HTMX)

    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.parametrize("query", [{}, {"remove": "1"}])
def test_metadata_row_opened_in_the_browser_redirects_to_the_create_page(support, query):
    response = support.get(reverse("customers:metadata_row"), query)

    assert response.status_code == 302
    assert response["Location"] == reverse("customers:create")


def test_metadata_row_without_edit_permission_is_forbidden(client_for):
    assert client_for("marketing").get(reverse("customers:metadata_row")).status_code == 403


def form_buttons(page: str, action: str) -> list[dict[str, str | None]]:
    """The buttons inside the form posting to `action`, as attribute dicts, with their text."""
    form = HTMLParser(page).css_first(f'form[action="{action}"]')
    return [{**button.attributes, "text": button.text(strip=True)} for button in form.css("button")]


def test_customer_form_buttons_work_with_and_without_js(support, fake):
    page = text(support.get(reverse("customers:update", args=[CID])))

    buttons = form_buttons(page, reverse("customers:update", args=[CID]))
    row_url = reverse("customers:metadata_row")
    # Without JS each button submits the form; with htmx it fetches or drops one row.
    (add,) = [b for b in buttons if b.get("name") == "add_row"]
    assert add.get("type", "submit") == "submit" and "formnovalidate" in add
    assert (add["hx-get"], add["hx-target"], add["hx-swap"]) == (
        row_url,
        "#metadata-rows",
        "beforeend",
    )
    removes = [b for b in buttons if b.get("name") == "remove_row"]
    assert len(removes) == 2 and all(b["value"] for b in removes)
    for remove in removes:
        assert (remove["hx-get"], remove["hx-target"], remove["hx-swap"]) == (
            f"{row_url}?remove=1",
            "closest .kv-row",
            "delete",
        )
    # Enter in a field presses the first submit button: a plain save, not "Remove".
    assert buttons[0].get("name") is None and buttons[0]["text"] == "Save"


# --- edit ----------------------------------------------------------------------------------


def test_customer_update_form_prefilled_with_source_id_read_only(support, fake):
    response = support.get(reverse("customers:update", args=[CID]))

    page = text(response)
    assert response.status_code == 200
    assert 'name="source_id"' not in page
    assert "<code>crm-1</code>" in page and "cannot be changed" in page
    assert input_value(page, "name") == "Ada Lovelace"
    assert input_value(page, "address_city") == "London"
    assert input_value(page, "opened")
    assert page.count('class="kv-row"') == 2
    assert "Removing a key clears it" in page
    assert fake.calls == {"get_customer": 1}


def test_customer_update_htmx_request_gets_the_page(support, fake):
    response = support.get(reverse("customers:update", args=[CID]), **HTMX)

    assert response.status_code == 200
    assert input_value(text(response), "name") == "Ada Lovelace"


def test_customer_update_escapes_customer_data(support, fake):
    fake.customer = make_customer(name='"><script>alert(1)</script>', metadata={"k": "<b>"})

    page = text(support.get(reverse("customers:update", args=[CID])))

    assert "<script>alert(1)</script>" not in page
    assert "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'value="&lt;b&gt;"' in page


@pytest.mark.parametrize(
    ("error", "status", "title"),
    [(NotFound("not found", status=404), 404, "Not found"), *FAILURES],
)
def test_customer_update_get_api_error_gives_problem_page(support, fake, error, status, title):
    fake.get_customer = raising(error)

    response = support.get(reverse("customers:update", args=[CID]))

    assert response.status_code == status
    assert title in text(response)
    assert "Traceback" not in text(response)


def test_customer_update_without_edit_permission_is_forbidden(client_for, fake):
    client = client_for("compliance")

    assert client.get(reverse("customers:update", args=[CID])).status_code == 403
    post = edit_post(fake.customer, name="X")
    assert client.post(reverse("customers:update", args=[CID]), post).status_code == 403
    assert fake.calls == {}


def test_customer_update_sends_only_changed_fields_and_audits_old_new(support, fake):
    fake.customer = make_customer(phone="+44 1")
    data = edit_post(fake.customer, metadata={"visits": 4, "new": "yes"}, name="Ada King", phone="")

    response = support.post(reverse("customers:update", args=[CID]), data, follow=True)

    assert response.redirect_chain[-1][0] == reverse("customers:detail", args=[CID])
    assert "Customer saved" in text(response)
    assert fake.calls["get_customer"] == 2  # before saving, then the profile after redirect
    assert fake.sent == [
        (
            "update_customer",
            CID,
            {
                "name": "Ada King",
                "phone": None,
                "metadata": {"tier": None, "visits": 4, "new": "yes"},
            },
        )
    ]
    entry = AuditEntry.objects.get(operation="update_customer")
    assert entry.outcome == "success"
    assert entry.customer_id == CID
    assert entry.changes == {
        "name": {"old": "Ada Lovelace", "new": "Ada King"},
        "phone": {"old": "+44 1", "new": None},
        "metadata.tier": {"old": "gold", "new": None},
        "metadata.visits": {"old": 3, "new": 4},
        "metadata.new": {"old": None, "new": "yes"},
    }


def test_customer_update_post_makes_two_api_calls(support, fake):
    support.post(reverse("customers:update", args=[CID]), edit_post(fake.customer, name="B"))

    assert fake.calls == {"get_customer": 1, "update_customer": 1}


def test_customer_update_nothing_changed_does_not_save(support, fake):
    response = support.post(reverse("customers:update", args=[CID]), edit_post(fake.customer))

    assert response.status_code == 302
    assert "update_customer" not in fake.calls
    assert not AuditEntry.objects.exists()


def test_customer_update_untouched_form_as_a_browser_posts_it_says_no_changes(support, fake):
    fake.customer = make_customer(
        name="Ada ", description="line1\nline2", metadata={"prefs": {"size": "M"}, "n": 1}
    )
    # A browser posts the textarea's line breaks as CRLF.
    data = edit_post(fake.customer, description="line1\r\nline2")

    response = support.post(reverse("customers:update", args=[CID]), data, follow=True)

    assert response.redirect_chain[0][0] == reverse("customers:detail", args=[CID])
    assert "No changes to save." in text(response)
    assert "update_customer" not in fake.calls
    assert fake.calls["get_customer"] == 2  # the re-read, then the profile after the redirect
    assert not AuditEntry.objects.exists()


def test_customer_update_nested_metadata_saved_back_as_json(support, fake):
    fake.customer = make_customer(metadata={"prefs": {"size": "M"}, "tier": "gold"})
    data = edit_post(fake.customer, metadata={"prefs": {"size": "L"}, "tier": "gold"})

    page = text(support.get(reverse("customers:update", args=[CID])))
    response = support.post(reverse("customers:update", args=[CID]), data)

    assert "saved back as JSON" in page
    assert response.status_code == 302
    assert fake.sent == [
        ("update_customer", CID, {"metadata": {"prefs": {"size": "L"}, "tier": "gold"}})
    ]


def test_customer_update_nested_metadata_invalid_json_is_a_field_error(support, fake):
    fake.customer = make_customer(metadata={"prefs": {"size": "M"}})
    data = edit_post(fake.customer)
    data["meta_value_0f"] = "{size: L"

    response = support.post(reverse("customers:update", args=[CID]), data)

    page = text(response)
    assert response.status_code == 200
    assert "This value was an object or a list: enter valid JSON" in page
    assert input_value(page, "meta_value_0f") == "{size: L"
    assert "update_customer" not in fake.calls


def test_customer_update_stored_invalid_email_does_not_block_other_edits(support, fake):
    fake.customer = make_customer(email="ada@@legacy")

    response = support.post(
        reverse("customers:update", args=[CID]), edit_post(fake.customer, phone="+44 2")
    )

    assert response.status_code == 302
    assert fake.sent == [("update_customer", CID, {"phone": "+44 2"})]


def test_customer_update_invalid_birthdate_rerender_keeps_name_and_source_id(support, fake):
    data = edit_post(fake.customer, birthdate="31/02/2000")

    response = support.post(reverse("customers:update", args=[CID]), data)

    page = text(response)
    assert response.status_code == 200
    assert "<h1>Edit Ada Lovelace</h1>" in page
    assert "<code>crm-1</code>" in page
    assert fake.calls == {}


def test_customer_update_changed_since_opened_warns_and_does_not_save(support, fake):
    opened = fake.customer
    data = edit_post(opened, name="Mine", email="mine@example.com")
    fake.customer = make_customer(
        name="Theirs", updated_at="2024-08-02T09:00:00.000Z", metadata={"tier": "silver"}
    )

    response = support.post(reverse("customers:update", args=[CID]), data)

    page = text(response)
    assert response.status_code == 409
    assert "Someone else changed 1 of the fields you changed" in page
    assert "Nothing was saved." in page
    assert "<td>Name</td><td>Ada Lovelace</td><td>Theirs</td><td>Mine</td>" in page
    # Only the field both changed is asked about; theirs elsewhere is kept, not shown as mine.
    assert "<td>Metadata “tier”</td>" not in page
    assert "Their changes to Metadata “tier”, Metadata “visits” will be kept" in page
    assert 'name="confirm_overwrite" value="2024-08-02T09:00:00.000Z"' in page
    assert input_value(page, "email") == "mine@example.com"
    assert input_value(page, "opened") == data["opened"]
    assert "update_customer" not in fake.calls
    assert not AuditEntry.objects.exists()


def test_customer_update_changed_since_opened_other_fields_merges_and_says_so(support, fake):
    data = edit_post(fake.customer, email="mine@example.com", metadata={"tier": "gold", "mine": 1})
    fake.customer = make_customer(
        name="Theirs", updated_at="2024-08-02T09:00:00.000Z", metadata={"tier": "silver"}
    )

    response = support.post(reverse("customers:update", args=[CID]), data, follow=True)

    assert response.redirect_chain[0][0] == reverse("customers:detail", args=[CID])
    sent = fake.sent[0][2]
    assert sent == {"email": "mine@example.com", "metadata": {"tier": "silver", "mine": 1}}
    assert "Kept the changes made meanwhile by someone else to: Metadata “tier”, Name." in text(
        response
    )


def test_customer_update_save_anyway_applies_the_users_changes(support, fake):
    opened = fake.customer
    data = edit_post(opened, name="Mine")
    fake.customer = make_customer(
        name="Theirs", updated_at="2024-08-02T09:00:00.000Z", metadata={"tier": "silver"}
    )
    data["confirm_overwrite"] = "2024-08-02T09:00:00.000Z"

    response = support.post(reverse("customers:update", args=[CID]), data)

    assert response.status_code == 302
    assert fake.sent == [("update_customer", CID, {"name": "Mine"})]
    entry = AuditEntry.objects.get(operation="update_customer")
    assert entry.changes == {"name": {"old": "Theirs", "new": "Mine"}}
    assert entry.outcome == "success"


def test_customer_update_save_anyway_after_another_change_warns_again(support, fake):
    data = edit_post(fake.customer, name="Mine")
    data["confirm_overwrite"] = "2024-08-02T09:00:00.000Z"
    fake.customer = make_customer(name="Theirs again", updated_at="2024-08-03T09:00:00.000Z")

    response = support.post(reverse("customers:update", args=[CID]), data)

    assert response.status_code == 409
    assert "update_customer" not in fake.calls


def test_customer_update_tampered_opened_marker_is_treated_as_changed(support, fake):
    data = edit_post(fake.customer, name="Mine")
    data["opened"] = "forged"

    response = support.post(reverse("customers:update", args=[CID]), data)

    assert response.status_code == 409
    assert "update_customer" not in fake.calls


@pytest.mark.parametrize(("error", "status", "title"), READ_FAILURES)
def test_customer_update_check_failure_keeps_input(support, fake, error, status, title):
    data = edit_post(fake.customer, name="Typed by me", metadata={"note": "kept"})
    fake.get_customer = raising(error)

    response = support.post(reverse("customers:update", args=[CID]), data)

    page = text(response)
    assert response.status_code == status
    assert title in page
    assert "Your input is kept below" in page
    assert input_value(page, "name") == "Typed by me"
    assert input_value(page, "meta_value_0f") == "kept"
    assert "Traceback" not in page


def test_customer_update_customer_gone_keeps_input_with_404(support, fake):
    data = edit_post(fake.customer, name="Typed by me")
    fake.get_customer = raising(NotFound("not found", status=404))

    response = support.post(reverse("customers:update", args=[CID]), data)

    assert response.status_code == 404
    assert "Not found" in text(response)
    assert input_value(text(response), "name") == "Typed by me"


@pytest.mark.parametrize(("error", "status", "title"), FAILURES)
def test_customer_update_save_failure_keeps_input_and_audits_failure(
    support, fake, error, status, title
):
    fake.update_customer = raising(error)

    response = support.post(
        reverse("customers:update", args=[CID]), edit_post(fake.customer, name="Typed by me")
    )

    page = text(response)
    assert response.status_code == status
    assert title in page
    assert input_value(page, "name") == "Typed by me"
    entry = AuditEntry.objects.get(operation="update_customer")
    assert entry.outcome == "failed"
    assert entry.changes == {"name": {"old": "Ada Lovelace", "new": "Typed by me"}}


def test_customer_update_timeout_after_sending_is_unknown_and_shows_what_is_there(support, fake):
    fake.update_customer = raising(Timeout("read timeout"))

    response = support.post(
        reverse("customers:update", args=[CID]), edit_post(fake.customer, name="Typed by me")
    )

    page = text(response)
    assert response.status_code == 504
    assert "Nothing was saved" not in page
    assert "Your change may have been saved." in page
    assert "Ada Lovelace" in page  # what the re-read shows now
    assert input_value(page, "name") == "Typed by me"
    assert fake.calls == {"get_customer": 2}  # the re-read before and after the write
    assert AuditEntry.objects.get(operation="update_customer").outcome == "unknown"


def test_customer_update_timeout_after_sending_resolved_as_saved_by_re_reading(support, fake):
    def applied_then_timed_out(customer_id, data):
        fake.customer = make_customer(**data, updated_at="2024-08-02T09:00:00.000Z")
        raise Timeout("read timeout")

    fake.update_customer = applied_then_timed_out

    response = support.post(
        reverse("customers:update", args=[CID]),
        edit_post(fake.customer, name="Typed by me"),
        follow=True,
    )

    assert response.redirect_chain[0][0] == reverse("customers:detail", args=[CID])
    assert "Customer saved (Voucherify answered late" in text(response)
    entry = AuditEntry.objects.get(operation="update_customer")
    assert entry.outcome == "success"
    assert "applied (re-read the customer)" in entry.error


def test_customer_update_api_validation_errors_appear_on_fields(support, fake):
    fake.update_customer = raising(
        ValidationFailed(
            "Invalid payload",
            status=400,
            key="metadata_validation_failed",
            field_errors={
                "email": ["Email is blocked"],
                "address.city": ["City unknown"],
                "metadata.visits": ["visits must be a string"],
            },
        )
    )

    response = support.post(
        reverse("customers:update", args=[CID]),
        edit_post(fake.customer, metadata={"tier": "gold", "visits": 5}, email="x@y.co"),
    )

    page = text(response)
    assert response.status_code == 200
    assert "Email is blocked" in page
    assert "City unknown" in page
    assert "visits must be a string" in page
    assert input_value(page, "email") == "x@y.co"
    assert input_value(page, "meta_value_1f") == "5"


def test_customer_update_add_row_without_js_keeps_opened_markers(support, fake):
    data = edit_post(fake.customer, name="Mine", add_row="1")

    response = support.post(reverse("customers:update", args=[CID]), data)

    page = text(response)
    assert response.status_code == 200
    assert page.count('class="kv-row"') == 3
    assert input_value(page, "name") == "Mine"
    assert input_value(page, "opened") == data["opened"]
    assert "<h1>Edit Ada Lovelace</h1>" in page and "<code>crm-1</code>" in page
    assert "Source id" in page and ">none<" not in page
    assert fake.calls == {}


# --- against the sandbox -------------------------------------------------------------------


@SANDBOX
def test_customer_create_sandbox_creates_the_customer(support):
    response = support.post(
        reverse("customers:create"),
        create_post(
            source_id="sb-new",
            name="Grace",
            email="grace@example.com",
            birthdate="1906-12-09",
            address_city="Arlington",
            meta_key_aa="rank",
            meta_value_aa="7",
        ),
    )

    customer = get_client().get_customer("sb-new")
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[customer.id])
    assert customer.name == "Grace"
    assert customer.email == "grace@example.com"
    assert customer.birthdate.isoformat() == "1906-12-09"
    assert customer.address.city == "Arlington"
    assert customer.metadata == {"rank": 7}


@SANDBOX
def test_customer_create_sandbox_existing_source_id_needs_confirm(support):
    existing = get_client().create_customer({"source_id": "sb-dup", "name": "First"})

    response = support.post(reverse("customers:create"), create_post(source_id="sb-dup", name="2"))

    assert response.status_code == 200
    assert "already exists" in text(response)
    assert get_client().get_customer("sb-dup").name == "First"

    support.post(
        reverse("customers:create"),
        create_post(source_id="sb-dup", name="Second", confirm_upsert=existing.id),
    )

    assert get_client().get_customer("sb-dup").name == "Second"


@SANDBOX
def test_customer_create_source_id_equal_to_another_customers_id_creates_without_warning(support):
    other = get_client().create_customer({"source_id": "crm-other", "name": "Other"})

    response = support.post(
        reverse("customers:create"), create_post(source_id=other.id, name="New person")
    )

    assert response.status_code == 302
    assert "already exists" not in text(response)
    assert get_client().get_customer(other.id).name == "Other"
    assert get_client().get_customer(other.id).source_id == "crm-other"
    assert get_client().list_customers().total == 2


@SANDBOX
def test_customer_update_sandbox_edit_then_concurrent_change_then_save_anyway(support):
    client = get_client()
    customer = client.create_customer(
        {"source_id": "sb-edit", "name": "Before", "phone": "123", "metadata": {"a": 1, "b": "x"}}
    )
    url = reverse("customers:update", args=[customer.id])
    page = text(support.get(url))
    data = edit_post(customer, metadata={"a": 2}, name="Mine", phone="")
    data["opened"] = input_value(page, "opened")

    client.update_customer(customer.id, {"email": "theirs@example.com", "name": "Theirs"})
    response = support.post(url, data)

    assert response.status_code == 409
    assert "<td>Name</td><td>Before</td><td>Theirs</td><td>Mine</td>" in text(response)
    assert client.get_customer(customer.id).name == "Theirs"

    button = HTMLParser(text(response)).css_first('button[name="confirm_overwrite"]')
    version = button.attributes["value"]
    response = support.post(url, {**data, "confirm_overwrite": version})

    saved = client.get_customer(customer.id)
    assert response.status_code == 302
    assert saved.name == "Mine"
    assert saved.phone is None
    assert saved.email == "theirs@example.com"
    assert saved.metadata.get("a") == 2
    assert saved.metadata.get("b") is None
    entry = AuditEntry.objects.get(operation="update_customer")
    assert entry.changes["name"] == {"old": "Theirs", "new": "Mine"}
    assert entry.changes["metadata.b"] == {"old": "x", "new": None}
