"""Import pages: upload, preview (encoding, mapping, findings, creates vs updates), start."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers.import_forms import MappingForm, StartForm, UploadForm
from customers.imports.csvfile import template_csv
from customers.models import Job
from customers.problems import render_api_problem
from customers.services import imports
from dashboard.http import render_page
from dashboard.once import once_per_form

PERM = "dashboard.import_customers"
NEW = "customers/import_new.html"
PREVIEW = "customers/import_preview.html"


def _draft(job_id: int) -> Job:
    job = Job.objects.filter(pk=job_id, kind__in=(Job.Kind.MERGE, Job.Kind.REPLACE)).first()
    if job is None:
        raise Http404("No such import")
    return job


@require_http_methods(["GET", "POST"])
@permission_required(PERM, raise_exception=True)
def import_new(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        outcome = imports.import_upload(
            chunks=upload.chunks(), filename=upload.name, size=upload.size, user=request.user
        )
        if isinstance(outcome, imports.Refused):
            form.add_error("file", outcome.message)
        else:
            return redirect("jobs:import_preview", outcome.pk)
    status = 400 if form.errors else 200
    return render_page(request, NEW, {"form": form}, status=status)


def _preview_context(job: Job, **extra) -> dict:
    return {
        "job": job,
        "mapping_form": extra.pop("mapping_form", None) or MappingForm(job=job),
        "start_form": extra.pop("start_form", None)
        or StartForm(initial={"fingerprint": job.fingerprint, "kind": job.kind}),
        **extra,
    }


@require_GET
@permission_required(PERM, raise_exception=True)
def import_preview(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _draft(job_id)
    if job.state != Job.State.DRAFT:
        return redirect("jobs:detail", job.pk)
    return render_page(request, PREVIEW, _preview_context(job))


@require_POST
@permission_required(PERM, raise_exception=True)
def import_convert(request: HttpRequest, job_id: int) -> HttpResponse:
    outcome = imports.import_convert(job_id=_draft(job_id).pk, user=request.user)
    if isinstance(outcome, imports.Refused):
        messages.error(request, outcome.message)
    return redirect("jobs:import_preview", job_id)


@require_POST
@permission_required(PERM, raise_exception=True)
def import_mapping(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _draft(job_id)
    form = MappingForm(request.POST, job=job)
    if not form.is_valid():
        context = _preview_context(job, mapping_form=form)
        return render_page(request, PREVIEW, context, partial="import-preview", status=400)
    job = imports.import_remap(job_id=job.pk, mapping=form.mapping(), user=request.user)
    if request.htmx:
        return render_page(request, PREVIEW, _preview_context(job), partial="import-preview")
    return redirect("jobs:import_preview", job.pk)


@require_GET
@permission_required(PERM, raise_exception=True)
def import_lookup(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _draft(job_id)
    lookup = imports.import_lookup(job_id=job.pk)
    if lookup.stopped is not None and not lookup.rows:
        return render_api_problem(
            request, lookup.stopped, PREVIEW, _preview_context(job), partial="import-lookup"
        )
    context = _preview_context(job, lookup=lookup)
    return render_page(request, PREVIEW, context, partial="import-lookup")


@require_POST
@permission_required(PERM, raise_exception=True)
@once_per_form
def import_start(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _draft(job_id)
    form = StartForm(request.POST)
    outcome = (
        imports.import_start(job_id=job.pk, user=request.user, **form.cleaned_data)
        if form.is_valid()
        else imports.Refused("Choose Replace or Merge.")
    )
    if isinstance(outcome, imports.Refused):
        messages.error(request, outcome.message)
        return render_page(request, PREVIEW, _preview_context(job, start_form=form), status=400)
    return redirect("jobs:detail", outcome.pk)


@require_GET
@permission_required(PERM, raise_exception=True)
def import_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="customers-template.csv"'
    return response
