"""Data-subject requests: one service per step of a request's life, each writing its audit
entry with the acting user.

    received -> identity verified -> approved -> executing -> done
    (refused with a ground and a note, cancelled until it executes, failed and retryable)

Execution is exactly once: the move approved/failed -> executing is one conditional UPDATE,
so of two clicks, tabs, executors or processes only one sends anything to Voucherify. A call
that times out has an unknown outcome: it is settled by re-reading (is the customer gone?)
before any retry. Once applied, the dashboard checks that the customer is gone (by id, by
source_id, by email), puts the erased identifiers on the suppression list, scrubs its own
records (`dashboard.erasure`) and issues a signed certificate.
"""

from __future__ import annotations

import datetime
import json
import time
from dataclasses import dataclass
from typing import Any

import msgspec
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from customers import consent_export
from customers.models.privacy import (
    FIRST_PERIOD_MONTHS,
    MAX_EXTENSION_MONTHS,
    DataSubjectRequest,
    add_months,
)
from customers.services import certificates, consents, suppression
from customers.voucherify import (
    AuthFailed,
    ConnectionFailed,
    NotFound,
    RateLimited,
    ServerError,
    Timeout,
    ValidationFailed,
    VoucherifyError,
    get_client,
)
from customers.voucherify.resources import Customer
from dashboard import erasure
from dashboard.audit import audited, record_failure, resolve
from dashboard.locks import LockTimeout, write_lock
from dashboard.models import AuditEntry

PERMISSION = "dashboard.delete_customers"
Kind = DataSubjectRequest.Kind
Status = DataSubjectRequest.Status
Phase = DataSubjectRequest.Phase
Ground = DataSubjectRequest.RefusalGround
Method = DataSubjectRequest.IdentityMethod

EXECUTABLE = (Status.APPROVED, Status.FAILED)
REFUSABLE = (Status.RECEIVED, Status.IDENTITY_VERIFIED, Status.APPROVED)
CANCELLABLE = (Status.RECEIVED, Status.IDENTITY_VERIFIED, Status.APPROVED, Status.FAILED)
# A receipt's status: DONE is final, FAILED is final and not applied; others are polled.
RECEIPT_DONE = frozenset({"DONE"})
RECEIPT_FAILED = frozenset({"FAILED"})
GROUNDS = {
    Kind.ERASURE: (
        Ground.IDENTITY,
        Ground.EXPRESSION,
        Ground.LEGAL_OBLIGATION,
        Ground.PUBLIC_HEALTH,
        Ground.ARCHIVING,
        Ground.LEGAL_CLAIMS,
        Ground.UNFOUNDED,
    ),
    Kind.ACCESS: (Ground.IDENTITY, Ground.UNFOUNDED, Ground.OTHERS_RIGHTS),
}
GROUNDS[Kind.DELETION] = GROUNDS[Kind.ERASURE]
CLAIM_TRIES = 40  # SQLite's shared cache says "locked" instead of waiting: try again briefly
CLAIM_PAUSE = 0.05
EMAIL_CHECK_LIMIT = 10


class StepRefused(Exception):
    """The step cannot be taken now (its state, four eyes, the input): nothing changed."""

    def __init__(self, message: str, *, request: DataSubjectRequest | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.request = request


class DuplicateRequest(StepRefused):
    """An open request of the same kind exists for this customer."""


# --- outcomes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepDone:
    request: DataSubjectRequest
    message: str


@dataclass(frozen=True)
class Executed:
    """Applied, checked (the customer is gone), scrubbed and certified (or, for an access
    request, the export is ready)."""

    request: DataSubjectRequest

    @property
    def message(self) -> str:
        if self.request.kind == Kind.ACCESS:
            return f"{self.request.label}: the export is ready."
        return f"{self.request.label}: done and verified; the certificate is issued."


@dataclass(frozen=True)
class Pending:
    """Applied, but Voucherify is not finished yet or still finds the customer: the request
    page checks again every few seconds."""

    request: DataSubjectRequest
    message: str = "Voucherify accepted it; the dashboard is checking that the customer is gone."


@dataclass(frozen=True)
class Failed:
    """Not applied (Voucherify refused, or could not be reached): it can be retried."""

    request: DataSubjectRequest
    error: VoucherifyError | None = None

    @property
    def message(self) -> str:
        return f"{self.request.label} failed: {self.request.last_error}. Nothing was applied."


@dataclass(frozen=True)
class Unknown:
    """Sent, no answer, and re-reading could not settle it either: check again later."""

    request: DataSubjectRequest
    error: VoucherifyError

    @property
    def message(self) -> str:
        return (
            f"{self.request.label}: Voucherify did not answer, so the dashboard does not know "
            "yet whether it was applied. Nothing will be sent again until a re-read settles it."
        )


@dataclass(frozen=True)
class AlreadyRunning:
    """Another click, tab or colleague got there first: nothing was sent again."""

    request: DataSubjectRequest

    @property
    def message(self) -> str:
        who = self.request.executed_by_name or "someone"
        return f"{self.request.label} is already being executed by {who}; nothing was sent again."


@dataclass(frozen=True)
class ConfirmationMismatch:
    request: DataSubjectRequest
    message: str = (
        "That is not the customer's email or source id (type it exactly). Nothing was sent."
    )


@dataclass(frozen=True)
class Loss:
    """What an erasure or deletion takes with it, from the customer's live record."""

    loyalty_points: int
    loyalty_campaigns: tuple[tuple[str, int], ...]
    orders: int
    orders_amount: int
    redemptions: int
    redemptions_succeeded: int
    segments: tuple[str, ...] | None
    referrals: int
    referred_customers: int

    @classmethod
    def of(cls, customer: Customer, segments: tuple[str, ...] | None) -> Loss:
        return cls(
            loyalty_points=customer.loyalty.points,
            loyalty_campaigns=tuple(
                (name, campaign.points) for name, campaign in customer.loyalty.campaigns.items()
            ),
            orders=customer.summary.orders.total_count,
            orders_amount=customer.summary.orders.total_amount,
            redemptions=customer.summary.redemptions.total_redeemed,
            redemptions_succeeded=customer.summary.redemptions.total_succeeded,
            segments=segments,
            referrals=customer.referrals.total,
            referred_customers=customer.loyalty.referred_customers,
        )

    def counts(self) -> dict[str, int | None]:
        """The record kept with the request: numbers only."""
        return {
            "loyalty_points": self.loyalty_points,
            "loyalty_campaigns": len(self.loyalty_campaigns),
            "orders": self.orders,
            "orders_amount": self.orders_amount,
            "redemptions": self.redemptions,
            "segments": None if self.segments is None else len(self.segments),
            "referrals": self.referrals,
            "referred_customers": self.referred_customers,
        }


@dataclass(frozen=True)
class RequestPage:
    """What the request page shows: the request, and before a destructive execution the
    customer as Voucherify has them now with what would be lost."""

    request: DataSubjectRequest
    customer: Customer | None = None
    loss: Loss | None = None
    problem: VoucherifyError | None = None
    customer_gone: bool = False
    may_approve: bool = False
    resolvable: bool = False

    @property
    def polling(self) -> bool:
        """The page checks back while an execution is under way."""
        return self.request.status == Status.EXECUTING

    @property
    def grounds(self) -> list[tuple[str, str]]:
        return [(ground.value, ground.label) for ground in GROUNDS[self.request.kind]]

    @property
    def may_refuse(self) -> bool:
        return self.request.status in REFUSABLE

    @property
    def may_cancel(self) -> bool:
        return self.request.status in CANCELLABLE

    @property
    def extension_left(self) -> int:
        return MAX_EXTENSION_MONTHS - self.request.extension_months

    @property
    def may_extend(self) -> bool:
        today = timezone.localdate()
        return (
            self.request.is_open and self.extension_left > 0 and today <= self.request.first_due_on
        )


# --- helpers --------------------------------------------------------------------------------


def _require(user) -> None:
    if not (user and user.is_authenticated and user.has_perm(PERMISSION)):
        raise PermissionDenied("Only compliance staff and admins handle data-subject requests.")


def _get(request_id: int) -> DataSubjectRequest:
    try:
        return DataSubjectRequest.objects.get(pk=request_id)
    except (DataSubjectRequest.DoesNotExist, ValueError, TypeError):
        raise StepRefused("There is no such request.") from None


def _username(user) -> str:
    return user.get_username()


def _lock_key(request: DataSubjectRequest) -> str:
    return f"data-subject-request:{request.pk}"


def _lease_expired(request: DataSubjectRequest) -> bool:
    """An execution whose process died mid-call: its outcome is unknown too."""
    started = request.execution_started_at
    lease = datetime.timedelta(seconds=4 * settings.VOUCHERIFY_TIMEOUT + 10)
    return started is not None and timezone.now() - started > lease


def _audit(user, operation: str, request: DataSubjectRequest, changes: dict | None = None):
    """The audit entry of one step, under the customer's id (its hash once erased)."""
    entry_changes = {"request": (None, request.label), **(changes or {})}
    return audited(user, operation, customer_id=request.customer_id, changes=entry_changes)


def _born_scrubbed(entry: AuditEntry, request: DataSubjectRequest) -> None:
    if request.erased:
        entry.scrubbed_at = timezone.now()


def _update(request: DataSubjectRequest, *, allowed, **updates) -> bool:
    """Apply `updates` only if the request is still in one of the `allowed` states, in one
    UPDATE (the database arbitrates between two processes racing for the same step)."""
    for _ in range(CLAIM_TRIES):
        try:
            changed = DataSubjectRequest.objects.filter(pk=request.pk, status__in=allowed).update(
                **updates, version=F("version") + 1
            )
        except OperationalError:
            time.sleep(CLAIM_PAUSE)
            continue
        return bool(changed)
    return False


def _transition(
    *,
    request_id: int,
    user,
    operation: str,
    allowed,
    updates: dict,
    changes: dict | None = None,
    check=None,
    message: str,
) -> StepDone:
    _require(user)
    request = _get(request_id)
    new_status = updates.get("status", request.status)
    step_changes = {"status": (request.status, new_status), **(changes or {})}
    with _audit(user, operation, request, step_changes) as entry:
        _born_scrubbed(entry, request)
        if request.status not in allowed:
            raise StepRefused(
                f"{request.label} is {request.get_status_display().lower()}: this step is not "
                "possible any more.",
                request=request,
            )
        if check is not None:
            check(request)
        if not _update(request, allowed=allowed, **updates):
            raise StepRefused(
                f"{request.label} changed meanwhile; nothing was done. Reload it and try again.",
                request=request,
            )
    request.refresh_from_db()
    return StepDone(request, message.format(label=request.label))


# --- the steps ------------------------------------------------------------------------------


def deletion_request_open(
    *,
    customer: str,
    kind: str,
    ticket: str,
    received_on: datetime.date,
    notes: str = "",
    user,
) -> DataSubjectRequest:
    """A new request about `customer` (an id or source_id), as received on `received_on`.

    Raises `NotFound` (and other `VoucherifyError`s) when the customer cannot be read, and
    `DuplicateRequest` when a request of this kind is already open for them.
    """
    _require(user)
    if kind not in Kind.values:
        raise StepRefused("Choose the kind of request.")
    if received_on > timezone.localdate():
        raise StepRefused("The date received cannot be in the future.")
    found = get_client().get_customer(customer.strip())
    duplicate = DataSubjectRequest.objects.filter(
        customer_id=found.id, kind=kind, status__in=DataSubjectRequest.OPEN
    ).first()
    if duplicate is not None:
        raise DuplicateRequest(
            f"{duplicate.label} is already open for this customer.", request=duplicate
        )
    with audited(user, "deletion_request_open", customer_id=found.id or "") as entry:
        request = DataSubjectRequest.objects.create(
            kind=kind,
            customer_id=found.id or "",
            source_id=found.source_id or "",
            email=found.email or "",
            ticket=ticket.strip(),
            received_on=received_on,
            due_on=add_months(received_on, FIRST_PERIOD_MONTHS),
            notes=notes.strip(),
            requested_by=user,
            requested_by_name=_username(user),
        )
        entry.changes = {
            "request": (None, request.label),
            "kind": (None, kind),
            "ticket": (None, request.ticket),
            "status": (None, request.status),
            "due_on": (None, request.due_on),
        }
    return request


def deletion_request_verify_identity(*, request_id: int, method: str, note: str, user) -> StepDone:
    """Record how the person's identity was checked, and by whom."""
    if method not in Method.values:
        raise StepRefused("Choose how the identity was verified.")
    if method == Method.OTHER and not note.strip():
        raise StepRefused("Describe in the note how the identity was verified.")
    return _transition(
        request_id=request_id,
        user=user,
        operation="deletion_request_verify_identity",
        allowed=(Status.RECEIVED,),
        updates={
            "status": Status.IDENTITY_VERIFIED,
            "identity_method": method,
            "identity_note": note.strip(),
            "identity_verified_by_name": _username(user),
            "identity_verified_at": timezone.now(),
        },
        changes={"identity_method": (None, method)},
        message="{label}: identity verified.",
    )


def may_approve(request: DataSubjectRequest, user) -> bool:
    """Four eyes: the approver is not the one who opened the request (when on)."""
    if not settings.DSR_FOUR_EYES:
        return True
    if request.requested_by_id is not None:
        return request.requested_by_id != user.pk
    return request.requested_by_name != _username(user)


def deletion_request_approve(*, request_id: int, user) -> StepDone:
    """The second pair of eyes: another compliance user than the requester approves."""

    def four_eyes(request: DataSubjectRequest) -> None:
        if not may_approve(request, user):
            raise StepRefused(
                f"{request.label} was opened by you: another compliance user must approve it "
                "(four eyes).",
                request=request,
            )

    return _transition(
        request_id=request_id,
        user=user,
        operation="deletion_request_approve",
        allowed=(Status.IDENTITY_VERIFIED,),
        updates={
            "status": Status.APPROVED,
            "approved_by": user,
            "approved_by_name": _username(user),
            "approved_at": timezone.now(),
        },
        changes={"four_eyes": (None, settings.DSR_FOUR_EYES)},
        check=four_eyes,
        message="{label}: approved.",
    )


def deletion_request_refuse(*, request_id: int, ground: str, note: str, user) -> StepDone:
    """Refuse with a ground (Art. 17(3), Art. 12(5)/(6), Art. 15(4)) and a note."""
    if not note.strip():
        raise StepRefused("Say in the note why the request is refused.")

    def valid_ground(request: DataSubjectRequest) -> None:
        if ground not in GROUNDS[request.kind]:
            raise StepRefused("Choose a ground that applies to this kind of request.")

    return _transition(
        request_id=request_id,
        user=user,
        operation="deletion_request_refuse",
        allowed=REFUSABLE,
        updates={
            "status": Status.REFUSED,
            "refusal_ground": ground,
            "refusal_note": note.strip(),
            "refused_by_name": _username(user),
            "refused_at": timezone.now(),
        },
        changes={"ground": (None, ground)},
        check=valid_ground,
        message="{label}: refused.",
    )


def deletion_request_cancel(*, request_id: int, note: str, user) -> StepDone:
    """Cancel (the person withdrew it, a duplicate, ...): possible until it executes."""
    if not note.strip():
        raise StepRefused("Say in the note why the request is cancelled.")
    return _transition(
        request_id=request_id,
        user=user,
        operation="deletion_request_cancel",
        allowed=CANCELLABLE,
        updates={
            "status": Status.CANCELLED,
            "cancel_note": note.strip(),
            "cancelled_by_name": _username(user),
            "cancelled_at": timezone.now(),
        },
        message="{label}: cancelled.",
    )


def deletion_request_extend(*, request_id: int, months: int, reason: str, user) -> StepDone:
    """Extend the due date by up to two further months in all (Art. 12(3)), with a reason,
    while the first month is still running (the person must be told within it)."""
    if not reason.strip():
        raise StepRefused("Give the reason for the extension.")
    _require(user)
    request = _get(request_id)
    total = request.extension_months + months
    if months < 1 or total > MAX_EXTENSION_MONTHS:
        left = MAX_EXTENSION_MONTHS - request.extension_months
        raise StepRefused(
            f"The due date can be extended by {left} more month{'s' if left != 1 else ''} at "
            "most (two in all).",
            request=request,
        )
    if timezone.localdate() > request.first_due_on:
        raise StepRefused(
            "The first month is over: an extension had to be decided and told to the person "
            f"by {request.first_due_on:%Y-%m-%d}.",
            request=request,
        )
    now = timezone.now()
    due = add_months(request.received_on, FIRST_PERIOD_MONTHS + total)
    line = f"{now:%Y-%m-%d} +{months} month{'s' if months > 1 else ''} ({_username(user)}): "
    reasons = "\n".join(r for r in (request.extension_reason, line + reason.strip()) if r)
    return _transition(
        request_id=request_id,
        user=user,
        operation="deletion_request_extend",
        allowed=DataSubjectRequest.OPEN,
        updates={
            "extension_months": total,
            "due_on": due,
            "extension_reason": reasons,
            "extended_by_name": _username(user),
            "extended_at": now,
        },
        changes={"due_on": (request.due_on, due), "months": (None, months)},
        message="{label}: due date extended to " + f"{due:%Y-%m-%d}.",
    )


# --- reading --------------------------------------------------------------------------------


def deletion_request_list(
    *,
    user,
    status: str = "",
    kind: str = "",
    due_from: datetime.date | None = None,
    due_to: datetime.date | None = None,
    overdue: bool = False,
) -> QuerySet[DataSubjectRequest]:
    """Open requests first, soonest due first; then the closed ones, newest first."""
    _require(user)
    requests = DataSubjectRequest.objects.all()
    if status:
        requests = requests.filter(status=status)
    if kind:
        requests = requests.filter(kind=kind)
    if due_from:
        requests = requests.filter(due_on__gte=due_from)
    if due_to:
        requests = requests.filter(due_on__lte=due_to)
    if overdue:
        requests = requests.filter(
            status__in=DataSubjectRequest.OPEN, due_on__lt=timezone.localdate()
        )
    open_first = Case(
        When(status__in=DataSubjectRequest.OPEN, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return requests.annotate(closed=open_first).order_by("closed", "due_on", "-id")


def deletion_request_get(*, request_id: int, user) -> RequestPage:
    """The request and, before a destructive execution, the live customer and what an
    execution would take with it (two reads: the customer and their segments)."""
    _require(user)
    request = _get(request_id)
    page = {
        "request": request,
        "may_approve": may_approve(request, user),
        "resolvable": _resolvable(request),
    }
    if request.is_destructive and request.status in EXECUTABLE and not request.erased:
        client = get_client()
        try:
            customer = client.get_customer(request.customer_id)
        except NotFound:
            return RequestPage(**page, customer_gone=True)
        except VoucherifyError as error:
            return RequestPage(**page, problem=error)
        page.update(customer=customer, loss=Loss.of(customer, _segment_names(client, customer)))
    return RequestPage(**page)


def erasure_of(identifier: str) -> DataSubjectRequest | None:
    """The done erasure of the customer once known by this id or source_id, if any (found by
    the keyed hash the erasure left): a profile link to them can say what happened."""
    key = erasure.keyed_hash(identifier)
    return (
        DataSubjectRequest.objects.filter(
            Q(customer_id=key) | Q(source_id=key), kind=Kind.ERASURE, status=Status.DONE
        )
        .order_by("-done_at")
        .first()
    )


def _segment_names(client, customer: Customer) -> tuple[str, ...] | None:
    try:
        segments = client.list_customer_segments(customer.id or "")
    except VoucherifyError:
        return None
    return tuple(segment.name or segment.id or "" for segment in segments)


def _resolvable(request: DataSubjectRequest) -> bool:
    return request.status == Status.EXECUTING and (
        request.phase == Phase.UNKNOWN
        or (request.phase == Phase.SENDING and _lease_expired(request))
    )


# --- execution ------------------------------------------------------------------------------


def deletion_request_execute(*, request_id: int, confirmation: str = "", user):
    """Carry out an approved (or failed) request, exactly once.

    Erasure and deletion need `confirmation`: the customer's email or source_id, typed
    exactly. Returns `Executed`, `Pending`, `Failed`, `Unknown`, `AlreadyRunning` or
    `ConfirmationMismatch`.
    """
    _require(user)
    request = _get(request_id)
    if request.status == Status.EXECUTING:
        return AlreadyRunning(request)
    if request.status not in EXECUTABLE:
        raise StepRefused(
            f"{request.label} is {request.get_status_display().lower()}: it cannot be executed.",
            request=request,
        )
    if request.erased:
        raise StepRefused(
            f"The customer of {request.label} was erased meanwhile: there is nothing left to do.",
            request=request,
        )
    if request.kind == Kind.ACCESS:
        return _execute_access(request, user)
    return _execute_destructive(request, confirmation, user)


def _execute_destructive(request: DataSubjectRequest, confirmation: str, user):
    client = get_client()
    operation = (
        "customer_permanently_deletion" if request.kind == Kind.ERASURE else "delete_customer"
    )
    try:
        customer = client.get_customer(request.customer_id)
    except NotFound:
        customer = None  # soft-deleted meanwhile: a permanent deletion still finds them
    except VoucherifyError as error:
        # Nothing was sent; the audit trail keeps the failed read's request id all the same.
        changes = {"request": (None, request.label), "stopped": (None, "reading the customer")}
        record_failure(user, operation, error, customer_id=request.customer_id, changes=changes)
        raise
    identity = _identity(request, customer)
    if confirmation.strip() not in accepted_confirmations(request, identity):
        return ConfirmationMismatch(request)
    segments = _segment_names(client, customer) if customer else None
    loss = Loss.of(customer, segments).counts() if customer else {}
    if not _claim(request, user, identity=identity, loss=loss):
        return AlreadyRunning(_get(request.pk))
    request.refresh_from_db()
    try:
        with _audit(user, operation, request, {"attempt": (None, request.attempts)}) as entry:
            if request.kind == Kind.ERASURE:
                receipt = client.customer_permanently_deletion(request.customer_id)
            else:
                client.delete_customer(request.customer_id)
                receipt = None
    except NotFound as error:
        if request.had_unknown_outcome:
            # An earlier attempt that timed out landed after the re-read that said it had not.
            _applied(request, how="not found on retry: an earlier attempt had been applied")
            return _advance_locked(request, user)
        return _fail(request, error, entry)
    except VoucherifyError as error:
        if error.may_have_applied:
            return _settle_unknown(request, error, entry, user)
        return _fail(request, error, entry)
    _record_receipt(request, receipt, entry)
    return _advance_locked(request, user)


def _identity(request: DataSubjectRequest, customer: Customer | None) -> dict[str, str]:
    """The identifiers the execution works with: the live ones, else the request's."""
    if customer is None:
        return {
            "source_id": request.source_id,
            "email": request.email,
            "name": request.name,
            "phone": request.phone,
        }
    return {
        "source_id": customer.source_id or "",
        "email": customer.email or "",
        "name": customer.name or "",
        "phone": customer.phone or "",
    }


def accepted_confirmations(request: DataSubjectRequest, identity: dict[str, str]) -> set[str]:
    """What the executor may type: the email or the source_id, exactly; the id when the
    customer has neither."""
    typed = {identity["email"], identity["source_id"]} - {""}
    return typed or {request.customer_id}


def _claim(request: DataSubjectRequest, user, *, identity: dict, loss: dict) -> bool:
    """approved/failed -> executing, in one conditional UPDATE: the exactly-once guard."""
    return _update(
        request,
        allowed=EXECUTABLE,
        status=Status.EXECUTING,
        phase=Phase.SENDING,
        attempts=F("attempts") + 1,
        executed_by_name=_username(user),
        execution_started_at=timezone.now(),
        last_error="",
        last_error_request_id="",
        loss=loss or request.loss,
        **identity,
    )


ERROR_WORDS = (
    (NotFound, "Voucherify has no such customer"),
    (RateLimited, "Voucherify is busy (too many requests)"),
    (Timeout, "Voucherify did not answer in time"),
    (ConnectionFailed, "Voucherify could not be reached"),
    (AuthFailed, "Voucherify refused the dashboard's credentials"),
    (ValidationFailed, "Voucherify refused the request"),
    (ServerError, "Voucherify had a problem"),
)


def _error_text(error: VoucherifyError) -> str:
    """What failed, without the API's message (it may quote the customer's data)."""
    words = next((w for kind, w in ERROR_WORDS if isinstance(error, kind)), "Voucherify failed")
    status = f" ({error.status}{' ' + error.key if error.key else ''})" if error.status else ""
    return f"{words}{status}"[:255]


def _fail(request: DataSubjectRequest, error: VoucherifyError | None, entry, text: str = ""):
    DataSubjectRequest.objects.filter(pk=request.pk, status=Status.EXECUTING).update(
        status=Status.FAILED,
        phase="",
        failed_at=timezone.now(),
        last_error=text or _error_text(error),
        last_error_request_id=(error.request_id if error else "") or "",
        audit_entry_id=entry.pk if entry is not None else request.audit_entry_id,
        version=F("version") + 1,
    )
    request.refresh_from_db()
    return Failed(request, error)


def _record_receipt(request: DataSubjectRequest, receipt, entry) -> None:
    updates = {"phase": Phase.CONFIRMING, "applied_how": "receipt", "audit_entry_id": entry.pk}
    if receipt is not None:
        updates.update(
            deletion_id=receipt.id or "",
            receipt_status=(receipt.status or "")[:32],
            receipt_counts=dict(receipt.data_json),
            receipt_created_at=receipt.created_at,
        )
    else:
        updates["applied_how"] = "204 No Content"
    DataSubjectRequest.objects.filter(pk=request.pk).update(**updates, version=F("version") + 1)
    request.refresh_from_db()


def _applied(request: DataSubjectRequest, *, how: str) -> None:
    DataSubjectRequest.objects.filter(pk=request.pk, status=Status.EXECUTING).update(
        phase=Phase.CONFIRMING, applied_how=how[:255], version=F("version") + 1
    )
    request.refresh_from_db()


def _settle_unknown(request: DataSubjectRequest, error: VoucherifyError, entry, user):
    """A call that may have been applied: read back (is the customer gone?) right away."""
    DataSubjectRequest.objects.filter(pk=request.pk).update(
        phase=Phase.UNKNOWN,
        had_unknown_outcome=True,
        last_error=_error_text(error),
        last_error_request_id=error.request_id or "",
        audit_entry_id=entry.pk,
        version=F("version") + 1,
    )
    request.refresh_from_db()
    try:
        with write_lock(_lock_key(request)):
            return _reread(request, user, error)
    except LockTimeout:
        return Unknown(request, error)


def _reread(request: DataSubjectRequest, user, error: VoucherifyError | None):
    """Settle an unknown outcome by reading the customer: gone means applied."""
    entry = AuditEntry.objects.filter(pk=request.audit_entry_id).first()
    try:
        get_client().get_customer(request.customer_id)
    except NotFound:
        if entry is not None:
            resolve(entry, applied=True, how="re-read: the customer is gone")
        _applied(request, how=f"re-read after no answer ({request.last_error})")
        return _advance(request, user)
    except VoucherifyError as reread_error:
        return Unknown(request, error or reread_error)
    if entry is not None:
        resolve(entry, applied=False, how="re-read: the customer is still there")
    text = f"{request.last_error}; re-read: the customer is still there, so not applied"
    return _fail(request, error, entry, text=text[:255])


def deletion_request_resolve(*, request_id: int, user):
    """Settle an execution whose outcome is unknown (a timeout, or a process that died
    mid-call) by re-reading the customer; nothing is sent again."""
    _require(user)
    request = _get(request_id)
    if not _resolvable(request):
        raise StepRefused(
            f"{request.label} has no execution of unknown outcome to check.", request=request
        )
    with _audit(user, "deletion_request_resolve", request) as entry:
        _born_scrubbed(entry, request)
    try:
        with write_lock(_lock_key(request)):
            request.refresh_from_db()
            if not _resolvable(request):
                return _outcome_of(request)
            return _reread(request, user, None)
    except LockTimeout:
        return AlreadyRunning(request)


def deletion_request_poll(*, request_id: int, seen_version: int | None, user) -> RequestPage | None:
    """The request page's check every few seconds while executing: settles what a read can
    settle (an applied call waiting for the customer to be gone, an unknown outcome) and
    returns the page, or None when nothing changed since `seen_version`. Never sends a
    write to Voucherify."""
    _require(user)
    request = _get(request_id)
    if request.status == Status.EXECUTING and (
        request.phase == Phase.CONFIRMING or _resolvable(request)
    ):
        try:
            with write_lock(_lock_key(request), wait=0):
                request.refresh_from_db()
                if request.status == Status.EXECUTING and request.phase == Phase.CONFIRMING:
                    _advance(request, user)
                elif _resolvable(request):
                    _reread(request, user, None)
        except LockTimeout:
            pass  # another tab or process is checking right now
        request.refresh_from_db()
    if request.version == seen_version:
        return None
    return deletion_request_get(request_id=request.pk, user=user)


def _outcome_of(request: DataSubjectRequest):
    if request.status == Status.DONE:
        return Executed(request)
    if request.status == Status.FAILED:
        return Failed(request)
    return Pending(request)


def _advance_locked(request: DataSubjectRequest, user):
    try:
        with write_lock(_lock_key(request)):
            request.refresh_from_db()
            if request.status != Status.EXECUTING or request.phase != Phase.CONFIRMING:
                return _outcome_of(request)
            return _advance(request, user)
    except LockTimeout:
        return Pending(request)


def _advance(request: DataSubjectRequest, user):
    """An applied call: wait for a final receipt and for the customer to be gone, then
    suppress, scrub and certify. Resumable: each stage is recorded before the next."""
    status = request.receipt_status.upper()
    if status in RECEIPT_FAILED:
        return _fail(request, None, None, text=f"Voucherify reported the erasure as {status}")
    if request.verified_at is None:
        try:
            verification = _verify_gone(request)
        except VoucherifyError:
            return Pending(request)  # the check could not be made: the next poll retries
        gone = verification["gone"]
        if gone or _findings(verification) != _findings(request.verification):
            # Recorded when it settles or says something new: an unchanged poll changes nothing.
            with _audit(user, "deletion_request_verify", request, {"gone": (None, gone)}):
                DataSubjectRequest.objects.filter(pk=request.pk).update(
                    verification=verification,
                    verified_at=timezone.now() if gone else None,
                    version=F("version") + 1,
                )
            request.refresh_from_db()
        if not gone:
            return Pending(request)
    if request.kind == Kind.ERASURE and not request.erased:
        _erase_locally(request)
    return _finish(request, user)


def _verify_gone(request: DataSubjectRequest) -> dict[str, Any]:
    """By id and by source_id: 404; by email: no customer with it. Raises when a check
    cannot be made (the answer is then unknown, not "gone")."""
    client = get_client()
    checks: dict[str, Any] = {"checked_at": timezone.now().isoformat()}
    checks["by_id"] = _lookup(client, request.customer_id)
    checks["by_source_id"] = (
        _lookup(client, request.source_id) if request.source_id else "not applicable"
    )
    if request.email:
        listed = client.list_customers(email=request.email, limit=EMAIL_CHECK_LIMIT)
        wanted = request.email.casefold()
        same = [c for c in listed.customers if (c.email or "").casefold() == wanted]
        checks["by_email"] = "found" if same else "no match"
    else:
        checks["by_email"] = "not applicable"
    checks["gone"] = checks["by_id"] != "found" and "found" not in (
        checks["by_source_id"],
        checks["by_email"],
    )
    return checks


def _findings(verification: dict) -> dict:
    return {key: value for key, value in (verification or {}).items() if key != "checked_at"}


def _lookup(client, identifier: str) -> str:
    try:
        client.get_customer(identifier)
    except NotFound:
        return "not found (404)"
    return "found"


def _erase_locally(request: DataSubjectRequest) -> None:
    """Suppress the identifiers, then scrub every record of the dashboard (this one too)."""
    person = erasure.ErasedPerson(
        customer_id=request.customer_id,
        source_id=request.source_id or None,
        email=request.email or None,
        phone=request.phone or None,
        name=request.name or None,
    )
    kinds = suppression.suppression_add(
        request=request, source_id=person.source_id, email=person.email, phone=person.phone
    )
    counts = erasure.scrub_everywhere(person)
    DataSubjectRequest.objects.filter(pk=request.pk).update(
        scrub_counts={"suppressed": kinds, "rows": counts}, version=F("version") + 1
    )
    request.refresh_from_db()


def _finish(request: DataSubjectRequest, user):
    now = timezone.now()
    certificate = certificates.certificate_issue(request, done_at=now)
    with _audit(user, "deletion_request_done", request, {"status": (request.status, "done")}) as e:
        _born_scrubbed(e, request)
        DataSubjectRequest.objects.filter(pk=request.pk, status=Status.EXECUTING).update(
            status=Status.DONE,
            phase="",
            done_at=now,
            certificate=certificate,
            version=F("version") + 1,
        )
    request.refresh_from_db()
    return Executed(request)


# --- access (Art. 15) -----------------------------------------------------------------------


def _execute_access(request: DataSubjectRequest, user):
    if not _claim(request, user, identity={}, loss={}):
        return AlreadyRunning(_get(request.pk))
    request.refresh_from_db()
    try:
        with _audit(user, "deletion_request_export", request) as entry:
            export = _assemble_export(request, user)
    except VoucherifyError as error:
        return _fail(request, error, entry)
    now = timezone.now()
    DataSubjectRequest.objects.filter(pk=request.pk, status=Status.EXECUTING).update(
        status=Status.DONE,
        phase="",
        done_at=now,
        export=export,
        applied_how="export",
        audit_entry_id=entry.pk,
        version=F("version") + 1,
    )
    request.refresh_from_db()
    return Executed(request)


def _plain(value: Any) -> Any:
    """A resource as JSON: dates as ISO 8601, fields the answer did not carry left out."""
    return msgspec.to_builtins(value)


def _assemble_export(request: DataSubjectRequest, user) -> dict[str, Any]:
    """What Voucherify and the dashboard hold about the customer, in one document."""
    client = get_client()
    customer = client.get_customer(request.customer_id)
    activities = list(client.iter_customer_activity(customer.id or request.customer_id))
    segments = client.list_customer_segments(customer.id or request.customer_id)
    identifiers = {value for value in (customer.id, customer.source_id) if value}
    audit = AuditEntry.objects.filter(customer_id__in=identifiers).order_by("created_at", "id")
    others = DataSubjectRequest.objects.filter(customer_id=customer.id).order_by("created_at")
    return {
        "request": request.label,
        "generated_at": timezone.now().isoformat(),
        "controller_note": (
            "Everything the Customers Dashboard and Voucherify hold about this customer: "
            "the profile, its activity, its segments, its consents, and the dashboard's own "
            "records of changes and requests about it."
        ),
        "profile": _plain(customer),
        "activities": [_plain(activity) for activity in activities],
        "segments": [{"id": s.id, "name": s.name} for s in segments],
        "consents": _consent_record(customer, user),
        "dashboard_audit_entries": [
            {
                "when": entry.created_at.isoformat(),
                "who": entry.username,
                "operation": entry.operation,
                "changes": entry.changes,
                "outcome": entry.outcome,
            }
            for entry in audit
        ],
        "data_subject_requests": [
            {
                "request": other.label,
                "kind": other.kind,
                "status": other.status,
                "received_on": other.received_on.isoformat(),
            }
            for other in others
        ],
    }


def _consent_record(customer: Customer, user) -> dict[str, Any]:
    """The consent record (the consent ledger's entries and Voucherify's consent events, and
    the state they add up to), as the consents section hands it out."""
    record = consents.customer_consents_record(customer_id=customer.id or "", user=user)
    return json.loads(consent_export.record_json(record))


def deletion_request_export(*, request_id: int, user, download: bool = False) -> dict[str, Any]:
    """The Art. 15 export of a done access request; a download is recorded in the audit."""
    _require(user)
    request = _get(request_id)
    if request.kind != Kind.ACCESS or request.status != Status.DONE or request.export is None:
        raise StepRefused(f"{request.label} has no export.", request=request)
    if download:
        with _audit(user, "deletion_request_export_download", request):
            pass
    return request.export


@dataclass(frozen=True)
class Certificate:
    request: DataSubjectRequest
    document: dict[str, Any]
    check: certificates.CertificateCheck

    @property
    def filename(self) -> str:
        return f"deletion-certificate-{self.request.label}.json"


def deletion_request_certificate(*, request_id: int, user) -> Certificate:
    """The signed certificate of a done erasure or deletion, checked against the key."""
    _require(user)
    request = _get(request_id)
    if request.certificate is None:
        raise StepRefused(f"{request.label} has no certificate.", request=request)
    document = request.certificate
    return Certificate(request, document, certificates.certificate_verify(document))


__all__ = [
    "AlreadyRunning",
    "Certificate",
    "ConfirmationMismatch",
    "DuplicateRequest",
    "Executed",
    "Failed",
    "Loss",
    "Pending",
    "RequestPage",
    "StepDone",
    "StepRefused",
    "Unknown",
    "deletion_request_approve",
    "deletion_request_cancel",
    "deletion_request_certificate",
    "deletion_request_execute",
    "deletion_request_export",
    "deletion_request_extend",
    "deletion_request_get",
    "deletion_request_list",
    "deletion_request_open",
    "deletion_request_poll",
    "deletion_request_refuse",
    "deletion_request_resolve",
    "deletion_request_verify_identity",
    "may_approve",
]
