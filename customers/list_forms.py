"""The customers list's state, parsed once from the query string (GET forms)."""

from __future__ import annotations

from typing import Any

from django import forms

from customers.services.segments import KnownSegment, segment_id_for, segments_known
from customers.voucherify.paging import cursor_allowed
from dashboard.dates import day_end, day_start
from dashboard.forms import DateInput, StaticChoiceField

ORDER_CHOICES = [
    ("-created_at", "Newest first"),
    ("created_at", "Oldest first"),
    ("-updated_at", "Recently updated"),
    ("updated_at", "Least recently updated"),
    ("source_id", "Source id A-Z"),
    ("-source_id", "Source id Z-A"),
]
LIMIT_CHOICES = [(10, "10"), (25, "25"), (50, "50"), (100, "100")]
DEFAULT_LIMIT = 25
BROKEN_CURSOR = "Not a position in the list: the link was cut short or edited."
POSITION_FIELDS = ("page", "starting_after", "ending_before")


class PageSizeField(forms.TypedChoiceField):
    """ "Per page": a list opened without one shows the size it lists (not the first choice,
    which a browser selects when none is), so that the next filter keeps that size."""

    def bound_data(self, data, initial):
        return data if data not in (None, "") else initial


class CustomerFilterForm(forms.Form):
    """Filters of GET /v1/customers; `filters()` gives them as `list_customers` keywords."""

    email = forms.CharField(required=False, max_length=254)
    name = forms.CharField(required=False, max_length=200)
    city = forms.CharField(required=False, max_length=200)
    segment_id = forms.CharField(
        required=False,
        max_length=255,
        label="Segment",
        widget=forms.TextInput(attrs={"list": "known-segments", "autocomplete": "off"}),
        help_text="A segment's name (as seen on profiles) or its seg_ id.",
    )
    created_after = forms.DateField(required=False, widget=DateInput, label="Created from")
    created_before = forms.DateField(required=False, widget=DateInput, label="Created to")
    updated_after = forms.DateField(required=False, widget=DateInput, label="Updated from")
    updated_before = forms.DateField(required=False, widget=DateInput, label="Updated to")
    order = StaticChoiceField(required=False, choices=ORDER_CHOICES, label="Order")
    limit = PageSizeField(
        required=False,
        choices=LIMIT_CHOICES,
        coerce=int,
        empty_value=DEFAULT_LIMIT,
        initial=DEFAULT_LIMIT,
        label="Per page",
    )
    page = forms.IntegerField(required=False, min_value=1, label="Page")
    starting_after = forms.DateTimeField(
        required=False, label="Page link", error_messages={"invalid": BROKEN_CURSOR}
    )
    ending_before = forms.DateTimeField(
        required=False, label="Page link", error_messages={"invalid": BROKEN_CURSOR}
    )

    # The fields a person edits; page and cursors travel in the pagination links.
    FILTER_FIELDS = (
        "email",
        "name",
        "city",
        "segment_id",
        "created_after",
        "created_before",
        "updated_after",
        "updated_before",
        "order",
        "limit",
    )

    def filter_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.FILTER_FIELDS]

    def clean_segment_id(self) -> str:
        """A segment's name becomes its id (from the segments seen on profiles)."""
        text = self.cleaned_data.get("segment_id") or ""
        if not text.strip():
            return ""
        segment_id = segment_id_for(text=text)
        if segment_id is None:
            raise forms.ValidationError(
                f"No segment named “{text.strip()}” has been seen on a profile yet: pick one "
                "from the list, or give its seg_ id."
            )
        return segment_id

    def known_segments(self) -> list[KnownSegment]:
        """The segments to pick from by name (the filter's suggestions)."""
        return segments_known()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for start, end in (
            ("created_after", "created_before"),
            ("updated_after", "updated_before"),
        ):
            if data.get(start) and data.get(end) and data[start] > data[end]:
                self.add_error(end, "The end date is before the start date.")
        if data.get("starting_after") and data.get("ending_before"):
            self.add_error(None, "Use either the older or the newer cursor, not both.")
        if (data.get("starting_after") or data.get("ending_before")) and not self.cursor_allowed:
            self.add_error("order", "Pages past 99 only work when ordered by creation date.")
        return data

    @property
    def position_given(self) -> bool:
        """Whether the query names a page or a cursor (so "page 1" is a way out of an error)."""
        return any(self.data.get(name) for name in POSITION_FIELDS)

    @property
    def cursor_allowed(self) -> bool:
        return cursor_allowed(self.cleaned_data.get("order") or None)

    @property
    def has_filters(self) -> bool:
        """Whether any filter narrows the list (order and page size do not)."""
        return bool(self.used_filter_names())

    def filters(self) -> dict[str, Any]:
        """The filters as `list_customers`/`iter_customers` keywords, None ones left out."""
        data = self.cleaned_data
        filters: dict[str, Any] = {
            "email": data.get("email") or None,
            "name": data.get("name") or None,
            "city": data.get("city") or None,
            "segment_id": data.get("segment_id") or None,
            "order": data.get("order") or None,
        }
        for key, start, end in (
            ("created_at", "created_after", "created_before"),
            ("updated_at", "updated_after", "updated_before"),
        ):
            if data.get(start):
                filters[f"{key}_after"] = day_start(data[start])
            if data.get(end):
                filters[f"{key}_before"] = day_end(data[end])
        return {key: value for key, value in filters.items() if value is not None}

    def export_filters(self) -> dict[str, Any]:
        """`filters()` without `order`: the export walks the created_at cursor, which only
        pages a list ordered by creation (any other order would skip customers)."""
        return {key: value for key, value in self.filters().items() if key != "order"}

    def used_filter_names(self) -> list[str]:
        """The names of the filters that narrow the list (never their values)."""
        return [
            name
            for name in self.FILTER_FIELDS
            if name not in ("order", "limit") and self.cleaned_data.get(name)
        ]

    def list_request(self) -> dict[str, Any]:
        """The `list_customers` keywords for this page: the filters and the position (a page,
        or the `starting_after` / `ending_before` cursor; the client sends them)."""
        data = self.cleaned_data
        request = {**self.filters(), "limit": data.get("limit") or DEFAULT_LIMIT}
        for cursor in ("starting_after", "ending_before"):
            if data.get(cursor):
                return {**request, cursor: data[cursor]}
        return {**request, "page": data.get("page") or 1}


class CustomerSearchForm(forms.Form):
    """The search box: an id or source_id jumps to the profile; else an exact email or name."""

    q = forms.CharField(required=True, max_length=255, strip=True, label="Find a customer")
