"""Create and edit a customer: every CustomerBase field plus a metadata key/value editor.

Writes are plain POSTs that end in a redirect. Nothing the user typed is lost: validation
errors (ours or the API's) and API failures re-render the form with the input.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_http_methods

from customers.forms import (
    ADDRESS_PARTS,
    CustomerForm,
    MetadataEditor,
    MetadataRow,
    Opened,
    new_token,
    opened_version,
)
from customers.problems import render_api_problem
from customers.voucherify import NotFound, ValidationFailed, VoucherifyError, get_client
from dashboard.audit import audited, diff, flatten
from dashboard.http import render_page

TEMPLATE = "customers/customer_form.html"


@require_http_methods(["GET", "POST"])
@permission_required("dashboard.edit_customers", raise_exception=True)
def customer_create(request: HttpRequest) -> HttpResponse:
    """Create a customer. The API upserts by source_id, so an existing one must be confirmed."""
    if request.method == "GET":
        context = {"form": CustomerForm(), "metadata": MetadataEditor.from_metadata({})}
        return render_page(request, TEMPLATE, context)

    form = CustomerForm(request.POST)
    editor = MetadataEditor.from_post(request.POST)
    context = {"form": form, "metadata": editor}
    if _edits_rows(request, editor):
        context["form"] = CustomerForm(initial=_initial(request, form))
        return render_page(request, TEMPLATE, context)
    if not (form.is_valid() & editor.is_valid()):
        return render_page(request, TEMPLATE, context)

    client = get_client()
    data = form.create_payload(editor)
    existing = None
    if data.get("source_id"):
        try:
            existing = client.get_customer(data["source_id"])
        except NotFound:
            existing = None
        except VoucherifyError as error:
            return render_api_problem(request, error, TEMPLATE, context)
        # The path takes an id too; only a customer with this very source_id gets upserted.
        if existing is not None and existing.source_id != data["source_id"]:
            existing = None
    if existing is not None and request.POST.get("confirm_upsert") != existing.id:
        context["existing"] = existing
        return render_page(request, TEMPLATE, context)

    old = _subset(existing.base_fields(), data) if existing else {}
    try:
        with audited(
            request.user,
            "create_customer",
            customer_id=existing.id if existing else "",
            changes=diff(old, {k: v for k, v in data.items() if k != "source_id"}),
        ) as entry:
            customer = client.create_customer(data)
            entry.customer_id = customer.id or ""
    except VoucherifyError as error:
        return _save_failed(request, error, form, editor, context)
    messages.success(request, "Customer saved")
    return redirect("customers:detail", customer.id)


def _save_failed(request, error: VoucherifyError, form, editor, context) -> TemplateResponse:
    """The form again, with the user's input: API errors on their fields, or the problem."""
    if isinstance(error, ValidationFailed) and error.field_errors:
        form.add_api_errors(error.field_errors, editor)
        return render_page(request, TEMPLATE, context)
    return render_api_problem(request, error, TEMPLATE, context)


@require_http_methods(["GET", "POST"])
@permission_required("dashboard.edit_customers", raise_exception=True)
def customer_update(request: HttpRequest, customer_id: str) -> HttpResponse:
    """Edit a customer; refuses to overwrite a change made since the form was opened."""
    client = get_client()
    if request.method == "GET":
        try:
            customer = client.get_customer(customer_id)
        except VoucherifyError as error:
            return render_api_problem(request, error, "api_problem.html")
        context = {
            "customer": customer,
            "customer_id": customer.id or customer_id,
            "form": CustomerForm.for_customer(customer),
            "metadata": MetadataEditor.from_metadata(customer.metadata),
        }
        return render_page(request, TEMPLATE, context)

    form = CustomerForm(request.POST, editing=True)
    # The identity shown on a re-render, and which metadata values are JSON, come from the
    # signed marker: no API call before the user's input is valid.
    opened_marker = Opened.loads(request.POST.get("opened"))
    editor = MetadataEditor.from_post(
        request.POST, opened_marker.metadata if opened_marker else None
    )
    context = {
        "form": form,
        "metadata": editor,
        "customer_id": customer_id,
        "customer": opened_marker,
    }
    if _edits_rows(request, editor):
        context["form"] = CustomerForm(initial=_initial(request, form), editing=True)
        return render_page(request, TEMPLATE, context)
    if not (form.is_valid() & editor.is_valid()):
        return render_page(request, TEMPLATE, context)
    if opened_marker is not None and not form.update_payload(
        editor, opened_marker.fields, opened_marker.fields
    ):
        messages.info(request, "No changes to save.")
        return redirect("customers:detail", customer_id)

    try:
        current = client.get_customer(customer_id)
    except VoucherifyError as error:
        return render_api_problem(request, error, TEMPLATE, context)
    context["customer"] = current
    current_fields = current.base_fields()
    opened = form.opened_fields()
    version = opened_version(current)
    changed_since = version != form.cleaned_data.get("opened_updated_at") or opened is None
    if changed_since and request.POST.get("confirm_overwrite") != version:
        context["conflict"] = _conflict(opened or {}, current_fields, form, editor)
        context["conflict_version"] = version
        return render_page(request, TEMPLATE, context, status=409)

    data = form.update_payload(
        editor, opened if opened is not None else current_fields, current_fields
    )
    if not data:
        messages.info(request, "No changes to save.")
        return redirect("customers:detail", current.id)
    try:
        with audited(
            request.user,
            "update_customer",
            customer_id=current.id or customer_id,
            changes=diff(_subset(current_fields, data), data),
        ):
            client.update_customer(current.id or customer_id, data)
    except VoucherifyError as error:
        return _save_failed(request, error, form, editor, context)
    messages.success(request, "Customer saved")
    return redirect("customers:detail", current.id or customer_id)


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


def _edits_rows(request: HttpRequest, editor: MetadataEditor) -> bool:
    """The no-JS "Add field" / "Remove" buttons: change the rows, nothing is saved."""
    if "add_row" in request.POST:
        editor.add_row()
        return True
    if token := request.POST.get("remove_row"):
        editor.remove_row(token)
        return True
    return False


def _initial(request: HttpRequest, form: CustomerForm) -> dict:
    """The posted values as initial data: re-render without showing validation errors."""
    return {name: request.POST.get(name, "") for name in form.fields}


def _subset(fields: dict, data: dict) -> dict:
    return {key: fields.get(key) for key in data if key in fields}


def _conflict(opened: dict, current: dict, form: CustomerForm, editor: MetadataEditor):
    """`(field, when you opened, now, yours)` for each field changed by someone else."""
    yours = flatten(form.user_fields(editor.values()))
    before, now = flatten(opened), flatten(current)
    rows = []
    for name in sorted(before.keys() | now.keys()):
        if _blank(before.get(name)) != _blank(now.get(name)):
            rows.append((_label(name), before.get(name), now.get(name), yours.get(name)))
    return rows


def _blank(value):
    return None if value == "" else value


def _label(name: str) -> str:
    if name.startswith("address.") and name[8:] in ADDRESS_PARTS:
        return "Address " + name[8:].replace("_", " ")
    if name.startswith("metadata."):
        return f"Metadata “{name[9:]}”"
    return name.capitalize()
