"""The timeline's entries built in Python say what the entry template they replace said."""

from __future__ import annotations

import json
import re

import pytest
from django.template import Context, Template

from customers.services.timeline import FieldChange, TimelineEntry
from customers.templatetags.timeline_items import timeline_items
from customers.voucherify.decoding import decode
from customers.voucherify.resources import Activity

# The entries as customer_activities.html wrote them before the tag (the markup's reference).
TEMPLATE_ENTRIES = Template(
    """{% load customer_format dashboard_format %}
      {% for entry in entries %}
      {% with a=entry.activity %}
      <li{% if forloop.first %} tabindex="-1" data-focus{% endif %}>
        <time datetime="{{ a.created_at|date:'c' }}">{{ a.created_at|date:"Y-m-d H:i:s" }}</time>
        <strong>{{ a.type|activity_label }}</strong>
        {% if entry.by %}<span data-by>by {{ entry.by }}</span>{% endif %}
        {% if a.segment_name %}<span>“{{ a.segment_name }}”</span>{% endif %}
        {% if a.campaign_name %}<span data-campaign>in “{{ a.campaign_name }}”</span>{% endif %}
        {% if entry.consents %}<span data-consents>{% for name in entry.consents %}“{{ name }}”{% if not forloop.last %}, {% endif %}{% endfor %}</span>{% endif %}
        {% if a.channel %}<span class="badge">{{ a.channel }}</span>{% endif %}
        {% if entry.changes %}
        <ul class="hint" data-changes>
          {% for change in entry.changes %}
          <li>{{ change.label }}: {{ change.before|audit_value }} → {{ change.after|audit_value }}</li>
          {% endfor %}
        </ul>
        {% elif entry.changes_unknown %}
        <p class="hint">Which fields changed is not known (no earlier state of the customer on this page).</p>
        {% elif a.type == "customer.updated" %}
        <p class="hint">No field changed.</p>
        {% endif %}
      </li>
      {% endwith %}
      {% endfor %}
"""  # noqa: E501
)
ODD = "<b>\"Tom\" & 'Jerry'</b>"


def activity(**fields) -> Activity:
    return decode(json.dumps({"object": "event", **fields}).encode(), Activity)


ENTRIES = [
    TimelineEntry(
        activity(
            id="evcus_1",
            type="customer.updated",
            created_at="2024-03-31T01:59:59.123Z",
            data={"customer": {"id": "cust_1"}, "event_source": {"channel": ODD}},
        ),
        changes=(
            FieldChange("email", "a@x.io", ODD),
            FieldChange("metadata.tags", None, ["a", "b"]),
            FieldChange("address.city", {"x": 1}, True),
        ),
        by=ODD,
    ),
    TimelineEntry(
        activity(id="evcus_2", type="customer.updated", created_at="2024-01-01T00:00:00Z"),
        changes_unknown=True,
    ),
    TimelineEntry(activity(id="evcus_3", type="customer.updated", created_at=None)),
    TimelineEntry(
        activity(
            id="evcus_4",
            type="customer.segment.entered",
            created_at="2024-01-01T00:00:00Z",
            data={"segment": {"name": ODD}},
        )
    ),
    TimelineEntry(
        activity(
            id="evcus_5",
            type="customer.referred",
            created_at="2024-01-01T00:00:00Z",
            data={"campaign": {"id": "camp_1", "name": ODD}},
        )
    ),
    TimelineEntry(
        activity(id="evcus_6", type="customer.consents.given", created_at="2024-01-01T00:00:00Z"),
        consents=("Newsletter", ODD),
    ),
    TimelineEntry(activity(id="evcus_7", type="some.future.event", created_at=None)),
]


def spaced(html: str) -> str:
    """Whitespace as a browser reads it between inline elements: any run is one space."""
    return re.sub(r"\s+", " ", html).strip()


@pytest.mark.parametrize("zone", ["Europe/Berlin", "UTC"])
def test_timeline_items_match_the_entry_template(settings, zone):
    settings.TIME_ZONE = zone
    expected = TEMPLATE_ENTRIES.render(Context({"entries": ENTRIES}))

    ours = timeline_items(ENTRIES)

    assert spaced(ours) == spaced(expected)
    assert ours.count("data-focus") == 1
    assert "<b>" not in ours


def test_timeline_items_of_no_entries_write_nothing():
    assert timeline_items([]) == ""
