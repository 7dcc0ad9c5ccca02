"""Placeholder until the page lands; replaced by its page family's views."""

from __future__ import annotations

from django.http import HttpResponse


def _not_built(request, *args, **kwargs):
    return HttpResponse("Not built yet", status=501)


customer_detail = customer_activities = customer_segments = _not_built
