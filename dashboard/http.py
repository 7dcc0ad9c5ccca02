"""Shared view helpers: one URL renders the page or, for HTMX, the fragment it asked for."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers


def wants_fragment(request: HttpRequest) -> bool:
    """HTMX asked for a part of the page (not a boosted link nor a history restore)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def fragment_name(request: HttpRequest, partial: str | None) -> str | None:
    """The partial an HTMX request gets (named after the DOM id it fills), else None."""
    return partial if partial and wants_fragment(request) else None


def render_page(
    request: HttpRequest,
    template: str,
    context: dict | None = None,
    *,
    partial: str | None = None,
    status: int = 200,
) -> TemplateResponse:
    """One URL, two renderings: the full page, or `template#partial` for an HTMX request."""
    if fragment_name(request, partial):
        template = f"{template}#{partial}"
    response = TemplateResponse(request, template, context or {}, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response
