"""Data-subject requests (/deletion-requests/): the list, opening one, its page with one form
per step, the certificate and the Art. 15 export. Compliance and admins only.

Every step is a plain POST that ends in a redirect to the request's page, guarded by the
form's one-time token; the page polls itself while an execution is under way.
"""

from __future__ import annotations

import json
from dataclasses import replace

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers.privacy_forms import (
    CancelForm,
    ExecuteForm,
    ExtendForm,
    IdentityForm,
    OpenRequestForm,
    RefuseForm,
    RequestFilterForm,
)
from customers.problems import ApiProblem, Retry, render_api_problem
from customers.services import privacy
from customers.voucherify import NotFound, VoucherifyError
from dashboard.http import render_page, wants_fragment
from dashboard.once import once_per_form

PERMISSION = "dashboard.delete_customers"
LIST_TEMPLATE = "customers/deletion_request_list.html"
OPEN_TEMPLATE = "customers/deletion_request_form.html"
DETAIL_TEMPLATE = "customers/deletion_request_detail.html"
PAGE_SIZE = 50
# How each outcome is told: the message level.
LEVELS = {
    privacy.StepDone: messages.SUCCESS,
    privacy.Executed: messages.SUCCESS,
    privacy.Pending: messages.INFO,
    privacy.AlreadyRunning: messages.INFO,
    privacy.Unknown: messages.WARNING,
    privacy.Failed: messages.ERROR,
}

allowed = permission_required(PERMISSION, raise_exception=True)


@require_GET
@allowed
def deletion_request_list(request: HttpRequest) -> HttpResponse:
    """Open requests first, soonest due first; filters by status, kind and due date."""
    form = RequestFilterForm(request.GET)
    context: dict = {"form": form, "today": timezone.localdate()}
    if form.is_valid():
        requests = privacy.deletion_request_list(user=request.user, **form.filters())
        page_obj = Paginator(requests, PAGE_SIZE).get_page(form.cleaned_data.get("page"))
        context["page_obj"] = page_obj
    return render_page(request, LIST_TEMPLATE, context, partial="request-table")


@require_http_methods(["GET", "POST"])
@allowed
@once_per_form
def deletion_request_open(request: HttpRequest) -> HttpResponse:
    """A new request, usually from a profile's "Open a request" (`?customer=<id>`)."""
    if request.method == "GET":
        form = OpenRequestForm(initial={"customer": request.GET.get("customer", "")})
        return render_page(request, OPEN_TEMPLATE, {"form": form})
    form = OpenRequestForm(request.POST)
    context = {"form": form}
    if not form.is_valid():
        return render_page(request, OPEN_TEMPLATE, context)
    try:
        opened = privacy.deletion_request_open(**form.cleaned_data, user=request.user)
    except NotFound:
        form.add_error("customer", "Voucherify has no customer with this id or source id.")
        return render_page(request, OPEN_TEMPLATE, context)
    except VoucherifyError as error:
        return render_api_problem(request, error, OPEN_TEMPLATE, context)
    except privacy.StepRefused as refusal:
        form.add_error(None, refusal.message)
        return render_page(request, OPEN_TEMPLATE, {**context, "existing": refusal.request})
    messages.success(request, f"{opened.label} opened; it is due on {opened.due_on:%Y-%m-%d}.")
    return redirect(opened)


@require_GET
@allowed
def deletion_request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    """The request: its state, the steps open to this user; polls itself while executing
    (`?poll=<version>`: 204 while nothing changed)."""
    try:
        if "poll" in request.GET and wants_fragment(request):
            page = privacy.deletion_request_poll(
                request_id=request_id, seen_version=_int(request.GET["poll"]), user=request.user
            )
            if page is None:
                return HttpResponse(status=204)
        else:
            page = privacy.deletion_request_get(request_id=request_id, user=request.user)
    except privacy.StepRefused as refusal:
        raise Http404(refusal.message) from None
    return _render(request, page)


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def _render(request: HttpRequest, page: privacy.RequestPage, status: int = 200, **bound):
    """The request page; `bound` holds a step's form that came back with errors."""
    forms = {
        "identity_form": IdentityForm(),
        "refuse_form": RefuseForm(grounds=page.grounds),
        "cancel_form": CancelForm(),
        "extend_form": ExtendForm(left=page.extension_left),
        "execute_form": ExecuteForm(),
        **bound,
    }
    context = {"page": page, "dsr": page.request, "today": timezone.localdate(), **forms}
    if page.problem is not None:  # what an execution would take could not be read
        retry = Retry(page.request.get_absolute_url())
        context["problem"] = replace(ApiProblem.from_error(page.problem), retry=retry)
    return render_page(request, DETAIL_TEMPLATE, context, partial="dsr-request", status=status)


def _again(request: HttpRequest, request_id: int, **bound) -> HttpResponse:
    """The page again with a step's form and its errors (nothing was done)."""
    try:
        page = privacy.deletion_request_get(request_id=request_id, user=request.user)
    except privacy.StepRefused as refusal:
        raise Http404(refusal.message) from None
    return _render(request, page, status=400, **bound)


def _step(request: HttpRequest, request_id: int, run, form=None, name: str = "") -> HttpResponse:
    """Run one step with the form's data; tell its outcome on the request's page."""
    if form is not None and not form.is_valid():
        return _again(request, request_id, **{name: form})
    try:
        outcome = run(**(form.cleaned_data if form is not None else {}))
    except privacy.StepRefused as refusal:
        messages.error(request, refusal.message)
        return redirect("privacy:detail", request_id)
    except VoucherifyError as error:  # a read before sending failed: nothing was sent
        problem = ApiProblem.from_error(error)
        messages.error(request, f"{problem.title}. {problem.message} Nothing was sent.")
        return redirect("privacy:detail", request_id)
    if isinstance(outcome, privacy.ConfirmationMismatch):
        form.add_error("confirmation", outcome.message)
        return _again(request, request_id, **{name: form})
    messages.add_message(request, LEVELS.get(type(outcome), messages.INFO), outcome.message)
    return redirect("privacy:detail", request_id)


def _service(function, request: HttpRequest, request_id: int):
    return lambda **data: function(request_id=request_id, user=request.user, **data)


@require_POST
@allowed
@once_per_form
def deletion_request_verify_identity(request: HttpRequest, request_id: int) -> HttpResponse:
    run = _service(privacy.deletion_request_verify_identity, request, request_id)
    return _step(request, request_id, run, IdentityForm(request.POST), "identity_form")


@require_POST
@allowed
@once_per_form
def deletion_request_approve(request: HttpRequest, request_id: int) -> HttpResponse:
    run = _service(privacy.deletion_request_approve, request, request_id)
    return _step(request, request_id, run)


@require_POST
@allowed
@once_per_form
def deletion_request_refuse(request: HttpRequest, request_id: int) -> HttpResponse:
    run = _service(privacy.deletion_request_refuse, request, request_id)
    form = RefuseForm(request.POST, grounds=privacy.Ground.choices)
    return _step(request, request_id, run, form, "refuse_form")


@require_POST
@allowed
@once_per_form
def deletion_request_cancel(request: HttpRequest, request_id: int) -> HttpResponse:
    run = _service(privacy.deletion_request_cancel, request, request_id)
    return _step(request, request_id, run, CancelForm(request.POST), "cancel_form")


@require_POST
@allowed
@once_per_form
def deletion_request_extend(request: HttpRequest, request_id: int) -> HttpResponse:
    run = _service(privacy.deletion_request_extend, request, request_id)
    return _step(request, request_id, run, ExtendForm(request.POST), "extend_form")


@require_POST
@allowed
@once_per_form
def deletion_request_execute(request: HttpRequest, request_id: int) -> HttpResponse:
    run = _service(privacy.deletion_request_execute, request, request_id)
    return _step(request, request_id, run, ExecuteForm(request.POST), "execute_form")


@require_POST
@allowed
@once_per_form
def deletion_request_resolve(request: HttpRequest, request_id: int) -> HttpResponse:
    run = _service(privacy.deletion_request_resolve, request, request_id)
    return _step(request, request_id, run)


@require_GET
@allowed
def deletion_request_certificate(
    request: HttpRequest, request_id: int, as_json: bool = False
) -> HttpResponse:
    """The certificate as a page, or (`as_json`) the signed document to keep or send."""
    try:
        certificate = privacy.deletion_request_certificate(request_id=request_id, user=request.user)
    except privacy.StepRefused as refusal:
        raise Http404(refusal.message) from None
    if as_json:
        return _download(certificate.document, certificate.filename)
    return render_page(request, "customers/deletion_certificate.html", {"cert": certificate})


@require_GET
@allowed
def deletion_request_export(
    request: HttpRequest, request_id: int, as_json: bool = False
) -> HttpResponse:
    """The Art. 15 export as a readable page, or (`as_json`) the file to send (recorded)."""
    try:
        export = privacy.deletion_request_export(
            request_id=request_id, user=request.user, download=as_json
        )
    except privacy.StepRefused as refusal:
        raise Http404(refusal.message) from None
    if as_json:
        return _download(export, f"access-export-DSR-{request_id}.json")
    context = {"export": export, "request_id": request_id}
    return render_page(request, "customers/access_export.html", context)


def _download(document: dict, filename: str) -> HttpResponse:
    body = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
