"""The audit log's filters, parsed once from the query string."""

from __future__ import annotations

from django import forms
from django.db.models import Q, QuerySet

from dashboard.audit import keyed_hash, operation_label
from dashboard.dates import day_end, day_start
from dashboard.forms import DateInput
from dashboard.models import AuditEntry


def _choices(field: str) -> list[tuple[str, str]]:
    values = AuditEntry.objects.order_by(field).values_list(field, flat=True).distinct()
    return [("", "Any"), *((value, value) for value in values if value)]


class AuditFilterForm(forms.Form):
    user = forms.ChoiceField(required=False, label="User")
    operation = forms.ChoiceField(required=False, label="Action")
    customer_id = forms.CharField(required=False, max_length=255, label="Customer id or source id")
    outcome = forms.ChoiceField(
        required=False, choices=[("", "Any"), *AuditEntry.Outcome.choices], label="Outcome"
    )
    date_from = forms.DateField(required=False, widget=DateInput, label="From")
    date_to = forms.DateField(required=False, widget=DateInput, label="To")
    page = forms.IntegerField(required=False, min_value=1)

    FILTER_FIELDS = ("user", "operation", "customer_id", "outcome", "date_from", "date_to")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The users and actions that appear in the trail (users may since have been deleted).
        self.fields["user"].choices = _choices("username")
        self.fields["operation"].choices = [
            (value, operation_label(value) if value else label)
            for value, label in _choices("operation")
        ]

    def filter_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.FILTER_FIELDS]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def filter(self, entries: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        data = self.cleaned_data
        if data.get("user"):
            entries = entries.filter(username=data["user"])
        if data.get("operation"):
            entries = entries.filter(operation=data["operation"])
        if data.get("outcome"):
            entries = entries.filter(outcome=data["outcome"])
        if data.get("customer_id"):
            # An erased customer's entries are found by the keyed hash of the id.
            value = data["customer_id"].strip()
            ids = [value, keyed_hash(value)]
            entries = entries.filter(Q(customer_id__in=ids) | Q(customer_source_id__in=ids))
        if data.get("date_from"):
            entries = entries.filter(created_at__gte=day_start(data["date_from"]))
        if data.get("date_to"):
            entries = entries.filter(created_at__lte=day_end(data["date_to"]))
        return entries
