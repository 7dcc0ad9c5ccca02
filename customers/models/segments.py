"""The segments the dashboard has seen on profiles: id and name only, so that the list's
segment filter and the search box can take a name. A segment is a rule over many customers,
not a person's data: nothing here needs the erasure scrub."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class SeenSegment(models.Model):
    segment_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255, db_index=True)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.name} ({self.segment_id})"
