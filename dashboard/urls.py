from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from dashboard import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("audit/", views.audit_log, name="audit_log"),
    path("signin/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("signout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("customers/", include("customers.urls")),
    path("", include("customers.jobs_urls")),
    path("deletion-requests/", include("customers.privacy_urls")),
]
if settings.SANDBOX_SERVE_HTTP:
    urlpatterns.append(path("sandbox/", include("sandbox.urls")))
