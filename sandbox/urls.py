"""The sandbox API, mounted at /sandbox/. Paths exactly as Voucherify's: no trailing slash."""

from __future__ import annotations

from django.urls import re_path

from sandbox import views

app_name = "sandbox"

urlpatterns = [
    re_path(r"^v1/customers$", views.customers, name="customers"),
    # The rest of the path: ids may hold (decoded) slashes; the view splits it.
    re_path(r"^v1/customers/(?P<rest>.+)$", views.customer_routes, name="customer"),
    re_path(r"^v1/async-actions$", views.async_actions, name="async-actions"),
    re_path(
        r"^v1/async-actions/(?P<action_id>[^/]+)/report$",
        views.async_action_report,
        name="async-action-report",
    ),
    re_path(r"^v1/async-actions/(?P<action_id>[^/]+)$", views.async_action, name="async-action"),
    re_path(r"^v1/consents$", views.consents, name="consents"),
    re_path(r"^v1/segments/(?P<segment_id>.+)$", views.segment, name="segment"),
    re_path(r"^(?P<path>.*)$", views.unknown_route),
]
