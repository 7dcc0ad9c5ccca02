"""CSV imports: store the upload once (fingerprinted), preview it, start the job; and bulk
metadata updates for customers picked on the list."""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import transaction

from customers.imports import csvfile
from customers.imports.csvfile import UTF8, Encoding, UnreadableFile
from customers.models import Job
from customers.services.jobs import job_enqueue
from customers.services.suppression import suppression_matcher
from customers.voucherify import NotFound, VoucherifyError, format_date, get_client
from customers.voucherify.resources import Customer
from dashboard import audit
from dashboard.models import AuditEntry

OPERATIONS = {
    Job.Kind.REPLACE: "import_customers_using_csv",
    Job.Kind.MERGE: "update_customers_in_bulk",
    Job.Kind.METADATA: "update_customers_metadata_in_bulk",
}


@dataclass(frozen=True)
class Refused:
    """Nothing was stored or started; `message` says why."""

    message: str


# -- upload and preview ---------------------------------------------------------------------


def _store(chunks, suffix: str = ".csv") -> tuple[str, str, int]:
    """Write the upload under IMPORT_FILES_DIR; (relative path, sha256, size)."""
    os.makedirs(settings.IMPORT_FILES_DIR, exist_ok=True)
    name = f"{uuid.uuid4().hex}{suffix}"
    digest = hashlib.sha256()
    size = 0
    with open(os.path.join(settings.IMPORT_FILES_DIR, name), "wb") as target:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            target.write(chunk)
    return name, digest.hexdigest(), size


def _replace_file(job: Job, source: str) -> None:
    """Make `source` (a new file beside it) the job's file."""
    os.replace(source, job.path)
    job.fingerprint = csvfile.sha256_of(job.path)
    job.size = os.path.getsize(job.path)


def _analyse(job: Job) -> None:
    """Sniff, map (keeping the user's corrections) and check every row."""
    encoding = Encoding(UTF8)
    headers, _ = csvfile.read_header(job.path, encoding, job.delimiter)
    if not job.mapping or len(job.mapping) != len(headers):
        suggested = csvfile.suggest_mapping(headers)
        job.mapping = {str(i): target for i, target in enumerate(suggested)}
    mapping = [job.mapping[str(i)] for i in range(len(headers))]
    analysis = csvfile.analyse(
        job.path,
        encoding,
        job.delimiter,
        mapping,
        part_bytes=settings.IMPORT_PART_BYTES,
        suppressed=suppression_matcher(),
    )
    job.rows_total = analysis.rows
    job.preview = {**analysis.as_dict(), "headers": headers}


def _prepare(job: Job, encoding: Encoding) -> None:
    if encoding.bom:  # keep the stored file plain UTF-8: byte offsets start at 0
        stripped = job.path + ".utf8"
        with open(job.path, "rb") as source, open(stripped, "wb") as target:
            source.seek(encoding.bom)
            while block := source.read(csvfile.READ_BLOCK):
                target.write(block)
        _replace_file(job, stripped)
    job.delimiter = csvfile.sniff_delimiter(job.path)
    _analyse(job)
    if encoding.bom:
        job.preview["bom_removed"] = True


def import_upload(*, chunks, filename: str, size: int, user) -> Job | Refused:
    """Store the file, tell its encoding, and preview it (a non-UTF-8 file waits for the
    user's consent to convert it)."""
    if size > settings.IMPORT_MAX_BYTES:
        return Refused(
            f"The file is {size:,} bytes; the most an import takes is "
            f"{settings.IMPORT_MAX_BYTES:,} bytes."
        )
    path, fingerprint, stored = _store(chunks)
    job = Job(
        kind=Job.Kind.MERGE,
        user=user,
        username=user.get_username(),
        filename=os.path.basename(filename)[:255],
        file_path=path,
        fingerprint=fingerprint,
        size=stored,
    )
    try:
        encoding = csvfile.detect_encoding(job.path)
        job.encoding = encoding.codec
        if not encoding.needs_conversion:
            _prepare(job, encoding)
    except UnreadableFile as error:
        os.remove(job.path)
        return Refused(str(error))
    job.save()
    return job


def import_convert(*, job_id: int, user) -> Job | Refused:
    """Convert a Windows-1252 / Latin-1 file to UTF-8, as the user agreed."""
    job = Job.objects.get(pk=job_id, state=Job.State.DRAFT)
    encoding = Encoding(job.encoding)
    if not encoding.needs_conversion:
        return job
    converted = job.path + ".utf8"
    csvfile.convert_to_utf8(job.path, converted, encoding)
    _replace_file(job, converted)
    job.encoding = UTF8
    try:
        _prepare(job, Encoding(UTF8))
    except UnreadableFile as error:
        return Refused(str(error))
    job.preview["converted_from"] = encoding.name
    job.save()
    return job


def import_remap(*, job_id: int, mapping: dict[str, dict], user) -> Job:
    """Apply the user's corrections to the mapping and check the rows again."""
    job = Job.objects.get(pk=job_id, state=Job.State.DRAFT)
    job.mapping = {**job.mapping, **mapping}
    _analyse(job)
    job.save()
    return job


# -- creates vs updates ---------------------------------------------------------------------


@dataclass(frozen=True)
class LookedUp:
    row: int
    source_id: str
    exists: bool
    cleared: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lookup:
    rows: tuple[LookedUp, ...]
    eligible: int  # rows that would be sent
    sampled: bool  # the figures beyond the rows looked up are an estimate
    stopped: VoucherifyError | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def updates(self) -> int:
        return sum(1 for r in self.rows if r.exists)

    @property
    def creates(self) -> int:
        return len(self.rows) - self.updates

    @property
    def estimated_updates(self) -> int:
        return round(self.eligible * self.updates / len(self.rows)) if self.rows else 0

    @property
    def estimated_creates(self) -> int:
        return self.eligible - self.estimated_updates


def _cleared(customer: Customer, record: dict) -> tuple[str, ...]:
    """Fields the customer has that a Replace row would blank (a blank or absent cell)."""
    current = audit.flatten(customer.base_fields())
    sent = audit.flatten(record)
    return tuple(
        sorted(
            name
            for name, value in current.items()
            if value not in (None, "", {}) and name not in sent and name != "birthday"
        )
    )


def import_lookup(*, job_id: int) -> Lookup:
    """Look the sampled rows' source_ids up, within IMPORT_LOOKUP_BUDGET calls: the first
    half of the budget on the first rows, the rest spread evenly over the file."""
    job = Job.objects.get(pk=job_id)
    budget = max(1, settings.IMPORT_LOOKUP_BUDGET)
    headers, first = csvfile.read_header(job.path, Encoding(UTF8), job.delimiter)
    columns = csvfile.Columns.compile(headers, [job.mapping[str(i)] for i in range(len(headers))])
    eligible = job.rows_total - job.preview.get("rows_with_errors", 0)
    head = budget // 2 if eligible > budget else budget
    step = max(1, (job.rows_total - head) // max(1, budget - head))
    client = get_client()
    looked: list[LookedUp] = []
    stopped = None
    for record in csvfile.iter_records(job.path, job.delimiter, first):
        if len(looked) >= budget:
            break
        if record.number > head and (record.number - head) % step:
            continue
        if any(p.blocking for p in columns.row_problems(record.number, record.cells)):
            continue
        source_id = columns.source_id(record.cells)
        try:
            customer = client.get_customer(source_id)
        except NotFound:
            looked.append(LookedUp(record.number, source_id, False))
            continue
        except VoucherifyError as error:
            stopped = error
            break
        cleared = ()
        if job.kind == Job.Kind.REPLACE:
            cleared = _cleared(customer, columns.record(record.cells))
        looked.append(LookedUp(record.number, source_id, True, cleared))
    return Lookup(tuple(looked), eligible, sampled=len(looked) < eligible, stopped=stopped)


# -- starting -------------------------------------------------------------------------------


def _audit_entry(user, kind: str, job: Job, rows: int) -> AuditEntry:
    """One entry per job, `unknown` until the job ends (`audit.resolve` then settles it)."""
    changes = {"job": (None, job.pk), "mode": (None, kind), "rows": (None, rows)}
    return AuditEntry.objects.create(
        user=user,
        username=user.get_username(),
        operation=OPERATIONS[kind],
        changes=audit.normalise_changes(changes),
        outcome=AuditEntry.Outcome.UNKNOWN,
        error=f"queued as job {job.pk}",
    )


def import_start(*, job_id: int, fingerprint: str, kind: str, user) -> Job | Refused:
    """Queue the import of the file the preview showed, and nothing else."""
    if kind not in (Job.Kind.REPLACE, Job.Kind.MERGE):
        return Refused("Choose Replace or Merge.")
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if job.state != Job.State.DRAFT:
            return job  # already started (a second click)
        if fingerprint != job.fingerprint or csvfile.sha256_of(job.path) != job.fingerprint:
            return Refused("The file changed since this preview; upload it again.")
        if job.encoding != UTF8:
            return Refused("Convert the file to UTF-8 first.")
        if job.preview.get("file_errors"):
            return Refused("The file has errors that stop the import; see the preview.")
        job.kind = kind
        job.state = Job.State.QUEUED
        job.audit_entry = _audit_entry(user, kind, job, job.rows_total)
        job.save()
    job_enqueue(job_id=job.pk)
    return job


# -- bulk metadata --------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """The customers a bulk update would reach."""

    count: int
    sample: tuple[Customer, ...] = ()
    source_ids: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()  # selected customers without a source id (their ids)
    filters: dict | None = None


def metadata_selection(*, selected: list[str], filters: dict | None) -> Selection:
    """Customers picked on the list (`s:<source_id>` or `c:<id>` without one), or all that
    match `filters` (counted with one call; a sample of five shown)."""
    if filters is not None:
        filters = {k: format_date(v) if isinstance(v, date) else v for k, v in filters.items()}
        result = get_client().list_customers(limit=5, **filters)
        return Selection(result.total, tuple(result.customers), filters=filters)
    source_ids = tuple(dict.fromkeys(v[2:] for v in selected if v.startswith("s:") and v[2:]))
    missing = tuple(dict.fromkeys(v[2:] for v in selected if v.startswith("c:") and v[2:]))
    return Selection(len(source_ids) + len(missing), (), source_ids, missing)


def metadata_bulk_start(*, selection: Selection, metadata: dict, user) -> Job | Refused:
    """One job: requests of at most 100 source ids, the same metadata for each."""
    if not metadata:
        return Refused("Give at least one metadata key to set or clear.")
    if not selection.source_ids and selection.filters is None:
        return Refused("None of the selected customers has a source id.")
    job = Job.objects.create(
        kind=Job.Kind.METADATA,
        state=Job.State.QUEUED,
        user=user,
        username=user.get_username(),
        metadata=metadata,
        rows_total=selection.count,
        selection={
            "source_ids": list(selection.source_ids),
            "missing": list(selection.missing),
            "filters": selection.filters,
        },
    )
    job.audit_entry = _audit_entry(user, Job.Kind.METADATA, job, selection.count)
    job.save(update_fields=["audit_entry"])
    job_enqueue(job_id=job.pk)
    return job
