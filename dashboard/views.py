from __future__ import annotations

from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from customers.problems import cause_of
from customers.voucherify import VoucherifyError, get_client
from customers.voucherify.paging import Pager
from dashboard.audit_forms import AuditFilterForm
from dashboard.http import clean_query, render_page
from dashboard.models import AuditEntry

AUDIT_PAGE_SIZE = 50


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return redirect("customers:list")


HEALTH_CACHE_KEY = "dashboard:healthz"
HEALTH_CACHE_SECONDS = 15  # a public URL must not spend the API's rate limit


@require_GET
@never_cache
@login_not_required
def healthz(request: HttpRequest) -> JsonResponse:
    """Whether the Voucherify API (or the sandbox) answers; reveals no setting."""
    body, status = cache.get(HEALTH_CACHE_KEY) or (None, None)
    if body is None:
        client = get_client()
        try:
            client.list_customers(limit=1)
        except VoucherifyError as error:
            cause = cause_of(error)
            body = {"status": "error", "voucherify": cause, "error": type(error).__name__}
            status = 504 if cause == "slow" else 503
        else:
            body, status = (
                {"status": "ok", "voucherify": "reachable", "backend": client.backend},
                200,
            )
        cache.set(HEALTH_CACHE_KEY, (body, status), HEALTH_CACHE_SECONDS)
    return JsonResponse(body, status=status)


@require_GET
@permission_required("dashboard.view_audit_log", raise_exception=True)
@clean_query
def audit_log(request: HttpRequest) -> HttpResponse:
    """Every change made through the dashboard, newest first, filterable and paginated."""
    form = AuditFilterForm(request.GET)
    context: dict = {"form": form}
    if form.is_valid():
        entries = form.filter(AuditEntry.objects.all())
        page_obj = Paginator(entries, AUDIT_PAGE_SIZE).get_page(form.cleaned_data.get("page"))
        context.update(
            page_obj=page_obj, pager=Pager.numbered(page_obj.number, page_obj.paginator.num_pages)
        )
    return render_page(request, "dashboard/audit_log.html", context, partial="audit-table")
