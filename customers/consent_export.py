"""A customer's consent record as a file: CSV for a spreadsheet, JSON for a machine.

Each line is a change: a ledger entry (who, how, why, to which wording, Voucherify's outcome)
or a consent event Voucherify recorded with no ledger entry (a change made outside the
dashboard). Times are UTC, ISO 8601.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from django.http import HttpResponse

from customers.export import neutralise
from customers.services.consents import ConsentRecord, HistoryItem

COLUMNS = (
    "recorded_at_utc",
    "source",
    "consent_id",
    "consent_name",
    "wording_fingerprint",
    "old_state",
    "new_state",
    "method",
    "reason",
    "ticket",
    "staff_user",
    "outcome",
    "error",
    "request_id",
    "voucherify_event_id",
)


def _utc(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _line(item: HistoryItem) -> dict[str, str]:
    dashboard = item.source == "dashboard"
    return {
        "recorded_at_utc": _utc(item.at),
        "source": "dashboard ledger" if dashboard else "voucherify event",
        "consent_id": item.consent_id,
        "consent_name": item.consent_name,
        "wording_fingerprint": item.fingerprint,
        "old_state": item.old_state or "",
        "new_state": item.new_state,
        "method": item.entry.method if item.entry else "",
        "reason": item.reason,
        "ticket": item.ticket,
        "staff_user": item.by,
        "outcome": item.outcome if dashboard else "recorded by voucherify",
        "error": item.error,
        "request_id": item.request_id,
        "voucherify_event_id": item.confirmed_by or item.activity_id,
    }


def _filename(record: ConsentRecord, extension: str) -> str:
    stamp = record.generated_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    safe = "".join(c for c in (record.customer.id or "customer") if c.isalnum() or c in "_-")
    return f"consents-{safe}-{stamp}.{extension}"


def record_csv(record: ConsentRecord) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for item in record.history:
        writer.writerow({key: neutralise(value) for key, value in _line(item).items()})
    return out.getvalue()


def record_json(record: ConsentRecord) -> str:
    current = [
        {
            "consent_id": status.id,
            "consent_name": status.consent.name,
            "consent_description": status.consent.description,
            "wording_fingerprint": status.fingerprint,
            "group": status.group,
            "state": status.state,
            "since_utc": _utc(status.last.at) if status.last else "",
            "changed_outside_dashboard": status.outside_dashboard,
            "disagreement": status.disagreement,
            "due_for_refresh": status.due_for_refresh,
        }
        for status in record.current
    ]
    body = {
        "customer": {"id": record.customer.id, "source_id": record.customer.source_id},
        "generated_at_utc": _utc(record.generated_at),
        "generated_by": record.generated_by,
        "consents_available": record.consents_available,
        "unsubscribed_from_all": record.unsubscribed,
        "voucherify_events_complete": record.activities_complete,
        "current": current,
        "changes": [
            {**_line(item), "consent_description": item.entry.consent_description}
            if item.entry
            else _line(item)
            for item in record.history
        ],
    }
    return json.dumps(body, indent=2, ensure_ascii=False)


def record_response(record: ConsentRecord, extension: str) -> HttpResponse:
    if extension == "json":
        response = HttpResponse(record_json(record), content_type="application/json")
    else:
        response = HttpResponse(record_csv(record), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(record, extension)}"'
    response["Cache-Control"] = "no-store"
    return response
