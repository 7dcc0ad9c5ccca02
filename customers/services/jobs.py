"""Jobs: queue them, watch them, take up the ones whose worker died, list them."""

from __future__ import annotations

import csv
import datetime
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from customers.export import Echo, neutralise
from customers.imports.csvfile import iter_records, read_header
from customers.imports.runner import UTF8, Encoding
from customers.models import Chunk, FailedRow, Job
from customers.voucherify import VoucherifyError, get_client
from customers.voucherify.resources import AsyncAction

logger = logging.getLogger(__name__)
SHOWN_FAILED_ROWS = 200


def job_enqueue(*, job_id: int, run_after: datetime.datetime | None = None) -> None:
    """Put the job on the task queue (again): its worker picks it up."""
    from customers.tasks import run_job

    task = run_job.using(run_after=run_after) if run_after else run_job
    result = task.enqueue(job_id)
    Job.objects.filter(pk=job_id).update(task_id=str(result.id)[:64])


def _task_alive(job: Job) -> bool:
    """Whether the job's queued task is still to run (or runs under a live lease)."""
    if not job.task_id:
        return False
    from customers.tasks import run_job

    backend = run_job.get_backend()
    if not backend.supports_get_result:
        return True  # cannot tell: rely on the lease alone
    try:
        result = run_job.get_result(job.task_id)
    except Exception:
        return False
    return result.status == "READY"


def job_resume_stalled(*, job_id: int | None = None) -> list[int]:
    """Queue again the jobs whose worker died: active, no live lease, no task waiting."""
    now = timezone.now()
    jobs = Job.objects.filter(state__in=Job.ACTIVE).filter(
        Q(lease_until__lt=now) | Q(lease_until__isnull=True)
    )
    if job_id is not None:
        jobs = jobs.filter(pk=job_id)
    resumed = []
    for job in jobs:
        if job.lease_until is None and _task_alive(job):
            continue
        if job.lease_until is not None and not Job.objects.filter(
            pk=job.pk, lease_until=job.lease_until
        ).update(lease_until=None, lease_owner="", note="Taken up again after its worker stopped."):
            continue  # someone else took it up meanwhile
        logger.warning("job %s: its worker stopped; queued again", job.pk)
        job_enqueue(job_id=job.pk)
        resumed.append(job.pk)
    return resumed


@dataclass(frozen=True)
class JobStatus:
    job: Job
    chunks: int
    chunks_finished: int
    stalled: bool
    failed_rows: tuple[FailedRow, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def version(self) -> str:
        job = self.job
        return ".".join(
            str(part)
            for part in (
                job.state,
                job.progress,
                job.done_count,
                job.failed_count,
                job.unknown_count,
                self.chunks_finished,
                int(self.stalled),
                int(bool(job.waiting_until)),
            )
        )


def job_status(*, job_id: int) -> JobStatus:
    """What the job page shows; a job whose worker died is queued again on the way."""
    job = Job.objects.select_related("user").get(pk=job_id)
    if job.state in Job.ACTIVE and job_resume_stalled(job_id=job.pk):
        job.refresh_from_db()
    chunks = Chunk.objects.filter(job=job)
    finished = chunks.filter(
        state__in=(Chunk.State.DONE, Chunk.State.FAILED, Chunk.State.UNKNOWN)
    ).count()
    since = job.last_progress_at or job.started_at or job.created_at
    stalled = (
        job.state in Job.ACTIVE
        and not job.waiting_until
        and (timezone.now() - since > datetime.timedelta(seconds=settings.JOB_STALL_SECONDS))
    )
    failed = ()
    notes = ()
    if job.finished:
        failed = tuple(job.failed_rows.all()[:SHOWN_FAILED_ROWS])
        notes = tuple(
            f"Request {c.index + 1}: {c.note}"
            for c in chunks.exclude(note="").exclude(state=Chunk.State.DONE)
        )
    return JobStatus(job, chunks.count(), finished, stalled, failed, notes)


@dataclass(frozen=True)
class JobList:
    jobs: tuple[Job, ...]
    actions: tuple[AsyncAction, ...] = ()
    actions_error: VoucherifyError | None = None


def job_list(*, limit: int = 50) -> JobList:
    jobs = tuple(Job.objects.exclude(state=Job.State.DRAFT).select_related("user")[:limit])
    try:
        actions = get_client().list_async_actions(limit=20).async_actions
    except VoucherifyError as error:
        return JobList(jobs, (), error)
    return JobList(jobs, actions)


def job_failed_rows_csv(*, job_id: int) -> Iterator[str]:
    """The failed rows of an import in their original columns (formula cells neutralised, the
    reasons too: they quote Voucherify's answers),
    with the reason as a last column; bulk metadata jobs list the customers."""
    job = Job.objects.get(pk=job_id)
    writer = csv.writer(Echo())
    reasons: dict[int, str] = {}
    loose = []
    for row in job.failed_rows.all().iterator():
        if row.row:
            reasons.setdefault(row.row, row.reason)
        else:
            loose.append(row)
    if job.is_import and job.file_path:
        headers, first = read_header(job.path, Encoding(UTF8), job.delimiter)
        yield writer.writerow([neutralise(h) for h in headers] + ["Failure reason"])
        for record in iter_records(job.path, job.delimiter, first):
            if record.number in reasons:
                cells = record.cells + [""] * (len(headers) - len(record.cells))
                yield writer.writerow(
                    [neutralise(c) for c in cells[: len(headers)]]
                    + [neutralise(reasons[record.number])]
                )
        for row in loose:
            yield writer.writerow([""] * len(headers) + [neutralise(row.reason)])
        return
    yield writer.writerow(["source_id", "customer_id", "Failure reason"])
    for row in job.failed_rows.all().iterator():
        yield writer.writerow(
            [neutralise(row.source_id), neutralise(row.customer_id), neutralise(row.reason)]
        )
