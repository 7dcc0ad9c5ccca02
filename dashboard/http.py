"""Shared view helpers: page-or-fragment rendering and API errors turned into UI, in one place."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers

from customers.voucherify.errors import (
    AuthFailed,
    ConnectionFailed,
    NotFound,
    RateLimited,
    ServerError,
    Timeout,
    ValidationFailed,
    VoucherifyError,
)

logger = logging.getLogger(__name__)


def wants_fragment(request: HttpRequest) -> bool:
    """HTMX asked for a part of the page (not a boosted link nor a history restore)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render_page(
    request: HttpRequest,
    template: str,
    context: dict | None = None,
    *,
    partial: str | None = None,
    status: int = 200,
) -> TemplateResponse:
    """One URL, two renderings: the full page, or `template#partial` for an HTMX request."""
    if partial and wants_fragment(request):
        template = f"{template}#{partial}"
    response = TemplateResponse(request, template, context or {}, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@dataclass(frozen=True)
class ApiProblem:
    """What the user is told when a call to Voucherify fails, and the status to answer with."""

    title: str
    message: str
    status: int
    request_id: str | None = None
    retry_after: int | None = None
    can_retry: bool = True

    @classmethod
    def from_error(cls, error: VoucherifyError) -> ApiProblem:
        request_id = error.request_id
        if isinstance(error, NotFound):
            return cls(
                "Not found",
                "Voucherify has no such record; it may have been deleted.",
                404,
                request_id,
                can_retry=False,
            )
        if isinstance(error, RateLimited):
            wait = f" Try again in {error.retry_after} s." if error.retry_after else ""
            return cls(
                "Voucherify is busy",
                f"Too many requests reached Voucherify in a short time.{wait}",
                429,
                request_id,
                retry_after=error.retry_after,
            )
        if isinstance(error, Timeout):
            return cls(
                "Voucherify is slow",
                "Voucherify did not answer in time. Nothing was lost; try again.",
                504,
                request_id,
            )
        if isinstance(error, ConnectionFailed):
            return cls(
                "Voucherify is unreachable",
                "The dashboard could not reach Voucherify. Nothing was lost; try again.",
                503,
                request_id,
            )
        if isinstance(error, AuthFailed):
            logger.error("Voucherify refused the dashboard's credentials: %s", error)
            return cls(
                "Configuration error",
                "Voucherify refused the dashboard's credentials. An admin must fix the "
                "app id and token; nothing you entered was lost.",
                502,
                request_id,
                can_retry=False,
            )
        if isinstance(error, ValidationFailed):
            return cls(
                "Voucherify refused the request",
                error.details or error.message,
                400,
                request_id,
                can_retry=False,
            )
        if isinstance(error, ServerError):
            return cls(
                "Voucherify had a problem",
                "Voucherify answered with an error. Nothing was lost; try again.",
                502,
                request_id,
            )
        logger.warning("Unexpected Voucherify error: %r", error)
        return cls("Voucherify had a problem", str(error), 502, request_id)


def render_api_problem(
    request: HttpRequest,
    error: VoucherifyError,
    template: str = "includes/_api_problem.html",
    context: dict | None = None,
    *,
    partial: str | None = None,
) -> TemplateResponse:
    """Render `template` (or its partial) with `problem` in the context and the right status."""
    problem = ApiProblem.from_error(error)
    response = render_page(
        request,
        template,
        {**(context or {}), "problem": problem},
        partial=partial,
        status=problem.status,
    )
    if problem.retry_after:
        response["Retry-After"] = str(problem.retry_after)
    return response
