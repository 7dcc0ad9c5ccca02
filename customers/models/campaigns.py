"""The campaigns the dashboard has seen in activities: id and name only, so that a profile's
referrals, which the API gives by campaign id, can name their campaign. A campaign is the
company's own promotion, not a person's data: nothing here needs the erasure scrub."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class SeenCampaign(models.Model):
    campaign_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255)
    # When the campaign was first seen under this name (a rename moves it).
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.name} ({self.campaign_id})"
