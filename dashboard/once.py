"""Each rendered form writes at most once: a one-time token per render, claimed by its POST.

    @once_per_form
    def customer_create(request): ...

    <form method="post">{% csrf_token %}{% form_token %}...</form>

The first POST with a token claims it (a unique row, so the claim holds across worker
processes). A second POST with the same token (a double click, a resent form, a reload) waits
for the first to finish and is sent where the first one was, with nothing written again. A
POST whose answer is not a redirect (invalid input, a refusal, nothing written) releases its
token, so that the corrected form can be sent.
"""

from __future__ import annotations

import datetime
import re
import secrets
import time
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, OperationalError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone

from dashboard.models import FormSubmission

FIELD = "form_token"
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")
POLL_SECONDS = 0.1
KEEP = datetime.timedelta(days=1)  # a resend comes within seconds; the rows go after a day
REPLAYED = "This form had already been sent; nothing was sent again. Here is the result."


def new_form_token() -> str:
    return secrets.token_urlsafe(24)


def _claim(token: str, user) -> bool:
    try:
        with transaction.atomic():
            FormSubmission.objects.create(token=token, user=user)
        return True
    except (IntegrityError, OperationalError):
        return False


def _wait_for_first(request: HttpRequest, token: str) -> HttpResponse | None:
    """Where the first POST with `token` went; None once it was released (send this one)."""
    deadline = time.monotonic() + 2 * settings.VOUCHERIFY_TIMEOUT + 5
    while True:
        first = FormSubmission.objects.filter(token=token).first()
        if first is None:
            if _claim(token, request.user):
                return None
        elif first.user_id != request.user.pk:
            return TemplateResponse(request, "403.html", status=403)
        elif first.location:
            messages.info(request, REPLAYED)
            return redirect(first.location)
        if time.monotonic() >= deadline:
            return TemplateResponse(request, "dashboard/form_in_progress.html", status=409)
        time.sleep(POLL_SECONDS)


def _is_redirect(response: HttpResponse) -> bool:
    return response.status_code in (301, 302, 303) and bool(response.get("Location"))


def once_per_form(view):
    """Guard a POST view with the form's one-time token (the `form_token` field)."""

    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        token = request.POST.get(FIELD, "") if request.method == "POST" else ""
        if not TOKEN_RE.fullmatch(token):
            return view(request, *args, **kwargs)
        FormSubmission.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
        if not _claim(token, request.user):
            replay = _wait_for_first(request, token)
            if replay is not None:
                return replay
        try:
            response = view(request, *args, **kwargs)
        except BaseException:
            FormSubmission.objects.filter(token=token).delete()
            raise
        if _is_redirect(response):
            FormSubmission.objects.filter(token=token).update(location=response["Location"])
        else:
            FormSubmission.objects.filter(token=token).delete()
        return response

    return guarded
