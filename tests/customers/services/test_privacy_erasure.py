"""After an erasure, no table of the dashboard's database holds the person's data.

The search is generic: every table the database has and every column of it, cast to text,
so that a model added later is searched too (and must register its scrubber to pass).
"""

from __future__ import annotations

import datetime
import json
from urllib.parse import quote

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from customers.models.consents import ConsentLedgerEntry, wording_fingerprint
from customers.models.imports import Chunk, FailedRow, Job
from customers.models.privacy import DataSubjectRequest
from customers.services import privacy
from customers.voucherify import get_client
from dashboard import erasure
from dashboard.audit import audited, diff
from dashboard.models import FormSubmission, WriteLock

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

ZOFIA = {
    "source_id": "crm-zofia",
    "name": "Zofia Łukasiewicz",
    "email": "zofia.lukasiewicz@example.test",
    "phone": "+48 22 555 01 99",
    "address": {"line_1": "ul. Kwiatowa 12", "city": "Kraków", "country": "PL"},
    "metadata": {"pet": "Kot Filemon"},
}


def find_everywhere(values: set[str]) -> list[tuple[str, str, str]]:
    """`(table, column, value)` for every column of every table that contains a value, as
    text or as JSON writes it (non-ASCII escaped)."""
    forms = {form for value in values for form in (value, json.dumps(value)[1:-1])}
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = connection.introspection.get_table_description(cursor, table)
            for column in columns:
                for form in forms:
                    pattern = "%" + form.replace("\\", "\\\\").replace("%", "\\%") + "%"
                    cursor.execute(
                        f'SELECT COUNT(*) FROM "{table}" '  # noqa: S608 - names from introspection
                        f"WHERE CAST(\"{column.name}\" AS TEXT) LIKE %s ESCAPE '\\'",
                        [pattern],
                    )
                    if cursor.fetchone()[0]:
                        found.append((table, column.name, form))
    return found


def in_sessions(values: set[str]) -> list[str]:
    """Session data is signed and encoded: decode it to search it."""
    decoded = [json.dumps(s.get_decoded(), ensure_ascii=False) for s in Session.objects.all()]
    return [value for value in values for data in decoded if value.casefold() in data.casefold()]


def test_find_everywhere_finds_a_value_in_any_table(db, user_for):
    user_for("support", username="needle-in-auth")

    assert ("auth_user", "username", "needle-in-auth") in find_everywhere({"needle-in-auth"})


def test_erasure_leaves_no_personal_data_in_any_table_of_the_dashboard(user_for):
    client = get_client()
    zofia = client.create_customer(ZOFIA)
    support, a, b = user_for("support"), user_for("compliance"), user_for("compliance")
    personal = {
        zofia.id,
        ZOFIA["source_id"],
        ZOFIA["name"],
        ZOFIA["email"],
        ZOFIA["phone"],
        ZOFIA["address"]["line_1"],
        ZOFIA["metadata"]["pet"],
    }

    # Support's everyday work leaves records that name her, as the services write them.
    with audited(support, "update_customer", customer_id=zofia.id) as entry:
        new = {"phone": "+48 22 555 01 98", "metadata": {"pet": "Kot Filemon II"}}
        entry.changes = diff(zofia.base_fields(), {**zofia.base_fields(), **new})
        client.update_customer(zofia.id, new)
    personal |= {"+48 22 555 01 98", "Kot Filemon II"}
    FormSubmission.objects.create(token="t" * 32, user=support, location=f"/customers/{zofia.id}/")
    FormSubmission.objects.create(
        token="u" * 32, user=support, location=f"/customers/{quote(ZOFIA['source_id'])}/edit/"
    )
    ConsentLedgerEntry.objects.create(
        customer_id=zofia.id,
        consent_id="cnst_newsletter00000000000001",
        consent_name="Newsletter",
        wording_fingerprint=wording_fingerprint("Newsletter", ""),
        old_state="never_asked",
        new_state="granted",
        method="phone",
        reason=f"{ZOFIA['name']} called from {ZOFIA['phone']}",
        ticket=f"HD-0 {ZOFIA['email']}",
        username=support.username,
        outcome="applied",
    )
    job = Job.objects.create(kind=Job.Kind.METADATA, user=support, username=support.username)
    Chunk.objects.create(job=job, index=0, source_ids=["crm-other", ZOFIA["source_id"]])
    FailedRow.objects.create(
        job=job, row=3, source_id=ZOFIA["source_id"], reason=f"{ZOFIA['email']} is taken"
    )
    WriteLock.objects.create(
        key=f"customer:{zofia.id}",
        owner="dead-process",
        expires_at=timezone.now() - datetime.timedelta(minutes=5),
    )

    # Compliance: an access request done (its export holds everything), a refused erasure
    # whose notes quote her, then the erasure itself, through the pages.
    compliance_a, compliance_b = Client(), Client()
    compliance_a.force_login(a)
    compliance_b.force_login(b)
    access = privacy.deletion_request_open(
        customer=zofia.id,
        kind="access",
        ticket=f"HD-1 {ZOFIA['email']}",
        received_on=datetime.date.today(),
        notes=f"Asked by phone from {ZOFIA['phone']}",
        user=a,
    )
    privacy.deletion_request_verify_identity(
        request_id=access.pk, method="other", note=f"Called back {ZOFIA['name']}", user=a
    )
    privacy.deletion_request_approve(request_id=access.pk, user=b)
    privacy.deletion_request_execute(request_id=access.pk, user=a)
    compliance_a.get(reverse("privacy:export_json", args=[access.pk]))
    refused = privacy.deletion_request_open(
        customer=ZOFIA["source_id"],
        kind="erasure",
        ticket="HD-2",
        received_on=datetime.date.today(),
        user=a,
    )
    privacy.deletion_request_refuse(
        request_id=refused.pk,
        ground="identity_not_verified",
        note=f"Could not reach {ZOFIA['name']} at {ZOFIA['email']}",
        user=b,
    )
    compliance_a.post(
        reverse("privacy:open"),
        {
            "customer": zofia.id,
            "kind": "erasure",
            "ticket": "HD-3",
            "received_on": str(datetime.date.today()),
            "notes": f"Second letter, signed {ZOFIA['name']}",
        },
    )
    erasure_request = DataSubjectRequest.objects.get(ticket="HD-3")
    detail = erasure_request.get_absolute_url()
    compliance_a.post(
        reverse("privacy:verify_identity", args=[erasure_request.pk]),
        {"method": "id_document", "note": f"ID of {ZOFIA['name']}"},
    )
    compliance_b.post(reverse("privacy:approve", args=[erasure_request.pk]))
    compliance_a.get(detail)  # the page showing what will be lost
    before = {table for table, _, _ in find_everywhere(personal)}
    assert before >= {
        "dashboard_auditentry",
        "dashboard_formsubmission",
        "dashboard_writelock",
        "customers_datasubjectrequest",
        "customers_chunk",
        "customers_failedrow",
        "customers_consentledgerentry",
    }
    done = compliance_a.post(
        reverse("privacy:execute", args=[erasure_request.pk]), {"confirmation": ZOFIA["email"]}
    )
    compliance_a.get(done["Location"])
    compliance_a.get(reverse("privacy:certificate", args=[erasure_request.pk]))
    compliance_a.get(reverse("privacy:certificate_json", args=[erasure_request.pk]))
    compliance_a.get(reverse("privacy:list"))
    compliance_a.get(reverse("audit_log"))

    erasure_request.refresh_from_db()
    assert erasure_request.status == DataSubjectRequest.Status.DONE
    assert find_everywhere(personal) == []
    assert in_sessions(personal) == []
    # The record of what was done stays: who did what, when, and the receipt.
    assert erasure_request.deletion_id.startswith("del_")
    assert erasure_request.requested_by_name == a.username
    assert erasure_request.ticket == "HD-3"
    refused.refresh_from_db()
    assert refused.refusal_note == f"Could not reach {erasure.REDACTED} at {erasure.REDACTED}"
    assert refused.get_refusal_ground_display() == "Identity not verified (Art. 12(6))"


def test_erasure_scrubbers_cover_every_model_with_text_columns():
    """A reminder that holds: each dashboard model that can hold customer data is named by a
    scrubber; a new model must register one (or be listed here as holding none)."""
    holds_none = {
        "auth.Permission",
        "auth.Group",
        "auth.User",
        "contenttypes.ContentType",
        "sessions.Session",
        "admin.LogEntry",
        "customers.SuppressedIdentifier",  # keyed hashes only
        "customers.RateBudget",  # a shared request budget
        "django_tasks_database.DBTaskResult",  # tasks take job ids and return states
        "customers.SeenSegment",  # segment ids and names, no person's data
        "customers.SeenCampaign",  # campaign ids and names, no person's data
        # Sign-in attempts: staff usernames and addresses, never a customer's.
        "axes.AccessAttempt",
        "axes.AccessAttemptExpiration",
        "axes.AccessFailureLog",
        "axes.AccessLog",
    }
    scrubbed = {
        "customers.ConsentLedgerEntry": "consent ledger",
        "customers.Job": "import jobs",
        "customers.Chunk": "import jobs",
        "customers.FailedRow": "import jobs",
        "dashboard.AuditEntry": "audit trail",
        "customers.DataSubjectRequest": "data-subject requests",
        "dashboard.FormSubmission": "form replays",
        "dashboard.WriteLock": "write locks",
    }
    from django.apps import apps

    models = {
        model._meta.label
        for model in apps.get_models()
        if model._meta.managed and model._meta.app_label != "sandbox"
    }

    assert models <= holds_none | scrubbed.keys(), models - holds_none - scrubbed.keys()
    assert set(scrubbed.values()) <= set(erasure.scrubbers())
