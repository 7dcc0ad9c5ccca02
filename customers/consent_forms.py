"""The one consent change form: one or several consents, or unsubscribe from all (after a
confirmation), with how the customer asked, why, and an optional ticket reference.

The form carries what it showed (`ShownConsents`, signed): each consent's wording and state as
read to the customer. The service compares that wording with Voucherify's before sending, and
the form can be shown again with the user's input after any failure without calling the API.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from django import forms
from django.core import signing

from customers.models.consents import ConsentLedgerEntry, wording_fingerprint
from dashboard.forms import StaticChoiceField, StaticSelect

SHOWN_SALT = "customers.consents.shown"
CHANGE, UNSUBSCRIBE_ALL = "change", "unsubscribe_all"
GRANT, WITHDRAW = "grant", "withdraw"
FIELD_PREFIX = "consent_"
State = ConsentLedgerEntry.State
STATE_LABELS = dict(State.choices)  # `State.values` builds its list anew on every use


@dataclass(frozen=True)
class ShownRow:
    id: str
    name: str
    description: str
    group: str
    state: str

    @property
    def fingerprint(self) -> str:
        return wording_fingerprint(self.name, self.description)

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)


@dataclass(frozen=True)
class ShownConsents:
    """The consents a form showed, in order, and whether the customer was unsubscribed."""

    customer_id: str
    rows: tuple[ShownRow, ...]
    unsubscribed: bool

    @classmethod
    def from_state(cls, state) -> ShownConsents:
        rows = tuple(
            ShownRow(
                s.id,
                s.consent.name or s.id,
                s.consent.description or "",
                s.group,
                s.state,
            )
            for s in state.statuses()
        )
        return cls(state.customer_id, rows, state.unsubscribed)

    def dumps(self) -> str:
        rows = [[r.id, r.name, r.description, r.group, r.state] for r in self.rows]
        data = {"c": self.customer_id, "r": rows, "u": self.unsubscribed}
        return signing.dumps(data, salt=SHOWN_SALT, compress=True)

    @classmethod
    def loads(cls, text: str | None) -> ShownConsents | None:
        try:
            data = signing.loads(text or "", salt=SHOWN_SALT)
            rows = tuple(ShownRow(*(str(v) for v in row)) for row in data["r"])
            return cls(str(data["c"]), rows, bool(data["u"]))
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            return None

    def fingerprints(self) -> dict[str, str]:
        return {row.id: row.fingerprint for row in self.rows}

    def granted(self) -> list[ShownRow]:
        return [row for row in self.rows if row.state == State.GRANTED]

    def by_group(self) -> list[tuple[str, list[ShownRow]]]:
        groups: dict[str, list[ShownRow]] = {}
        for row in self.rows:
            groups.setdefault(row.group, []).append(row)
        return list(groups.items())


CONSENT_CHOICES = [("", "No change"), (GRANT, "Grant"), (WITHDRAW, "Withdraw")]
# One widget for every consent's select, so that each way it is written is kept (StaticSelect),
# and one field that each consent's is a copy of: a copy shares the choices (StaticChoiceField),
# where a new ChoiceField normalizes them again, half of the form's setup for five consents.
CONSENT_SELECT = StaticSelect(choices=CONSENT_CHOICES)
CONSENT_FIELD = StaticChoiceField(choices=CONSENT_CHOICES, required=False, widget=CONSENT_SELECT)


class ConsentChangeForm(forms.Form):
    shown = forms.CharField(widget=forms.HiddenInput)
    method = StaticChoiceField(
        label="How the customer asked",
        choices=[("", "Choose…"), *ConsentLedgerEntry.Method.choices],
    )
    reason = forms.CharField(
        label="Reason",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why the change is made, e.g. what the customer said.",
    )
    ticket = forms.CharField(label="Ticket reference", max_length=100, required=False)
    action = StaticChoiceField(
        choices=[(CHANGE, CHANGE), (UNSUBSCRIBE_ALL, UNSUBSCRIBE_ALL)], required=False
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, shown: ShownConsents | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.shown_consents = shown
        if shown is not None and not self.is_bound:
            self.initial["shown"] = shown.dumps()
        for row in shown.rows if shown else ():
            field = self.fields[FIELD_PREFIX + row.id] = copy.deepcopy(CONSENT_FIELD)
            field.label = row.name

    @classmethod
    def from_post(cls, data) -> ConsentChangeForm:
        return cls(data, shown=ShownConsents.loads(data.get("shown")))

    def rebind(self, state) -> ConsentChangeForm:
        """The same input on the consents as they are now (the wording may have changed)."""
        shown = ShownConsents.from_state(state)
        data = self.data.copy()
        data["shown"] = shown.dumps()
        data.pop("confirmed", None)
        form = type(self)(data, shown=shown)
        form.is_valid()
        return form

    def clean(self):
        cleaned = super().clean()
        if self.shown_consents is None:
            raise forms.ValidationError(
                "This form is out of date. Reload the page and fill it in again."
            )
        if cleaned.get("action") != UNSUBSCRIBE_ALL and not self.changes():
            raise forms.ValidationError("Choose at least one consent to grant or withdraw.")
        return cleaned

    def consent_fields(self) -> list[tuple[str, list[tuple[ShownRow, forms.BoundField]]]]:
        """`(group, [(row, bound field), ...])` for the template."""
        if self.shown_consents is None:
            return []
        return [
            (group, [(row, self[FIELD_PREFIX + row.id]) for row in rows])
            for group, rows in self.shown_consents.by_group()
        ]

    def changes(self) -> dict[str, bool]:
        """`{consent id: granted}` for each consent the user set."""
        chosen = {}
        for row in self.shown_consents.rows if self.shown_consents else ():
            value = self.cleaned_data.get(FIELD_PREFIX + row.id)
            if value in (GRANT, WITHDRAW):
                chosen[row.id] = value == GRANT
        return chosen

    @property
    def method_label(self) -> str:
        return dict(ConsentLedgerEntry.Method.choices).get(self.cleaned_data.get("method"), "")

    @property
    def unsubscribe_all(self) -> bool:
        return self.cleaned_data.get("action") == UNSUBSCRIBE_ALL

    def needs_confirmation(self) -> bool:
        return self.is_valid() and self.unsubscribe_all and not self.cleaned_data["confirmed"]

    def change(self) -> dict:
        """The service's arguments (plain values; the service builds the request)."""
        return {
            "changes": {} if self.unsubscribe_all else self.changes(),
            "unsubscribe_all": self.unsubscribe_all,
            "method": self.cleaned_data["method"],
            "reason": self.cleaned_data["reason"],
            "ticket": self.cleaned_data["ticket"],
            "shown": self.shown_consents.fingerprints(),
        }
