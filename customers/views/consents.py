"""A customer's consents (marketing and admin): the section of the profile, its own page, the
one change form, and the consent record as CSV or JSON.

`#customer-consents` is the whole section; `#consent-change` the form inside it. A form that
comes back (invalid input, the unsubscribe confirmation, a failure before anything was read)
refills only `#consent-change`, so the record beside it stays on screen; a saved change
redirects to the section, which HTMX follows and swaps in (post, then refresh).
"""

from __future__ import annotations

from dataclasses import replace

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import reswap, retarget

from customers.consent_export import record_response
from customers.consent_forms import ConsentChangeForm, ShownConsents
from customers.problems import problem_for, render_api_problem
from customers.services import consents as service
from customers.voucherify import VoucherifyError
from dashboard.http import render_page, wants_fragment
from dashboard.once import once_per_form

TEMPLATE = "customers/customer_consents.html"
SECTION = "customer-consents"
FORM = "consent-change"


@require_http_methods(["GET", "POST"])
@permission_required("dashboard.manage_consents", raise_exception=True)
@once_per_form
def customer_consents(request: HttpRequest, customer_id: str) -> HttpResponse:
    """The section (GET) and its change form (POST)."""
    if request.method == "GET":
        try:
            state = service.customer_consents_get(customer_id=customer_id, user=request.user)
        except VoucherifyError as error:
            context = {"customer_id": customer_id}
            return render_api_problem(request, error, TEMPLATE, context, partial=SECTION)
        return _section(request, customer_id, state)
    form = ConsentChangeForm.from_post(request.POST)
    if not form.is_valid() or form.needs_confirmation():
        return _form_again(request, customer_id, form)
    try:
        outcome = service.customer_consents_update(
            customer_id=customer_id, **form.change(), user=request.user
        )
    except VoucherifyError as error:
        return _form_again(request, customer_id, form, error=error)
    return _after_change(request, customer_id, form, outcome)


@require_GET
@permission_required("dashboard.manage_consents", raise_exception=True)
def customer_consents_record(request: HttpRequest, customer_id: str, extension: str):
    """The consent record as a download: ledger entries and Voucherify's consent events."""
    try:
        record = service.customer_consents_record(customer_id=customer_id, user=request.user)
    except VoucherifyError as error:
        return render_api_problem(request, error)
    return record_response(record, extension)


def _section(
    request, customer_id, state, *, form=None, problem=None, notice="", status=200
) -> TemplateResponse:
    """The whole section, from what the service read (or "not enabled" for this project)."""
    unavailable = isinstance(state, service.ConsentsUnavailable)
    if not unavailable and form is None:
        form = ConsentChangeForm(shown=ShownConsents.from_state(state))
    context = {
        "customer_id": customer_id,
        "state": None if unavailable else state,
        "unavailable": unavailable,
        "form": None if unavailable else form,
        "problem": problem,
        "notice": notice,
        "in_fragment": wants_fragment(request),
    }
    response = render_page(request, TEMPLATE, context, partial=SECTION, status=status)
    return _retry_after(response, problem)


def _retry_after(response: TemplateResponse, problem) -> TemplateResponse:
    if problem is not None and problem.retry_after:
        response["Retry-After"] = str(problem.retry_after)
    return response


def _form_again(request, customer_id, form, *, error=None) -> TemplateResponse:
    """Only the form, with the user's input: nothing new was read to show beside it."""
    problem = problem_for(request, error) if error is not None else None
    context = {
        "customer_id": customer_id,
        "form": form,
        "confirm": form.needs_confirmation(),
        "problem": problem,
        "in_fragment": wants_fragment(request),
    }
    response = render_page(
        request, TEMPLATE, context, partial=FORM, status=problem.status if problem else 200
    )
    if wants_fragment(request):
        retarget(reswap(response, "innerHTML"), f"#{FORM}")
    return _retry_after(response, problem)


def _after_change(request, customer_id, form, outcome) -> HttpResponse:
    if isinstance(outcome, service.ConsentsSaved):
        messages.success(request, _saved_message(outcome))
        return redirect("customers:consents", customer_id)
    if isinstance(outcome, service.ConsentsUnchanged):
        messages.info(request, "No changes: the customer already has these consents.")
        return redirect("customers:consents", customer_id)
    if isinstance(outcome, service.ConsentsUnavailable):
        return _section(request, customer_id, outcome)
    if isinstance(outcome, service.WordingChanged):
        names = ", ".join(f"“{s.consent.name}”" for s in outcome.consents)
        notice = f"The wording of {names} changed since the form was opened. Nothing was sent."
        again = form.rebind(outcome.state)
        return _section(request, customer_id, outcome.state, form=again, notice=notice, status=409)
    if isinstance(outcome, service.UnknownConsents):
        notice = "Some of these consents no longer exist in Voucherify. Nothing was sent."
        again = form.rebind(outcome.state)
        return _section(request, customer_id, outcome.state, form=again, notice=notice, status=409)
    problem = problem_for(request, outcome.error)
    if getattr(outcome, "checked", False):
        checked = " Re-reading the customer shows that it was not applied."
        problem = replace(problem, write="not_saved", message=problem.message + checked)
    again = form.rebind(outcome.state)
    return _section(
        request, customer_id, outcome.state, form=again, problem=problem, status=problem.status
    )


def _saved_message(outcome: service.ConsentsSaved) -> str:
    if outcome.checked:
        return (
            "Voucherify did not answer in time, but re-reading the customer shows the "
            "change was applied. Consents saved."
        )
    return "Consents saved."
