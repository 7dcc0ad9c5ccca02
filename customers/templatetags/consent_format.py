"""The consents a timeline event names (`customer.consents.given` / `.revoked`)."""

from __future__ import annotations

from django import template

from customers.services.consents import CONSENT_ACTIVITY_TYPES, consent_refs

register = template.Library()


@register.filter
def consent_names(activity) -> str:
    """“Newsletter”, “SMS offers” for a consent event; "" for any other activity."""
    if getattr(activity, "type", None) not in CONSENT_ACTIVITY_TYPES:
        return ""
    return ", ".join(f"“{name}”" for _id, name in consent_refs(activity))
