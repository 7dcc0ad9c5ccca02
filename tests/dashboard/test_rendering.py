"""The Python-written widgets write exactly what Django's widget templates write."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.forms.renderers import DjangoTemplates
from django.forms.utils import ErrorList
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from customers.consent_forms import ConsentChangeForm, ShownConsents, ShownRow
from customers.forms import ActivityFilterForm, CustomerForm
from customers.import_forms import MetadataForm, UploadForm
from customers.list_forms import CustomerFilterForm, CustomerSearchForm
from dashboard.audit_forms import AuditFilterForm
from dashboard.rendering import FormRenderer

ODD = "<b>\"Tom\" & 'Jerry'</b>"
SHOWN = ShownConsents(
    "cust_1",
    (
        ShownRow("c1", ODD, "", "Marketing", "granted"),
        ShownRow("c2", "SMS", "", "Marketing", "never_asked"),
    ),
    unsubscribed=False,
)


class Everything(forms.Form):
    text = forms.CharField(max_length=5, widget=forms.TextInput(attrs={"data-x": True}))
    number = forms.IntegerField(widget=forms.NumberInput(attrs={"hidden": False, "step": 2}))
    when = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    hidden = forms.CharField(widget=forms.HiddenInput)
    search = forms.CharField(widget=forms.TextInput(attrs={"type": "search", "title": ODD}))
    grouped = forms.ChoiceField(
        choices=[
            ("", "Any"),
            (gettext_lazy("Group <1>"), [("a", ODD), ("b", mark_safe("<i>b</i>"))]),
            (10, 10),
            ((1, 2), "tuple"),
        ]
    )
    many = forms.MultipleChoiceField(choices=[("x", "X"), ("y", "Y")])
    agree = forms.BooleanField()
    notes = forms.CharField(widget=forms.Textarea)
    radio = forms.ChoiceField(choices=[("r", "R")], widget=forms.RadioSelect)


def forms_to_render() -> list[forms.Form]:
    return [
        Everything(),
        Everything(
            {"text": ODD, "number": "7", "when": "2024-02-30", "hidden": ODD, "search": "&amp;"}
            | {"grouped": "a", "many": ["x", "y"], "agree": "on", "notes": ODD, "radio": "r"}
        ),
        CustomerFilterForm(),
        CustomerFilterForm({"email": ODD, "order": "-created_at", "limit": "25", "page": "x"}),
        CustomerSearchForm({"q": ODD}),
        CustomerForm(),
        CustomerForm({"name": ODD, "birthdate": "1990-01-01", "email": "x"}),
        ActivityFilterForm(),
        ActivityFilterForm({"type": "customer.created", "start_date": "2024-01-01"}),
        AuditFilterForm({"customer": ODD}),
        UploadForm(),
        MetadataForm({"set_values": ODD}),
        AuthenticationForm(data={"username": ODD}),
        ConsentChangeForm(shown=SHOWN),
        ConsentChangeForm({"consent_c1": "grant", "method": "email", "reason": ODD}, shown=SHOWN),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("number", range(15))
def test_form_renderer_writes_what_the_widget_templates_write(number):
    form = forms_to_render()[number]
    fields = list(form)

    def rendered():
        return [
            (field.as_widget(), field.label_tag(), field.legend_tag(), str(field.errors))
            for field in fields
        ] + [str(form.non_field_errors())]

    ours = rendered()
    form.renderer = DjangoTemplates()
    for field in fields:  # the error lists made with the form keep its first renderer
        form.errors.get(field.name, ErrorList()).renderer = form.renderer
    form.non_field_errors().renderer = form.renderer
    django = rendered()

    assert isinstance(form.default_renderer or FormRenderer(), DjangoTemplates)
    assert ours == django


def test_form_renderer_is_the_default_one():
    assert type(forms.Form().renderer) is FormRenderer
