"""The dashboard's small records of things it has seen named by the API (segments on
profiles, campaigns in activities): id and name only, no personal data."""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from django.db import models
from django.utils import timezone

from dashboard.sql import select


def seen_record(
    model: type[models.Model],
    id_field: str,
    named: Mapping[str, str],
    *,
    refresh: datetime.timedelta | None = None,
) -> None:
    """Remember `{id: name}` in `model` (keyed by `id_field`, with `name` and `seen_at`): one
    read, and a write only for a new id, a rename, or (with `refresh`) a `seen_at` at least
    that old. Nothing at all for an empty `named`."""
    if not named:
        return
    now = timezone.now()
    known = {getattr(s, id_field): s for s in select(model, **{f"{id_field}__in": named})}
    changed = [
        seen
        for key, seen in known.items()
        if seen.name != named[key] or (refresh is not None and now - seen.seen_at >= refresh)
    ]
    for seen in changed:
        seen.name, seen.seen_at = named[getattr(seen, id_field)], now
    if changed:
        model.objects.bulk_update(changed, ["name", "seen_at"])
    new = [model(**{id_field: i}, name=named[i], seen_at=now) for i in named.keys() - known]
    if new:  # ignore_conflicts: another request recorded it meanwhile (same id, same name).
        model.objects.bulk_create(new, ignore_conflicts=True)
