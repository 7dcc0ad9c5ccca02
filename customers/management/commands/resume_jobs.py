"""Queue again the jobs whose worker died (make run does this before starting the worker)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from customers.services.jobs import job_resume_stalled


class Command(BaseCommand):
    help = "Take up the import and bulk jobs whose worker stopped before they finished."

    def handle(self, *args, **options):
        resumed = job_resume_stalled()
        self.stdout.write(f"{len(resumed)} job(s) queued again.")
