"""The timeline's entries, built in Python.

Twenty entries of about fifteen template nodes each (two dates, labels, the changed fields)
were most of the activity fragment's own time (bench/pages.py, "activities fragment"). This
tag writes the same markup, one escape per value; a test holds it to the template it replaced.
"""

from __future__ import annotations

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import get_current_timezone

from customers.templatetags.customer_format import activity_label
from dashboard.templatetags.dashboard_format import audit_value
from dashboard.templatetags.fast_date import time_element

register = template.Library()

UNKNOWN_CHANGES = (
    '<p class="hint">Which fields changed is not known'
    " (no earlier state of the customer on this page).</p>"
)
NO_CHANGE = '<p class="hint">No field changed.</p>'


def _entry(entry, first: bool, zone) -> str:
    a = entry.activity
    out = [
        '<li tabindex="-1" data-focus>' if first else "<li>",
        time_element(a.created_at, zone, seconds=True),
    ]
    out.append(f"<strong>{escape(activity_label(a.type))}</strong>")
    if entry.by:
        out.append(f"<span data-by>by {escape(entry.by)}</span>")
    if a.segment_name:
        out.append(f"<span>“{escape(a.segment_name)}”</span>")
    if a.campaign_name:
        out.append(f"<span data-campaign>in “{escape(a.campaign_name)}”</span>")
    if entry.consents:
        names = ", ".join(f"“{escape(name)}”" for name in entry.consents)
        out.append(f"<span data-consents>{names}</span>")
    if a.channel:
        out.append(f'<span class="badge">{escape(a.channel)}</span>')
    if entry.changes:
        items = "\n".join(
            f"<li>{escape(str(change.label))}: {escape(audit_value(change.before))}"
            f" → {escape(audit_value(change.after))}</li>"
            for change in entry.changes
        )
        out.append(f'<ul class="hint" data-changes>\n{items}\n</ul>')
    elif entry.changes_unknown:
        out.append(UNKNOWN_CHANGES)
    elif a.type == "customer.updated":
        out.append(NO_CHANGE)
    out.append("</li>")
    # One line each: the whitespace between inline elements is what spaces them on screen.
    return "\n".join(out)


@register.simple_tag
def timeline_items(entries) -> SafeString:
    """One `<li>` per timeline entry (services.timeline.TimelineEntry), the first one the
    place focus goes to when the entries are swapped in."""
    zone = get_current_timezone()
    items = [_entry(entry, i == 0, zone) for i, entry in enumerate(entries)]
    return mark_safe("\n".join(items))  # noqa: S308 - every value above is escaped
