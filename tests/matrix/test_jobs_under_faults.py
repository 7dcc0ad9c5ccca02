"""Jobs under the fault transport: Voucherify down for a minute during an import delays it
and it finishes; a worker killed mid-job is taken up again and finishes. A fake clock, no
real minute: the runner's put-off time is where the clock jumps to."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from customers.imports import runner
from customers.models import Job
from customers.services import imports
from sandbox.models import Customer
from tests.customers.jobs_support import work_queue
from tests.faults import FAULTS

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])
REFUSED = next(f for f in FAULTS if f.name == "refused")
ROWS = 250


class Clock:
    def __init__(self, monkeypatch):
        self.now = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.now)


def started(user) -> Job:
    text = "Source_id,Name,Email\n" + "".join(
        f"out-{i},Customer {i},o{i}@example.com\n" for i in range(ROWS)
    )
    raw = text.encode()
    job = imports.import_upload(chunks=[raw], filename="c.csv", size=len(raw), user=user)
    outcome = imports.import_start(
        job_id=job.pk, fingerprint=job.fingerprint, kind=Job.Kind.MERGE, user=user
    )
    assert isinstance(outcome, Job), outcome
    return outcome


def test_import_voucherify_down_for_a_minute_is_delayed_then_finishes(plan, user_for, monkeypatch):
    job = started(user_for("marketing"))
    clock = Clock(monkeypatch)
    back_at = clock.now + datetime.timedelta(minutes=1)
    plan.fault = REFUSED
    put_off = 0

    for _ in range(20):
        if clock.now >= back_at:
            plan.fault = None
        outcome = runner.run(job.pk)
        if outcome.state != "put-off":
            break
        put_off += 1
        assert outcome.until > clock.now
        clock.now = outcome.until

    job.refresh_from_db()
    assert put_off >= 1 and clock.now >= back_at
    assert (job.state, job.done_count, job.failed_count) == (Job.State.DONE, ROWS, 0)
    assert Customer.objects.using("sandbox").filter(source_id__startswith="out-").count() == ROWS


class WorkerKilled(BaseException):
    """What a SIGKILL does to the worker: nothing catches it."""


def test_import_worker_killed_mid_job_is_resumed_and_finishes(plan, user_for, monkeypatch):
    from customers.services.jobs import job_resume_stalled

    job = started(user_for("marketing"))
    real_call = runner._call

    def killed_after_the_first_chunk(job, chunk):
        if chunk.index == 1:
            raise WorkerKilled
        return real_call(job, chunk)

    monkeypatch.setattr(runner, "_call", killed_after_the_first_chunk)
    with pytest.raises(WorkerKilled):
        runner.run(job.pk)
    monkeypatch.setattr(runner, "_call", real_call)
    DBTaskResult.objects.all().delete()  # the killed worker's task went with it
    clock = Clock(monkeypatch)
    clock.now += runner.lease() + datetime.timedelta(seconds=1)  # its lease runs out

    assert job_resume_stalled() == [job.pk]  # what the job page and `resume_jobs` call
    work_queue()
    job.refresh_from_db()
    assert (job.state, job.done_count) == (Job.State.DONE, ROWS)
