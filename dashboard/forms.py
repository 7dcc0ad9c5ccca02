"""Form widgets shared by the dashboard's pages."""

from __future__ import annotations

from django import forms


class DateInput(forms.DateInput):
    """A native date picker; its value must be ISO `YYYY-MM-DD` whatever the locale."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")
