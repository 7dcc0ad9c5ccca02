"""The rules of creating and editing a customer (`customers.services.customers`), through the
one seam: the client `get_client()` returns."""

from __future__ import annotations

import pytest

from customers.forms import CustomerForm, MetadataEditor
from customers.services import customers as services
from customers.services.outcomes import NoChanges, Saved
from tests.customers.pages_support import make_customer
from tests.customers.test_forms import edit_form, meta_post, post

pytestmark = pytest.mark.django_db

NESTED = {"prefs": {"size": "M", "colours": ["red"]}, "tags": ["a", "b"], "tier": "gold"}


@pytest.fixture(autouse=True)
def fake(fake_client):
    return fake_client


def sent_update(form, editor, current) -> dict:
    """What `customer_update` sends when the customer is `current` now ({} when nothing)."""
    client = services.get_client()
    client.customer = current
    outcome = services.customer_update(
        customer_id=current.id,
        opened=form.opened_fields(),
        submitted=form.submitted_fields(editor),
        user=None,
    )
    if isinstance(outcome, NoChanges):
        return {}
    assert isinstance(outcome, Saved)
    (call,) = [c for c in client.sent if c[0] == "update_customer"]
    return call[2]


def sent_create(form, editor) -> dict:
    client = services.get_client()
    client.get_customer = lambda _id: (_ for _ in ()).throw(services.NotFound("no"))
    services.customer_create(fields=form.submitted_fields(editor), user=None)
    (call,) = [c for c in client.sent if c[0] == "create_customer"]
    return call[1]


def test_customer_create_payload_sends_filled_fields_only():
    form = CustomerForm(
        post(
            source_id=" crm-9 ",
            name="Ada",
            email="ada@example.com",
            birthdate="1815-12-10",
            address_city="London",
        )
    )
    editor = MetadataEditor.from_post(meta_post(("visits", "3"), ("vip", "true")))
    assert form.is_valid() and editor.is_valid()

    assert sent_create(form, editor) == {
        "source_id": "crm-9",
        "name": "Ada",
        "email": "ada@example.com",
        "birthdate": "1815-12-10",
        "address": {"city": "London"},
        "metadata": {"visits": 3, "vip": True},
    }


def test_customer_update_payload_unchanged_is_empty():
    customer = make_customer()
    form, editor = edit_form(customer)

    assert sent_update(form, editor, customer) == {}


def test_customer_update_payload_sends_changed_and_cleared_fields_only():
    customer = make_customer(phone="+44 1")
    form, editor = edit_form(customer, name="Ada King", phone="")

    payload = sent_update(form, editor, customer)

    assert payload == {"name": "Ada King", "phone": None}


def test_customer_update_payload_address_change_sends_whole_address():
    customer = make_customer()
    form, editor = edit_form(customer, address_city="Paris", address_postal_code="75001")

    payload = sent_update(form, editor, customer)

    assert payload == {
        "address": {
            "line_1": None,
            "line_2": None,
            "city": "Paris",
            "state": None,
            "postal_code": "75001",
            "country": "UK",
        }
    }


def test_customer_update_payload_removed_metadata_key_is_sent_as_null():
    customer = make_customer()
    form, editor = edit_form(customer, metadata={"tier": None, "visits": 4, "new": "x"})

    payload = sent_update(form, editor, customer)

    assert payload == {"metadata": {"tier": None, "visits": 4, "new": "x"}}


def test_customer_update_payload_keeps_key_added_concurrently():
    opened = make_customer()
    form, editor = edit_form(opened, metadata={"visits": 4})
    current = make_customer(metadata={"tier": "gold", "visits": 3, "theirs": 1})

    payload = sent_update(form, editor, current)

    assert payload == {"metadata": {"tier": "gold", "visits": 4, "theirs": 1}}


def test_customer_update_payload_unchanged_whitespace_and_crlf_is_empty():
    # What a browser posts back for an untouched form: the values as shown, with the
    # textarea's line breaks as CRLF.
    customer = make_customer(name=" Ada ", description="line1\nline2\n", phone="+44 1 ")
    form, editor = edit_form(customer, description="line1\r\nline2\r\n")

    assert sent_update(form, editor, customer) == {}


def test_customer_update_payload_whitespace_only_edit_is_no_change():
    customer = make_customer()
    form, editor = edit_form(customer, name="Ada Lovelace  ", address_city=" London")

    assert sent_update(form, editor, customer) == {}


def test_customer_update_payload_changed_text_is_sent_stripped_with_lf():
    customer = make_customer(description="old")
    form, editor = edit_form(customer, name=" Ada King ", description="new\r\nlines")

    payload = sent_update(form, editor, customer)

    assert payload == {"name": "Ada King", "description": "new\nlines"}


def test_customer_update_payload_nested_metadata_unchanged_is_empty():
    customer = make_customer(metadata=NESTED)
    form, editor = edit_form(customer)

    assert sent_update(form, editor, customer) == {}


def test_customer_update_payload_nested_metadata_edited_keeps_its_type():
    customer = make_customer(metadata=NESTED)
    form, editor = edit_form(customer, metadata={"prefs": {"size": "L"}, "tags": []})

    payload = sent_update(form, editor, customer)

    assert payload == {"metadata": {"prefs": {"size": "L"}, "tags": [], "tier": "gold"}}


def test_customer_update_stored_invalid_email_unchanged_does_not_block_saving():
    customer = make_customer(email="ada@@legacy")
    form, editor = edit_form(customer, name="Ada King")

    assert sent_update(form, editor, customer) == {"name": "Ada King"}


@pytest.mark.parametrize(
    ("addressed_by", "reads"),
    [
        ("cust_0000000000000000000000a1", 1),  # the id: the lock's key without a read
        ("crm-1", 2),  # a source_id: read for its id, then again under the lock
        ("cust_lookalike", 2),  # a source_id that looks like an id: re-locked by the real id
    ],
)
def test_customer_update_holds_the_lock_of_the_customers_id_however_addressed(
    fake, addressed_by, reads
):
    from dashboard.models import WriteLock

    held = []
    update = fake.update_customer

    def update_customer(customer_id, data):
        held.extend(WriteLock.objects.values_list("key", flat=True))
        return update(customer_id, data)

    fake.update_customer = update_customer
    current = fake.customer

    outcome = services.customer_update(
        customer_id=addressed_by,
        opened=current.base_fields(),
        submitted={**current.base_fields(), "name": "Ada King"},
        user=None,
    )

    assert isinstance(outcome, Saved)
    assert held == [f"customer:{current.id}"]
    assert fake.calls["get_customer"] == reads
    assert not WriteLock.objects.exists()
