from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from customers.voucherify import VoucherifyError, get_client


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return redirect("customers:list")


@require_GET
@never_cache
@login_not_required
def healthz(request: HttpRequest) -> JsonResponse:
    """Whether the Voucherify API (or the sandbox) answers; reveals no setting."""
    client = get_client()
    try:
        client.list_customers(limit=1)
    except VoucherifyError as error:
        return JsonResponse(
            {"status": "error", "voucherify": "unreachable", "error": error.__class__.__name__},
            status=503,
        )
    return JsonResponse({"status": "ok", "voucherify": "reachable", "backend": client.backend})


def audit_log(request: HttpRequest) -> HttpResponse:
    """Placeholder until the audit log page lands."""
    return HttpResponse("Not built yet", status=501)
