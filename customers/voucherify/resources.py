"""Typed, read-only views of what the Voucherify API returns: one declaration per API object.

Each is a frozen msgspec Struct (see `decoding`): decoded from the response bytes in one pass,
lenient where the API is loose, "missing" kept apart from `null` where it matters (`UNSET`).
msgspec rather than pydantic or dataclasses: one C pass from bytes to frozen objects, `UNSET`,
and plain classes that templates read as they are.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
from msgspec import UNSET, UnsetType, field

from customers.voucherify.decoding import Resource, Timestamp
from customers.voucherify.paging import ListRequest, Pager

# --- customers ------------------------------------------------------------------------------


class Address(Resource):
    line_1: str | None = None
    line_2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None

    def to_api(self) -> dict[str, str | None]:
        return msgspec.structs.asdict(self)


class OrdersSummary(Resource):
    total_amount: int = 0
    total_count: int = 0
    average_amount: int = 0
    last_order_amount: int = 0
    last_order_date: Timestamp | None = None


class GiftSummary(Resource):
    redeemed_amount: int = 0
    amount_to_go: int = 0


class LoyaltyCardSummary(Resource):
    redeemed_points: int = 0
    points_to_go: int = 0


class RedemptionsSummary(Resource):
    total_redeemed: int = 0
    total_failed: int = 0
    total_succeeded: int = 0
    total_rolled_back: int = 0
    total_rollback_failed: int = 0
    total_rollback_succeeded: int = 0
    gift: GiftSummary = field(default_factory=GiftSummary)
    loyalty_card: LoyaltyCardSummary = field(default_factory=LoyaltyCardSummary)


class CustomerSummary(Resource):
    orders: OrdersSummary = field(default_factory=OrdersSummary)
    redemptions: RedemptionsSummary = field(default_factory=RedemptionsSummary)


class LoyaltyCampaign(Resource):
    points: int = 0
    loyalty_tier: str | None = None
    referred_customers: int = 0


class Loyalty(Resource):
    points: int = 0
    referred_customers: int = 0
    # Keyed by campaign NAME, not id (API_NOTES quirk 4).
    campaigns: dict[str, LoyaltyCampaign] = {}


class Referral(Resource):
    campaign_id: str | None = None
    referrer_id: str | None = None
    related_object_id: str | None = None
    related_object_type: str | None = None
    date: Timestamp | None = None


class Referrals(Resource):
    total: int = 0
    campaigns: tuple[Referral, ...] = ()


BASE_FIELDS = ("name", "description", "email", "phone", "birthdate", "address", "metadata")


class Customer(Resource):
    id: str | None = None
    source_id: str | None = None
    name: str | None = None
    description: str | None = None
    email: str | None = None
    phone: str | None = None
    birthdate: date | None = None
    birthday: date | None = None
    # None: never set (`address: null`, quirk 1); UNSET: this answer does not carry it (the
    # unconfirmed_customer shape, quirk 6). Both are false, and "no address" to a form.
    address: Address | UnsetType | None = UNSET
    metadata: dict[str, Any] = {}
    summary: CustomerSummary = field(default_factory=CustomerSummary)
    loyalty: Loyalty = field(default_factory=Loyalty)
    referrals: Referrals = field(default_factory=Referrals)
    system_metadata: dict[str, Any] = {}
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    # "customer", or e.g. "unconfirmed_customer" in the double opt-in flow (quirk 6).
    object: str = "customer"

    @property
    def unsubscribed(self) -> bool:
        """The global opt-out (`system_metadata.consents.unsubscribed`)."""
        consents = self.system_metadata.get("consents")
        return isinstance(consents, dict) and consents.get("unsubscribed") is True

    def base_fields(self) -> dict[str, Any]:
        """The CustomerBase fields as API JSON: what a form edits and a diff compares."""
        return {
            "name": self.name,
            "description": self.description,
            "email": self.email,
            "phone": self.phone,
            "birthdate": self.birthdate.isoformat() if self.birthdate else None,
            "address": self.address.to_api() if self.address else None,
            "metadata": dict(self.metadata),
        }


class CustomerList(Resource):
    customers: tuple[Customer, ...] = ()
    total: int = 0
    has_more: bool | None = None
    # The ListRequest answered, set by the client (`answering`); no JSON carries it. Typed
    # Any: msgspec cannot declare a dataclass holding `datetime | str` (two str-like types).
    request: Any = field(default=None, name="__request__")

    @property
    def pager(self) -> Pager:
        """Where this page stands in the list: page numbers to 99, then the cursor."""
        request = self.request if isinstance(self.request, ListRequest) else ListRequest()
        return Pager.for_customers(request, self)

    def answering(self, request: ListRequest) -> CustomerList:
        """This answer as the answer to `request`: rows in its order, and the request kept."""
        rows = self.customers[::-1] if request.backward else self.customers
        return msgspec.structs.replace(self, customers=rows, request=request)


class PermanentDeletion(Resource):
    id: str | None = None
    created_at: Timestamp | None = None
    related_object_id: str | None = None
    related_object: str | None = None
    status: str | None = None
    # Counts of deleted related records; may be partial (quirk 3).
    data_json: dict[str, int] = {}
    object: str | None = None


# --- activities -----------------------------------------------------------------------------

_NESTED_ACTIVITY_KEYS = frozenset({"data", "event_source"})
# `address` and `metadata` compare key by key, as the audit log shows them.
_NESTED_FIELDS = frozenset({"address", "metadata"})


class CampaignRef(Resource):
    id: str | None = None
    name: str | None = None


class Activity(Resource):
    id: str | None = None
    type: str | None = None
    created_at: Timestamp | None = None
    group_id: str | None = None
    # Any `type`, also ones the contract does not list (customer.consents.given...): the
    # payload stays JSON and is read through the properties below.
    body: dict[str, Any] = field(default_factory=dict, name="data")

    @property
    def data(self) -> dict[str, Any]:
        """The event payload, e.g. {"customer": {...}} or {"customer": ..., "segment": ...}.

        The spec nests it as data.data next to data.event_source (quirk 20); the flat form is
        accepted too, since no real sample confirms the nesting."""
        nested = self.body.get("data")
        if isinstance(nested, dict) and self.body.keys() <= _NESTED_ACTIVITY_KEYS:
            return nested
        return {k: v for k, v in self.body.items() if k != "event_source"}

    @property
    def channel(self) -> str | None:
        source = self.body.get("event_source")
        channel = source.get("channel") if isinstance(source, dict) else None
        return channel if isinstance(channel, str) else None

    @property
    def segment_name(self) -> str | None:
        """The segment entered or left (customer.segment.entered/left)."""
        segment = self.data.get("segment")
        name = segment.get("name") if isinstance(segment, dict) else None
        return name if isinstance(name, str) else None

    @property
    def campaign(self) -> CampaignRef | None:
        """The campaign of a loyalty, referral or reward event (`data.campaign`: {id, name,
        ...}), where the payload has one."""
        campaign = self.data.get("campaign")
        if not isinstance(campaign, dict):
            return None
        id_, name = campaign.get("id"), campaign.get("name")
        return CampaignRef(
            id=id_ if isinstance(id_, str) else None,
            name=name if isinstance(name, str) else None,
        )

    @property
    def campaign_name(self) -> str | None:
        """The campaign of a loyalty, referral or reward event, where the payload names it."""
        campaign = self.campaign
        return campaign.name if campaign is not None else None

    def changes(self) -> list[tuple[str, Any, Any]]:
        """`(field, before, after)` of a customer.updated event, when its payload says.

        The payload is the customer after the change; a previous state only comes with some
        sources (`previous_attributes`, or a `changes` map of `{field: {"old", "new"}}` /
        `[old, new]`). Without one there is nothing to show."""
        if self.type != "customer.updated":
            return []
        data = self.data
        changes = data.get("changes")
        if isinstance(changes, dict):
            rows = []
            for name, change in sorted(changes.items()):
                if isinstance(change, dict):
                    rows.append((name, change.get("old"), change.get("new")))
                elif isinstance(change, list) and len(change) == 2:
                    rows.append((name, change[0], change[1]))
            return rows
        previous, customer = data.get("previous_attributes"), data.get("customer")
        if isinstance(previous, dict) and isinstance(customer, dict):
            before, after = _flatten(previous), _flatten(customer)
            return [(name, before[name], after.get(name)) for name in sorted(before)]
        return []


def _flatten(data: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key in _NESTED_FIELDS and isinstance(value, dict | None):
            flat.update({f"{key}.{sub}": sub_value for sub, sub_value in (value or {}).items()})
        else:
            flat[key] = value
    return flat


class ActivityList(Resource):
    activities: tuple[Activity, ...] = field(default=(), name="data")
    total: int | None = None
    has_more: bool = False
    more_starting_after: str | None = None


# --- segments -------------------------------------------------------------------------------


class SegmentRef(Resource):
    id: str | None = None
    name: str | None = None


class SegmentList(Resource):
    data: tuple[SegmentRef, ...] = ()


class Segment(Resource):
    id: str | None = None
    name: str | None = None
    type: str | None = None
    filter: dict[str, Any] | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    object: str | None = None


# --- consents -------------------------------------------------------------------------------


class Consent(Resource):
    id: str | None = None
    name: str | None = None
    description: str | None = None
    category: str | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None


class ConsentGroup(Resource):
    id: str | None = None
    name: str | None = None
    description: str | None = None
    consents: tuple[str, ...] = ()
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None


class _GroupPage(Resource):
    data: tuple[ConsentGroup, ...] = ()


class _ConsentPage(Resource):
    data: tuple[Consent, ...] = ()


class Consents(Resource):
    """`GET /v1/consents`: `{groups: {data: [...]}, consents: {data: [...]}}`, unwrapped."""

    group_page: _GroupPage = field(default_factory=_GroupPage, name="groups")
    consent_page: _ConsentPage = field(default_factory=_ConsentPage, name="consents")

    @property
    def groups(self) -> tuple[ConsentGroup, ...]:
        return self.group_page.data

    @property
    def consents(self) -> tuple[Consent, ...]:
        return self.consent_page.data


# --- async actions --------------------------------------------------------------------------


class FailedRow(Resource):
    row: int | None = None
    source_id: str | None = None
    reason: str | None = None


class ImportCsvResult(Resource):
    message: str | None = None
    done_count: int = 0
    failed_count: int | UnsetType = UNSET
    failed: tuple[FailedRow, ...] = ()

    def __post_init__(self) -> None:
        # Older results leave the count out: it is the number of rows listed.
        if self.failed_count is UNSET:
            msgspec.structs.force_setattr(self, "failed_count", len(self.failed))


class BulkError(Resource):
    message: str | None = None
    details: str | None = None
    key: str | None = None
    source_id: str | None = None


class BulkRecord(Resource):
    """One row of the pre-2024-08 result shape: `results[{source_id, found, updated}]`."""

    source_id: str | None = None
    found: bool = False
    updated: bool = False


class BulkUpdateResult(Resource):
    done_count: int = 0
    failed_count: int | UnsetType = UNSET
    reports: tuple[str, ...] = ()
    reports_available_till: Timestamp | None = None
    errors: tuple[BulkError, ...] = ()
    results: tuple[BulkRecord, ...] = ()

    def __post_init__(self) -> None:
        # Results before 2024-08 had no count: it is the number of errors listed.
        if self.failed_count is UNSET:
            msgspec.structs.force_setattr(self, "failed_count", len(self.errors))


class MessageResult(Resource):
    """`{message, done_count}`: metadata key purges, voucher generation and the like."""

    message: str | None = None
    done_count: int = 0


AsyncResult = ImportCsvResult | BulkUpdateResult | MessageResult | dict[str, Any]

# Dotted type names (quirk 9). Types not listed keep their result as a plain dict.
RESULT_TYPES: dict[str, type[Resource]] = {
    "CUSTOMERS.IMPORT_CSV": ImportCsvResult,
    "CUSTOMERS.BULK_UPDATE": BulkUpdateResult,
    "CUSTOMERS.METADATA_UPDATE": BulkUpdateResult,
    "CUSTOMERS.METADATA_KEY_PURGE": MessageResult,
}


class AsyncAction(Resource):
    id: str | None = None
    type: str | None = None
    status: str | None = None
    operation_status: str | None = None
    progress: int = 0
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    request_id: str | None = None
    processing_time: int | None = None
    # Its shape depends on `type` (quirks 8, 9), which JSON gives beside it, not inside it:
    # no tagged union says that, so the JSON object is kept and `result` reads it by type.
    raw_result: dict[str, Any] | None = field(default=None, name="result")

    @property
    def result(self) -> AsyncResult | None:
        """The result typed by `type`; a plain dict for types not listed in RESULT_TYPES."""
        if self.raw_result is None:
            return None
        kind = RESULT_TYPES.get(self.type or "")
        return kind.from_api(self.raw_result) if kind else self.raw_result

    @property
    def finished(self) -> bool:
        return self.status in ("DONE", "FAILED")


class AsyncActionList(Resource):
    async_actions: tuple[AsyncAction, ...] = ()
    has_more: bool | None = None


class AsyncActionCreated(Resource):
    """The 202 answer of an import or bulk update."""

    async_action_id: str | None = None
