"""Shared view helpers: one URL renders the page or, for HTMX, the fragment it asked for."""

from __future__ import annotations

from functools import wraps

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
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


def without_empty(query: QueryDict) -> QueryDict:
    """`query` less its empty values: what a list's URL keeps of a submitted filter form."""
    kept = QueryDict(mutable=True)
    for key, values in query.lists():
        filled = [value for value in values if value.strip()]
        if filled:
            kept.setlist(key, filled)
    return kept


def clean_query(view):
    """Empty filters stay out of a list's URL. A plain GET with empty fields is redirected to
    the URL without them; an HTMX request is answered as if they had not been sent, and its
    pushed URL (`HX-Push-Url`) is the clean one. Pager links built with `{% querystring %}`
    from `request.GET` then carry no empty filter either."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        kept = without_empty(request.GET)
        if len(kept) == len(request.GET) and all(
            kept.getlist(key) == request.GET.getlist(key) for key in kept
        ):
            return view(request, *args, **kwargs)
        clean_url = request.path + (f"?{kept.urlencode()}" if kept else "")
        if not wants_fragment(request):
            return HttpResponseRedirect(clean_url)
        kept._mutable = False
        request.GET = kept
        response = view(request, *args, **kwargs)
        if request.htmx.trigger and "HX-Push-Url" not in response:
            response["HX-Push-Url"] = clean_url
        return response

    return wrapper
