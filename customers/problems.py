"""Voucherify's failures turned into what a user reads, in one place: the cause in words, the
status to answer with, a way to retry, and for a write whether anything was saved.

Every page and fragment renders a failure with `render_api_problem`; the Retry it offers is
derived from the request and the fragment being rendered, never wired per view.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from django.http import HttpRequest
from django.template.response import TemplateResponse

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
from dashboard.http import render_page

logger = logging.getLogger(__name__)

# Fragments fill the element whose id they are named after, which stays in the page (a live
# region must, to be announced). These replace that element itself.
REPLACES_ITSELF = frozenset({"activity-more"})


@dataclass(frozen=True)
class Retry:
    """How to ask again: a link to `url`, which HTMX swaps into `target` when given."""

    url: str
    target: str | None = None
    swap: str = "innerHTML"


@dataclass(frozen=True)
class ApiProblem:
    """What the user is told when a call to Voucherify fails, and the status to answer with.

    `write` is None for reads; for a write it is "not_saved" or "unknown" (it may have been
    applied: the caller reads back before saying more).
    """

    title: str
    message: str
    status: int
    request_id: str | None = None
    retry_after: int | None = None
    can_retry: bool = True
    retry: Retry | None = None
    write: str | None = None

    @property
    def may_have_saved(self) -> bool:
        return self.write == "unknown"

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
        if isinstance(error, Timeout) or (isinstance(error, ServerError) and error.status == 504):
            # A gateway's 504 is the same cause: Voucherify did not answer it in time.
            return cls(
                "Voucherify is slow",
                "Voucherify did not answer in time; try again in a moment.",
                504,
                request_id,
            )
        if isinstance(error, ConnectionFailed):
            return cls(
                "Voucherify is unreachable",
                "The dashboard could not reach Voucherify; try again in a moment.",
                503,
                request_id,
            )
        if isinstance(error, AuthFailed):
            # Not the message: an API may echo the refused token back in it.
            logger.error(
                "Voucherify refused the dashboard's credentials",
                extra={"status": error.status, "voucherify_request_id": error.request_id},
            )
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
                "Voucherify answered with an error; try again in a moment.",
                502,
                request_id,
            )
        # Its type, not its text: Voucherify's details may quote what was sent (an email).
        logger.warning(
            "Unexpected Voucherify error %s",
            type(error).__name__,
            extra={"status": error.status, "voucherify_request_id": error.request_id},
        )
        return cls("Voucherify had a problem", str(error), 502, request_id)


def cause_of(error: VoucherifyError) -> str:
    """The cause in one word, for machines (healthz): slow, unreachable, busy, configuration,
    not_found, refused or error; the same reading of `error` as `ApiProblem.from_error`."""
    return {
        504: "slow",
        503: "unreachable",
        429: "busy",
        404: "not_found",
        400: "refused",
    }.get(ApiProblem.from_error(error).status) or (
        "configuration" if isinstance(error, AuthFailed) else "error"
    )


def problem_for(
    request: HttpRequest, error: VoucherifyError, *, partial: str | None = None
) -> ApiProblem:
    """The problem for `error` on this request: a read retries its URL (into the fragment
    `partial` when given); a write is retried by sending the form again and says whether it
    may have been saved."""
    problem = ApiProblem.from_error(error)
    if request.method not in ("GET", "HEAD"):
        return replace(problem, write="unknown" if error.may_have_applied else "not_saved")
    url = request.get_full_path()
    if not partial:
        return replace(problem, retry=Retry(url))
    swap = "outerHTML" if partial in REPLACES_ITSELF else "innerHTML"
    return replace(problem, retry=Retry(url, f"#{partial}", swap))


def render_api_problem(
    request: HttpRequest,
    error: VoucherifyError,
    template: str = "api_problem.html",
    context: dict | None = None,
    *,
    partial: str | None = None,
) -> TemplateResponse:
    """Render `template` (or its partial) with the `problem` and the right status."""
    problem = problem_for(request, error, partial=partial)
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
