"""Demo staff accounts, one per role, for a dashboard running on the sandbox."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from dashboard.roles import ROLE_PERMISSIONS

# Django admin rights of the demo `admin`: manage staff accounts and their roles.
ADMIN_AUTH_PERMISSIONS = (
    "add_user",
    "change_user",
    "view_user",
    "add_group",
    "change_group",
    "view_group",
)

# ...and lift sign-in lock-outs (django-axes' access attempts).
ADMIN_AXES_PERMISSIONS = ("view_accessattempt", "delete_accessattempt")


# One user per role, and a second compliance officer: requests need four eyes.
DEMO_USERS = (*((role, role) for role in ROLE_PERMISSIONS), ("compliance2", "compliance"))


def demo_password(role: str) -> str:
    return f"{role}-demo-pass"


class Command(BaseCommand):
    help = (
        "Create (or reset) the demo users support, marketing, compliance and admin, each in "
        "its role's group, with the password <role>-demo-pass. Sandbox mode only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-sandbox",
            action="store_true",
            help="do nothing, successfully, when connected to a real Voucherify (make run)",
        )

    def handle(self, *args, if_sandbox=False, **options):
        if not settings.VOUCHERIFY_USE_SANDBOX:
            if if_sandbox:
                self.stdout.write("Connected to Voucherify: no demo users.")
                return
            raise CommandError(
                "Refusing to create demo users: the dashboard is connected to a real Voucherify "
                "project (VOUCHERIFY_APP_ID/VOUCHERIFY_APP_TOKEN are set). Demo accounts with "
                "known passwords are only for the sandbox; create real staff accounts with "
                "`manage.py createsuperuser` and the Django admin."
            )
        User = get_user_model()
        for username, role in DEMO_USERS:
            group = Group.objects.get(name=role)
            user, created = User.objects.get_or_create(username=username)
            user.set_password(demo_password(username))
            user.is_active = True
            user.is_staff = role == "admin"
            user.is_superuser = False
            user.save()
            user.groups.set([group])
            if role == "admin":
                user.user_permissions.set(
                    Permission.objects.filter(
                        Q(content_type__app_label="auth", codename__in=ADMIN_AUTH_PERMISSIONS)
                        | Q(content_type__app_label="axes", codename__in=ADMIN_AXES_PERMISSIONS)
                    )
                )
            verb = "created" if created else "reset"
            self.stdout.write(f"{verb} {username!r} (password {demo_password(username)!r})")
        self.stdout.write(self.style.SUCCESS("Demo users ready: sign in at /signin/."))
