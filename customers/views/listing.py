"""The customers list: filters in the query string, one API call per render, CSV export."""

from __future__ import annotations

import math
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRedirect

from customers.export import customer_csv_response
from customers.list_forms import (
    ASCENDING_CURSOR_ORDERS,
    MAX_PAGE,
    CustomerFilterForm,
    CustomerSearchForm,
)
from customers.problems import render_api_problem
from customers.voucherify import NotFound, VoucherifyError, format_date, get_client
from dashboard.audit import record_export
from dashboard.http import render_page

TEMPLATE = "customers/customer_list.html"
PARTIAL = "customer-table"
PAGE_WINDOW = 3  # page links shown either side of the current page


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


def _page_links(page: int, last: int) -> list[int | None]:
    """Page numbers around `page`, with the first and last; None marks a gap."""
    shown = sorted({1, last, *range(max(1, page - PAGE_WINDOW), min(last, page + PAGE_WINDOW) + 1)})
    links: list[int | None] = []
    for number in shown:
        if links and number - (links[-1] or 0) > 1:
            links.append(None)
        links.append(number)
    return links


def _pagination(form: CustomerFilterForm, params: dict, result, customers: list) -> dict:
    """What the pager shows: page numbers up to 99, then the created_at cursor."""
    data = form.cleaned_data
    limit = params["limit"]
    ascending = (data.get("order") or "") in ASCENDING_CURSOR_ORDERS
    first = customers[0].created_at if customers else None
    last = customers[-1].created_at if customers else None
    # "Older" follows the list in its own direction; "Newer" goes back. In ascending order
    # the roles swap, and the links are named by what they lead to.
    forward = format_date(last) if last else None
    backward = format_date(first) if first else None
    if "page" not in params:  # cursor mode
        reversed_request = bool(data.get("ending_before"))
        more = result.has_more is not False
        return {
            "mode": "cursor",
            "forward": forward if (more or reversed_request) else None,
            "backward": backward if (not reversed_request or more) else None,
            "ascending": ascending,
        }
    page = params["page"]
    pages = max(1, math.ceil(result.total / limit))
    last_page = min(pages, MAX_PAGE)
    beyond = page == MAX_PAGE and pages > MAX_PAGE
    return {
        "mode": "pages",
        "page": page,
        "pages": pages,
        "last_page": last_page,
        "links": _page_links(page, last_page),
        "previous": page - 1 if page > 1 else None,
        "next": page + 1 if page < last_page else None,
        "forward": forward if beyond and form.cursor_allowed else None,
        "capped": beyond and not form.cursor_allowed,
        "ascending": ascending,
    }


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
    params, reverse_rows = form.list_request()
    try:
        result = get_client().list_customers(**params)
    except VoucherifyError as error:
        return render_api_problem(request, error, TEMPLATE, context, partial=PARTIAL)
    customers = list(reversed(result.customers) if reverse_rows else result.customers)
    context.update(
        customers=customers,
        total=result.total,
        pagination=_pagination(form, params, result, customers),
    )
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
