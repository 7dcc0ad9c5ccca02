"""The authentication backend: Django's ModelBackend, with the signed-in user read by one plain
SQL statement (dashboard/sql.py) and their permissions in one query instead of two ORM queries.

Every view checks a permission on the server, so every request pays for reading them: Django
builds two queries (the user's own permissions, then their groups') through the ORM, which
cost about a millisecond per request, a fifth of a fragment's own time (bench/pages.py). The
same set comes from one statement here. Superusers and inactive users go through Django's
code unchanged, and the result is cached on the user for the request, as Django does.
"""

from __future__ import annotations

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connections, router

from dashboard.sql import select_one


@cache
def _permissions_sql(database: str) -> str:
    """The statement, from the models' own table and column names (quoted); the user's id
    goes in as a parameter, twice."""
    quote = connections[database].ops.quote_name
    user_model = get_user_model()
    user_permissions = user_model.user_permissions.through._meta
    user_groups = user_model.groups.through._meta
    group_permissions = Group.permissions.through._meta

    def column(meta, name: str) -> str:
        return quote(meta.get_field(name).column)

    # Only names from the models' metadata go into the text; the values are parameters.
    return (
        f"SELECT ct.app_label, p.codename FROM {quote(Permission._meta.db_table)} p"  # noqa: S608
        f" JOIN {quote(ContentType._meta.db_table)} ct ON ct.id = p.content_type_id"
        f" WHERE p.id IN ("
        f"SELECT {column(user_permissions, 'permission')} FROM {quote(user_permissions.db_table)}"
        f" WHERE {column(user_permissions, 'user')} = %s"
        f" UNION SELECT gp.{column(group_permissions, 'permission')}"
        f" FROM {quote(group_permissions.db_table)} gp"
        f" JOIN {quote(user_groups.db_table)} ug"
        f" ON ug.{column(user_groups, 'group')} = gp.{column(group_permissions, 'group')}"
        f" WHERE ug.{column(user_groups, 'user')} = %s)"
    )


class DashboardBackend(ModelBackend):
    def get_user(self, user_id):
        """The session's user, as ModelBackend reads it: None when gone or inactive."""
        user = select_one(get_user_model(), pk=user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        if (
            not user_obj.is_active
            or user_obj.is_anonymous
            or obj is not None
            or user_obj.is_superuser
        ):
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            database = router.db_for_read(Permission)
            with connections[database].cursor() as cursor:
                cursor.execute(_permissions_sql(database), [user_obj.pk, user_obj.pk])
                user_obj._perm_cache = {f"{app}.{codename}" for app, codename in cursor}
        return user_obj._perm_cache
