"""The request's state machine: each step, who may take it, and its audit entry."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from customers.models.privacy import DataSubjectRequest, add_months
from customers.services import privacy
from customers.voucherify import NotFound
from dashboard.models import AuditEntry

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

Status = DataSubjectRequest.Status


def steps(request_id, user):
    """Every step, as a call for `user` (arguments that would be accepted)."""
    return {
        "verify_identity": lambda: privacy.deletion_request_verify_identity(
            request_id=request_id, method="id_document", note="", user=user
        ),
        "approve": lambda: privacy.deletion_request_approve(request_id=request_id, user=user),
        "refuse": lambda: privacy.deletion_request_refuse(
            request_id=request_id, ground="art17_3_e", note="Pending lawsuit", user=user
        ),
        "cancel": lambda: privacy.deletion_request_cancel(
            request_id=request_id, note="Withdrawn", user=user
        ),
        "extend": lambda: privacy.deletion_request_extend(
            request_id=request_id, months=1, reason="Many requests", user=user
        ),
        "execute": lambda: privacy.deletion_request_execute(
            request_id=request_id, confirmation="crm-grace", user=user
        ),
        "resolve": lambda: privacy.deletion_request_resolve(request_id=request_id, user=user),
        "get": lambda: privacy.deletion_request_get(request_id=request_id, user=user),
        "list": lambda: privacy.deletion_request_list(user=user),
        "certificate": lambda: privacy.deletion_request_certificate(
            request_id=request_id, user=user
        ),
        "export": lambda: privacy.deletion_request_export(request_id=request_id, user=user),
    }


def test_deletion_request_open_records_customer_due_date_and_audit(grace, staff):
    received = datetime.date.today() - datetime.timedelta(days=3)

    request = privacy.deletion_request_open(
        customer="crm-grace",
        kind="erasure",
        ticket=" HD-1001 ",
        received_on=received,
        notes="By letter",
        user=staff["a"],
    )

    assert request.status == Status.RECEIVED
    assert (request.customer_id, request.source_id, request.email) == (
        grace.id,
        "crm-grace",
        "grace.hopper@example.test",
    )
    assert request.ticket == "HD-1001"
    assert request.due_on == add_months(received, 1)
    assert request.requested_by == staff["a"]
    entry = AuditEntry.objects.get(operation="deletion_request_open")
    assert entry.customer_id == grace.id
    assert entry.username == staff["a"].username
    assert entry.changes["request"] == {"old": None, "new": request.label}
    assert entry.changes["kind"] == {"old": None, "new": "erasure"}


def test_deletion_request_open_unknown_customer_raises_not_found(db, staff):
    with pytest.raises(NotFound):
        privacy.deletion_request_open(
            customer="nobody",
            kind="erasure",
            ticket="HD-1",
            received_on=datetime.date.today(),
            user=staff["a"],
        )

    assert not DataSubjectRequest.objects.exists()


def test_deletion_request_open_second_open_request_of_same_kind_refused(grace, walk, staff):
    first = walk(grace, "erasure", to="received")

    with pytest.raises(privacy.DuplicateRequest) as refused:
        walk(grace, "erasure", to="received")

    assert refused.value.request == first
    assert DataSubjectRequest.objects.count() == 1
    walk(grace, "access", to="received")  # another kind is another request
    assert DataSubjectRequest.objects.count() == 2


def test_deletion_request_open_received_in_future_refused(grace, staff):
    with pytest.raises(privacy.StepRefused):
        privacy.deletion_request_open(
            customer=grace.id,
            kind="access",
            ticket="HD-1",
            received_on=datetime.date.today() + datetime.timedelta(days=1),
            user=staff["a"],
        )


def test_deletion_request_verify_identity_records_method_note_and_who(grace, walk, staff):
    request = walk(grace, to="received")

    done = privacy.deletion_request_verify_identity(
        request_id=request.pk, method="id_document", note="Passport seen", user=staff["b"]
    )

    assert done.request.status == Status.IDENTITY_VERIFIED
    assert done.request.identity_method == "id_document"
    assert done.request.identity_note == "Passport seen"
    assert done.request.identity_verified_by_name == staff["b"].username
    assert done.request.identity_verified_at is not None
    entry = AuditEntry.objects.get(operation="deletion_request_verify_identity")
    assert entry.username == staff["b"].username
    assert entry.changes["status"] == {"old": "received", "new": "identity_verified"}


def test_deletion_request_verify_identity_other_without_note_refused(grace, walk, staff):
    request = walk(grace, to="received")

    with pytest.raises(privacy.StepRefused):
        privacy.deletion_request_verify_identity(
            request_id=request.pk, method="other", note=" ", user=staff["a"]
        )


def test_deletion_request_approve_by_requester_refused_with_four_eyes(grace, walk, staff):
    request = walk(grace, to="identity_verified")

    with pytest.raises(privacy.StepRefused, match="four eyes"):
        privacy.deletion_request_approve(request_id=request.pk, user=staff["a"])

    request.refresh_from_db()
    assert request.status == Status.IDENTITY_VERIFIED
    refused = AuditEntry.objects.get(operation="deletion_request_approve")
    assert refused.outcome == "failed"
    assert refused.username == staff["a"].username


def test_deletion_request_approve_by_second_compliance_user_approves(grace, walk, staff):
    request = walk(grace, to="identity_verified")

    done = privacy.deletion_request_approve(request_id=request.pk, user=staff["b"])

    assert done.request.status == Status.APPROVED
    assert done.request.approved_by == staff["b"]
    assert AuditEntry.objects.get(operation="deletion_request_approve").outcome == "success"


def test_deletion_request_approve_four_eyes_off_lets_requester_approve(
    grace, walk, staff, settings
):
    settings.DSR_FOUR_EYES = False
    request = walk(grace, to="identity_verified")

    done = privacy.deletion_request_approve(request_id=request.pk, user=staff["a"])

    assert done.request.status == Status.APPROVED


def test_deletion_request_approve_before_identity_verified_refused(grace, walk, staff):
    request = walk(grace, to="received")

    with pytest.raises(privacy.StepRefused):
        privacy.deletion_request_approve(request_id=request.pk, user=staff["b"])


@pytest.mark.parametrize("role", ["support", "marketing"])
def test_deletion_request_steps_support_and_marketing_denied_every_one(grace, walk, staff, role):
    request = walk(grace, to="identity_verified")

    for name, step in steps(request.pk, staff[role]).items():
        with pytest.raises(PermissionDenied):
            step()
        request.refresh_from_db()
        assert request.status == Status.IDENTITY_VERIFIED, name
    with pytest.raises(PermissionDenied):
        privacy.deletion_request_open(
            customer=grace.id,
            kind="access",
            ticket="x",
            received_on=datetime.date.today(),
            user=staff[role],
        )
    assert DataSubjectRequest.objects.count() == 1


def test_deletion_request_steps_admin_may_take_them(grace, walk, staff):
    request = walk(grace, to="received")

    privacy.deletion_request_verify_identity(
        request_id=request.pk, method="knowledge", note="", user=staff["admin"]
    )
    done = privacy.deletion_request_approve(request_id=request.pk, user=staff["admin"])

    assert done.request.status == Status.APPROVED


@pytest.mark.parametrize("state", ["received", "identity_verified", "approved"])
def test_deletion_request_refuse_open_request_records_ground_and_note(grace, walk, staff, state):
    request = walk(grace, to=state)

    done = privacy.deletion_request_refuse(
        request_id=request.pk, ground="art17_3_e", note="Pending lawsuit", user=staff["b"]
    )

    assert done.request.status == Status.REFUSED
    assert done.request.refusal_ground == "art17_3_e"
    assert done.request.get_refusal_ground_display().startswith("Art. 17(3)(e)")
    assert done.request.refusal_note == "Pending lawsuit"
    assert done.request.refused_by_name == staff["b"].username
    entry = AuditEntry.objects.get(operation="deletion_request_refuse")
    assert entry.changes["ground"] == {"old": None, "new": "art17_3_e"}


def test_deletion_request_refuse_identity_not_verified_is_a_ground(grace, walk, staff):
    request = walk(grace, to="received")

    done = privacy.deletion_request_refuse(
        request_id=request.pk,
        ground="identity_not_verified",
        note="No answer to our check",
        user=staff["a"],
    )

    assert done.request.get_refusal_ground_display() == "Identity not verified (Art. 12(6))"


def test_deletion_request_refuse_without_note_or_with_wrong_ground_refused(grace, walk, staff):
    request = walk(grace, "access", to="received")

    with pytest.raises(privacy.StepRefused):
        privacy.deletion_request_refuse(
            request_id=request.pk, ground="identity_not_verified", note="", user=staff["a"]
        )
    with pytest.raises(privacy.StepRefused):  # Art. 17(3) grounds do not refuse an access
        privacy.deletion_request_refuse(
            request_id=request.pk, ground="art17_3_a", note="n", user=staff["a"]
        )

    request.refresh_from_db()
    assert request.status == Status.RECEIVED


@pytest.mark.parametrize("state", ["received", "identity_verified", "approved"])
def test_deletion_request_cancel_before_execution_cancels(grace, walk, staff, state):
    request = walk(grace, to=state)

    done = privacy.deletion_request_cancel(
        request_id=request.pk, note="The person withdrew it", user=staff["b"]
    )

    assert done.request.status == Status.CANCELLED
    assert done.request.cancel_note == "The person withdrew it"
    assert done.request.cancelled_by_name == staff["b"].username
    assert AuditEntry.objects.filter(operation="deletion_request_cancel").count() == 1


@pytest.mark.parametrize("status", ["executing", "done", "refused", "cancelled"])
def test_deletion_request_cancel_once_executing_or_closed_refused(grace, walk, staff, status):
    request = walk(grace, to="approved")
    DataSubjectRequest.objects.filter(pk=request.pk).update(status=status)

    with pytest.raises(privacy.StepRefused):
        privacy.deletion_request_cancel(request_id=request.pk, note="n", user=staff["b"])

    request.refresh_from_db()
    assert request.status == status


def test_deletion_request_extend_moves_due_date_and_records_reason(grace, walk, staff):
    base = datetime.date.today() - datetime.timedelta(days=10)
    request = walk(grace, to="received", received_on=base)

    done = privacy.deletion_request_extend(
        request_id=request.pk, months=1, reason="Complex: three systems", user=staff["b"]
    )

    assert done.request.due_on == add_months(base, 2)
    assert done.request.extension_months == 1
    assert "Complex: three systems" in done.request.extension_reason
    assert staff["b"].username in done.request.extension_reason
    entry = AuditEntry.objects.get(operation="deletion_request_extend")
    assert entry.changes["due_on"]["new"] == add_months(base, 2).isoformat()

    again = privacy.deletion_request_extend(
        request_id=request.pk, months=1, reason="Still waiting for the archive", user=staff["b"]
    )
    assert again.request.due_on == add_months(base, 3)
    assert "Complex" in again.request.extension_reason
    assert "archive" in again.request.extension_reason


def test_deletion_request_extend_beyond_two_months_refused(grace, walk, staff):
    request = walk(grace, to="received")
    privacy.deletion_request_extend(request_id=request.pk, months=2, reason="r", user=staff["a"])

    with pytest.raises(privacy.StepRefused, match="0 more months"):
        privacy.deletion_request_extend(
            request_id=request.pk, months=1, reason="r", user=staff["a"]
        )


def test_deletion_request_extend_without_reason_refused(grace, walk, staff):
    request = walk(grace, to="received")

    with pytest.raises(privacy.StepRefused):
        privacy.deletion_request_extend(request_id=request.pk, months=1, reason="", user=staff["a"])


def test_deletion_request_extend_after_first_month_refused(grace, walk, staff):
    request = walk(
        grace, to="received", received_on=datetime.date.today() - datetime.timedelta(days=40)
    )

    with pytest.raises(privacy.StepRefused, match="first month is over"):
        privacy.deletion_request_extend(
            request_id=request.pk, months=1, reason="Late", user=staff["a"]
        )


def test_deletion_request_list_open_first_soonest_due_then_filters(grace, walk, staff):
    today = datetime.date.today()
    late = walk(grace, "erasure", to="received", received_on=today - datetime.timedelta(days=40))
    fresh = walk(grace, "access", to="received", received_on=today)
    closed = walk(grace, "deletion", to="received", received_on=today - datetime.timedelta(days=50))
    privacy.deletion_request_cancel(request_id=closed.pk, note="dup", user=staff["a"])

    listed = list(privacy.deletion_request_list(user=staff["a"]))
    overdue = list(privacy.deletion_request_list(user=staff["a"], overdue=True))
    access = list(privacy.deletion_request_list(user=staff["a"], kind="access"))
    cancelled = list(privacy.deletion_request_list(user=staff["a"], status="cancelled"))
    due_soon = list(
        privacy.deletion_request_list(user=staff["a"], due_to=today + datetime.timedelta(days=3))
    )

    assert listed == [late, fresh, closed]
    assert overdue == [late]
    assert late.overdue() and late.overdue_by() > 0
    assert fresh.days_left() == (add_months(today, 1) - today).days
    assert access == [fresh]
    assert cancelled == [closed]
    assert due_soon == [late, closed]


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (datetime.date(2026, 1, 15), 1, datetime.date(2026, 2, 15)),
        (datetime.date(2026, 1, 31), 1, datetime.date(2026, 2, 28)),
        (datetime.date(2028, 1, 31), 1, datetime.date(2028, 2, 29)),
        (datetime.date(2026, 11, 30), 3, datetime.date(2027, 2, 28)),
        (datetime.date(2026, 12, 31), 1, datetime.date(2027, 1, 31)),
    ],
)
def test_add_months_keeps_day_or_takes_month_end(day, months, expected):
    assert add_months(day, months) == expected
