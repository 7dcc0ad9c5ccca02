"""Routes of the data-subject requests, mounted at /deletion-requests/."""

from __future__ import annotations

from django.urls import path

from customers.views import privacy

app_name = "privacy"
urlpatterns = [
    path("", privacy.deletion_request_list, name="list"),
    path("new/", privacy.deletion_request_open, name="open"),
    path("<int:request_id>/", privacy.deletion_request_detail, name="detail"),
    path(
        "<int:request_id>/identity/",
        privacy.deletion_request_verify_identity,
        name="verify_identity",
    ),
    path("<int:request_id>/approve/", privacy.deletion_request_approve, name="approve"),
    path("<int:request_id>/refuse/", privacy.deletion_request_refuse, name="refuse"),
    path("<int:request_id>/cancel/", privacy.deletion_request_cancel, name="cancel"),
    path("<int:request_id>/extend/", privacy.deletion_request_extend, name="extend"),
    path("<int:request_id>/execute/", privacy.deletion_request_execute, name="execute"),
    path("<int:request_id>/resolve/", privacy.deletion_request_resolve, name="resolve"),
    path(
        "<int:request_id>/certificate/",
        privacy.deletion_request_certificate,
        name="certificate",
    ),
    path(
        "<int:request_id>/certificate.json",
        privacy.deletion_request_certificate,
        {"as_json": True},
        name="certificate_json",
    ),
    path("<int:request_id>/export/", privacy.deletion_request_export, name="export"),
    path(
        "<int:request_id>/export.json",
        privacy.deletion_request_export,
        {"as_json": True},
        name="export_json",
    ),
]
