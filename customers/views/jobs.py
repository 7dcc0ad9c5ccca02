"""Job pages: one job's live status (polled), its failed rows, the list of jobs, and the bulk
metadata update that starts one from the customers list."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods

from customers.import_forms import MetadataForm
from customers.list_forms import CustomerFilterForm
from customers.models import Job
from customers.problems import problem_for, render_api_problem
from customers.services import imports, jobs
from customers.voucherify import VoucherifyError
from dashboard.http import render_page
from dashboard.once import once_per_form

PERM = "dashboard.import_customers"
DETAIL = "customers/job_detail.html"
LIST = "customers/job_list.html"
BULK = "customers/bulk_metadata.html"
STOP_POLLING = 286  # htmx stops polling on this status


@require_GET
@permission_required(PERM, raise_exception=True)
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    try:
        status = jobs.job_status(job_id=job_id)
    except Job.DoesNotExist:
        raise Http404("No such job") from None
    if status.job.state == Job.State.DRAFT:
        return redirect("jobs:import_preview", job_id)
    polled = request.htmx and "v" in request.GET
    if polled and request.GET["v"] == status.version:
        return HttpResponse(status=204)
    response = render_page(request, DETAIL, {"status": status}, partial="job-status")
    if polled and status.job.finished:
        response.status_code = STOP_POLLING
    return response


@require_GET
@permission_required(PERM, raise_exception=True)
def job_failed_rows(request: HttpRequest, job_id: int) -> HttpResponse:
    if not Job.objects.filter(pk=job_id).exists():
        raise Http404("No such job")
    response = StreamingHttpResponse(
        jobs.job_failed_rows_csv(job_id=job_id), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="job-{job_id}-failed-rows.csv"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@permission_required(PERM, raise_exception=True)
def job_list(request: HttpRequest) -> HttpResponse:
    listing = jobs.job_list()
    active = any(job.state in Job.ACTIVE for job in listing.jobs)
    context = {"listing": listing, "active": active}
    if listing.actions_error is not None:  # the dashboard's jobs still show; the section says why
        context["problem"] = problem_for(request, listing.actions_error, partial="job-table")
    return render_page(request, LIST, context, partial="job-table")


def _selection(request: HttpRequest) -> imports.Selection | None:
    if request.GET.get("all") == "1":
        form = CustomerFilterForm(request.GET)
        return imports.metadata_selection(
            selected=[], filters=form.export_filters() if form.is_valid() else None
        )
    return imports.metadata_selection(selected=request.GET.getlist("selected"), filters=None)


@require_http_methods(["GET", "POST"])
@permission_required(PERM, raise_exception=True)
@once_per_form
def bulk_metadata(request: HttpRequest) -> HttpResponse:
    form = MetadataForm(request.POST or None)
    try:
        selection = _selection(request)
    except VoucherifyError as error:
        return render_api_problem(request, error, BULK, {"form": form})
    if request.method == "POST" and form.is_valid():
        outcome = imports.metadata_bulk_start(
            selection=selection, metadata=form.cleaned_data["metadata"], user=request.user
        )
        if not isinstance(outcome, imports.Refused):
            return redirect("jobs:detail", outcome.pk)
        form.add_error(None, outcome.message)
    status = 400 if form.errors else 200
    return render_page(request, BULK, {"form": form, "selection": selection}, status=status)
