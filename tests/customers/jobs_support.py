"""Helpers for job tests: the real database worker, run in this thread until the queue is empty,
and CSV files written to a temporary folder."""

from __future__ import annotations

from unittest import mock

from django_tasks_db.management.commands.db_worker import Worker


def work_queue(max_tasks: int | None = None) -> None:
    """Run django-tasks-db's worker in batch mode: every task ready now, then return.

    In this thread, so on the test's own connection: the worker must not close it between
    tasks (it holds the test's transaction)."""
    with mock.patch(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    ):
        _worker(max_tasks).run()


def _worker(max_tasks: int | None) -> Worker:
    return Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id="test-worker",
        excluded_queue_names=[],
    )


def write_csv(tmp_path, text: str | bytes, name: str = "customers.csv"):
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8", newline="")
    else:
        path.write_bytes(text)
    return path
