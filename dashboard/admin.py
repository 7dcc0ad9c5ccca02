from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, Permission, User

from dashboard.models import AuditEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records the dashboard writes alone (evidence): shown in the admin, never edited there."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only: the trail is written by the dashboard alone, never edited by hand."""

    list_display = ("created_at", "username", "operation", "customer_id", "outcome", "request_id")
    list_filter = ("outcome", "operation")
    search_fields = ("username", "operation", "customer_id", "request_id")
    date_hierarchy = "created_at"


# --- staff accounts -------------------------------------------------------------------------
# An admin who is not a superuser manages accounts within their own rights: they cannot make
# anyone a superuser, touch a superuser's account, or grant a permission (directly or through
# a role) that they do not hold themselves. Only superusers can.


def _held(user) -> set[str]:
    """`app_label.codename` of every permission `user` holds."""
    return set(user.get_all_permissions())


def _key(permission: Permission) -> str:
    return f"{permission.content_type.app_label}.{permission.codename}"


def grantable_permissions(user):
    """The permissions `user` may grant: all for a superuser, else those they hold."""
    permissions = Permission.objects.select_related("content_type")
    if user.is_superuser:
        return permissions
    held = _held(user)
    return permissions.filter(pk__in=[p.pk for p in permissions if _key(p) in held])


def grantable_groups(user):
    """The roles `user` may give: those granting nothing beyond `user`'s own permissions."""
    groups = Group.objects.prefetch_related("permissions__content_type")
    if user.is_superuser:
        return groups
    held = _held(user)
    return groups.filter(
        pk__in=[g.pk for g in groups if all(_key(p) in held for p in g.permissions.all())]
    )


def _keep_ungrantable(relation, before, grantable) -> None:
    """Put back what the form could not offer (a right beyond the editor's own) but the
    record had: an editor cannot grant it, and must not take it away by omission either."""
    allowed = set(grantable.values_list("pk", flat=True))
    kept = [pk for pk in before if pk not in allowed]
    if kept:
        relation.add(*kept)


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    list_display = ("username", "role", "is_active", "is_staff", "is_superuser", "last_login")
    list_filter = ("groups", "is_active", "is_staff", "is_superuser")
    # Roles and rights are plain multiple selects, not Django's two-box filter widget: its
    # search icons carry an aria-label on a bare <span> (axe: aria-prohibited-attr), and a
    # labelled select works with any keyboard or screen reader. A non-superuser is offered
    # only the few rights they hold.
    filter_horizontal = ()
    # Facts Django records (at sign-in, at creation), not settings: shown, never typed in
    # (their date and time inputs also had no label).
    readonly_fields = ("last_login", "date_joined")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="Role")
    def role(self, user) -> str:
        names = [group.name for group in user.groups.all()]
        if user.is_superuser:
            names.insert(0, "superuser")
        return ", ".join(names) or "none"

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly.append("is_superuser")
        return readonly

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["queryset"] = grantable_groups(request.user)
        elif db_field.name == "user_permissions":
            kwargs["queryset"] = grantable_permissions(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        user = form.instance
        before_groups = list(user.groups.values_list("pk", flat=True)) if change else []
        before_perms = list(user.user_permissions.values_list("pk", flat=True)) if change else []
        super().save_related(request, form, formsets, change)
        if not request.user.is_superuser:
            _keep_ungrantable(user.groups, before_groups, grantable_groups(request.user))
            _keep_ungrantable(
                user.user_permissions, before_perms, grantable_permissions(request.user)
            )


@admin.register(Group)
class RoleAdmin(GroupAdmin):
    filter_horizontal = ()  # plain multiple selects, as for users (StaffUserAdmin)

    def has_change_permission(self, request, obj=None):
        """A role granting more than the editor holds is theirs to read, not to change."""
        if obj is not None and not grantable_groups(request.user).filter(pk=obj.pk).exists():
            return False
        return super().has_change_permission(request, obj)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "permissions":
            kwargs["queryset"] = grantable_permissions(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)
