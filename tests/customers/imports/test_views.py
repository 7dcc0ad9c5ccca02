"""The import, job and bulk pages: permissions, page and fragment, the polling answers."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from customers.models import Job
from customers.services.suppression import suppression_add
from customers.voucherify import get_client
from tests.customers.jobs_support import work_queue
from tests.customers.pages_support import HTMX

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])
CSV = b"Source_id,Name,E-mail\ncrm-1,Ann,ann@example.com\ncrm-2,Bo,nope\n"


@pytest.fixture(autouse=True)
def fresh_client():
    get_client.cache_clear()
    yield
    get_client.cache_clear()


def upload(client, data: bytes = CSV):
    file = SimpleUploadedFile("c.csv", data, content_type="text/csv")
    return client.post(reverse("jobs:import_new"), {"file": file})


@pytest.mark.parametrize("role", ["support", "compliance"])
def test_import_pages_refuse_roles_without_import_permission(client_for, role):
    client = client_for(role)
    for url in (reverse("jobs:import_new"), reverse("jobs:list"), reverse("jobs:bulk_metadata")):
        assert client.get(url).status_code == 403


def test_upload_redirects_to_a_preview_with_findings(client_for):
    client = client_for("marketing")
    response = upload(client)
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:import_preview", args=[job.pk])
    page = HTMLParser(client.get(response["Location"]).content.decode())
    assert page.css_first("[data-rows]").text() == "2 rows"
    problems = [row.text(separator="|") for row in page.css("[data-problems] tbody tr")]
    assert any("2" in p and "E-mail" in p and "nope" in p for p in problems)
    assert page.css_first("input[name=fingerprint]").attributes["value"] == job.fingerprint


def test_upload_row_of_an_erased_person_is_a_blocking_finding(client_for):
    suppression_add(request=None, source_id=None, email="ANN@example.com", phone=None)
    client = client_for("marketing")

    response = upload(client)

    page = HTMLParser(client.get(response["Location"]).content.decode())
    problems = [row.text(separator="|") for row in page.css("[data-problems] tbody tr")]
    erased = [p for p in problems if "erased at their request" in p]
    assert len(erased) == 1
    assert "ann@example.com" in erased[0] and "E-mail" in erased[0]
    assert Job.objects.get().preview["rows_with_errors"] == 2  # row 2's bad email too


def test_upload_utf16_shows_the_reason_on_the_form(client_for):
    response = upload(client_for("marketing"), CSV.decode().encode("utf-16"))
    assert response.status_code == 400
    assert "UTF-16" in HTMLParser(response.content.decode()).css_first("[role=alert]").text()


def test_mapping_fragment_applies_corrections(client_for):
    client = client_for("marketing")
    upload(client, b"Source_id,Mailbox\ncrm-1,a@example.com\n")
    job = Job.objects.get()
    url = reverse("jobs:import_mapping", args=[job.pk])
    data = {"to_0": "source_id", "key_0": "", "to_1": "email", "key_1": ""}
    response = client.post(url, data, **HTMX)
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    job.refresh_from_db()
    assert job.mapping["1"]["to"] == "email"


def test_lookup_fragment_says_creates_and_updates_and_what_replace_clears(client_for):
    get_client().create_customer(
        {"source_id": "crm-1", "name": "Old", "phone": "+47 1", "metadata": {"a": "1"}}
    )
    client = client_for("marketing")
    upload(client)
    job = Job.objects.get()
    Job.objects.filter(pk=job.pk).update(kind=Job.Kind.REPLACE)
    response = client.get(reverse("jobs:import_lookup", args=[job.pk]), **HTMX)
    page = HTMLParser(response.content.decode())
    assert page.css_first("[data-creates]").text() == "0 new"  # crm-2 has an error: not sent
    assert page.css_first("[data-updates]").text() == "1 existing"
    assert "metadata.a" in page.css_first("tbody tr").text()
    assert "phone" in page.css_first("tbody tr").text()


def test_start_queues_the_job_and_shows_its_page(client_for):
    client = client_for("marketing")
    upload(client)
    job = Job.objects.get()
    response = client.post(
        reverse("jobs:import_start", args=[job.pk]),
        {"fingerprint": job.fingerprint, "kind": "merge", "form_token": "t" * 20},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    page = HTMLParser(client.get(response["Location"]).content.decode())
    assert page.css_first("[role=status]").attributes["data-state"] == "queued"
    assert page.css_first("[data-poll]") is not None


def test_start_with_another_fingerprint_is_refused(client_for):
    client = client_for("marketing")
    upload(client)
    job = Job.objects.get()
    response = client.post(
        reverse("jobs:import_start", args=[job.pk]), {"fingerprint": "0" * 64, "kind": "merge"}
    )
    assert response.status_code == 400
    assert Job.objects.get().state == Job.State.DRAFT


def test_job_poll_answers_204_while_unchanged_then_286_with_a_terminal_fragment(client_for):
    client = client_for("marketing")
    upload(client)
    job = Job.objects.get()
    client.post(
        reverse("jobs:import_start", args=[job.pk]),
        {"fingerprint": job.fingerprint, "kind": "merge"},
    )
    url = reverse("jobs:detail", args=[job.pk])
    first = client.get(url, **HTMX)
    version = HTMLParser(first.content.decode()).css_first("[data-poll]").attributes["hx-get"]
    assert first.status_code == 200
    assert client.get(version, **HTMX).status_code == 204
    work_queue()
    final = client.get(version, **HTMX)
    assert final.status_code == 286
    page = HTMLParser(final.content.decode())
    assert page.css_first("[data-poll]") is None
    assert page.css_first("[role=status]").attributes["data-state"] == "done"
    rows = [r.text(separator="|") for r in page.css("[data-failed-rows] tbody tr")]
    assert len(rows) == 1 and "crm-2" in rows[0]


def test_failed_rows_download_keeps_original_columns_and_neutralises_formulas(client_for):
    client = client_for("marketing")
    upload(client, b"Source_id,Note,E-mail\ncrm-1,ok,a@example.com\ncrm-2,=1+2,bad\n")
    job = Job.objects.get()
    client.post(
        reverse("jobs:import_start", args=[job.pk]),
        {"fingerprint": job.fingerprint, "kind": "merge"},
    )
    work_queue()
    response = client.get(reverse("jobs:failed_rows", args=[job.pk]))
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "Source_id,Note,E-mail,Failure reason"
    assert lines[1].startswith("crm-2,'=1+2,bad,Not sent: E-mail")
    assert len(lines) == 2


def test_job_list_shows_jobs_and_voucherifys_async_actions(client_for):
    client = client_for("marketing")
    get_client().update_customers_in_bulk([{"source_id": "x-1"}])
    response = client.get(reverse("jobs:list"))
    page = HTMLParser(response.content.decode())
    assert "CUSTOMERS.BULK_UPDATE" in page.css_first("#job-table").text()
    fragment = client.get(reverse("jobs:list"), **HTMX)
    assert "<html" not in fragment.content.decode()


def test_bulk_metadata_page_counts_selection_and_lists_customers_without_source_id(
    client_for,
):
    client = client_for("marketing")
    for n in range(3):
        get_client().create_customer({"source_id": f"b-{n}"})
    query = "?selected=s:b-0&selected=s:b-1&selected=s:b-2&selected=c:cust_nosource"
    url = reverse("jobs:bulk_metadata") + query
    page = HTMLParser(client.get(url).content.decode())
    assert "4 customers" in page.css_first("[data-count]").text()
    assert "cust_nosource" in page.css_first("[data-missing]").text()
    response = client.post(url, {"set_values": "segment=vip", "form_token": "b" * 20})
    job = Job.objects.get(kind=Job.Kind.METADATA)
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    work_queue()
    assert get_client().get_customer("b-2").metadata == {"segment": "vip"}


def test_bulk_metadata_for_all_matching_counts_with_one_call(client_for):
    client = client_for("marketing")
    for n in range(3):
        get_client().create_customer({"source_id": f"city-{n}", "address": {"city": "Bergen"}})
    url = reverse("jobs:bulk_metadata") + "?all=1&city=Bergen"
    page = HTMLParser(client.get(url).content.decode())
    assert "3 customers" in page.css_first("[data-count]").text()
    client.post(url, {"clear_keys": "old"})
    work_queue()
    assert get_client().get_customer("city-1").metadata == {"old": None}


def test_customer_list_has_selection_boxes_for_marketing_only(client_for):
    get_client().create_customer({"source_id": "sel-1", "name": "Sel"})
    marketing = HTMLParser(client_for("marketing").get(reverse("customers:list")).content.decode())
    box = marketing.css_first("input[name=selected]")
    assert box.attributes["value"] == "s:sel-1" and box.attributes["form"] == "bulk-form"
    support = HTMLParser(client_for("support").get(reverse("customers:list")).content.decode())
    assert support.css_first("input[name=selected]") is None
