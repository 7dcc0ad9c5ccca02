"""Typed, read-only views of what the Voucherify API returns, declared once as msgspec Structs.

A response body is decoded from its bytes into these types in one pass (`decode`), with msgspec's
lax mode (`"12"` and `12.0` are read as the integer 12). Every field has a default, since the
real API omits unset fields and the SDKs drop every `required` (API_NOTES quirks 1, 24);
unknown keys are ignored. A value that breaks its declared type (a count sent as `"x"`,
`summary: null`, `address: "Main St"`) must not cost the page: msgspec has no declaration for
"use the default when a value does not fit", so such a body takes a second, generic pass
(`_fitted`) that keeps what fits and leaves the rest to its default. Valid bodies never pay it.

msgspec rather than pydantic or dataclasses: one C pass from bytes to frozen objects, `UNSET`
to keep "missing" apart from `null`, and plain Python classes that templates can read.
"""

from __future__ import annotations

import functools
import math
from datetime import date, datetime
from typing import Annotated, Any, Self, TypeVar

import msgspec
import msgspec.inspect as mi
from msgspec import UNSET, UnsetType, field

from customers.voucherify.dates import parse_date, parse_datetime
from customers.voucherify.paging import ListRequest, Pager

# Timestamps are aware: a naive one fails here and is read as UTC by the lenient pass.
Timestamp = Annotated[datetime, msgspec.Meta(tz=True)]

R = TypeVar("R", bound="Resource")


# gc=False: a page of 100 customers is ~1,000 Structs, and tracking them made the garbage
# collector run during decoding (half the decode time); JSON values form no reference cycles.
class Resource(msgspec.Struct, frozen=True, gc=False):
    """Base of every resource: frozen, and built from API JSON by `from_api` or `decode`."""

    @classmethod
    def from_api(cls, data: Any) -> Self:
        """The resource from already-parsed JSON (a dict), as leniently as `decode`."""
        try:
            return msgspec.convert(data, cls, strict=False)
        except msgspec.ValidationError:
            return _fit_top(data, cls)


def decode(content: bytes, into: type[R]) -> R:
    """`into` from a JSON body. Raises `msgspec.DecodeError` (or its subclass
    `ValidationError`) when the body is not JSON or not a JSON object."""
    try:
        return _decoder(into).decode(content)
    except msgspec.ValidationError:
        return _fit_top(msgspec.json.decode(content), into)


@functools.cache
def _decoder(into: type) -> msgspec.json.Decoder:
    return msgspec.json.Decoder(into, strict=False)


# --- the lenient pass -----------------------------------------------------------------------

_NO_FIT = object()


def _fit_top(data: Any, into: type[R]) -> R:
    if not isinstance(data, dict):
        raise msgspec.ValidationError(f"Expected a JSON object for {into.__name__}")
    return _fitted(data, _type_info(into))


@functools.cache
def _type_info(into: type) -> mi.Type:
    return mi.type_info(into)


def _fitted(value: Any, info: mi.Type) -> Any:
    """`value` as `info` declares it, or `_NO_FIT`. Structs, lists and dicts keep the parts
    that fit (a field that does not fit keeps its default); numbers are read as old code read
    them (`True` is 1, `12.7` is 12, `"x"` does not fit)."""
    if isinstance(info, mi.UnionType):
        for option in info.types:
            fitted = _fitted(value, option)
            if fitted is not _NO_FIT:
                return fitted
        return _NO_FIT
    if isinstance(info, mi.StructType):
        if not isinstance(value, dict):
            return _NO_FIT
        fields = {}
        for spec in info.fields:
            if spec.encode_name in value:
                fitted = _fitted(value[spec.encode_name], spec.type)
                if fitted is not _NO_FIT:
                    fields[spec.name] = fitted
        return info.cls(**fields)
    if isinstance(info, mi.DictType):
        if not isinstance(value, dict):
            return _NO_FIT
        pairs = ((_fitted(k, info.key_type), _fitted(v, info.value_type)) for k, v in value.items())
        return {k: v for k, v in pairs if k is not _NO_FIT and v is not _NO_FIT}
    if isinstance(info, mi.VarTupleType | mi.ListType):
        if not isinstance(value, list):
            return _NO_FIT
        items = [x for x in (_fitted(v, info.item_type) for v in value) if x is not _NO_FIT]
        return tuple(items) if isinstance(info, mi.VarTupleType) else items
    return _fitted_scalar(value, info)


def _fitted_scalar(value: Any, info: mi.Type) -> Any:
    if isinstance(info, mi.AnyType):
        return value
    if isinstance(info, mi.NoneType):
        return None if value is None else _NO_FIT
    if isinstance(info, mi.StrType):
        return value if isinstance(value, str) else _NO_FIT
    if isinstance(info, mi.BoolType):
        return value if isinstance(value, bool) else _NO_FIT
    if isinstance(info, mi.IntType):
        if isinstance(value, int | float) and math.isfinite(value):
            return int(value)
        try:
            return int(value) if isinstance(value, str) else _NO_FIT
        except ValueError:
            return _NO_FIT
    if isinstance(info, mi.DateTimeType):
        parsed = parse_datetime(value)
        return _NO_FIT if parsed is None else parsed
    if isinstance(info, mi.DateType):
        parsed = parse_date(value)
        return _NO_FIT if parsed is None else parsed
    return _NO_FIT  # a type JSON cannot give (the list's own request): keep the default


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
