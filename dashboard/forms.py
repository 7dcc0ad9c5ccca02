"""Form widgets shared by the dashboard's pages."""

from __future__ import annotations

import copy

from django import forms


class DateInput(forms.DateInput):
    """A native date picker; its value must be ISO `YYYY-MM-DD` whatever the locale."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class StaticSelect(forms.Select):
    """A select whose choices seldom change: each distinct rendering (name, value, attributes,
    renderer, choices) is written once and kept, as a select of 68 options costs a millisecond
    to write (the activity filter's "Activity")."""

    MAX_KEPT = 256

    def __init__(self, attrs=None, choices=()):
        super().__init__(attrs, choices)
        self._kept: dict = {}  # shared by the copies each form makes of its fields

    def __deepcopy__(self, memo):
        # Django's copy sets `choices` again, which normalizes all of them again; choices
        # are replaced when changed, never changed in place, so the copy can share them.
        copied = copy.copy(self)
        copied.attrs = self.attrs.copy()
        memo[id(self)] = copied
        return copied

    def render(self, name, value, attrs=None, renderer=None):
        context_attrs = self.build_attrs(self.attrs, attrs)
        key = (
            name,
            repr(self.format_value(value)),
            repr(context_attrs),
            type(renderer),
            tuple(self.choices),  # a form that sets other choices gets its own entry
        )
        html = self._kept.get(key)
        if html is None:
            html = super().render(name, value, attrs, renderer)
            if len(self._kept) < self.MAX_KEPT:
                self._kept[key] = html
        return html


class StaticChoiceField(forms.ChoiceField):
    """A choice field whose choices are fixed when the form class is defined (tuples of
    strings): a form's copy of the field shares them instead of deep-copying them, which cost
    more than the rest of a filter form's setup."""

    widget = StaticSelect

    def __deepcopy__(self, memo):
        return forms.Field.__deepcopy__(self, memo)  # Django's ChoiceField copies the choices
