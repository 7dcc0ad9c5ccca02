r"""The sandbox API, mounted at /sandbox/. Paths exactly as Voucherify's: no trailing slash.

Ids match `[\s\S]`, not `.`: an id may hold a newline (`%0A`), which `.` would not match, and a
path that no route matches must still reach the JSON catch-all, never Django's HTML 404. (An
inline `(?s)` flag would do the same, but `reverse()` refuses patterns that hold flags.)
"""

from __future__ import annotations

from django.urls import re_path

from sandbox import views

app_name = "sandbox"

urlpatterns = [
    re_path(r"^v1/customers$", views.customers, name="customers"),
    # The rest of the path: ids may hold (decoded) slashes; the view splits it.
    re_path(r"^v1/customers/(?P<rest>[\s\S]+)$", views.customer_routes, name="customer"),
    re_path(r"^v1/async-actions$", views.async_actions, name="async-actions"),
    re_path(
        r"^v1/async-actions/(?P<action_id>[^/]+)/report$",
        views.async_action_report,
        name="async-action-report",
    ),
    re_path(r"^v1/async-actions/(?P<action_id>[^/]+)$", views.async_action, name="async-action"),
    re_path(r"^v1/consents$", views.consents, name="consents"),
    re_path(r"^v1/segments/(?P<segment_id>[\s\S]+)$", views.segment, name="segment"),
    re_path(r"^(?P<path>[\s\S]*)$", views.unknown_route),
]
