from __future__ import annotations

import datetime

import pytest
from django.http import QueryDict

from customers.forms import (
    ActivityFilterForm,
    CustomerForm,
    MetadataEditor,
    activity_label,
    metadata_text,
    metadata_value,
)
from tests.customers.pages_support import make_customer


def post(**fields) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, value in fields.items():
        if isinstance(value, list):
            data.setlist(key, value)
        else:
            data[key] = value
    return data


def meta_post(*rows: tuple[str, str], **extra) -> QueryDict:
    tokens = [f"{i:x}a" for i in range(len(rows))]
    data = post(meta_row=tokens, **extra)
    for token, (key, value) in zip(tokens, rows, strict=True):
        data[f"meta_key_{token}"] = key
        data[f"meta_value_{token}"] = value
    return data


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("42", 42),
        ("-7", -7),
        ("3.5", 3.5),
        ("true", True),
        ("false", False),
        ("007", "007"),
        ("1e5", "1e5"),
        ("gold", "gold"),
        ("", ""),
        ("True", "True"),
    ],
)
def test_metadata_value_typed_text_gives_number_boolean_or_string(text, value):
    assert metadata_value(text) == value
    assert type(metadata_value(text)) is type(value)


@pytest.mark.parametrize(
    ("value", "text"),
    [(True, "true"), (False, "false"), (42, "42"), (3.5, "3.5"), ("x", "x"), (None, "")],
)
def test_metadata_text_value_gives_editable_text(value, text):
    assert metadata_text(value) == text


def test_metadata_text_nested_value_gives_json():
    assert metadata_text({"b": 1, "a": [1, 2]}) == '{"a": [1, 2], "b": 1}'


def test_metadata_editor_duplicate_key_is_row_error():
    editor = MetadataEditor.from_post(meta_post(("tier", "gold"), ("tier", "silver")))

    assert not editor.is_valid()
    assert editor.rows[0].errors == []
    assert editor.rows[1].errors == ["The key “tier” is used twice."]


def test_metadata_editor_value_without_key_is_row_error():
    editor = MetadataEditor.from_post(meta_post(("", "orphan")))

    assert not editor.is_valid()
    assert "Give this value a key" in editor.rows[0].errors[0]


def test_metadata_editor_blank_rows_are_ignored():
    editor = MetadataEditor.from_post(meta_post(("", ""), ("visits", "3"), (" ", " ")))

    assert editor.is_valid()
    assert editor.values() == {"visits": 3}


def test_metadata_editor_forged_tokens_are_dropped():
    data = post(meta_row=["<x>", "ab", "ab"], meta_key_ab="k", meta_value_ab="v")

    editor = MetadataEditor.from_post(data)

    assert [row.token for row in editor.rows] == ["ab"]


def test_metadata_editor_add_and_remove_rows():
    editor = MetadataEditor.from_post(meta_post(("a", "1"), ("b", "2")))

    editor.remove_row("0a")
    editor.add_row()

    assert [row.key for row in editor.rows] == ["b", ""]


def test_metadata_editor_from_empty_metadata_has_one_blank_row():
    editor = MetadataEditor.from_metadata({})

    assert len(editor.rows) == 1
    assert editor.rows[0].is_blank


def test_customer_form_invalid_email_and_date_are_field_errors():
    form = CustomerForm(post(email="not-an-email", birthdate="31/02/2000"))

    assert not form.is_valid()
    assert set(form.errors) == {"email", "birthdate"}


def test_customer_form_edit_has_no_source_id_field():
    form = CustomerForm.for_customer(make_customer())

    assert "source_id" not in form.fields
    assert form.initial["name"] == "Ada Lovelace"
    assert form.initial["address_city"] == "London"
    assert "opened" in form.initial


NESTED = {"prefs": {"size": "M", "colours": ["red"]}, "tags": ["a", "b"], "tier": "gold"}


def test_metadata_editor_invalid_json_for_a_nested_value_is_a_row_error():
    editor = MetadataEditor.from_post(
        meta_post(("prefs", "{size: L}"), ("tier", "{not json either}")), NESTED
    )

    assert not editor.is_valid()
    assert "enter valid JSON" in editor.rows[0].errors[0]
    assert editor.rows[1].errors == []  # was text: stays text
    assert (editor.rows[0].is_json, editor.rows[1].is_json) == (True, False)


def edit_form(customer, **changes) -> tuple[CustomerForm, MetadataEditor]:
    """A submitted edit form: the opened customer's values with `changes` applied."""
    opened = CustomerForm.for_customer(customer)
    data = post(**{name: value for name, value in opened.initial.items()})
    metadata = dict(customer.metadata)
    metadata.update(changes.pop("metadata", {}))
    for name, value in changes.items():
        data[name] = value
    rows = [(k, metadata_text(v)) for k, v in metadata.items() if v is not None]
    meta = meta_post(*rows)
    data.setlist("meta_row", meta.getlist("meta_row"))
    for key in meta:
        if key != "meta_row":
            data[key] = meta[key]
    form = CustomerForm(data, editing=True)
    editor = MetadataEditor.from_post(data, customer.metadata)
    assert form.is_valid() and editor.is_valid(), (form.errors, editor.rows)
    return form, editor


def test_customer_form_edit_changed_invalid_email_is_an_error():
    customer = make_customer(email="ada@@legacy")
    opened = CustomerForm.for_customer(customer)
    form = CustomerForm(post(**{**opened.initial, "email": "still@@bad"}), editing=True)

    assert not form.is_valid()
    assert form.errors["email"] == ["Enter a valid email address."]


def test_customer_form_opened_fields_tampered_marker_gives_none():
    customer = make_customer()
    form, _ = edit_form(customer)
    form.cleaned_data["opened"] = form.cleaned_data["opened"] + "x"

    assert form.opened_fields() is None


def test_customer_form_add_api_errors_puts_them_on_fields():
    customer = make_customer()
    form, editor = edit_form(customer)

    form.add_api_errors(
        {
            "email": ["Email is taken"],
            "address.city": ["Unknown city"],
            "metadata.tier": ["Must be a number"],
            "metadata": ["Metadata schema violated"],
            "loyalty": ["Odd"],
        },
        editor,
    )

    assert form.errors["email"] == ["Email is taken"]
    assert form.errors["address_city"] == ["Unknown city"]
    assert editor.rows[0].errors == ["Must be a number"]
    assert editor.errors == ["Metadata schema violated"]
    assert form.non_field_errors() == ["loyalty: Odd"]


def test_activity_filter_form_dates_become_whole_utc_days():
    form = ActivityFilterForm(
        {
            "campaign_type": "LOYALTY_PROGRAM",
            "type": "customer.updated",
            "start_date": "2024-01-01",
            "end_date": "2024-01-31",
        }
    )
    assert form.is_valid()

    filters = form.api_filters()

    assert filters["campaign_type"] == "LOYALTY_PROGRAM"
    assert filters["type"] == "customer.updated"
    assert filters["start_date"] == datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    assert filters["end_date"].date() == datetime.date(2024, 1, 31)
    assert filters["end_date"].hour == 23


def test_activity_filter_form_end_before_start_is_error():
    form = ActivityFilterForm({"start_date": "2024-02-01", "end_date": "2024-01-01"})

    assert not form.is_valid()
    assert "end_date" in form.errors


def test_activity_filter_form_unknown_campaign_type_is_error():
    form = ActivityFilterForm({"campaign_type": "BOGUS"})

    assert not form.is_valid()


@pytest.mark.parametrize(
    ("event", "label"),
    [
        ("customer.updated", "Customer updated"),
        ("customer.segment.entered", "Entered segment"),
        ("customer.order.paid", "Order paid"),
        ("customer.voucher.loyalty_card.points_added", "Voucher loyalty card points added"),
    ],
)
def test_activity_label_event_name_gives_readable_label(event, label):
    assert activity_label(event) == label
