"""Forms for the create/edit pages: the CustomerBase fields and a metadata key/value editor."""

from __future__ import annotations

import datetime
import json
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core import signing
from django.core.validators import validate_email
from django.utils import timezone

from customers.voucherify.enums import CAMPAIGN_TYPES, CUSTOMER_EVENT_TYPES
from dashboard.dates import day_end, day_start
from dashboard.forms import DateInput, StaticChoiceField

ADDRESS_PARTS = ("line_1", "line_2", "city", "state", "postal_code", "country")
SCALAR_FIELDS = ("name", "email", "phone", "description", "birthdate")
MULTILINE_FIELDS = ("description",)
# A new customer needs one of these, or nobody could find it again.
IDENTIFYING_FIELDS = ("source_id", "email", "name", "phone")
# Numbers without leading zeros (so that "007" or a postal code stays a string).
NUMBER_RE = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?")
TOKEN_RE = re.compile(r"[0-9a-f]{1,32}")
OPENED_SALT = "customers.edit.opened"


ACTIVITY_LABELS = {
    "customer.created": "Customer created",
    "customer.updated": "Customer updated",
    "customer.deleted": "Customer deleted",
    "customer.confirmed": "Customer confirmed",
    "customer.referred": "Customer referred",
    "customer.custom_event": "Custom event",
    "customer.segment.entered": "Entered segment",
    "customer.segment.left": "Left segment",
    "customer.consents.given": "Consent given",
    "customer.consents.revoked": "Consent revoked",
    "customer.rewarded.loyalty_points": "Rewarded loyalty points",
    "customer.sms.sent": "SMS sent",
    "customer.sms.recovered": "SMS recovered",
    "customer.sms.failed": "SMS failed",
}


def activity_label(activity_type: str) -> str:
    """A readable label for an event name: `customer.order.paid` -> "Order paid"."""
    if activity_type in ACTIVITY_LABELS:
        return ACTIVITY_LABELS[activity_type]
    words = activity_type.removeprefix("customer.").replace(".", " ").replace("_", " ")
    return words[:1].upper() + words[1:] if words else activity_type


def metadata_value(text: str) -> Any:
    """A metadata value as typed: `42`, `3.5`, `true`/`false` become numbers/booleans."""
    stripped = text.strip()
    if stripped in ("true", "false"):
        return stripped == "true"
    if NUMBER_RE.fullmatch(stripped):
        return float(stripped) if "." in stripped else int(stripped)
    return text


def metadata_text(value: Any) -> str:
    """The text a metadata value is edited as (the inverse of `metadata_value`)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def json_keys(metadata: Mapping[str, Any] | None) -> set[str]:
    """The keys whose values are objects or lists (shown and edited as JSON)."""
    return {str(key) for key, value in (metadata or {}).items() if isinstance(value, dict | list)}


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def new_token() -> str:
    return secrets.token_hex(4)


@dataclass
class MetadataRow:
    token: str
    key: str = ""
    value: str = ""
    errors: list[str] = field(default_factory=list)
    is_json: bool = False  # the value was an object or a list: edited and saved as JSON

    @property
    def is_blank(self) -> bool:
        return not self.key.strip() and not self.value.strip()


class MetadataEditor:
    """Rows of key/value inputs, each named after a random token so rows can come and go.

    Inputs: `meta_row=<token>` (one per row, in order), `meta_key_<token>`,
    `meta_value_<token>`. Works without JS: the `add_row` / `remove_row=<token>` submit
    buttons re-render the form with one row more or less.
    """

    def __init__(self, rows: list[MetadataRow], json_keys: Iterable[str] = ()) -> None:
        self.rows = rows
        self.errors: list[str] = []
        # Keys whose opened value was an object or a list: their text is parsed back as JSON,
        # so that saving does not turn them into strings.
        self.json_keys = frozenset(json_keys)
        for row in rows:
            row.is_json = row.key.strip() in self.json_keys

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any] | None) -> MetadataEditor:
        rows = [
            MetadataRow(new_token(), str(key), metadata_text(value))
            for key, value in (metadata or {}).items()
        ]
        return cls(rows or [MetadataRow(new_token())], json_keys(metadata))

    @classmethod
    def from_post(
        cls, data: Mapping[str, Any], opened_metadata: Mapping[str, Any] | None = None
    ) -> MetadataEditor:
        """The posted rows; `opened_metadata` (edit) tells which values are JSON."""
        rows = []
        seen = set()
        for token in data.getlist("meta_row"):
            if not TOKEN_RE.fullmatch(token) or token in seen:
                continue
            seen.add(token)
            rows.append(
                MetadataRow(
                    token,
                    data.get(f"meta_key_{token}", ""),
                    data.get(f"meta_value_{token}", ""),
                )
            )
        return cls(rows, json_keys(opened_metadata))

    def add_row(self) -> None:
        self.rows.append(MetadataRow(new_token()))

    def remove_row(self, token: str) -> None:
        self.rows = [row for row in self.rows if row.token != token]

    def is_valid(self) -> bool:
        seen: set[str] = set()
        valid = True
        for row in self.rows:
            row.errors = []
            if row.is_blank:
                continue
            key = row.key.strip()
            if not key:
                row.errors.append("Give this value a key, or remove the row.")
            elif key in seen:
                row.errors.append(f"The key “{key}” is used twice.")
            elif key in self.json_keys and not _is_json(row.value):
                row.errors.append(
                    "This value was an object or a list: enter valid JSON "
                    '(text in double quotes, e.g. "gold"), or remove the row.'
                )
            seen.add(key)
            valid = valid and not row.errors
        return valid

    def texts(self) -> dict[str, str]:
        """Key -> value text of the filled rows (call after `is_valid`)."""
        return {row.key.strip(): row.value for row in self.rows if not row.is_blank}

    def value(self, key: str, text: str) -> Any:
        """The API value of a row: JSON for the keys that held objects or lists."""
        return json.loads(text) if key in self.json_keys else metadata_value(text)

    def values(self) -> dict[str, Any]:
        return {key: self.value(key, text) for key, text in self.texts().items()}

    def add_error(self, key: str, message: str) -> bool:
        """Attach an API error to the row holding `key`; False when no row has it."""
        for row in self.rows:
            if row.key.strip() == key:
                row.errors.append(message)
                return True
        return False


@dataclass(frozen=True)
class Opened:
    """What the edit form was opened on, signed into its `opened` field: the CustomerBase
    fields (to send only what the user changed) and the identity the page shows."""

    fields: dict[str, Any]
    source_id: str | None = None

    @property
    def name(self) -> str | None:
        return self.fields.get("name")

    @property
    def metadata(self) -> dict[str, Any]:
        return self.fields.get("metadata") or {}

    def dumps(self) -> str:
        blob = {"fields": self.fields, "source_id": self.source_id}
        return signing.dumps(blob, salt=OPENED_SALT, compress=True)

    @classmethod
    def loads(cls, text: str | None) -> Opened | None:
        """None when the marker is missing, forged or unreadable."""
        try:
            blob = signing.loads(text or "", salt=OPENED_SALT)
        except signing.BadSignature:
            return None
        if not isinstance(blob, dict) or not isinstance(blob.get("fields"), dict):
            return None
        return cls(blob["fields"], blob.get("source_id"))


def _text(value: Any) -> Any:
    """A value as compared and sent: browsers post textarea line breaks as CRLF."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


def _same(mine: Any, theirs: Any) -> bool:
    """Equal once line breaks are normalised, a blank counting as None."""
    return (_text(mine) or None) == (_text(theirs) or None)


class CustomerForm(forms.Form):
    """Every CustomerBase field; `source_id` only on create (it is immutable afterwards).

    Text fields keep what was typed (`strip=False`): an edit form opened on " Ada" must post
    back " Ada" unchanged. Single-line values are stripped only when sent (`sent_fields`).
    """

    source_id = forms.CharField(
        label="Source id",
        required=False,
        max_length=255,
        help_text="Your own id for this customer (CRM id, email…). It cannot be changed later.",
    )
    name = forms.CharField(required=False, max_length=255, strip=False)
    # Validated in clean(), and only when changed: a stored address the API accepted must not
    # block an edit of another field.
    email = forms.CharField(required=False, strip=False, widget=forms.EmailInput)
    phone = forms.CharField(required=False, max_length=64, strip=False)
    description = forms.CharField(
        required=False, strip=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    birthdate = forms.DateField(required=False, widget=DateInput())
    address_line_1 = forms.CharField(
        label="Address line 1", required=False, max_length=255, strip=False
    )
    address_line_2 = forms.CharField(
        label="Address line 2", required=False, max_length=255, strip=False
    )
    address_city = forms.CharField(label="City", required=False, max_length=255, strip=False)
    address_state = forms.CharField(label="State", required=False, max_length=255, strip=False)
    address_postal_code = forms.CharField(
        label="Postal code", required=False, max_length=64, strip=False
    )
    address_country = forms.CharField(label="Country", required=False, max_length=255, strip=False)
    # Edit only: what the customer looked like when the form was opened (signed).
    opened = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:
            del self.fields["source_id"]
        else:
            del self.fields["opened"]

    @classmethod
    def for_customer(cls, customer) -> CustomerForm:
        """An unbound edit form holding `customer`'s values and the opened-state markers."""
        base = customer.base_fields()
        address = base.get("address") or {}
        initial = {name: base.get(name) or "" for name in SCALAR_FIELDS}
        initial.update({f"address_{part}": address.get(part) or "" for part in ADDRESS_PARTS})
        initial["opened"] = Opened(base, customer.source_id).dumps()
        return cls(initial=initial, editing=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        email = (data.get("email") or "").strip()
        opened = self.opened_fields() if self.editing else None
        unchanged = opened is not None and _same(data.get("email"), opened.get("email"))
        if email and not unchanged:
            try:
                validate_email(email)
            except forms.ValidationError as error:
                self.add_error("email", error)
        birthdate = data.get("birthdate")
        opened_birthdate = (opened or {}).get("birthdate")
        changed = birthdate is not None and birthdate.isoformat() != opened_birthdate
        if changed and birthdate > timezone.localdate():
            self.add_error("birthdate", "A birthdate cannot be in the future.")
        # As typed: an invalid email is still something, and has its own error.
        if not self.editing and not any(
            str(self.data.get(name) or "").strip() for name in IDENTIFYING_FIELDS
        ):
            self.add_error(
                None,
                "Give at least a source id, an email, a name or a phone number: without one, "
                "nobody could find this customer again.",
            )
        return data

    def opened_fields(self) -> dict[str, Any] | None:
        """The customer's fields when the form was opened; None when the marker is unreadable."""
        opened = Opened.loads(self.cleaned_data.get("opened"))
        return opened.fields if opened else None

    def user_fields(self, metadata: Mapping[str, Any]) -> dict[str, Any]:
        """The form's values as a complete CustomerBase representation (blank -> None), as
        they would be sent: single-line text stripped, line breaks as LF."""
        data = self.cleaned_data
        fields: dict[str, Any] = {}
        for name in SCALAR_FIELDS:
            value = data.get(name)
            if isinstance(value, datetime.date):
                value = value.isoformat()
            elif isinstance(value, str):
                value = _text(value) if name in MULTILINE_FIELDS else value.strip()
            fields[name] = value or None
        parts = {
            part: (data.get(f"address_{part}") or "").strip() or None for part in ADDRESS_PARTS
        }
        fields["address"] = parts if any(parts.values()) else None
        fields["metadata"] = dict(metadata)
        return fields

    def submitted_fields(self, editor: MetadataEditor) -> dict[str, Any]:
        """What the user submitted, as CustomerBase JSON (blank -> None; `source_id` too on
        create). On edit, a value left as it was opened is the opened value exactly, so that
        " Ada" or a metadata string "42" is not taken for a change the user never made."""
        fields = self.user_fields(editor.values())
        if not self.editing:
            fields["source_id"] = (self.cleaned_data.get("source_id") or "").strip() or None
            return fields
        opened = self.opened_fields()
        if opened is None:
            return fields
        for name in SCALAR_FIELDS:
            if self._untouched(name, opened.get(name)):
                fields[name] = opened.get(name)
        opened_address = opened.get("address") or {}
        if fields["address"] is not None or opened_address:
            address = dict(fields["address"] or dict.fromkeys(ADDRESS_PARTS))
            for part in ADDRESS_PARTS:
                if self._untouched(f"address_{part}", opened_address.get(part)):
                    address[part] = opened_address.get(part)
            fields["address"] = address if any(v is not None for v in address.values()) else None
        opened_meta = opened.get("metadata") or {}
        for key, text in editor.texts().items():
            if key in opened_meta and metadata_text(opened_meta[key]) == text:
                fields["metadata"][key] = opened_meta[key]
        return fields

    def _untouched(self, name: str, opened: Any) -> bool:
        """The posted text (as typed) is the opened value: the user did not change it."""
        typed = self.cleaned_data.get(name)
        if isinstance(typed, datetime.date):
            typed = typed.isoformat()
        return _same(typed, opened)

    def add_api_errors(self, field_errors: Mapping[str, list[str]], editor: MetadataEditor):
        """Put `ValidationFailed.field_errors` (`email`, `address.city`, `metadata.x`) on fields."""
        for path, messages in field_errors.items():
            name = path.replace(".", "_")
            for message in messages:
                if name in self.fields:
                    self.add_error(name, message)
                elif path.startswith("metadata.") and editor.add_error(path[9:], message):
                    continue
                elif path.startswith("metadata"):
                    editor.errors.append(message)
                else:
                    self.add_error(None, f"{path}: {message}" if path else message)


class ActivityFilterForm(forms.Form):
    """Filters of the activity timeline, read from the query string."""

    campaign_type = StaticChoiceField(
        label="Campaign type",
        required=False,
        choices=[("", "Any"), *((t, t.replace("_", " ").capitalize()) for t in CAMPAIGN_TYPES)],
    )
    type = StaticChoiceField(
        label="Activity",
        required=False,
        choices=[("", "Any"), *((t, activity_label(t)) for t in CUSTOMER_EVENT_TYPES)],
    )
    start_date = forms.DateField(label="From", required=False, widget=DateInput())
    end_date = forms.DateField(label="To", required=False, widget=DateInput())
    starting_after_id = forms.CharField(required=False, max_length=64)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and start > end:
            self.add_error("end_date", "The end date is before the start date.")
        return cleaned

    def api_filters(self) -> dict[str, Any]:
        """Keyword arguments for `list_customer_activity` (dates as whole days, `day_bounds`)."""
        data = self.cleaned_data
        filters: dict[str, Any] = {}
        if data.get("campaign_type"):
            filters["campaign_type"] = data["campaign_type"]
        if data.get("type"):
            filters["type"] = data["type"]
        if data.get("start_date"):
            filters["start_date"] = day_start(data["start_date"])
        if data.get("end_date"):
            filters["end_date"] = day_end(data["end_date"])
        if data.get("starting_after_id"):
            filters["starting_after_id"] = data["starting_after_id"]
        return filters

    def query(self, **overrides) -> str:
        """The filters as a query string (for links), with `overrides` applied."""
        return activity_query(self.data, **overrides)


ACTIVITY_FILTER_NAMES = ("campaign_type", "type", "start_date", "end_date")


def activity_query(data, **overrides) -> str:
    """The activity filters in `data` (a request's GET) as a query string, with `overrides`
    applied: what the profile hands its timeline fragment, without building the form."""
    params = {name: value for name in ACTIVITY_FILTER_NAMES if (value := data.get(name))}
    params.update({k: v for k, v in overrides.items() if v})
    return urlencode(params)
