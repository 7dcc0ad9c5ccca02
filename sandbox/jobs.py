"""Async actions: a queue in the database, worked by a thread or by `run_pending_jobs()`.

Lifecycle: ENQUEUED -> IN_PROGRESS (progress rises as rows are processed, in chunks, each
committed) -> DONE or FAILED. Who works the queue:
- a daemon worker thread, when settings.SANDBOX_WORKER is true and the process serves requests
  (started by `runserver`'s AppConfig.ready(), or lazily by the first sandbox request under any
  other server);
- otherwise nobody in the background: GET /v1/async-actions/{id} then works the queue up to
  that job before answering (`run_pending_jobs(until=...)`), so an in-process client that polls
  still sees its job finish. Tests call `run_pending_jobs()` directly.
A job whose owner stopped beating for LEASE (a dead process) is queued again (or FAILED after
MAX_ATTEMPTS), so nothing is left IN_PROGRESS forever.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import threading
import uuid
from datetime import timedelta

from django.db import close_old_connections, transaction
from django.db.models import F

from sandbox import ids, services
from sandbox.errors import ApiError
from sandbox.models import AsyncAction
from sandbox.routers import SANDBOX_DB

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=30)
MAX_ATTEMPTS = 3
REPORTS_KEPT = timedelta(days=7)
OWNER = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"  # this process

_wake = threading.Event()
_worker: threading.Thread | None = None
_worker_lock = threading.Lock()


# -- the queue ----------------------------------------------------------------------------


def enqueue(
    type_: str, payload, request_id: str, *, action_id: str | None = None, report_url: str = ""
) -> AsyncAction:
    """Queue a job, complete (report_url included): the worker may take it at once."""
    at = ids.now()
    action = AsyncAction.objects.using(SANDBOX_DB).create(
        id=action_id or ids.async_action_id(),
        type=type_,
        payload=payload,
        request_id=request_id,
        report_url=report_url,
        created_at=at,
        updated_at=at,
    )
    _wake.set()
    return action


def recover_stale_jobs() -> int:
    """Queue again (or fail) jobs whose owner stopped beating: a dead process left them."""
    cutoff = ids.now() - LEASE
    stale = AsyncAction.objects.using(SANDBOX_DB).filter(
        status=AsyncAction.IN_PROGRESS, heartbeat__lt=cutoff
    )
    recovered = 0
    for action in stale:
        if action.attempts >= MAX_ATTEMPTS:
            _finish(action, AsyncAction.FAILED, _failure_result(action, "The job was interrupted."))
        else:
            still_stale = AsyncAction.objects.using(SANDBOX_DB).filter(
                pk=action.pk, status=AsyncAction.IN_PROGRESS
            )
            still_stale.update(
                status=AsyncAction.ENQUEUED, progress=0, owner="", updated_at=ids.now()
            )
        recovered += 1
        log.warning("sandbox: recovered async action %s left by %s", action.id, action.owner)
    return recovered


def _claim(until: AsyncAction | None) -> AsyncAction | None:
    queued = AsyncAction.objects.using(SANDBOX_DB).filter(status=AsyncAction.ENQUEUED)
    if until is not None:
        queued = queued.filter(created_at__lte=until.created_at)
    for candidate in queued.order_by("created_at", "id")[:5]:
        at = ids.now()
        claimed = (
            AsyncAction.objects.using(SANDBOX_DB)
            .filter(pk=candidate.pk, status=AsyncAction.ENQUEUED)
            .update(
                status=AsyncAction.IN_PROGRESS,
                owner=OWNER,
                heartbeat=at,
                started_at=at,
                updated_at=at,
                attempts=F("attempts") + 1,
            )
        )
        if claimed:
            return AsyncAction.objects.using(SANDBOX_DB).get(pk=candidate.pk)
    return None


def run_pending_jobs(*, until: AsyncAction | None = None, limit: int | None = None) -> int:
    """Work the queue in this thread (oldest first); the seam tests and in-process mode use."""
    recover_stale_jobs()
    done = 0
    while limit is None or done < limit:
        action = _claim(until)
        if action is None:
            break
        run_job(action)
        done += 1
    return done


def run_job(action: AsyncAction) -> None:
    handler = HANDLERS[action.type]
    try:
        status, result = handler(action)
    except Exception as error:
        log.exception("sandbox: async action %s failed", action.id)
        status, result = AsyncAction.FAILED, _failure_result(action, f"Job failed: {error}")
    _finish(action, status, result)


def _finish(action: AsyncAction, status: str, result: dict) -> None:
    at = ids.now()
    started = action.started_at or action.created_at
    operation_status = None
    if action.type != AsyncAction.IMPORT_CSV:
        operation_status = (
            "SUCCESS" if status == AsyncAction.DONE and not result.get("failed_count") else "FAILED"
        )
    AsyncAction.objects.using(SANDBOX_DB).filter(pk=action.pk).update(
        status=status,
        operation_status=operation_status,
        result=result,
        report=getattr(action, "_report", None),
        progress=100 if status == AsyncAction.DONE else action.progress,
        processing_time=max(0, int((at - started).total_seconds() * 1000)),
        updated_at=at,
        heartbeat=at,
    )


def _failure_result(action: AsyncAction, message: str) -> dict:
    if action.type == AsyncAction.IMPORT_CSV:
        return {"message": message, "failed": [], "done_count": 0, "failed_count": 0}
    return {
        "done_count": 0,
        "failed_count": 0,
        "reports": [],
        "errors": [{"message": message, "details": message, "key": "internal", "source_id": ""}],
    }


def _progress(action: AsyncAction, processed: int, total: int) -> None:
    at = ids.now()
    percent = min(99, processed * 100 // total) if total else 0
    AsyncAction.objects.using(SANDBOX_DB).filter(pk=action.pk).update(
        progress=percent, heartbeat=at, updated_at=at
    )


def _chunks(items: list):
    size = max(1, min(100, len(items) // 20 or 1))
    for start in range(0, len(items), size):
        yield start, items[start : start + size]


# -- CUSTOMERS.IMPORT_CSV ---------------------------------------------------------------------

# Lower-cased header -> field; both the spec's and the official template's spellings.
CSV_COLUMNS = {
    "id": "id",
    "source_id": "source_id",
    "name": "name",
    "email": "email",
    "phone": "phone",
    "birthdate": "birthdate",
    "birthday": "birthday",
    "description": "description",
    "address_line_1": "address.line_1",
    "address_line_2": "address.line_2",
    "address_postal_code": "address.postal_code",
    "postal_code": "address.postal_code",
    "address_city": "address.city",
    "city": "address.city",
    "address_state": "address.state",
    "state": "address.state",
    "address_country": "address.country",
    "country": "address.country",
}


def csv_row_to_fields(row: dict) -> tuple[str | None, str | None, dict]:
    """(id, source_id, CustomerBase fields) of one CSV row; unknown columns become metadata."""
    fields: dict = {}
    address: dict = {}
    metadata: dict = {}
    customer_id = source_id = None
    for header, raw in row.items():
        value = (raw or "").strip()
        target = CSV_COLUMNS.get(header.strip().lower())
        if target is None:
            if value:
                metadata[header.strip()] = value
        elif not value:
            continue
        elif target == "id":
            customer_id = value
        elif target == "source_id":
            source_id = value
        elif target.startswith("address."):
            address[target.removeprefix("address.")] = value
        else:
            fields[target] = value
    for field in ("birthdate", "birthday"):
        if field in fields and "T" in fields[field]:
            fields[field] = fields[field].split("T", 1)[0]  # a date-time: keep its date
    if address:
        fields["address"] = address
    if metadata:
        fields["metadata"] = metadata
    return customer_id, source_id, fields


ROW_RULES = {
    "email": "must be a valid email address",
    "birthdate": "must be a date in the format YYYY-MM-DD",
    "birthday": "must be a date in the format YYYY-MM-DD",
}


def _row_failure(fields: dict, error: ApiError) -> str:
    """The API's reason style, `field: rule (actual value is '…')`, for the rules it words so."""
    if error.field in ROW_RULES:
        return (
            f"{error.field}: {ROW_RULES[error.field]} (actual value is '{fields.get(error.field)}')"
        )
    return error.details or error.message


def import_csv(action: AsyncAction) -> tuple[str, dict]:
    text = action.payload.get("csv", "")
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        return AsyncAction.FAILED, _failure_result(action, "The CSV file has no header row.")
    rows = list(reader)
    total = len(rows)
    failed: list[dict] = []
    done = 0
    for start, chunk in _chunks(rows):
        with transaction.atomic(using=SANDBOX_DB):
            for offset, row in enumerate(chunk):
                number = start + offset + 1
                # Extra cells (more than the header has) are listed under the key None.
                named = {header: value for header, value in row.items() if header is not None}
                customer_id, source_id, fields = csv_row_to_fields(named)
                if None in row:
                    failed.append(
                        {
                            "row": number,
                            "source_id": source_id or customer_id or "",
                            "reason": "the row has more columns than the header",
                        }
                    )
                    continue
                try:
                    cleaned = services.clean_base(fields)
                    existing = services.find_customer(customer_id) if customer_id else None
                    if existing is not None:
                        services.update_customer(
                            existing, cleaned, action.request_id, overwrite=True
                        )
                    elif source_id:
                        services.upsert_by_source_id(
                            source_id, cleaned, action.request_id, overwrite=True
                        )
                    else:
                        raise ApiError(
                            400, "invalid_payload", "Invalid payload", "source_id: is required"
                        )
                    done += 1
                except ApiError as error:
                    failed.append(
                        {
                            "row": number,
                            "source_id": source_id or customer_id or "",
                            "reason": _row_failure(fields, error),
                        }
                    )
        _progress(action, start + len(chunk), total)
    return AsyncAction.DONE, {
        "message": f"{done} customer(s) imported successfully, {len(failed)} failed.",
        "failed": failed,
        "done_count": done,
        "failed_count": len(failed),
    }


# -- CUSTOMERS.BULK_UPDATE and CUSTOMERS.METADATA_UPDATE ----------------------------------------


def _bulk(action: AsyncAction, items: list, apply) -> tuple[str, dict]:
    total = len(items)
    errors: list[dict] = []
    report: list[dict] = []
    done = 0
    for start, chunk in _chunks(items):
        with transaction.atomic(using=SANDBOX_DB):
            for item in chunk:
                source_id = item.get("source_id") if isinstance(item, dict) else None
                try:
                    if not isinstance(source_id, str) or not source_id:
                        raise ApiError(
                            400,
                            "invalid_payload",
                            "Invalid payload",
                            "Property .source_id is required",
                        )
                    _customer, found = apply(item)
                    done += 1
                    report.append({"source_id": source_id, "found": found, "updated": True})
                except ApiError as error:
                    errors.append(
                        {
                            "message": error.message,
                            "details": error.details or error.message,
                            "key": error.key or "invalid_payload",
                            "source_id": str(source_id or ""),
                        }
                    )
                    report.append(
                        {"source_id": str(source_id or ""), "found": False, "updated": False}
                    )
        _progress(action, start + len(chunk), total)
    action._report = report
    finished = ids.now()
    return AsyncAction.DONE, {
        "done_count": done,
        "failed_count": len(errors),
        "reports": [action.report_url] if action.report_url else [],
        "reports_available_till": ids.iso(finished + REPORTS_KEPT),
        "errors": errors,
    }


def bulk_update(action: AsyncAction) -> tuple[str, dict]:
    def apply(item):
        cleaned = services.clean_base(item)
        return services.upsert_by_source_id(item["source_id"], cleaned, action.request_id)

    return _bulk(action, list(action.payload), apply)


def metadata_update(action: AsyncAction) -> tuple[str, dict]:
    metadata = action.payload["metadata"]

    def apply(item):
        existing = services.live_customers().filter(source_id=item["source_id"]).first()
        merged = {**((existing.metadata or {}) if existing else {}), **metadata}
        return services.upsert_by_source_id(
            item["source_id"], {"metadata": merged}, action.request_id
        )

    items = [{"source_id": source_id} for source_id in action.payload["source_ids"]]
    return _bulk(action, items, apply)


HANDLERS = {
    AsyncAction.IMPORT_CSV: import_csv,
    AsyncAction.BULK_UPDATE: bulk_update,
    AsyncAction.METADATA_UPDATE: metadata_update,
}


# -- the worker thread --------------------------------------------------------------------


def worker_running() -> bool:
    return _worker is not None and _worker.is_alive()


def start_worker() -> bool:
    """Start this process's worker thread once; True when it was started now."""
    global _worker
    with _worker_lock:
        if worker_running():
            return False
        _worker = threading.Thread(target=_work_forever, name="sandbox-worker", daemon=True)
        _worker.start()
        return True


def _work_forever() -> None:
    log.info("sandbox: async worker %s started", OWNER)
    while True:
        try:
            close_old_connections()
            worked = run_pending_jobs()
        except Exception:
            log.exception("sandbox: worker loop error")
            worked = 0
        if not worked:
            _wake.wait(timeout=2.0)
            _wake.clear()
