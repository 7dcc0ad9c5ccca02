"""Typed, read-only views of what the Voucherify API returns.

Every resource is a frozen dataclass built by `from_api(data)`. The builders are lenient on purpose
(API_NOTES quirks 1-3, 6, 8, 24): the real API omits unset fields, sends `address: null`, leaves
out `metadata` and `updated_at`, may return a partial `data_json`, and its async results changed
shape over time. A missing key gives a neutral value (None, 0, {} or ()) instead of a KeyError.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

# --- lenient converters ---------------------------------------------------------------------


def _map(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _seq(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return 0
    return 0


def _opt_int(value: Any) -> int | None:
    return None if value is None else _int(value)


def parse_datetime(value: Any) -> datetime | None:
    """An aware datetime from an ISO 8601 string (`Z` or offset); naive values are taken as UTC."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def parse_date(value: Any) -> date | None:
    """A date from `YYYY-MM-DD` (or the date part of a timestamp); anything else gives None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


# --- customers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    line_1: str | None = None
    line_2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None

    @classmethod
    def from_api(cls, data: Any) -> Address | None:
        if not isinstance(data, Mapping):
            return None
        return cls(**{name: _str(data.get(name)) for name in cls.__dataclass_fields__})

    def to_api(self) -> dict[str, str | None]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class OrdersSummary:
    total_amount: int = 0
    total_count: int = 0
    average_amount: int = 0
    last_order_amount: int = 0
    last_order_date: datetime | None = None

    @classmethod
    def from_api(cls, data: Any) -> OrdersSummary:
        data = _map(data)
        return cls(
            total_amount=_int(data.get("total_amount")),
            total_count=_int(data.get("total_count")),
            average_amount=_int(data.get("average_amount")),
            last_order_amount=_int(data.get("last_order_amount")),
            last_order_date=parse_datetime(data.get("last_order_date")),
        )


@dataclass(frozen=True)
class GiftSummary:
    redeemed_amount: int = 0
    amount_to_go: int = 0


@dataclass(frozen=True)
class LoyaltyCardSummary:
    redeemed_points: int = 0
    points_to_go: int = 0


@dataclass(frozen=True)
class RedemptionsSummary:
    total_redeemed: int = 0
    total_failed: int = 0
    total_succeeded: int = 0
    total_rolled_back: int = 0
    total_rollback_failed: int = 0
    total_rollback_succeeded: int = 0
    gift: GiftSummary = field(default_factory=GiftSummary)
    loyalty_card: LoyaltyCardSummary = field(default_factory=LoyaltyCardSummary)

    @classmethod
    def from_api(cls, data: Any) -> RedemptionsSummary:
        data = _map(data)
        gift = _map(data.get("gift"))
        card = _map(data.get("loyalty_card"))
        counts = {
            name: _int(data.get(name))
            for name in (
                "total_redeemed",
                "total_failed",
                "total_succeeded",
                "total_rolled_back",
                "total_rollback_failed",
                "total_rollback_succeeded",
            )
        }
        return cls(
            **counts,
            gift=GiftSummary(_int(gift.get("redeemed_amount")), _int(gift.get("amount_to_go"))),
            loyalty_card=LoyaltyCardSummary(
                _int(card.get("redeemed_points")), _int(card.get("points_to_go"))
            ),
        )


@dataclass(frozen=True)
class CustomerSummary:
    orders: OrdersSummary = field(default_factory=OrdersSummary)
    redemptions: RedemptionsSummary = field(default_factory=RedemptionsSummary)

    @classmethod
    def from_api(cls, data: Any) -> CustomerSummary:
        data = _map(data)
        return cls(
            orders=OrdersSummary.from_api(data.get("orders")),
            redemptions=RedemptionsSummary.from_api(data.get("redemptions")),
        )


@dataclass(frozen=True)
class LoyaltyCampaign:
    points: int = 0
    loyalty_tier: str | None = None
    referred_customers: int = 0


@dataclass(frozen=True)
class Loyalty:
    points: int = 0
    referred_customers: int = 0
    # Keyed by campaign NAME, not id (API_NOTES quirk 4).
    campaigns: dict[str, LoyaltyCampaign] = field(default_factory=dict)

    @classmethod
    def from_api(cls, data: Any) -> Loyalty:
        data = _map(data)
        campaigns = {
            str(name): LoyaltyCampaign(
                points=_int(_map(value).get("points")),
                loyalty_tier=_str(_map(value).get("loyalty_tier")),
                referred_customers=_int(_map(value).get("referred_customers")),
            )
            for name, value in _map(data.get("campaigns")).items()
        }
        return cls(
            points=_int(data.get("points")),
            referred_customers=_int(data.get("referred_customers")),
            campaigns=campaigns,
        )


@dataclass(frozen=True)
class Referral:
    campaign_id: str | None = None
    referrer_id: str | None = None
    related_object_id: str | None = None
    related_object_type: str | None = None
    date: datetime | None = None


@dataclass(frozen=True)
class Referrals:
    total: int = 0
    campaigns: tuple[Referral, ...] = ()

    @classmethod
    def from_api(cls, data: Any) -> Referrals:
        data = _map(data)
        campaigns = tuple(
            Referral(
                campaign_id=_str(item.get("campaign_id")),
                referrer_id=_str(item.get("referrer_id")),
                related_object_id=_str(item.get("related_object_id")),
                related_object_type=_str(item.get("related_object_type")),
                date=parse_datetime(item.get("date")),
            )
            for item in map(_map, _seq(data.get("campaigns")))
        )
        return cls(total=_int(data.get("total")), campaigns=campaigns)


BASE_FIELDS = ("name", "description", "email", "phone", "birthdate", "address", "metadata")


@dataclass(frozen=True)
class Customer:
    id: str | None
    source_id: str | None = None
    name: str | None = None
    description: str | None = None
    email: str | None = None
    phone: str | None = None
    birthdate: date | None = None
    birthday: date | None = None
    address: Address | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    summary: CustomerSummary = field(default_factory=CustomerSummary)
    loyalty: Loyalty = field(default_factory=Loyalty)
    referrals: Referrals = field(default_factory=Referrals)
    system_metadata: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    # "customer", or e.g. "unconfirmed_customer" in the double opt-in flow (quirk 6).
    object: str = "customer"

    @classmethod
    def from_api(cls, data: Any) -> Customer:
        data = _map(data)
        return cls(
            id=_str(data.get("id")),
            source_id=_str(data.get("source_id")),
            name=_str(data.get("name")),
            description=_str(data.get("description")),
            email=_str(data.get("email")),
            phone=_str(data.get("phone")),
            birthdate=parse_date(data.get("birthdate")),
            birthday=parse_date(data.get("birthday")),
            address=Address.from_api(data.get("address")),
            metadata=_map(data.get("metadata")),
            summary=CustomerSummary.from_api(data.get("summary")),
            loyalty=Loyalty.from_api(data.get("loyalty")),
            referrals=Referrals.from_api(data.get("referrals")),
            system_metadata=_map(data.get("system_metadata")),
            created_at=parse_datetime(data.get("created_at")),
            updated_at=parse_datetime(data.get("updated_at")),
            object=_str(data.get("object")) or "customer",
        )

    @property
    def unsubscribed(self) -> bool:
        """The global opt-out (`system_metadata.consents.unsubscribed`)."""
        return _map(self.system_metadata.get("consents")).get("unsubscribed") is True

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


@dataclass(frozen=True)
class CustomerList:
    customers: tuple[Customer, ...]
    total: int
    has_more: bool | None = None

    @classmethod
    def from_api(cls, data: Any) -> CustomerList:
        data = _map(data)
        has_more = data.get("has_more")
        return cls(
            customers=tuple(Customer.from_api(item) for item in _seq(data.get("customers"))),
            total=_int(data.get("total")),
            has_more=has_more if isinstance(has_more, bool) else None,
        )


@dataclass(frozen=True)
class PermanentDeletion:
    id: str | None
    created_at: datetime | None = None
    related_object_id: str | None = None
    related_object: str | None = None
    status: str | None = None
    # Counts of deleted related records; may be partial (quirk 3).
    data_json: dict[str, int] = field(default_factory=dict)
    object: str | None = None

    @classmethod
    def from_api(cls, data: Any) -> PermanentDeletion:
        data = _map(data)
        return cls(
            id=_str(data.get("id")),
            created_at=parse_datetime(data.get("created_at")),
            related_object_id=_str(data.get("related_object_id")),
            related_object=_str(data.get("related_object")),
            status=_str(data.get("status")),
            data_json={str(k): _int(v) for k, v in _map(data.get("data_json")).items()},
            object=_str(data.get("object")),
        )


# --- activities -----------------------------------------------------------------------------

_NESTED_ACTIVITY_KEYS = frozenset({"data", "event_source"})


@dataclass(frozen=True)
class Activity:
    id: str | None
    type: str | None = None
    created_at: datetime | None = None
    group_id: str | None = None
    channel: str | None = None
    # The event payload, e.g. {"customer": {...}} or {"customer": {...}, "segment": {...}}.
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_api(cls, data: Any) -> Activity:
        data = _map(data)
        raw = _map(data.get("data"))
        # The spec nests the payload as data.data next to data.event_source (quirk 20); accept
        # the flat form too, since no real sample confirms the nesting.
        if isinstance(raw.get("data"), Mapping) and set(raw) <= _NESTED_ACTIVITY_KEYS:
            payload = _map(raw["data"])
        else:
            payload = {k: v for k, v in raw.items() if k != "event_source"}
        return cls(
            id=_str(data.get("id")),
            type=_str(data.get("type")),
            created_at=parse_datetime(data.get("created_at")),
            group_id=_str(data.get("group_id")),
            channel=_str(_map(raw.get("event_source")).get("channel")),
            data=payload,
        )


@dataclass(frozen=True)
class ActivityList:
    activities: tuple[Activity, ...]
    total: int | None = None
    has_more: bool = False
    more_starting_after: str | None = None

    @classmethod
    def from_api(cls, data: Any) -> ActivityList:
        data = _map(data)
        return cls(
            activities=tuple(Activity.from_api(item) for item in _seq(data.get("data"))),
            total=_opt_int(data.get("total")),
            has_more=data.get("has_more") is True,
            more_starting_after=_str(data.get("more_starting_after")),
        )


# --- segments -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentRef:
    id: str | None
    name: str | None = None

    @classmethod
    def from_api(cls, data: Any) -> SegmentRef:
        data = _map(data)
        return cls(id=_str(data.get("id")), name=_str(data.get("name")))


@dataclass(frozen=True)
class Segment:
    id: str | None
    name: str | None = None
    type: str | None = None
    filter: dict[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    object: str | None = None

    @classmethod
    def from_api(cls, data: Any) -> Segment:
        data = _map(data)
        raw_filter = data.get("filter")
        return cls(
            id=_str(data.get("id")),
            name=_str(data.get("name")),
            type=_str(data.get("type")),
            filter=dict(raw_filter) if isinstance(raw_filter, Mapping) else None,
            created_at=parse_datetime(data.get("created_at")),
            updated_at=parse_datetime(data.get("updated_at")),
            object=_str(data.get("object")),
        )


# --- consents -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Consent:
    id: str | None
    name: str | None = None
    description: str | None = None
    category: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_api(cls, data: Any) -> Consent:
        data = _map(data)
        return cls(
            id=_str(data.get("id")),
            name=_str(data.get("name")),
            description=_str(data.get("description")),
            category=_str(data.get("category")),
            created_at=parse_datetime(data.get("created_at")),
            updated_at=parse_datetime(data.get("updated_at")),
        )


@dataclass(frozen=True)
class ConsentGroup:
    id: str | None
    name: str | None = None
    description: str | None = None
    consents: tuple[str, ...] = ()
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_api(cls, data: Any) -> ConsentGroup:
        data = _map(data)
        return cls(
            id=_str(data.get("id")),
            name=_str(data.get("name")),
            description=_str(data.get("description")),
            consents=tuple(c for c in _seq(data.get("consents")) if isinstance(c, str)),
            created_at=parse_datetime(data.get("created_at")),
            updated_at=parse_datetime(data.get("updated_at")),
        )


@dataclass(frozen=True)
class Consents:
    groups: tuple[ConsentGroup, ...] = ()
    consents: tuple[Consent, ...] = ()

    @classmethod
    def from_api(cls, data: Any) -> Consents:
        data = _map(data)
        groups = _seq(_map(data.get("groups")).get("data"))
        consents = _seq(_map(data.get("consents")).get("data"))
        return cls(
            groups=tuple(ConsentGroup.from_api(item) for item in groups),
            consents=tuple(Consent.from_api(item) for item in consents),
        )


# --- async actions --------------------------------------------------------------------------


@dataclass(frozen=True)
class FailedRow:
    row: int | None
    source_id: str | None
    reason: str | None


@dataclass(frozen=True)
class ImportCsvResult:
    message: str | None = None
    done_count: int = 0
    failed_count: int = 0
    failed: tuple[FailedRow, ...] = ()

    @classmethod
    def from_api(cls, data: Any) -> ImportCsvResult:
        data = _map(data)
        failed = tuple(
            FailedRow(
                row=_opt_int(item.get("row")),
                source_id=_str(item.get("source_id")),
                reason=_str(item.get("reason")),
            )
            for item in map(_map, _seq(data.get("failed")))
        )
        return cls(
            message=_str(data.get("message")),
            done_count=_int(data.get("done_count")),
            failed_count=_int(data.get("failed_count", len(failed))),
            failed=failed,
        )


@dataclass(frozen=True)
class BulkError:
    message: str | None = None
    details: str | None = None
    key: str | None = None
    source_id: str | None = None


@dataclass(frozen=True)
class BulkRecord:
    """One row of the pre-2024-08 result shape: `results[{source_id, found, updated}]`."""

    source_id: str | None
    found: bool
    updated: bool


@dataclass(frozen=True)
class BulkUpdateResult:
    done_count: int = 0
    failed_count: int = 0
    reports: tuple[str, ...] = ()
    reports_available_till: datetime | None = None
    errors: tuple[BulkError, ...] = ()
    results: tuple[BulkRecord, ...] = ()

    @classmethod
    def from_api(cls, data: Any) -> BulkUpdateResult:
        data = _map(data)
        errors = tuple(
            BulkError(
                message=_str(item.get("message")),
                details=_str(item.get("details")),
                key=_str(item.get("key")),
                source_id=_str(item.get("source_id")),
            )
            for item in map(_map, _seq(data.get("errors")))
        )
        results = tuple(
            BulkRecord(
                source_id=_str(item.get("source_id")),
                found=item.get("found") is True,
                updated=item.get("updated") is True,
            )
            for item in map(_map, _seq(data.get("results")))
        )
        return cls(
            done_count=_int(data.get("done_count")),
            failed_count=_int(data.get("failed_count", len(errors))),
            reports=tuple(r for r in _seq(data.get("reports")) if isinstance(r, str)),
            reports_available_till=parse_datetime(data.get("reports_available_till")),
            errors=errors,
            results=results,
        )


@dataclass(frozen=True)
class MessageResult:
    """`{message, done_count}`: metadata key purges, voucher generation and the like."""

    message: str | None = None
    done_count: int = 0

    @classmethod
    def from_api(cls, data: Any) -> MessageResult:
        data = _map(data)
        return cls(message=_str(data.get("message")), done_count=_int(data.get("done_count")))


AsyncResult = ImportCsvResult | BulkUpdateResult | MessageResult | dict[str, Any]

# Dotted type names (quirk 9). Types not listed keep their result as a plain dict.
RESULT_TYPES: dict[str, Any] = {
    "CUSTOMERS.IMPORT_CSV": ImportCsvResult,
    "CUSTOMERS.BULK_UPDATE": BulkUpdateResult,
    "CUSTOMERS.METADATA_UPDATE": BulkUpdateResult,
    "CUSTOMERS.METADATA_KEY_PURGE": MessageResult,
}


@dataclass(frozen=True)
class AsyncAction:
    id: str | None
    type: str | None = None
    status: str | None = None
    operation_status: str | None = None
    progress: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    request_id: str | None = None
    processing_time: int | None = None
    result: AsyncResult | None = None

    @classmethod
    def from_api(cls, data: Any) -> AsyncAction:
        data = _map(data)
        kind = _str(data.get("type"))
        raw_result = data.get("result")
        result: AsyncResult | None = None
        if isinstance(raw_result, Mapping):
            builder = RESULT_TYPES.get(kind or "")
            result = builder.from_api(raw_result) if builder else dict(raw_result)
        return cls(
            id=_str(data.get("id")),
            type=kind,
            status=_str(data.get("status")),
            operation_status=_str(data.get("operation_status")),
            progress=_int(data.get("progress")),
            created_at=parse_datetime(data.get("created_at")),
            updated_at=parse_datetime(data.get("updated_at")),
            request_id=_str(data.get("request_id")),
            processing_time=_opt_int(data.get("processing_time")),
            result=result,
        )

    @property
    def finished(self) -> bool:
        return self.status in ("DONE", "FAILED")


@dataclass(frozen=True)
class AsyncActionList:
    async_actions: tuple[AsyncAction, ...]
    has_more: bool | None = None

    @classmethod
    def from_api(cls, data: Any) -> AsyncActionList:
        data = _map(data)
        has_more = data.get("has_more")
        return cls(
            async_actions=tuple(AsyncAction.from_api(i) for i in _seq(data.get("async_actions"))),
            has_more=has_more if isinstance(has_more, bool) else None,
        )
