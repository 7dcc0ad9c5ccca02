"""Forms of the data-subject request pages: the list's filters and one form per step."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from customers.models.privacy import MAX_EXTENSION_MONTHS, DataSubjectRequest
from dashboard.forms import DateInput

NO_PERSONAL_DATA = "Do not write personal data here: notes are erased with the customer."


class RequestFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False, choices=[("", "Any"), *DataSubjectRequest.Status.choices]
    )
    kind = forms.ChoiceField(
        required=False, choices=[("", "Any"), *DataSubjectRequest.Kind.choices]
    )
    due_from = forms.DateField(required=False, widget=DateInput, label="Due from")
    due_to = forms.DateField(required=False, widget=DateInput, label="Due to")
    overdue = forms.BooleanField(required=False, label="Overdue only")
    page = forms.IntegerField(required=False, min_value=1)

    FILTER_FIELDS = ("status", "kind", "due_from", "due_to", "overdue")

    def filter_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.FILTER_FIELDS]

    def clean(self):
        data = super().clean()
        if data.get("due_from") and data.get("due_to") and data["due_from"] > data["due_to"]:
            self.add_error("due_to", "The end date is before the start date.")
        return data

    def filters(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.FILTER_FIELDS}


class OpenRequestForm(forms.Form):
    customer = forms.CharField(
        max_length=255, label="Customer id or source id", help_text="As shown on the profile."
    )
    kind = forms.ChoiceField(choices=DataSubjectRequest.Kind.choices, widget=forms.RadioSelect)
    ticket = forms.CharField(
        max_length=100,
        label="Ticket reference",
        help_text="Where the request came in (helpdesk ticket, letter reference).",
    )
    received_on = forms.DateField(
        widget=DateInput, label="Received on", help_text="The due date is one month later."
    )
    notes = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text=NO_PERSONAL_DATA
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_on"].initial = timezone.localdate

    def clean_received_on(self):
        received = self.cleaned_data["received_on"]
        if received > timezone.localdate():
            raise forms.ValidationError("The date received cannot be in the future.")
        return received


class IdentityForm(forms.Form):
    method = forms.ChoiceField(
        choices=DataSubjectRequest.IdentityMethod.choices, label="How was the identity verified?"
    )
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Identity note",
        help_text="What was checked (not the document's number). " + NO_PERSONAL_DATA,
    )

    def clean(self):
        data = super().clean()
        other = data.get("method") == DataSubjectRequest.IdentityMethod.OTHER
        if other and not (data.get("note") or "").strip():
            self.add_error("note", "Describe how the identity was verified.")
        return data


class RefuseForm(forms.Form):
    ground = forms.ChoiceField(choices=(), label="Ground")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Why")

    def __init__(self, *args, grounds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ground"].choices = list(grounds)


class CancelForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why is it cancelled?",
        help_text="E.g. the person withdrew it, or it duplicates another request.",
    )


class ExtendForm(forms.Form):
    months = forms.TypedChoiceField(
        choices=[(n, f"{n} month{'s' if n > 1 else ''}") for n in range(1, 3)],
        coerce=int,
        label="Extend by",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason",
        help_text="Art. 12(3): complexity or number of requests; tell the person within the "
        "first month.",
    )

    def __init__(self, *args, left: int = MAX_EXTENSION_MONTHS, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["months"].choices = self.fields["months"].choices[: max(left, 1)]


class ExecuteForm(forms.Form):
    confirmation = forms.CharField(
        required=False,
        max_length=255,
        label="Type the customer's email or source id to confirm",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
