"""Imports, jobs and bulk updates (marketing and admin): /imports/... and /jobs/..."""

from __future__ import annotations

from django.urls import path

from customers.views import imports, jobs

app_name = "jobs"
urlpatterns = [
    path("imports/new/", imports.import_new, name="import_new"),
    path("imports/template.csv", imports.import_template, name="import_template"),
    path("imports/<int:job_id>/", imports.import_preview, name="import_preview"),
    path("imports/<int:job_id>/convert/", imports.import_convert, name="import_convert"),
    path("imports/<int:job_id>/mapping/", imports.import_mapping, name="import_mapping"),
    path("imports/<int:job_id>/lookup/", imports.import_lookup, name="import_lookup"),
    path("imports/<int:job_id>/start/", imports.import_start, name="import_start"),
    path("jobs/", jobs.job_list, name="list"),
    path("jobs/bulk/metadata/", jobs.bulk_metadata, name="bulk_metadata"),
    path("jobs/<int:job_id>/", jobs.job_detail, name="detail"),
    path("jobs/<int:job_id>/failed.csv", jobs.job_failed_rows, name="failed_rows"),
]
