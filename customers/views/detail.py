"""The profile page and the fragments it loads after itself: activity timeline and segments."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from customers.forms import ActivityFilterForm, activity_query
from customers.problems import render_api_problem
from customers.services.privacy import erasure_of
from customers.services.profile import customer_profile_get
from customers.services.segments import customer_segments_list
from customers.services.timeline import customer_timeline
from customers.voucherify import NotFound, VoucherifyError
from dashboard.http import clean_query, render_page, wants_fragment

ACTIVITY_PAGE_SIZE = 20
ACTIVITY_FILTERS = "activity-filters"  # the filter form's id: its requests push the URL


@require_GET
@permission_required("dashboard.view_customers", raise_exception=True)
def customer_detail(request: HttpRequest, customer_id: str) -> TemplateResponse:
    """The profile: one `get_customer` call; activities and segments load as fragments."""
    try:
        profile = customer_profile_get(customer_id=customer_id, user=request.user)
    except NotFound as error:
        if (erasure := erasure_of(customer_id)) is not None:  # says so, with 410 Gone
            context = {"erasure": erasure}
            return render_page(request, "customers/customer_erased.html", context, status=410)
        return render_api_problem(request, error, "api_problem.html")
    except VoucherifyError as error:
        return render_api_problem(request, error, "api_problem.html")
    return render_page(
        request,
        "customers/customer_detail.html",
        {
            "customer": profile.customer,
            "referrals": profile.referrals,
            "list_url": _list_url_came_from(request),
            # The timeline's filters live in the profile's URL; the fragment is loaded with them.
            "activity_query": activity_query(request.GET),
        },
    )


def _list_url_came_from(request: HttpRequest) -> str:
    """The customers list as the agent left it (its filters), when they came from it."""
    list_url = reverse("customers:list")
    referer = urlsplit(request.headers.get("Referer", ""))
    same_site = url_has_allowed_host_and_scheme(
        request.headers.get("Referer", ""),
        allowed_hosts={request.get_host()},
        require_https=request.is_secure(),
    )
    if same_site and referer.path == list_url and referer.query:
        return f"{list_url}?{referer.query}"
    return list_url


@require_GET
@permission_required("dashboard.view_customers", raise_exception=True)
@clean_query
def customer_activities(request: HttpRequest, customer_id: str) -> TemplateResponse:
    """`#customer-activities`: the timeline with its filters; `starting_after_id` loads more.

    A "load more" request from HTMX gets `#activity-more`: the next items and a new "load
    more" row, which replace the old row; anything else gets the whole section or page.
    Filters applied from the profile put themselves in the profile's URL (`HX-Push-Url`).
    """
    template = "customers/customer_activities.html"
    url = reverse("customers:activities", args=[customer_id])
    form = ActivityFilterForm(request.GET)
    context = {"customer_id": customer_id, "form": form, "entries": (), "more_url": None}
    paging = bool(request.GET.get("starting_after_id"))
    partial = "activity-more" if paging and wants_fragment(request) else "customer-activities"
    if not form.is_valid():
        return render_page(request, template, context, partial="customer-activities")
    try:
        timeline = customer_timeline(
            customer_id=customer_id,
            filters=form.api_filters(),
            limit=ACTIVITY_PAGE_SIZE,
            user=request.user,
        )
    except VoucherifyError as error:
        return render_api_problem(request, error, template, context, partial=partial)
    context["entries"] = timeline.entries
    if timeline.more_starting_after:
        context["more_url"] = f"{url}?{form.query(starting_after_id=timeline.more_starting_after)}"
    context["first_page_url"] = f"{url}?{form.query()}" if paging else None
    response = render_page(request, template, context, partial=partial)
    if request.htmx and request.htmx.trigger == ACTIVITY_FILTERS:
        profile = reverse("customers:detail", args=[customer_id])
        response["HX-Push-Url"] = f"{profile}?{form.query()}" if form.query() else profile
    return response


@require_GET
@permission_required("dashboard.view_customers", raise_exception=True)
def customer_segments(request: HttpRequest, customer_id: str) -> TemplateResponse:
    """`#customer-segments`: the names of the segments the customer is in (one API call)."""
    template = "customers/customer_segments.html"
    context = {"customer_id": customer_id}
    try:
        segments = customer_segments_list(customer_id=customer_id, user=request.user)
    except VoucherifyError as error:
        return render_api_problem(request, error, template, context, partial="customer-segments")
    context["segments"] = segments
    return render_page(request, template, context, partial="customer-segments")
