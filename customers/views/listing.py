"""The customers list: filters in the query string, one API call per render, CSV export."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRedirect

from customers.export import customer_csv_response
from customers.list_forms import CustomerFilterForm, CustomerSearchForm
from customers.problems import render_api_problem
from customers.services.search import (
    CustomerFound,
    NothingFound,
    SegmentFound,
    customer_search,
    customers_list_page,
)
from customers.voucherify import VoucherifyError, get_client
from dashboard.audit import record_export
from dashboard.http import clean_query, render_page

TEMPLATE = "customers/customer_list.html"
PARTIAL = "customer-table"


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A real navigation for HTMX requests too (the search leaves the list)."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _search(request: HttpRequest, search: CustomerSearchForm) -> HttpResponse:
    """One customer opens the profile; several, or none, are shown here, the query kept in
    the search box (pager links carry the filter the search became, not the query)."""
    form = CustomerFilterForm({})
    form.is_valid()
    context: dict = {"form": form, "search": search}
    try:
        outcome = customer_search(query=search.cleaned_data["q"], user=request.user)
    except VoucherifyError as error:
        return render_api_problem(request, error, TEMPLATE, context, partial=PARTIAL)
    if isinstance(outcome, CustomerFound):
        messages.info(request, f"Found by {outcome.matched}: “{outcome.value}”.")
        return _redirect(request, reverse("customers:detail", args=[outcome.customer.id]))
    if isinstance(outcome, SegmentFound):
        query = urlencode({"segment_id": outcome.segment_id})
        return _redirect(request, f"{reverse('customers:list')}?{query}")
    if isinstance(outcome, NothingFound):
        context["nothing_found"] = outcome
        return render_page(request, TEMPLATE, context, partial=PARTIAL)
    request.GET = QueryDict.fromkeys([outcome.field], outcome.value)
    form = CustomerFilterForm(request.GET)
    form.is_valid()
    result = outcome.result
    context.update(form=form, several=outcome, customers=result.customers, total=result.total)
    context["pager"] = result.pager
    return render_page(request, TEMPLATE, context, partial=PARTIAL)


@require_GET
@permission_required("dashboard.view_customers", raise_exception=True)
@clean_query
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
        page = customers_list_page(request=form.list_request(), user=request.user)
    except VoucherifyError as error:
        return render_api_problem(request, error, TEMPLATE, context, partial=PARTIAL)
    result = page.result
    context.update(customers=result.customers, total=result.total, pager=result.pager)
    context["segment"] = page.segment
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
