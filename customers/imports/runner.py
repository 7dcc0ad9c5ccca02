"""The job worker's side: plan a job's chunks, send them one by one, follow their async
actions to the end, and record what failed.

Every chunk's state is stored before its call (`sending`) and after it (`sent`, with the
async action id). A worker that dies between the two leaves a `sending` chunk: whoever takes
the job up again looks for that request among Voucherify's recent async actions and adopts
the one it finds; only when Voucherify certainly never received it is it sent again, and the
chunk says so. When that cannot be told, the chunk is `unknown` and is not sent again.
"""

from __future__ import annotations

import datetime
import json
import logging
import tempfile
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from customers.imports import pacing
from customers.imports.csvfile import (
    UTF8,
    Columns,
    Encoding,
    csv_line,
    iter_records,
    read_header,
)
from customers.models import Chunk, FailedRow, Job
from customers.voucherify import get_client
from customers.voucherify.errors import (
    ConnectionFailed,
    RateLimited,
    ServerError,
    VoucherifyError,
)
from customers.voucherify.resources import BulkUpdateResult, ImportCsvResult
from dashboard import audit

logger = logging.getLogger(__name__)

BULK_RECORDS = 100  # Voucherify's cap per bulk request (API_NOTES quirk 10)
POLL_SECONDS = 1.0
RETRY_SECONDS = 30  # Voucherify unreachable: try again this much later
MATCH_WINDOW = datetime.timedelta(seconds=120)  # clock skew between us and Voucherify
ACTION_TYPES = {
    Job.Kind.REPLACE: "CUSTOMERS.IMPORT_CSV",
    Job.Kind.MERGE: "CUSTOMERS.BULK_UPDATE",
    Job.Kind.METADATA: "CUSTOMERS.METADATA_UPDATE",
}
OPEN = (Chunk.State.PENDING, Chunk.State.SENDING, Chunk.State.SENT)


class LostLease(Exception):
    """Another worker took the job over (this one was too slow to renew its lease)."""


def sleep(seconds: float) -> None:
    """The seam tests replace: the pause between two looks at an async action."""
    time.sleep(seconds)


def lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.JOB_LEASE_SECONDS)


# -- the lease ------------------------------------------------------------------------------


def claim(job_id: int, owner: str) -> bool:
    """Take the job if nobody holds it (or the holder's lease ran out: it died)."""
    now = timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(lease_owner=owner)
    return bool(
        Job.objects.filter(free, pk=job_id, state__in=Job.ACTIVE).update(
            lease_owner=owner,
            lease_until=now + lease(),
            state=Job.State.RUNNING,
            started_at=Coalesce(F("started_at"), now),
            waiting_until=None,
        )
    )


def renew(job: Job, owner: str) -> None:
    if not Job.objects.filter(pk=job.pk, lease_owner=owner).update(
        lease_until=timezone.now() + lease()
    ):
        raise LostLease(job.pk)


def release(job: Job, owner: str, **changes) -> None:
    Job.objects.filter(pk=job.pk, lease_owner=owner).update(
        lease_owner="", lease_until=None, **changes
    )


# -- planning -------------------------------------------------------------------------------


def _columns(job: Job) -> tuple[Columns, int]:
    encoding = Encoding(UTF8, 0)
    headers, first = read_header(job.path, encoding, job.delimiter)
    mapping = [job.mapping.get(str(i), {"to": "skip"}) for i in range(len(headers))]
    return Columns.compile(headers, mapping), first


def _not_sent(columns: Columns, record) -> FailedRow | None:
    blocking = [p for p in columns.row_problems(record.number, record.cells) if p.blocking]
    if not blocking:
        return None
    reason = "; ".join(f"{p.column}: expected {p.expected}" for p in blocking)
    return FailedRow(
        row=record.number,
        source_id=columns.source_id(record.cells)[:255],
        reason=f"Not sent: {reason}",
    )


def _record_size(job: Job, columns: Columns, cells: list[str]) -> int:
    if job.kind == Job.Kind.REPLACE:
        return len(csv_line(columns.replace_row(cells)).encode(UTF8))
    return len(json.dumps(columns.record(cells), ensure_ascii=False).encode(UTF8)) + 1


def plan_import(job: Job) -> tuple[list[Chunk], list[FailedRow]]:
    """Chunks over the file's byte ranges: CSV parts under the size limit (Replace) or at
    most 100 records under it (Merge). Rows with blocking errors are not sent."""
    columns, first = _columns(job)
    limit = settings.IMPORT_PART_BYTES
    overhead = len(csv_line(columns.replace_header()).encode(UTF8)) + 1024
    chunks: list[Chunk] = []
    failed: list[FailedRow] = []
    current: Chunk | None = None
    size = 0
    for record in iter_records(job.path, job.delimiter, first):
        refused = _not_sent(columns, record)
        if refused is not None:
            failed.append(refused)
            continue
        record_size = _record_size(job, columns, record.cells)
        full = current is not None and (
            size + record_size + overhead > limit
            or (job.kind == Job.Kind.MERGE and current.records >= BULK_RECORDS)
        )
        if current is None or full:
            current = Chunk(index=len(chunks), first_row=record.number, byte_start=record.start)
            chunks.append(current)
            size = 0
        current.last_row, current.byte_end = record.number, record.end
        current.records += 1
        size += record_size
    return chunks, failed


def plan_metadata(job: Job) -> tuple[list[Chunk], list[FailedRow]]:
    selection = job.selection
    failed = [
        FailedRow(
            customer_id=customer_id[:64],
            reason="No source id: Voucherify updates metadata in bulk by source id only.",
        )
        for customer_id in selection.get("missing", [])
    ]
    source_ids = list(selection.get("source_ids") or [])
    if selection.get("filters") is not None:
        for customer in get_client().iter_customers(**selection["filters"]):
            if customer.source_id:
                source_ids.append(customer.source_id)
            else:
                failed.append(
                    FailedRow(
                        customer_id=(customer.id or "")[:64],
                        reason="No source id: Voucherify updates metadata in bulk by "
                        "source id only.",
                    )
                )
    chunks = [
        Chunk(
            index=n,
            source_ids=source_ids[start : start + BULK_RECORDS],
            records=len(source_ids[start : start + BULK_RECORDS]),
        )
        for n, start in enumerate(range(0, len(source_ids), BULK_RECORDS))
    ]
    return chunks, failed


def plan(job: Job) -> None:
    chunks, failed = plan_metadata(job) if job.kind == Job.Kind.METADATA else plan_import(job)
    with transaction.atomic():
        Chunk.objects.filter(job=job).delete()
        FailedRow.objects.filter(job=job).delete()
        for item in (*chunks, *failed):
            item.job = job
        Chunk.objects.bulk_create(chunks)
        FailedRow.objects.bulk_create(failed)
        rows = job.rows_total if job.is_import else len(failed) + sum(c.records for c in chunks)
        Job.objects.filter(pk=job.pk).update(
            planned=True, rows_skipped=len(failed), rows_total=rows, last_progress_at=timezone.now()
        )
    job.refresh_from_db()


# -- sending --------------------------------------------------------------------------------


def _valid_records(job: Job, columns: Columns, chunk: Chunk):
    for record in iter_records(
        job.path, job.delimiter, chunk.byte_start, chunk.byte_end, chunk.first_row
    ):
        if _not_sent(columns, record) is None:
            yield record


def _call(job: Job, chunk: Chunk) -> str:
    client = get_client()
    if job.kind == Job.Kind.METADATA:
        return client.update_customers_metadata_in_bulk(chunk.source_ids, job.metadata)
    columns, _ = _columns(job)
    if job.kind == Job.Kind.MERGE:
        records = [columns.record(r.cells) for r in _valid_records(job, columns, chunk)]
        return client.update_customers_in_bulk(records)
    with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as part:
        part.write(csv_line(columns.replace_header()).encode(UTF8))
        for record in _valid_records(job, columns, chunk):
            part.write(csv_line(columns.replace_row(record.cells)).encode(UTF8))
        part.seek(0)
        stem = (job.filename or "customers.csv").removesuffix(".csv")
        return client.import_customers_using_csv(part, f"{stem}-part{chunk.index + 1}.csv")


def _update(chunk: Chunk, **values) -> None:
    Chunk.objects.filter(pk=chunk.pk).update(**values)
    for name, value in values.items():
        if not hasattr(value, "resolve_expression"):
            setattr(chunk, name, value)


def send(job: Job, chunk: Chunk) -> None:
    """Send one chunk; its `sending` state is stored before the call, `sent` after it."""
    pacing.wait_for_turn(get_client().backend)
    now = timezone.now()
    _update(chunk, state=Chunk.State.SENDING, sending_at=now, attempts=F("attempts") + 1)
    try:
        action_id = _call(job, chunk)
    except RateLimited as error:
        # A 429 applied nothing: the chunk waits, the job is put off.
        _update(chunk, state=Chunk.State.PENDING, note="Rate limited; sent later.")
        wait = error.retry_after or 30
        raise pacing.PutOff(
            timezone.now() + datetime.timedelta(seconds=wait), "Voucherify's rate limit"
        ) from error
    except VoucherifyError as error:
        if error.may_have_applied:
            _update(chunk, note="No clear answer from Voucherify; looking it up.")
            resolve(job, chunk)
            return
        if isinstance(error, ConnectionFailed | ServerError):  # not reached, or 503
            _update(chunk, state=Chunk.State.PENDING, note="Voucherify unreachable; sent later.")
            raise pacing.PutOff(
                timezone.now() + datetime.timedelta(seconds=RETRY_SECONDS), "unreachable"
            ) from error
        reason = error.details or error.message
        _update(
            chunk,
            state=Chunk.State.FAILED,
            progress=100,
            failed_count=chunk.records,
            request_id=(error.request_id or "")[:64],
            note=f"Refused by Voucherify: {reason}"[:500],
        )
        _fail_rows(job, chunk, f"Refused by Voucherify: {reason}")
        return
    _update(chunk, state=Chunk.State.SENT, sent_at=timezone.now(), async_action_id=action_id)


def resolve(job: Job, chunk: Chunk) -> None:
    """Settle a chunk left `sending`: did Voucherify receive it? Never re-sent blindly."""
    kind = ACTION_TYPES[job.kind]
    listing = get_client().list_async_actions(limit=100)
    start = chunk.sending_at - MATCH_WINDOW
    end = chunk.sending_at + datetime.timedelta(seconds=3 * settings.VOUCHERIFY_TIMEOUT)
    end += MATCH_WINDOW
    adopted = set(
        Chunk.objects.filter(sending_at__gte=start - MATCH_WINDOW)
        .exclude(async_action_id="")
        .values_list("async_action_id", flat=True)
    )
    candidates = [
        action
        for action in listing.async_actions
        if action.type == kind
        and action.created_at is not None
        and start <= action.created_at <= end
        and action.id not in adopted
    ]
    oldest = min((a.created_at for a in listing.async_actions if a.created_at), default=None)
    covered = listing.has_more is False or (oldest is not None and oldest < start)
    if len(candidates) == 1:
        _update(
            chunk,
            state=Chunk.State.SENT,
            sent_at=timezone.now(),
            async_action_id=candidates[0].id,
            note="Voucherify had received it (found among its async actions); not sent again.",
        )
    elif not candidates and covered:
        _update(
            chunk,
            state=Chunk.State.PENDING,
            note="Voucherify never received it (not among its async actions); sent again.",
        )
    else:
        _update(
            chunk,
            state=Chunk.State.UNKNOWN,
            progress=100,
            note="Cannot tell whether Voucherify received it; not sent again. Check rows "
            f"{chunk.first_row}-{chunk.last_row} (or these customers) and import them again "
            "if needed.",
        )


def _fail_rows(job: Job, chunk: Chunk, reason: str) -> None:
    if job.kind == Job.Kind.METADATA:
        rows = [FailedRow(job=job, source_id=s[:255], reason=reason) for s in chunk.source_ids]
    else:
        columns, _ = _columns(job)
        rows = [
            FailedRow(
                job=job, row=r.number, source_id=columns.source_id(r.cells)[:255], reason=reason
            )
            for r in _valid_records(job, columns, chunk)
        ]
    FailedRow.objects.bulk_create(rows)


# -- following the async actions ------------------------------------------------------------


def _record_result(job: Job, chunk: Chunk, action) -> None:
    result = action.result
    failed: list[FailedRow] = []
    done = failed_count = 0
    if isinstance(result, ImportCsvResult):
        columns, _ = _columns(job)
        numbers = [r.number for r in _valid_records(job, columns, chunk)]
        for row in result.failed:
            original = numbers[row.row - 1] if row.row and 0 < row.row <= len(numbers) else None
            failed.append(
                FailedRow(
                    job=job,
                    row=original,
                    source_id=(row.source_id or "")[:255],
                    reason=row.reason or "Refused by Voucherify",
                )
            )
        done, failed_count = result.done_count, max(result.failed_count, len(result.failed))
    elif isinstance(result, BulkUpdateResult):
        rows_by_id: dict[str, int] = {}
        if job.kind == Job.Kind.MERGE:
            columns, _ = _columns(job)
            for record in _valid_records(job, columns, chunk):
                rows_by_id[columns.source_id(record.cells)] = record.number
        for error in result.errors:
            source_id = error.source_id or ""
            failed.append(
                FailedRow(
                    job=job,
                    row=rows_by_id.get(source_id),
                    source_id=source_id[:255],
                    reason=error.details or error.message or "Refused by Voucherify",
                )
            )
        done, failed_count = result.done_count, max(result.failed_count, len(result.errors))
    state = Chunk.State.DONE if action.status == "DONE" else Chunk.State.FAILED
    if state == Chunk.State.FAILED and not failed_count:
        failed_count = chunk.records
        if not failed:
            _fail_rows(job, chunk, "Voucherify's job failed")
    FailedRow.objects.bulk_create(failed)
    _update(chunk, state=state, progress=100, done_count=done, failed_count=failed_count)


def follow(job: Job, chunk: Chunk) -> bool:
    """Look at a sent chunk's async action once; True when it has finished."""
    pacing.wait_for_turn(get_client().backend)
    try:
        action = get_client().get_async_action(chunk.async_action_id)
    except RateLimited as error:
        raise pacing.PutOff(
            timezone.now() + datetime.timedelta(seconds=error.retry_after or 30), "rate limit"
        ) from error
    if not action.finished:
        if action.progress != chunk.progress:
            _update(chunk, progress=action.progress)
        return False
    with transaction.atomic():
        _record_result(job, chunk, action)
    return True


def _progress(job: Job) -> None:
    chunks = list(Chunk.objects.filter(job=job).values("records", "progress", "state"))
    total = sum(c["records"] for c in chunks) or 1
    percent = sum(c["records"] * c["progress"] for c in chunks) // total
    totals = Chunk.objects.filter(job=job).aggregate(
        done=Coalesce(Sum("done_count"), 0), failed=Coalesce(Sum("failed_count"), 0)
    )
    unknown = sum(c["records"] for c in chunks if c["state"] == Chunk.State.UNKNOWN)
    changes = {
        "progress": min(percent, 100 if not any(c["state"] in OPEN for c in chunks) else 99),
        "done_count": totals["done"],
        "failed_count": totals["failed"] + job.rows_skipped,
        "unknown_count": unknown,
    }
    current = (job.progress, job.done_count, job.failed_count, job.unknown_count)
    if current != tuple(changes.values()):
        changes["last_progress_at"] = timezone.now()
        Job.objects.filter(pk=job.pk).update(**changes)
        for name, value in changes.items():
            setattr(job, name, value)


def finish(job: Job, owner: str) -> None:
    _progress(job)
    states = set(Chunk.objects.filter(job=job).values_list("state", flat=True))
    applied = bool(states & {Chunk.State.DONE, Chunk.State.UNKNOWN})
    state = Job.State.DONE if applied else Job.State.FAILED
    release(job, owner, state=state, finished_at=timezone.now(), progress=100)
    job.refresh_from_db()
    if job.audit_entry is not None:
        audit.resolve(
            job.audit_entry,
            applied=applied,
            how=f"job {job.pk}: {job.done_count} done, {job.failed_count} failed"
            + (f", {job.unknown_count} unknown" if job.unknown_count else ""),
        )


# -- the loop -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one run came to: finished, put off until a time, or not ours to run."""

    state: str
    until: datetime.datetime | None = None


def run(job_id: int, *, owner: str | None = None) -> Outcome:
    """Work the job until it finishes or must wait; safe to call again at any point."""
    owner = owner or uuid.uuid4().hex
    if not claim(job_id, owner):
        return Outcome("not-claimed")
    job = Job.objects.get(pk=job_id)
    pacing.install(get_client())
    try:
        if not job.planned:
            plan(job)
        while True:
            renew(job, owner)
            chunk = Chunk.objects.filter(job=job, state__in=OPEN).order_by("index").first()
            if chunk is None:
                finish(job, owner)
                return Outcome(job.state)
            if chunk.state == Chunk.State.SENDING:
                resolve(job, chunk)
            elif chunk.state == Chunk.State.PENDING:
                send(job, chunk)
            elif not follow(job, chunk):
                _progress(job)
                sleep(POLL_SECONDS)
            _progress(job)
    except pacing.PutOff as wait:
        release(job, owner, waiting_until=wait.until, note=f"Waiting: {wait.why}."[:500])
        return Outcome("put-off", wait.until)
    except LostLease:
        return Outcome("lost-lease")
    except BaseException:
        # The worker is going away (killed, a bug): leave the job to be taken up again.
        logger.exception("job %s stopped", job_id)
        release(job, owner)
        raise
