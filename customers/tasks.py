"""Background work on the task queue (django-tasks): one task works one job to its end."""

from __future__ import annotations

from django_tasks import task

from customers.imports import runner


@task()
def run_job(job_id: int) -> str:
    """Work job `job_id`; a rate limit or an outage queues it again for later."""
    outcome = runner.run(job_id)
    if outcome.state == "put-off":
        from customers.services.jobs import job_enqueue

        job_enqueue(job_id=job_id, run_after=outcome.until)
    return outcome.state
