"""The customers list: filters in the query string, one API call per render, CSV export."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRedirect

from customers.export import customer_csv_response
from customers.list_forms import CustomerFilterForm, CustomerSearchForm
from customers.problems import render_api_problem
from customers.voucherify import NotFound, VoucherifyError, get_client
from dashboard.audit import record_export
from dashboard.http import render_page

TEMPLATE = "customers/customer_list.html"
PARTIAL = "customer-table"


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A real navigation for HTMX requests too (the search leaves the list)."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _search(request: HttpRequest, search: CustomerSearchForm) -> HttpResponse:
    """An id or source_id opens the profile; anything else becomes an exact filter."""
    query = search.cleaned_data["q"]
    try:
        customer = get_client().get_customer(query)
    except NotFound:
        field = "email" if "@" in query else "name"
        messages.info(
            request,
            f"No customer has the id or source_id “{query}”; showing customers whose {field} "
            "is exactly that.",
        )
        return _redirect(request, f"{reverse('customers:list')}?{urlencode({field: query})}")
    except VoucherifyError as error:
        form = CustomerFilterForm({})
        form.is_valid()
        return render_api_problem(
            request, error, TEMPLATE, {"form": form, "search": search}, partial=PARTIAL
        )
    return _redirect(request, reverse("customers:detail", args=[customer.id]))


@require_GET
@permission_required("dashboard.view_customers", raise_exception=True)
def customer_list(request: HttpRequest) -> HttpResponse:
    if "q" in request.GET:
        search = CustomerSearchForm(request.GET)
        if search.is_valid():
            return _search(request, search)
    form = CustomerFilterForm(request.GET)
    context: dict = {"form": form, "search": CustomerSearchForm()}
    if not form.is_valid():
        return render_page(request, TEMPLATE, context, partial=PARTIAL)
    try:
        result = get_client().list_customers(**form.list_request())
    except VoucherifyError as error:
        return render_api_problem(request, error, TEMPLATE, context, partial=PARTIAL)
    context.update(customers=result.customers, total=result.total, pager=result.pager)
    return render_page(request, TEMPLATE, context, partial=PARTIAL)


@require_GET
@permission_required("dashboard.view_customers", raise_exception=True)
def customer_export(request: HttpRequest) -> HttpResponse:
    form = CustomerFilterForm(request.GET)
    if not form.is_valid():
        return render_page(
            request, TEMPLATE, {"form": form, "search": CustomerSearchForm()}, status=400
        )
    filter_names = form.used_filter_names()

    def audit(rows: int, error: BaseException | None = None) -> None:
        record_export(request.user, rows=rows, filters=filter_names, error=error)

    try:
        return customer_csv_response(get_client(), form.export_filters(), on_end=audit)
    except VoucherifyError as error:
        audit(0, error)
        return render_api_problem(request, error, "api_problem.html")
