"""Static choice fields write what Django's choice fields write, and a form that changes its
choices changes only its own."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from dashboard.forms import StaticChoiceField

CHOICES = [("", "Any"), ("a", "<b>A & co</b>"), ("b", "B"), ("c", "C")]


class Static(forms.Form):
    kind = StaticChoiceField(choices=CHOICES, required=False)


class Plain(forms.Form):
    kind = forms.ChoiceField(choices=CHOICES, required=False)


@pytest.mark.parametrize("data", [{}, {"kind": "a"}, {"kind": "b"}, {"kind": "<x>"}])
def test_static_choice_field_renders_and_validates_as_a_choice_field(data):
    static, plain = Static(data), Plain(data)

    assert static.is_valid() == plain.is_valid()
    assert static.errors == plain.errors
    for _ in range(2):  # written, then kept
        assert str(static["kind"]) == str(plain["kind"])
    assert static["kind"].as_widget(attrs={"aria-invalid": "true"}) == plain["kind"].as_widget(
        attrs={"aria-invalid": "true"}
    )
    static.renderer = plain.renderer = DjangoTemplates()
    assert str(static["kind"]) == str(plain["kind"])


def test_a_form_with_its_own_choices_leaves_the_others_as_they_were():
    changed = Static({"kind": "z"})
    changed.fields["kind"].choices = [("z", "Zed")]
    str(Static()["kind"])  # the class's rendering, kept

    assert changed.is_valid()
    assert '<option value="z" selected>Zed</option>' in str(changed["kind"])
    assert "Zed" not in str(Static()["kind"])
    assert not Static({"kind": "z"}).is_valid()
