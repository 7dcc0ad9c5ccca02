"""The consents section's table rows, built in Python.

Each consent's row and each history line were about fifteen template lookups apiece, most of
the consents fragment's own time (bench/pages.py, "consents fragment"). These tags write the
same markup, one escape per value, as timeline_items.py does for the timeline; a test holds
them to the template rows they replaced.
"""

from __future__ import annotations

import datetime
from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from dashboard.templatetags.fast_date import minutes, time_element

register = template.Library()

HISTORY_SHOWN = 50  # the newest lines shown; the download holds them all


def _text(value) -> str:
    """`{{ value }}`: escaped, None as "None" (as Django writes it)."""
    return escape(str(value))


def _utc(value: datetime.datetime, *, seconds: bool = False) -> str:
    return time_element(value, datetime.UTC, seconds=seconds)


def _state_cells(status, refresh_months) -> str:
    badge = {"granted": "ok", "withdrawn": "danger"}.get(status.state, "")
    out = [f'<span class="badge {badge}">{_text(status.state_label)}</span>']
    if status.due_for_refresh:
        out.append(
            f'<span class="badge warn" title="Granted more than {_text(refresh_months)}'
            ' months ago">Due for a refresh</span>'
        )
    for entry in status.pending:
        out.append(
            f'<div class="hint" data-pending>Outcome unknown: '
            f"{_text(entry.get_new_state_display().lower())} asked "
            f"{_text(_hm(entry.recorded_at))} UTC.</div>"
        )
    return "\n".join(out)


def _hm(value: datetime.datetime | None) -> str:
    """`{{ value|utc|date:"Y-m-d H:i" }}`."""
    return "" if value is None else minutes(value.astimezone(datetime.UTC))


def _how_cell(status) -> str:
    last = status.last
    if not last:
        return '<span class="muted">never asked</span>'
    if status.outside_dashboard:
        return f'Outside the dashboard <span class="hint">({_text(last.how)})</span>'
    return f"{_text(last.how)}, by {_text(last.by)}"


def _disagreement(status) -> str:
    if status.disagreement == "outside":
        why = (
            "<strong>Changed outside the dashboard.</strong> Voucherify's record is newer than"
            " the dashboard's and differs from it; the newer one is shown above."
        )
    else:
        shows = "otherwise" if status.voucherify else "no record of it"
        why = (
            "<strong>Voucherify does not show this change.</strong> The dashboard recorded it"
            f" as applied, but Voucherify shows {shows}; it may not have been applied."
        )
    ours, theirs = status.dashboard, status.voucherify
    dashboard = (
        f"{_text(ours.state_label)} since {_hm(ours.at)} UTC ({_text(ours.how)},"
        f" by {_text(ours.by)})"
        if ours
        else "no record"
    )
    if theirs:
        since = f" since {_hm(theirs.at)} UTC" if theirs.at else ""
        voucherify = f"{_text(theirs.state_label)}{since} ({_text(theirs.how)})"
    else:
        voucherify = "no record"
    return (
        f'<tr class="disagreement" data-disagreement="{_text(status.disagreement)}">\n'
        f'<td colspan="4">\n<div class="alert warn">\n{why}\n<ul class="changes">\n'
        f"<li>Dashboard: {dashboard}</li>\n<li>Voucherify: {voucherify}</li>\n"
        "</ul>\n</div>\n</td>\n</tr>"
    )


def _state_row(status, refresh_months) -> str:
    consent = status.consent
    name = consent.name or status.id
    about = [f"<td><strong>{_text(name)}</strong>"]
    if consent.description:
        about.append(f'<div class="hint">{_text(consent.description)}</div>')
    if status.also_in:
        groups = ", ".join(escape(str(group)) for group in status.also_in)
        about.append(f'<div class="hint">Also in: {groups}</div>')
    about.append("</td>")
    last = status.last
    when = _utc(last.at) if last and last.at else '<span class="muted">-</span>'
    row = [
        f'<tr data-consent="{_text(status.id)}" data-state="{_text(status.state)}">',
        "\n".join(about),
        f"<td>\n{_state_cells(status, refresh_months)}\n</td>",
        f"<td>{when}</td>",
        f"<td>{_how_cell(status)}</td>",
        "</tr>",
    ]
    if status.disagreement:
        row.append(_disagreement(status))
    return "\n".join(row)


@register.simple_tag
def consent_state_rows(consents, refresh_months) -> SafeString:
    """One `<tr>` per consent of a group (services.consents.ConsentStatus), with the row
    that says where the dashboard's record and Voucherify's disagree."""
    rows = [_state_row(status, refresh_months) for status in consents]
    return mark_safe("\n".join(rows))  # noqa: S308 - every value above is escaped


def _outcome(item) -> str:
    if item.source == "voucherify":
        return '<span class="badge">Recorded by Voucherify</span>'
    if item.outcome == "applied":
        return '<span class="badge ok">Applied</span>'
    if item.outcome == "failed":
        request = f" (request <code>{_text(item.request_id)}</code>)" if item.request_id else ""
        return (
            '<span class="badge danger">Failed</span>'
            f' <span class="hint">{_text(item.error)}{request}</span>'
        )
    error = item.error or "no answer yet"
    return f'<span class="badge warn">Unknown</span> <span class="hint">{_text(error)}</span>'


def _history_row(item) -> str:
    change = f"{_text(item.old_label)} → " if item.old_state else ""
    ticket = f' <span class="hint">ticket {_text(item.ticket)}</span>' if item.ticket else ""
    cells = [
        f'<tr data-source="{_text(item.source)}">',
        f"<td>{_utc(item.at, seconds=True) if item.at else ''}</td>",
        f"<td>{_text(item.consent_name)}</td>",
        f"<td>{change}{_text(item.new_label)}</td>",
        f"<td>{_text(item.how)}{ticket}</td>",
        f"<td>{_text(item.by or '-')}</td>",
        f"<td>{_text(item.reason or '-')}</td>",
        f"<td>\n{_outcome(item)}\n</td>",
        "</tr>",
    ]
    return "\n".join(cells)


@register.simple_tag
def consent_history_rows(history) -> SafeString:
    """One `<tr>` per line of the consent record (services.consents.HistoryItem), the
    `HISTORY_SHOWN` newest."""
    rows = [_history_row(item) for item in history[:HISTORY_SHOWN]]
    return mark_safe("\n".join(rows))  # noqa: S308 - every value above is escaped


@register.simple_tag
def consent_choices(form) -> SafeString:
    """The change form's choices (consent_forms.ConsentChangeForm): a fieldset per group, and
    in it a labelled select per consent with the state it has now."""
    out = []
    for group, fields in form.consent_fields():
        out.append(f"<fieldset>\n<legend>{_text(group)}</legend>")
        for row, field in fields:
            out.append(
                f'<div class="consent-choice">\n<label for="{_text(field.id_for_label)}">'
                f"{_text(row.name)}</label>\n{field}\n"
                f'<span class="hint">Now: {_text(row.state_label.lower())}</span>\n</div>'
            )
        out.append("</fieldset>")
    return mark_safe("\n".join(out))  # noqa: S308 - every value is escaped, the selects by Django
