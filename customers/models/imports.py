"""Import and bulk-update jobs: the stored file, its parts or chunks, and the rows that failed.

A job lives in the dashboard's database so that its page works after a restart or a closed
tab. Each chunk (a part of a CSV import, a request of at most 100 records, a metadata request)
stores its state before and after its API call: a chunk left `sending` by a worker that died
is resolved by looking at Voucherify's async actions, never sent again blindly.
"""

from __future__ import annotations

import csv
import os
import tempfile

from django.conf import settings
from django.db import models
from django.utils import timezone

from dashboard import erasure


class Job(models.Model):
    class Kind(models.TextChoices):
        REPLACE = "replace", "CSV import, replace"
        MERGE = "merge", "CSV import, merge"
        METADATA = "metadata", "Bulk metadata"

    class State(models.TextChoices):
        DRAFT = "draft", "Preview"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    ACTIVE = (State.QUEUED, State.RUNNING)
    FINISHED = (State.DONE, State.FAILED)

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.MERGE)
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The stored file (imports): a path under IMPORT_FILES_DIR and its SHA-256.
    filename = models.CharField(max_length=255, blank=True)
    file_path = models.CharField(max_length=255, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)
    size = models.BigIntegerField(default=0)
    encoding = models.CharField(max_length=32, blank=True)
    delimiter = models.CharField(max_length=1, default=",")
    # Column header -> {"to": "field"|"metadata"|"skip", "key": ...}, as the user left it.
    mapping = models.JSONField(default=dict, blank=True)
    # Bulk metadata: what to set (`null` values clear), and the customers: ids or a filter.
    metadata = models.JSONField(default=dict, blank=True)
    # The preview's findings (counts, the first problems, parts), kept so the page renders fast.
    preview = models.JSONField(default=dict, blank=True)
    selection = models.JSONField(default=dict, blank=True)
    rows_total = models.IntegerField(default=0)
    rows_skipped = models.IntegerField(default=0)  # blocking errors: never sent
    done_count = models.IntegerField(default=0)
    failed_count = models.IntegerField(default=0)
    unknown_count = models.IntegerField(default=0)
    progress = models.IntegerField(default=0)  # 0-100 over all chunks
    planned = models.BooleanField(default=False)
    # The worker holding the job, and until when (renewed as it works).
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_progress_at = models.DateTimeField(null=True, blank=True)
    waiting_until = models.DateTimeField(null=True, blank=True)  # rate limited until
    task_id = models.CharField(max_length=64, blank=True)  # the queued task working it
    note = models.CharField(max_length=500, blank=True)
    audit_entry = models.ForeignKey(
        "dashboard.AuditEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"job {self.pk} {self.kind} {self.state}"

    @property
    def finished(self) -> bool:
        return self.state in self.FINISHED

    @property
    def is_import(self) -> bool:
        return self.kind in (self.Kind.REPLACE, self.Kind.MERGE)

    @property
    def delimiter_name(self) -> str:
        return {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}.get(
            self.delimiter, self.delimiter
        )

    @property
    def path(self) -> str:
        return os.path.join(settings.IMPORT_FILES_DIR, self.file_path)


class Chunk(models.Model):
    """One API request of a job: a CSV part (Replace), <= 100 records (Merge, metadata)."""

    class State(models.TextChoices):
        PENDING = "pending", "Not sent yet"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"  # Voucherify answered with an async action id
        DONE = "done", "Done"
        FAILED = "failed", "Failed"  # refused as a whole, or its async action FAILED
        UNKNOWN = "unknown", "Outcome unknown"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="chunks")
    index = models.IntegerField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    # Rows of the file (counted from 1 under the header) and the bytes they take.
    first_row = models.IntegerField(default=0)
    last_row = models.IntegerField(default=0)
    byte_start = models.BigIntegerField(default=0)
    byte_end = models.BigIntegerField(default=0)
    records = models.IntegerField(default=0)
    source_ids = models.JSONField(default=list, blank=True)  # metadata chunks
    sending_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    async_action_id = models.CharField(max_length=64, blank=True, db_index=True)
    request_id = models.CharField(max_length=64, blank=True)
    progress = models.IntegerField(default=0)
    done_count = models.IntegerField(default=0)
    failed_count = models.IntegerField(default=0)
    attempts = models.IntegerField(default=0)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["job", "index"]
        constraints = [
            models.UniqueConstraint(fields=["job", "index"], name="chunk_unique_index"),
        ]
        default_permissions = ()

    def __str__(self) -> str:
        return f"chunk {self.index} of job {self.job_id}: {self.state}"


class FailedRow(models.Model):
    """A row Voucherify refused, or the dashboard did not send (a blocking error)."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="failed_rows")
    row = models.IntegerField(null=True)  # in the file, from 1 under the header
    source_id = models.CharField(max_length=255, blank=True)
    customer_id = models.CharField(max_length=64, blank=True)  # bulk rows with no source_id
    reason = models.TextField()

    class Meta:
        ordering = ["job", "row", "id"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"row {self.row} of job {self.job_id}"


class RateBudget(models.Model):
    """Voucherify's rate limit as last seen, shared by every worker process: one row per
    backend (`name`). Calls wait until `not_before`; `remaining` and `reset_at` come from the
    X-Rate-Limit-* headers."""

    name = models.CharField(max_length=64, unique=True)
    limit = models.IntegerField(null=True)
    remaining = models.IntegerField(null=True)
    reset_at = models.DateTimeField(null=True)
    not_before = models.DateTimeField(null=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"rate budget {self.name}: {self.remaining}/{self.limit}"


# -- erasure --------------------------------------------------------------------------------


def _scrub_file(path: str, delimiter: str, values: set[str]) -> int:
    """Rewrite the CSV at `path` with every cell that holds one of `values` redacted; returns
    the rows changed. Streamed through a temporary file beside it."""
    if not os.path.exists(path):
        return 0
    changed = 0
    folder = os.path.dirname(path)
    with (
        open(path, encoding="utf-8", errors="replace", newline="") as source,
        tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", newline="", dir=folder, delete=False
        ) as target,
    ):
        writer = csv.writer(target, delimiter=delimiter)
        for row in csv.reader(source, delimiter=delimiter):
            cleaned = [erasure.REDACTED if cell.strip() in values else cell for cell in row]
            if cleaned != row:
                cleaned = [erasure.REDACTED if cell else cell for cell in row]
                changed += 1
            writer.writerow(cleaned)
    os.replace(target.name, path)
    return changed


@erasure.scrubber("import jobs")
def _scrub_jobs(person: erasure.ErasedPerson) -> int:
    """Stored files (a matching row loses every cell), failed rows and metadata chunks."""
    values = person.identifiers()
    changed = 0
    rows = FailedRow.objects.filter(
        models.Q(source_id__in=values) | models.Q(customer_id__in=values)
    )
    for row in rows:
        row.source_id = person.hash(row.source_id) if row.source_id else ""
        row.customer_id = person.hash(row.customer_id) if row.customer_id else ""
        row.reason = erasure.REDACTED
        row.save(update_fields=["source_id", "customer_id", "reason"])
        changed += 1
    for chunk in Chunk.objects.exclude(source_ids=[]).only("id", "source_ids"):
        if values.intersection(chunk.source_ids):
            chunk.source_ids = [person.hash(s) if s in values else s for s in chunk.source_ids]
            chunk.save(update_fields=["source_ids"])
            changed += 1
    for job in Job.objects.exclude(file_path=""):
        changed += _scrub_file(job.path, job.delimiter, values)
    personal = person.personal_values()
    for job in Job.objects.exclude(selection={}):
        ids = job.selection.get("source_ids") or []
        filters = job.selection.get("filters") or {}
        if values.intersection(ids) or personal.intersection(map(str, filters.values())):
            job.selection = {
                **job.selection,
                "source_ids": [person.hash(s) if s in values else s for s in ids],
                "filters": {
                    k: person.hash(str(v)) if str(v) in personal else v for k, v in filters.items()
                }
                or job.selection.get("filters"),
            }
            job.save(update_fields=["selection"])
            changed += 1
    return changed
