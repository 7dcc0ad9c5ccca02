"""The admin site of the dashboard: staff accounts and roles, for admins only.

A signed-in user without admin rights gets the dashboard's 403 page, not Django's sign-in
form (which would invite them to sign in as someone else)."""

from __future__ import annotations

from functools import wraps

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied


class DashboardAdminSite(admin.AdminSite):
    site_header = "Customers Dashboard: accounts"
    site_title = "Dashboard accounts"
    index_title = "Staff accounts, roles and sign-in lock-outs"

    def _refuse_signed_in(self, request) -> None:
        if request.user.is_authenticated and not self.has_permission(request):
            raise PermissionDenied

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def guarded(request, *args, **kwargs):
            self._refuse_signed_in(request)
            return inner(request, *args, **kwargs)

        return guarded

    def login(self, request, extra_context=None):
        self._refuse_signed_in(request)
        return super().login(request, extra_context)


class DashboardAdminConfig(AdminConfig):
    default_site = "dashboard.admin_site.DashboardAdminSite"
