"""Model rows to API JSON, with the API's habits: unset fields omitted, ints as ints."""

from __future__ import annotations

from sandbox import ids
from sandbox.models import (
    Activity,
    AsyncAction,
    Consent,
    ConsentGroup,
    Customer,
    PermanentDeletion,
    Segment,
)


def empty_summary() -> dict:
    return {
        "redemptions": {
            "total_redeemed": 0,
            "total_failed": 0,
            "total_succeeded": 0,
            "total_rolled_back": 0,
            "total_rollback_failed": 0,
            "total_rollback_succeeded": 0,
            "gift": {"redeemed_amount": 0, "amount_to_go": 0},
            "loyalty_card": {"redeemed_points": 0, "points_to_go": 0},
        },
        "orders": {
            "total_amount": 0,
            "total_count": 0,
            "average_amount": 0,
            "last_order_amount": 0,
        },
    }


def empty_loyalty() -> dict:
    return {"points": 0, "referred_customers": 0, "campaigns": {}}


def empty_referrals() -> dict:
    return {"total": 0, "campaigns": []}


def consent_state(customer: Customer, rows=None) -> dict | None:
    """`system_metadata.consents`: {cnst_…: {value, date}, …, unsubscribed: bool}, or None."""
    if rows is None:
        rows = list(customer.consents.all())
    if not rows and not customer.unsubscribed:
        return None
    state: dict = {
        row.consent_id: {"value": row.granted, "date": ids.iso(row.date)} for row in rows
    }
    state["unsubscribed"] = customer.unsubscribed
    return state


# The columns `customer_to_api` reads: a page of customers loads these only (each datetime
# and JSON column costs a conversion per row).
CUSTOMER_API_FIELDS = (
    "id",
    "source_id",
    "name",
    "description",
    "email",
    "phone",
    "birthdate",
    "birthday",
    "address",
    "metadata",
    "summary",
    "loyalty",
    "referrals",
    "unsubscribed",
    "created_at",
    "updated_at",
)


def customer_to_api(customer: Customer, *, with_consents: bool = True, consents=None) -> dict:
    """`consents`: the customer's consent rows when already read (a page of customers)."""
    body: dict = {"id": customer.id}
    if customer.source_id is not None:
        body["source_id"] = customer.source_id
    for field in ("name", "description", "email", "phone", "birthdate", "birthday"):
        value = getattr(customer, field)
        if value is not None:
            body[field] = value
    body["address"] = customer.address
    if customer.metadata is not None:
        body["metadata"] = customer.metadata
    body["summary"] = customer.summary or empty_summary()
    body["loyalty"] = customer.loyalty or empty_loyalty()
    body["referrals"] = customer.referrals or empty_referrals()
    system_metadata: dict = {}
    if with_consents:
        state = consent_state(customer, consents)
        if state is not None:
            system_metadata["consents"] = state
    body["system_metadata"] = system_metadata
    body["created_at"] = ids.iso(customer.created_at)
    if customer.updated_at is not None:
        body["updated_at"] = ids.iso(customer.updated_at)
    body["object"] = "customer"
    return body


def activity_to_api(activity: Activity) -> dict:
    return {
        "id": activity.id,
        "type": activity.type,
        "data": {"data": activity.data, "event_source": {"channel": activity.channel}},
        "created_at": ids.iso(activity.created_at),
        "group_id": activity.group_id,
    }


def segment_ref(segment: Segment) -> dict:
    return {"id": segment.id, "name": segment.name, "object": "segment"}


def segment_to_api(segment: Segment) -> dict:
    body = {
        "id": segment.id,
        "name": segment.name,
        "created_at": ids.iso(segment.created_at),
        "type": segment.type,
        "filter": segment.filter,
        "initial_sync_status": "DONE",
        "object": "segment",
    }
    if segment.updated_at is not None:
        body["updated_at"] = ids.iso(segment.updated_at)
    return body


def async_action_to_api(action: AsyncAction, *, with_result: bool = True) -> dict:
    body: dict = {"id": action.id, "type": action.type, "status": action.status}
    if action.operation_status:
        body["operation_status"] = action.operation_status
    if with_result and action.result is not None:
        body["result"] = action.result
    body.update(
        {
            "created_at": ids.iso(action.created_at),
            "updated_at": ids.iso(action.updated_at),
            "request_id": action.request_id,
            "progress": action.progress,
            "processing_time": action.processing_time,
            "object": "async_action",
        }
    )
    return body


def consent_to_api(consent: Consent) -> dict:
    return {
        "id": consent.id,
        "name": consent.name,
        "description": consent.description,
        "category": consent.category,
        "created_at": ids.iso(consent.created_at),
        "updated_at": ids.iso(consent.updated_at),  # null until updated (API_NOTES §5.12)
        "object": "consent",
    }


def consent_group_to_api(group: ConsentGroup) -> dict:
    return {
        "id": group.id,
        "name": group.name,
        "description": group.description,
        "consents": sorted(consent.id for consent in group.consents.all()),
        "created_at": ids.iso(group.created_at),
        "updated_at": ids.iso(group.updated_at),  # null until updated (API_NOTES §5.12)
        "object": "consent_group",
    }


def permanent_deletion_to_api(receipt: PermanentDeletion) -> dict:
    return {
        "id": receipt.id,
        "created_at": ids.iso(receipt.created_at),
        "related_object_id": receipt.related_object_id,
        "related_object": "customer",
        "status": "DONE",
        "data_json": receipt.data_json,
        "object": "pernament_deletion",  # sic: the API's spelling (API_NOTES quirk 3)
    }
