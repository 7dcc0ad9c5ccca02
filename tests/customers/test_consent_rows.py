"""The consents section's rows built in Python say what the template rows they replace said."""

from __future__ import annotations

import datetime
import re

import pytest
from django.template import Context, Template

from customers.consent_forms import ConsentChangeForm, ShownConsents, ShownRow
from customers.models.consents import ConsentLedgerEntry
from customers.services.consents import ConsentStatus, Evidence, HistoryItem
from customers.templatetags.consent_rows import (
    consent_choices,
    consent_history_rows,
    consent_state_rows,
)
from customers.voucherify.resources import Consent

# The rows as customer_consents.html wrote them before the tags (the markup's reference).
TEMPLATE_STATES = Template(
    """{% load tz %}
      {% for status in group.consents %}
        <tr data-consent="{{ status.id }}" data-state="{{ status.state }}">
          <td><strong>{{ status.consent.name|default:status.id }}</strong>
            {% if status.consent.description %}<div class="hint">{{ status.consent.description }}</div>{% endif %}
            {% if status.also_in %}<div class="hint">Also in: {{ status.also_in|join:", " }}</div>{% endif %}
          </td>
          <td>
            <span class="badge {% if status.state == 'granted' %}ok{% elif status.state == 'withdrawn' %}danger{% endif %}">{{ status.state_label }}</span>
            {% if status.due_for_refresh %}<span class="badge warn" title="Granted more than {{ state.refresh_months }} months ago">Due for a refresh</span>{% endif %}
            {% for entry in status.pending %}<div class="hint" data-pending>Outcome unknown: {{ entry.get_new_state_display|lower }} asked {{ entry.recorded_at|utc|date:"Y-m-d H:i" }} UTC.</div>{% endfor %}
          </td>
          <td>{% if status.last.at %}{{ status.last.at|utc|time_tag }}{% else %}<span class="muted">-</span>{% endif %}</td>
          <td>{% if not status.last %}<span class="muted">never asked</span>{% elif status.outside_dashboard %}Outside the dashboard <span class="hint">({{ status.last.how }})</span>{% else %}{{ status.last.how }}, by {{ status.last.by }}{% endif %}</td>
        </tr>
        {% if status.disagreement %}
        <tr class="disagreement" data-disagreement="{{ status.disagreement }}">
          <td colspan="4">
            <div class="alert warn">
              {% if status.disagreement == "outside" %}<strong>Changed outside the dashboard.</strong> Voucherify's record is newer than the dashboard's and differs from it; the newer one is shown above.
              {% else %}<strong>Voucherify does not show this change.</strong> The dashboard recorded it as applied, but Voucherify shows {% if status.voucherify %}otherwise{% else %}no record of it{% endif %}; it may not have been applied.{% endif %}
              <ul class="changes">
                <li>Dashboard: {% if status.dashboard %}{{ status.dashboard.state_label }} since {{ status.dashboard.at|utc|date:"Y-m-d H:i" }} UTC ({{ status.dashboard.how }}, by {{ status.dashboard.by }}){% else %}no record{% endif %}</li>
                <li>Voucherify: {% if status.voucherify %}{{ status.voucherify.state_label }}{% if status.voucherify.at %} since {{ status.voucherify.at|utc|date:"Y-m-d H:i" }} UTC{% endif %} ({{ status.voucherify.how }}){% else %}no record{% endif %}</li>
              </ul>
            </div>
          </td>
        </tr>
        {% endif %}
      {% endfor %}
"""  # noqa: E501
)
TEMPLATE_HISTORY = Template(
    """{% load tz %}
    {% for item in state.history|slice:":50" %}
      <tr data-source="{{ item.source }}">
        <td>{% if item.at %}{{ item.at|utc|time_tag:"seconds" }}{% endif %}</td>
        <td>{{ item.consent_name }}</td>
        <td>{% if item.old_state %}{{ item.old_label }} → {% endif %}{{ item.new_label }}</td>
        <td>{{ item.how }}{% if item.ticket %} <span class="hint">ticket {{ item.ticket }}</span>{% endif %}</td>
        <td>{{ item.by|default:"-" }}</td>
        <td>{{ item.reason|default:"-" }}</td>
        <td>
          {% if item.source == "voucherify" %}<span class="badge">Recorded by Voucherify</span>
          {% elif item.outcome == "applied" %}<span class="badge ok">Applied</span>
          {% elif item.outcome == "failed" %}<span class="badge danger">Failed</span> <span class="hint">{{ item.error }}{% if item.request_id %} (request <code>{{ item.request_id }}</code>){% endif %}</span>
          {% else %}<span class="badge warn">Unknown</span> <span class="hint">{{ item.error|default:"no answer yet" }}</span>{% endif %}
        </td>
      </tr>
    {% endfor %}
"""  # noqa: E501
)
ODD = "<b>\"Tom\" & 'Jerry'</b>"
AT = datetime.datetime(2024, 3, 31, 1, 59, 59, 123456, tzinfo=datetime.UTC)
BERLIN = datetime.timezone(datetime.timedelta(hours=2))


def evidence(granted=True, source="dashboard", at=AT, how=ODD, by="agent"):
    return Evidence(granted=granted, at=at, source=source, how=how, by=by)


def status(consent_id="cons_1", **fields):
    consent = fields.pop("consent", Consent(id=consent_id, name=ODD, description=ODD))
    return ConsentStatus(consent=consent, fingerprint="f", **{"state": "granted", **fields})


pending = ConsentLedgerEntry(new_state="withdrawn", recorded_at=AT.astimezone(BERLIN))
STATUSES = [
    status(last=evidence(), also_in=(ODD, "Group 2")),
    status("cons_2", consent=Consent(id="cons_2"), state="never_asked"),
    status(
        "cons_3",
        state="withdrawn",
        last=evidence(False, source="voucherify", by=""),
        dashboard=evidence(True, at=None),
        voucherify=evidence(False, source="voucherify"),
        disagreement="outside",
        due_for_refresh=True,
        pending=(pending,),
    ),
    status(
        "cons_4",
        last=evidence(at=None),
        dashboard=evidence(),
        disagreement="not_applied",
    ),
    status(
        "cons_5",
        last=evidence(),
        dashboard=None,
        voucherify=evidence(at=None),
        disagreement="not_applied",
    ),
]


def item(**fields):
    defaults = {
        "at": AT,
        "consent_id": "cons_1",
        "consent_name": ODD,
        "old_state": None,
        "new_state": "granted",
        "source": "dashboard",
        "how": ODD,
    }
    return HistoryItem(**{**defaults, **fields})


HISTORY = [
    item(by=ODD, reason=ODD, ticket=ODD, outcome="applied", old_state="withdrawn"),
    item(source="voucherify", at=None),
    item(outcome="failed", error=ODD, request_id=ODD),
    item(outcome="failed", error="refused"),
    item(outcome="unknown"),
    item(outcome="unknown", error=ODD),
]


def spaced(html: str) -> str:
    """Whitespace as a browser reads it between elements: any run is one space."""
    return re.sub(r"\s+", " ", html).strip()


@pytest.mark.parametrize("zone", ["Europe/Berlin", "UTC"])
def test_consent_state_rows_match_the_template_rows(settings, zone):
    settings.TIME_ZONE = zone
    context = {"group": {"consents": STATUSES}, "state": {"refresh_months": 12}}
    expected = TEMPLATE_STATES.render(Context(context))

    ours = consent_state_rows(STATUSES, 12)

    assert spaced(ours) == spaced(expected)
    assert ours.count("<tr") == 8 and "<b>" not in ours


@pytest.mark.parametrize("zone", ["Europe/Berlin", "UTC"])
def test_consent_history_rows_match_the_template_rows(settings, zone):
    settings.TIME_ZONE = zone
    expected = TEMPLATE_HISTORY.render(Context({"state": {"history": HISTORY}}))

    ours = consent_history_rows(HISTORY)

    assert spaced(ours) == spaced(expected)
    assert "<b>" not in ours


def test_only_the_fifty_newest_history_lines_are_rows():
    assert consent_history_rows([item()] * 60).count("<tr") == 50
    assert consent_state_rows([], 12) == consent_history_rows([]) == ""


TEMPLATE_CHOICES = Template(
    """      {% for group, fields in form.consent_fields %}
      <fieldset>
        <legend>{{ group }}</legend>
        {% for row, field in fields %}
        <div class="consent-choice">
          <label for="{{ field.id_for_label }}">{{ row.name }}</label>
          {{ field }}
          <span class="hint">Now: {{ row.state_label|lower }}</span>
        </div>
        {% endfor %}
      </fieldset>
      {% endfor %}
"""
)
SHOWN = ShownConsents(
    "cust_1",
    (
        ShownRow("cons_1", ODD, ODD, ODD, "granted"),
        ShownRow("cons_2", "Newsletter", "", ODD, "never_asked"),
        ShownRow("cons_3", "SMS", "", "Other group", "some_future_state"),
    ),
    False,
)


@pytest.mark.parametrize("bound", [False, True], ids=["new form", "form with errors"])
def test_consent_choices_match_the_template_fieldsets(bound):
    data = {"shown": SHOWN.dumps(), "consent_cons_1": "bogus", "method": "phone"}
    form = ConsentChangeForm(data if bound else None, shown=SHOWN)
    if bound:
        assert not form.is_valid()
    expected = TEMPLATE_CHOICES.render(Context({"form": form}))

    ours = consent_choices(form)

    assert spaced(ours) == spaced(expected)
    assert ours.count("<select") == 3 and ours.count("<fieldset>") == 2 and "<b>" not in ours
