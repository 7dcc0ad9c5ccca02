"""Create and edit a customer: every CustomerBase field plus a metadata key/value editor.

Writes are plain POSTs that end in a redirect, guarded by the form's one-time token. Nothing
the user typed is lost: validation errors (ours or the API's), failures and conflicts
re-render the form with the input. The rules live in `customers.services.customers`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_http_methods

from customers.forms import CustomerForm, MetadataEditor, MetadataRow, Opened, new_token
from customers.problems import render_api_problem
from customers.services import customers as services
from customers.services.outcomes import (
    Conflict,
    NoChanges,
    Saved,
    UpsertWouldUpdate,
)
from customers.services.suppression import Suppressed
from customers.voucherify import ValidationFailed, VoucherifyError, get_client
from dashboard.http import render_page
from dashboard.once import once_per_form

TEMPLATE = "customers/customer_form.html"


@require_http_methods(["GET", "POST"])
@permission_required("dashboard.edit_customers", raise_exception=True)
@once_per_form
def customer_create(request: HttpRequest) -> HttpResponse:
    """Create a customer. The API upserts by source_id, so an existing one must be confirmed."""
    if request.method == "GET":
        context = {"form": CustomerForm(), "metadata": MetadataEditor.from_metadata({})}
        return render_page(request, TEMPLATE, context)
    form = CustomerForm(request.POST)
    context = {"form": form, "metadata": MetadataEditor.from_post(request.POST)}
    if not _ready_to_save(request, context):
        return render_page(request, TEMPLATE, context)
    try:
        outcome = services.customer_create(
            fields=form.submitted_fields(context["metadata"]),
            confirmed_existing_id=request.POST.get("confirm_upsert", ""),
            override_suppression=request.POST.get("override_suppression") == "1",
            user=request.user,
        )
    except VoucherifyError as error:
        return _not_saved(request, error, context)
    return _saved_or_form(request, outcome, context)


@require_http_methods(["GET", "POST"])
@permission_required("dashboard.edit_customers", raise_exception=True)
@once_per_form
def customer_update(request: HttpRequest, customer_id: str) -> HttpResponse:
    """Edit a customer; a concurrent edit of other fields is merged, of the same ones shown."""
    if request.method == "GET":
        try:
            customer = get_client().get_customer(customer_id)
        except VoucherifyError as error:
            return render_api_problem(request, error)
        return render_page(request, TEMPLATE, _edit_context(customer_id, customer))
    form = CustomerForm(request.POST, editing=True)
    # The identity shown, and which metadata values are JSON, come from the signed marker.
    opened = Opened.loads(request.POST.get("opened"))
    editor = MetadataEditor.from_post(request.POST, opened.metadata if opened else None)
    context = {"form": form, "metadata": editor, "customer_id": customer_id, "customer": opened}
    if not _ready_to_save(request, context):
        return render_page(request, TEMPLATE, context)
    try:
        outcome = services.customer_update(
            customer_id=customer_id,
            opened=form.opened_fields(),
            submitted=form.submitted_fields(editor),
            overwrite_version=request.POST.get("confirm_overwrite", ""),
            user=request.user,
        )
    except VoucherifyError as error:
        return _not_saved(request, error, context)
    return _saved_or_form(request, outcome, context)


def _edit_context(customer_id: str, customer) -> dict:
    return {
        "customer": customer,
        "customer_id": customer.id or customer_id,
        "form": CustomerForm.for_customer(customer),
        "metadata": MetadataEditor.from_metadata(customer.metadata),
    }


def _ready_to_save(request: HttpRequest, context: dict) -> bool:
    """False when the form must be shown again: a no-JS "Add field"/"Remove" press (the
    rows change, nothing is saved, no errors shown) or invalid input."""
    form, editor = context["form"], context["metadata"]
    if "add_row" in request.POST or request.POST.get("remove_row"):
        if "add_row" in request.POST:
            editor.add_row()
        else:
            editor.remove_row(request.POST["remove_row"])
        initial = {name: request.POST.get(name, "") for name in form.fields}
        context["form"] = CustomerForm(initial=initial, editing=form.editing)
        return False
    return form.is_valid() & editor.is_valid()


def _saved_or_form(request: HttpRequest, outcome, context: dict) -> HttpResponse:
    """Saved or unchanged: to the profile with a message. Otherwise the form again, saying
    why nothing was sent yet (a conflict, an upsert to confirm) or what may have happened."""
    if isinstance(outcome, Saved | NoChanges):
        messages.add_message(request, *_message(outcome))
        return redirect("customers:detail", outcome.customer.id or context.get("customer_id"))
    if isinstance(outcome, Conflict):
        context.update(conflict=outcome, customer=outcome.current)
        return render_page(request, TEMPLATE, context, status=409)
    if isinstance(outcome, UpsertWouldUpdate):
        context["existing"] = outcome.existing
        return render_page(request, TEMPLATE, context)
    if isinstance(outcome, Suppressed):  # an erased person: nothing was sent
        return render_page(request, TEMPLATE, {**context, "suppressed": outcome})
    # OutcomeUnknown: sent, no answer, and reading back did not show the change.
    return render_api_problem(request, outcome.error, TEMPLATE, {**context, "unknown": outcome})


def _message(outcome: Saved | NoChanges) -> tuple[int, str]:
    if isinstance(outcome, NoChanges):
        return messages.INFO, "No changes to save."
    text = "Customer saved"
    if outcome.checked:
        text += " (Voucherify answered late; reading the customer back shows your change)"
    if outcome.merged:
        text += f". Kept the changes made meanwhile by someone else to: {', '.join(outcome.merged)}"
    return messages.SUCCESS, text + "."


def _not_saved(request: HttpRequest, error: VoucherifyError, context: dict) -> TemplateResponse:
    """The form again, with the user's input: API errors on their fields, or the problem."""
    if isinstance(error, ValidationFailed) and error.field_errors:
        context["form"].add_api_errors(error.field_errors, context["metadata"])
        return render_page(request, TEMPLATE, context)
    return render_api_problem(request, error, TEMPLATE, context)


@require_GET
@permission_required("dashboard.edit_customers", raise_exception=True)
def customer_metadata_row(request: HttpRequest) -> TemplateResponse | HttpResponse:
    """One empty key/value row for the editor (HTMX "Add field"); `?remove=1` answers empty.

    The remove button swaps with `delete`, which ignores the body: an empty 200 is enough
    (a 204 would not be swapped at all under the htmx config in base.html). Only HTMX asks
    for a bare row: a browser that opens the URL is sent to the create page instead.
    """
    if not request.htmx:
        return redirect("customers:create")
    if request.GET.get("remove"):
        return HttpResponse("")
    return TemplateResponse(
        request, "includes/_metadata_row.html", {"row": MetadataRow(new_token())}
    )
