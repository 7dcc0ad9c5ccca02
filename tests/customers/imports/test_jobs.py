"""Jobs against the in-process sandbox, worked by the real database worker: the requests sent,
the results recorded, a job taken up again after its worker died, rate limits."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from customers.imports import runner
from customers.models import Chunk, FailedRow, Job
from customers.services import imports
from customers.voucherify import RateLimited, get_client
from dashboard import erasure
from dashboard.models import AuditEntry
from sandbox.models import AsyncAction, Customer
from tests.customers.jobs_support import work_queue

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


class WorkerKilled(BaseException):
    """What a SIGKILL would do to the worker, as an exception no handler stops."""


@pytest.fixture
def marketing(user_for):
    return user_for("marketing")


@pytest.fixture
def client():
    get_client.cache_clear()
    yield get_client()
    get_client.cache_clear()


@pytest.fixture
def calls(client, monkeypatch):
    """Every request the client sends: (method, path, request)."""
    seen = []

    def hook(response, *args, **kwargs):
        request = response.request
        seen.append((request.method, request.path_url.split("?")[0], request))
        return response

    client.session.hooks["response"].append(hook)
    return seen


def rows(n: int, start: int = 0) -> str:
    return "".join(f"crm-{i},Customer {i},c{i}@example.com,Oslo\n" for i in range(start, n))


def started(user, text: str, kind: str) -> Job:
    raw = text.encode()
    job = imports.import_upload(chunks=[raw], filename="c.csv", size=len(raw), user=user)
    outcome = imports.import_start(job_id=job.pk, fingerprint=job.fingerprint, kind=kind, user=user)
    assert isinstance(outcome, Job), outcome
    return outcome


def sent_bodies(calls, path):
    import json

    return [json.loads(r.body) for method, p, r in calls if method == "POST" and p == path]


def test_merge_sends_chunks_of_exactly_100_records_under_10_mb(marketing, calls):
    job = started(marketing, "Source_id,Name,Email,City\n" + rows(250), Job.Kind.MERGE)
    work_queue()
    job.refresh_from_db()
    bodies = sent_bodies(calls, "/v1/customers/bulk/async")
    assert [len(b) for b in bodies] == [100, 100, 50]
    raw = [r.body for m, p, r in calls if p == "/v1/customers/bulk/async"]
    assert all(len(body) < 10 * 1024 * 1024 for body in raw)
    assert bodies[0][0] == {
        "source_id": "crm-0",
        "name": "Customer 0",
        "email": "c0@example.com",
        "address": {"city": "Oslo"},
    }
    assert job.state == Job.State.DONE
    assert (job.done_count, job.failed_count, job.progress) == (250, 0, 100)
    assert Customer.objects.using("sandbox").filter(source_id__startswith="crm-").count() == 250


def test_merge_sends_only_filled_cells_and_lists_refused_and_unsent_rows(marketing, calls):
    text = (
        "Source_id,Name,Email,Phone\n"
        "crm-1,Ann,,\n"
        "crm-2,Bo,not-an-email,\n"
        f"crm-3,Cy,cy@example.com,{'9' * 150}\n"
    )
    job = started(marketing, text, Job.Kind.MERGE)
    work_queue()
    job.refresh_from_db()
    (body,) = sent_bodies(calls, "/v1/customers/bulk/async")
    assert body[0] == {"source_id": "crm-1", "name": "Ann"}  # blanks change nothing
    assert [r["source_id"] for r in body] == ["crm-1", "crm-3"]  # crm-2 is not sent
    failed = {row.row: row for row in FailedRow.objects.filter(job=job)}
    assert failed[2].reason.startswith("Not sent: Email")
    assert failed[3].source_id == "crm-3" and "phone" in failed[3].reason
    assert (job.state, job.done_count, job.failed_count) == (Job.State.DONE, 1, 2)


def test_replace_sends_multipart_csv_with_voucherifys_headers_in_parts(marketing, calls, settings):
    settings.IMPORT_PART_BYTES = 2000
    job = started(
        marketing,
        "source_id,E-mail,name,Zip\n"
        + "".join(f"crm-{i},c{i}@example.com,Customer {i},{1000 + i}\n" for i in range(120)),
        Job.Kind.REPLACE,
    )
    work_queue()
    job.refresh_from_db()
    requests = [r for m, p, r in calls if p == "/v1/customers/importCSV"]
    assert len(requests) == Chunk.objects.filter(job=job).count() > 1
    for request in requests:
        assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    part = AsyncAction.objects.using("sandbox").filter(type="CUSTOMERS.IMPORT_CSV").first()
    assert part.payload["csv"].startswith("Source_id,Email,Name,Address_Postal_Code\r\n")
    assert all(len(a.payload["csv"].encode()) <= 2000 for a in AsyncAction.objects.using("sandbox"))
    assert (job.state, job.done_count, job.progress) == (Job.State.DONE, 120, 100)
    ann = Customer.objects.using("sandbox").get(source_id="crm-7")
    assert (ann.email, ann.address["postal_code"]) == ("c7@example.com", "1007")


def test_job_killed_after_sending_is_taken_up_without_sending_that_chunk_again(
    marketing, monkeypatch, settings
):
    job = started(marketing, "Source_id,Name,Email,City\n" + rows(300), Job.Kind.MERGE)
    real_call = runner._call

    def dies_after_the_second_request(job, chunk):
        action_id = real_call(job, chunk)
        if chunk.index == 1:
            raise WorkerKilled  # Voucherify has the request; the worker never stored its id
        return action_id

    monkeypatch.setattr(runner, "_call", dies_after_the_second_request)
    with pytest.raises(WorkerKilled):
        runner.run(job.pk)
    assert Chunk.objects.get(job=job, index=1).state == Chunk.State.SENDING
    monkeypatch.setattr(runner, "_call", real_call)

    # The worker is gone; the job page (or `resume_jobs`) queues it again for another one.
    Job.objects.filter(pk=job.pk).update(lease_until=timezone.now() - datetime.timedelta(1))
    DBTaskResult.objects.all().delete()
    from customers.services.jobs import job_resume_stalled

    assert job_resume_stalled() == [job.pk]
    work_queue()
    job.refresh_from_db()
    assert AsyncAction.objects.using("sandbox").filter(type="CUSTOMERS.BULK_UPDATE").count() == 3
    chunk = Chunk.objects.get(job=job, index=1)
    assert chunk.state == Chunk.State.DONE
    assert "not sent again" in chunk.note
    assert chunk.attempts == 1
    assert (job.state, job.done_count) == (Job.State.DONE, 300)


def test_job_killed_before_the_request_left_sends_it_once_knowingly(marketing, monkeypatch):
    job = started(marketing, "Source_id,Name,Email,City\n" + rows(150), Job.Kind.MERGE)
    real_call = runner._call

    def dies_before_sending(job, chunk):
        if chunk.index == 1:
            raise WorkerKilled
        return real_call(job, chunk)

    monkeypatch.setattr(runner, "_call", dies_before_sending)
    with pytest.raises(WorkerKilled):
        runner.run(job.pk)
    monkeypatch.setattr(runner, "_call", real_call)
    assert runner.run(job.pk).state == Job.State.DONE
    assert AsyncAction.objects.using("sandbox").filter(type="CUSTOMERS.BULK_UPDATE").count() == 2
    chunk = Chunk.objects.get(job=job, index=1)
    assert "never received it" in chunk.note and "sent again" in chunk.note
    assert chunk.attempts == 2


def test_job_sending_chunk_that_cannot_be_told_apart_is_unknown_not_resent(
    marketing, monkeypatch, client
):
    job = started(marketing, "Source_id,Name,Email,City\n" + rows(5), Job.Kind.MERGE)
    real_call = runner._call

    def dies_after_sending(job, chunk):
        real_call(job, chunk)
        client.update_customers_in_bulk([{"source_id": "someone-else"}])  # another's job
        raise WorkerKilled

    monkeypatch.setattr(runner, "_call", dies_after_sending)
    with pytest.raises(WorkerKilled):
        runner.run(job.pk)
    monkeypatch.setattr(runner, "_call", real_call)
    runner.run(job.pk)
    job.refresh_from_db()
    chunk = Chunk.objects.get(job=job)
    assert chunk.state == Chunk.State.UNKNOWN
    assert "not sent again" in chunk.note
    assert (job.state, job.unknown_count) == (Job.State.DONE, 5)
    assert AsyncAction.objects.using("sandbox").filter(type="CUSTOMERS.BULK_UPDATE").count() == 2


def test_rate_limited_job_is_put_off_not_failed(marketing, monkeypatch, client):
    job = started(marketing, "Source_id,Name,Email,City\n" + rows(3), Job.Kind.MERGE)

    def busy(records):
        raise RateLimited("Too many requests", status=429, retry_after=42)

    monkeypatch.setattr(client, "update_customers_in_bulk", busy)
    work_queue()
    job.refresh_from_db()
    assert job.state == Job.State.RUNNING
    assert job.waiting_until > timezone.now() + datetime.timedelta(seconds=40)
    assert Chunk.objects.get(job=job).state == Chunk.State.PENDING
    later = DBTaskResult.objects.filter(status="READY").get()
    assert later.run_after > timezone.now() + datetime.timedelta(seconds=40)
    monkeypatch.undo()


def test_rate_limit_headers_are_shared_through_the_database(marketing, settings, client):
    from customers.imports import pacing
    from customers.models import RateBudget

    pacing.record(
        "sandbox",
        {
            "X-Rate-Limit-Limit": "100",
            "X-Rate-Limit-Remaining": "2",
            "X-Rate-Limit-Retry": str(int(timezone.now().timestamp()) + 50),
        },
        200,
    )
    budget = RateBudget.objects.get(name="sandbox")
    assert budget.remaining == 2 and budget.not_before is not None
    with pytest.raises(pacing.PutOff):
        pacing.wait_for_turn("sandbox")


def test_metadata_bulk_job_updates_customers_and_lists_those_without_source_id(marketing):
    for n in range(3):
        get_client().create_customer({"source_id": f"m-{n}", "metadata": {"keep": n}})
    selection = imports.metadata_selection(
        selected=["s:m-0", "s:m-1", "s:m-2", "c:cust_without_source"], filters=None
    )
    assert (selection.count, selection.missing) == (4, ("cust_without_source",))
    job = imports.metadata_bulk_start(
        selection=selection, metadata={"tier": "gold", "old": None}, user=marketing
    )
    work_queue()
    job.refresh_from_db()
    assert (job.state, job.done_count, job.failed_count) == (Job.State.DONE, 3, 1)
    assert get_client().get_customer("m-1").metadata == {"keep": 1, "tier": "gold", "old": None}
    assert FailedRow.objects.get(job=job).customer_id == "cust_without_source"
    entry = AuditEntry.objects.get(operation="update_customers_metadata_in_bulk")
    assert entry.outcome == AuditEntry.Outcome.SUCCESS
    assert entry.changes["rows"] == {"old": None, "new": 4}


def test_import_start_is_audited_unknown_then_resolved(marketing):
    job = started(marketing, "Source_id,Name\ncrm-1,Ann\n", Job.Kind.REPLACE)
    entry = AuditEntry.objects.get(operation="import_customers_using_csv")
    assert entry.outcome == AuditEntry.Outcome.UNKNOWN
    work_queue()
    entry.refresh_from_db()
    assert entry.outcome == AuditEntry.Outcome.SUCCESS
    assert f"job {job.pk}: 1 done, 0 failed" in entry.error


def test_import_start_refuses_a_file_changed_since_the_preview(marketing):
    raw = b"Source_id,Name\ncrm-1,Ann\n"
    job = imports.import_upload(chunks=[raw], filename="c.csv", size=len(raw), user=marketing)
    with open(job.path, "ab") as stored:
        stored.write(b"crm-2,Sneaked in\n")
    outcome = imports.import_start(
        job_id=job.pk, fingerprint=job.fingerprint, kind=Job.Kind.MERGE, user=marketing
    )
    assert isinstance(outcome, imports.Refused)
    assert not DBTaskResult.objects.exists()


def test_erasure_scrubs_stored_files_and_failed_rows(marketing):
    text = "Source_id,Email\nerase-me,gone@example.com\nkeep,keep@example.com\nerase-me,bad\n"
    job = started(marketing, text, Job.Kind.MERGE)
    work_queue()
    person = erasure.ErasedPerson(
        customer_id="cust_x", source_id="erase-me", email="gone@example.com"
    )
    assert erasure.scrub_everywhere(person)["import jobs"] >= 2
    with open(job.path, encoding="utf-8") as stored:
        text = stored.read()
    assert "erase-me" not in text and "gone@example.com" not in text
    assert "keep@example.com" in text
    row = FailedRow.objects.get(job=job)
    assert row.source_id == erasure.keyed_hash("erase-me")
    assert row.reason == erasure.REDACTED
