from __future__ import annotations

from django import template
from django.utils.html import format_html

from dashboard.once import FIELD, new_form_token

register = template.Library()


@register.simple_tag
def form_token() -> str:
    """A fresh one-time token for the form being rendered (see `dashboard.once`)."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_form_token())
