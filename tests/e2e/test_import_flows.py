"""Marketing in a real browser: import a CSV (correct a column, read the preview, merge, watch
the job to DONE, download the failed row), then set metadata on three selected customers.

The job worker is django-tasks-db's own, running in a thread of this process on the live
server's database connections, so the page sees real progress."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from django_tasks_db.management.commands.db_worker import Worker
from playwright.sync_api import expect

from customers.voucherify import get_client

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])

CSV = (
    "Source_id,Full name,Mailbox,City\n"
    "imp-1,Imported One,one@example.com,Oslo\n"
    "imp-2,Imported Two,not-an-email,Bergen\n"
    "imp-3,Imported Three,three@example.com,Tromsø\n"
)


@pytest.fixture
def job_worker(dashboard):
    worker = Worker(
        queue_names=["default"],
        interval=0.2,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="e2e-worker",
        excluded_queue_names=[],
    )

    def work():
        for alias, connection in dashboard.thread.connections_override.items():
            connections[alias] = connection
        worker.run()

    thread = threading.Thread(target=work, name="job-worker", daemon=True)
    thread.start()
    yield worker
    worker.running = False
    thread.join(timeout=10)


def test_marketing_imports_merges_downloads_failed_row_then_sets_metadata(
    signed_in_as, dashboard, job_worker, tmp_path
):
    page = signed_in_as("marketing")
    page.set_default_timeout(20_000)
    csv_file = tmp_path / "spring-campaign.csv"
    csv_file.write_text(CSV, encoding="utf-8")

    page.get_by_role("link", name="Import", exact=True).click()
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", name="Import preview: spring-campaign.csv")).to_be_visible()
    expect(page.locator("[data-rows]")).to_have_text("3 rows")

    # "Mailbox" is not a known header: it became metadata. The user maps it to Email.
    page.get_by_label("Goes to, for Mailbox").select_option("email")
    page.get_by_role("button", name="Apply the mapping").click()
    problem = page.locator("[data-problems] tbody tr").filter(has_text="not-an-email")
    expect(problem).to_contain_text("Mailbox")
    expect(problem).to_contain_text("an email address")
    expect(page.locator("[data-creates]")).to_have_text("2 new")

    page.get_by_label("Merge", exact=False).check()
    page.get_by_role("button", name="Start the import").click()
    status = page.get_by_role("status")
    expect(status).to_contain_text("Done: 2 done, 1 failed", timeout=30_000)
    expect(page.locator("progress")).to_have_attribute("value", "100")
    failed = page.locator("[data-failed-rows] tbody tr")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("imp-2")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the failed rows").click()
    downloaded = download_info.value.path().read_text(encoding="utf-8").splitlines()
    assert downloaded[0] == "Source_id,Full name,Mailbox,City,Failure reason"
    assert downloaded[1].startswith("imp-2,Imported Two,not-an-email,Bergen,Not sent")
    assert get_client().get_customer("imp-3").email == "three@example.com"

    # Bulk metadata on three customers picked on the list.
    for n in range(3):
        get_client().create_customer({"source_id": f"bulk-{n}", "name": f"Bulk Person {n}"})
    page.get_by_role("link", name="Customers", exact=True).click()
    for n in range(3):
        page.get_by_label(f"Select Bulk Person {n}").check()
    page.get_by_role("button", name="Set metadata for the selected").click()
    expect(page.locator("[data-count]")).to_contain_text("3 customers selected")
    page.get_by_label("Set (one key=value a line)").fill("campaign=spring-2026")
    page.get_by_role("button", name="Update 3 customers").click()
    expect(page.get_by_role("status")).to_contain_text("Done: 3 done, 0 failed", timeout=30_000)

    customer = get_client().get_customer("bulk-1")
    page.goto(f"{dashboard.url}/customers/{customer.id}/")
    expect(page.get_by_text("spring-2026", exact=True)).to_be_visible()
