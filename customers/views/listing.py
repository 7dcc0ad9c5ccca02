"""Placeholder until the page lands; replaced by its page family's views."""

from __future__ import annotations

from django.http import HttpResponse


def _not_built(request, *args, **kwargs):
    return HttpResponse("Not built yet", status=501)


customer_list = customer_export = _not_built
