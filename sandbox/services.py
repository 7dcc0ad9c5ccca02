"""What the sandbox does: customer writes with their activities and segment re-evaluation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce

from customers.voucherify.enums import CAMPAIGN_TYPES
from sandbox import ids
from sandbox.errors import ApiError, invalid_payload, invalid_query, not_found
from sandbox.events import CUSTOMER_EVENT_TYPES
from sandbox.models import (
    Activity,
    Consent,
    Customer,
    CustomerConsent,
    PermanentDeletion,
    Segment,
    SegmentMembership,
)
from sandbox.routers import SANDBOX_DB
from sandbox.serializers import (
    CUSTOMER_API_FIELDS,
    activity_to_api,
    customer_to_api,
    segment_ref,
)

STRING_FIELDS = ("name", "description", "email", "phone")
DATE_FIELDS = ("birthdate", "birthday")
BASE_FIELDS = (*STRING_FIELDS, *DATE_FIELDS, "address", "metadata")
ADDRESS_FIELDS = ("city", "state", "line_1", "line_2", "country", "postal_code")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Soft deletion renames a source_id to `<source_id>_deleted<ISO timestamp>` in the same column.
DELETED_SUFFIX = len("_deleted") + len("2022-08-30T06:32:07.380Z")


def _max_length(field: str) -> int | None:
    """The column's limit (None for text): longer values fail on PostgreSQL, not on SQLite."""
    return Customer._meta.get_field(field).max_length


SOURCE_ID_MAX = _max_length("source_id") - DELETED_SUFFIX
ORDERS = {
    "created_at": (F("created_at").asc(), F("id").asc()),
    "-created_at": (F("created_at").desc(), F("id").desc()),
    "updated_at": (F("touched_at").asc(), F("id").asc()),
    "-updated_at": (F("touched_at").desc(), F("id").desc()),
    # source_id is unique: no tie-break, so that its index serves the order alone.
    "source_id": (F("source_id").asc(),),
    "-source_id": (F("source_id").desc(),),
}
# The field each order sorts on first (what a filter on it must not hide from the index).
ORDER_FIELDS = {order: fields[0].expression.name for order, fields in ORDERS.items()}
# Categories of the activity endpoint's `category` filter.
EFFECT_TYPES = {"customer.segment.entered", "customer.segment.left"}


# -- input --------------------------------------------------------------------------------


def clean_base(data: Mapping) -> dict:
    """The CustomerBase fields of a request body, checked like the API's validator does."""
    cleaned: dict = {}
    for field in STRING_FIELDS:
        if field in data:
            value = data[field]
            if value is not None and not isinstance(value, str):
                raise invalid_payload(f"Property .{field} should be string,null")
            _check_length(f".{field}", value, _max_length(field))
            if field == "email" and value and not EMAIL_RE.match(value):
                raise invalid_payload('Property .email should match format "email"', field=field)
            cleaned[field] = value if value != "" or field != "email" else None
    for field in DATE_FIELDS:
        if field in data:
            value = data[field]
            if value is not None and not _is_date(value):
                raise invalid_payload(f'Property .{field} should match format "date"', field=field)
            cleaned[field] = value
    if "address" in data:
        address = data["address"]
        if address is not None:
            if not isinstance(address, Mapping):
                raise invalid_payload("Property .address should be object,null")
            for key, value in address.items():
                if key not in ADDRESS_FIELDS:
                    raise invalid_payload(f"Property .address.{key} is not allowed")
                if value is not None and not isinstance(value, str):
                    raise invalid_payload(f"Property .address.{key} should be string,null")
            _check_length(".address.city", address.get("city"), _max_length("city"))
            address = dict(address)
        cleaned["address"] = address
    if "metadata" in data:
        metadata = data["metadata"]
        if metadata is not None and not isinstance(metadata, Mapping):
            raise invalid_payload("Property .metadata should be object")
        cleaned["metadata"] = dict(metadata) if metadata is not None else None
    return cleaned


def _check_length(name: str, value, limit: int | None) -> None:
    if limit is not None and isinstance(value, str) and len(value) > limit:
        raise invalid_payload(f"Property {name} should NOT be longer than {limit} characters")


def check_source_id(source_id) -> None:
    """A source_id as a body gives it (create, bulk, CSV): a string that fits its column."""
    if source_id is not None and not isinstance(source_id, str):
        raise invalid_payload("Property .source_id should be string")
    _check_length(".source_id", source_id, SOURCE_ID_MAX)


def _is_date(value) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _apply(customer: Customer, cleaned: Mapping) -> None:
    for field, value in cleaned.items():
        setattr(customer, field, value)
    address = customer.address
    city = address.get("city") if isinstance(address, dict) else None
    customer.city = city if isinstance(city, str) else None


# -- reads --------------------------------------------------------------------------------


def live_customers():
    return Customer.objects.using(SANDBOX_DB).filter(deleted_at__isnull=True)


def find_customer(identifier: str, *, include_deleted: bool = False) -> Customer | None:
    """By id first, then by source_id (the path accepts either)."""
    customers = live_customers()
    customer = (
        customers.filter(id=identifier).first() or customers.filter(source_id=identifier).first()
    )
    if customer is None and include_deleted:
        deleted = Customer.objects.using(SANDBOX_DB).filter(deleted_at__isnull=False)
        customer = (
            deleted.filter(id=identifier).first()
            or deleted.filter(source_id=identifier).first()
            or deleted.filter(original_source_id=identifier).order_by("-deleted_at").first()
        )
    return customer


def get_customer(identifier: str, *, include_deleted: bool = False) -> Customer:
    customer = find_customer(identifier, include_deleted=include_deleted)
    if customer is None:
        raise not_found("customer", identifier)
    return customer


def parse_int(params: Mapping, name: str, low: int, high: int, default: int | None):
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    # ASCII digits only: int() would also take " 5", "1_0" and digits of other scripts (U+0665).
    if not re.fullmatch(r"-?[0-9]+", raw):
        raise invalid_query(f"Property .{name} should be integer")
    value = int(raw)
    if value < low:
        raise invalid_query(f"Property .{name} should be >= {low}")
    if value > high:
        raise invalid_query(f"Property .{name} should be <= {high}")
    return value


def parse_time(params: Mapping, name: str):
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    moment = ids.parse_datetime(raw)
    if moment is None:
        raise invalid_query(f"Property .{name} cannot be recognized as a ISO-8601 compliant date")
    return moment


def list_customers(params: Mapping) -> dict:
    limit = parse_int(params, "limit", 1, 100, 10)
    page = parse_int(params, "page", 1, 99, 1)
    order = params.get("order") or "-created_at"
    if order not in ORDERS:
        raise invalid_query(f"Property .order should be one of: {', '.join(ORDERS)}")
    equal = {field: params[field] for field in ("email", "name", "city") if params.get(field)}
    segment_id = params.get("segment_id") or None
    ranges: dict = {}
    for field in ("created_at", "updated_at"):
        before = parse_time(params, f"{field}[before]")
        after = parse_time(params, f"{field}[after]")
        if before is not None:
            ranges[f"{field}__lt"] = before
        if after is not None:
            ranges[f"{field}__gt"] = after
    filtered = bool(equal or segment_id or ranges)
    total = _count(equal, segment_id, ranges) if filtered else _live_total()
    cursor = parse_time(params, "starting_after")
    if cursor is not None:
        # Not in the total. Ascending orders walk forward in time from it, the others back.
        ascending = order in ("created_at", "updated_at")
        ranges[f"created_at__{'gt' if ascending else 'lt'}"] = cursor
    offset = (page - 1) * limit
    end = offset + limit + 1
    ids: list[str] = []
    if offset < total:
        # Fewer matches than the page's rows are sorted, however large the table: no count.
        walk = total >= end and walk_the_order(end, _live_total() if filtered else total, total)
        walk_by = ORDER_FIELDS[order] if walk else None
        query = _matching(equal, segment_id, ranges, walk_by=walk_by)
        ids = list(query.order_by(*ORDERS[order]).values_list("id", flat=True)[offset:end])
    return {
        "object": "list",
        "data_ref": "customers",
        "customers": _customers_to_api(ids[:limit]),
        "total": total,
        "has_more": len(ids) > limit,
    }


def walk_the_order(rows: int, live: int, total: int) -> bool:
    """Read the order's index, checking the filters on the way, when a page's `rows` come
    sooner that way (rows / density index entries) than by finding all `total` matches through
    the filters' indexes and sorting them. SQLite has no histograms to know it by itself."""
    return rows * live <= total * total


def _live_total() -> int:
    """All customers less the soft-deleted ones: SQLite counts a whole table from its b-tree
    pages (a `WHERE deleted_at IS NULL` count visits 100,000 index entries), and the deleted
    ones are few, under their index."""
    customers = Customer.objects.using(SANDBOX_DB)
    return customers.count() - customers.filter(deleted_at__isnull=False).count()


def _count(equal: dict, segment_id: str | None, ranges: dict) -> int:
    if segment_id and not equal and not ranges:
        # A soft deletion removes the customer's memberships, as the API does: members are live.
        return SegmentMembership.objects.using(SANDBOX_DB).filter(segment_id=segment_id).count()
    return _matching(equal, segment_id, ranges).count()


def _matching(equal: dict, segment_id: str | None, ranges: dict, *, walk_by: str | None = None):
    """Live customers that match the filters. With `walk_by` (the field the order sorts on),
    every filter on another field is put so that no index can serve it (COALESCE(x, x), a
    segment as EXISTS): the order's index then leads, and the filters are checked per row."""
    query = live_customers()
    for lookup, value in {**equal, **ranges}.items():
        field, _, operator = lookup.partition("__")
        if walk_by is not None and field != walk_by:
            query = query.alias(**{f"{field}_as_is": Coalesce(field, field)})
            query = query.filter(**{f"{field}_as_is__{operator or 'exact'}": value})
        else:
            query = query.filter(**{lookup: value})
    if segment_id and walk_by is not None:
        members = SegmentMembership.objects.filter(segment_id=segment_id, customer=OuterRef("pk"))
        query = query.filter(Exists(members))
    elif segment_id:
        query = query.filter(memberships__segment_id=segment_id)
    return query


def _customers_to_api(ids: list[str]) -> list[dict]:
    """The customers of a page, in the page's order, with their consents: two queries."""
    if not ids:
        return []
    rows = Customer.objects.using(SANDBOX_DB).only(*CUSTOMER_API_FIELDS).in_bulk(ids)
    consents: dict[str, list] = {customer_id: [] for customer_id in ids}
    for row in (
        CustomerConsent.objects.using(SANDBOX_DB)
        .filter(customer_id__in=ids)
        .values_list("customer_id", "consent_id", "granted", "date", named=True)
    ):
        consents[row.customer_id].append(row)
    return [customer_to_api(rows[i], consents=consents[i]) for i in ids]


# -- writes -------------------------------------------------------------------------------


def record_activity(customer: Customer, type_: str, payload: dict, request_id: str, at=None):
    return Activity.objects.using(SANDBOX_DB).create(
        id=ids.event_id(),
        customer=customer,
        type=type_,
        data=payload,
        channel="API",
        group_id=request_id,
        created_at=at or ids.now(),
    )


def create_customer(data: Mapping, request_id: str) -> Customer:
    """POST /v1/customers: an upsert by id, else by source_id, else a new customer."""
    if not isinstance(data, Mapping):
        raise invalid_payload("The payload should be an object")
    source_id = data.get("source_id")
    check_source_id(source_id)
    cleaned = clean_base(data)
    with transaction.atomic(using=SANDBOX_DB):
        existing = None
        if isinstance(data.get("id"), str) and data["id"]:
            existing = live_customers().filter(id=data["id"]).first()
        if existing is None and source_id:
            existing = live_customers().filter(source_id=source_id).first()
        if existing is not None:
            return update_customer(existing, cleaned, request_id)
        return _insert_customer(source_id or None, cleaned, request_id)


def _insert_customer(source_id: str | None, cleaned: Mapping, request_id: str) -> Customer:
    """A new customer, with its customer.created activity and its segments."""
    with transaction.atomic(using=SANDBOX_DB):
        at = ids.now()
        customer = Customer(id=ids.customer_id(), source_id=source_id, created_at=at, touched_at=at)
        _apply(customer, cleaned)
        customer.save(using=SANDBOX_DB, force_insert=True)
        record_activity(
            customer, "customer.created", {"customer": customer_to_api(customer)}, request_id
        )
        evaluate_segments(customer, request_id)
    return customer


def update_customer(
    customer: Customer, cleaned: Mapping, request_id: str, *, overwrite: bool = False
) -> Customer:
    """PUT semantics (sent fields replace, others stay) or, with overwrite, the CSV import's."""
    with transaction.atomic(using=SANDBOX_DB):
        if overwrite:
            cleaned = {field: cleaned.get(field) for field in BASE_FIELDS}
        _apply(customer, cleaned)
        customer.updated_at = customer.touched_at = ids.now()
        customer.save(using=SANDBOX_DB)
        record_activity(
            customer, "customer.updated", {"customer": customer_to_api(customer)}, request_id
        )
        evaluate_segments(customer, request_id)
    return customer


def upsert_by_source_id(
    source_id: str, cleaned: Mapping, request_id: str, *, overwrite: bool = False
) -> tuple[Customer, bool]:
    """The bulk endpoints' and the CSV import's write: (customer, found)."""
    check_source_id(source_id)
    existing = live_customers().filter(source_id=source_id).first()
    if existing is not None:
        return update_customer(existing, cleaned, request_id, overwrite=overwrite), True
    return _insert_customer(source_id, cleaned, request_id), False


def delete_customer(customer: Customer, request_id: str) -> None:
    """Soft deletion: gone from reads, source_id freed by renaming it."""
    with transaction.atomic(using=SANDBOX_DB):
        at = ids.now()
        customer.original_source_id = customer.source_id
        if customer.source_id is not None:
            customer.source_id = f"{customer.source_id}_deleted{ids.iso(at)}"
        customer.deleted_at = at
        customer.save(using=SANDBOX_DB)
        SegmentMembership.objects.using(SANDBOX_DB).filter(customer=customer).delete()
        record_activity(
            customer, "customer.deleted", {"customer": customer_to_api(customer)}, request_id, at
        )


def permanently_delete_customer(customer: Customer) -> PermanentDeletion:
    """Erase the customer and everything attached; keep only a receipt of counts."""
    with transaction.atomic(using=SANDBOX_DB):
        activities = Activity.objects.using(SANDBOX_DB).filter(customer=customer)
        memberships = SegmentMembership.objects.using(SANDBOX_DB).filter(customer=customer)
        consents = CustomerConsent.objects.using(SANDBOX_DB).filter(customer=customer)
        orders = int(((customer.summary or {}).get("orders") or {}).get("total_count") or 0)
        data_json = {
            "events": 0,
            "customer_events": activities.count(),
            "daily_events": 0,
            "segments": memberships.count(),
            "orders": orders,
            "order_events": 0,
            "customer": 1,
        }
        activities.delete()
        memberships.delete()
        consents.delete()
        receipt = PermanentDeletion.objects.using(SANDBOX_DB).create(
            id=ids.deletion_id(),
            related_object_id=customer.id,
            data_json=data_json,
            created_at=ids.now(),
        )
        Customer.objects.using(SANDBOX_DB).filter(pk=customer.pk).delete()
    return receipt


def update_consents(customer: Customer, changes: Mapping, request_id: str) -> None:
    """PUT /consents: {cnst_…: bool, unsubscribed: bool}."""
    if not isinstance(changes, Mapping):
        raise invalid_payload("The payload should be an object")
    if not changes:
        raise invalid_payload("The payload cannot be empty")
    for key, value in changes.items():
        if not isinstance(value, bool):
            raise invalid_payload(f"Property .{key} should be boolean")
    consent_ids = [key for key in changes if key != "unsubscribed"]
    known = {c.id: c for c in Consent.objects.using(SANDBOX_DB).filter(id__in=consent_ids)}
    unknown = [key for key in consent_ids if key not in known]
    if unknown:
        raise ApiError(
            400,
            "invalid_payload",
            "Invalid payload",
            f"Cannot find consent with id {unknown[0]}",
            resource_id=unknown[0],
            resource_type="consent",
        )
    at = ids.now()
    with transaction.atomic(using=SANDBOX_DB):
        current = {row.consent_id: row for row in customer.consents.all()}
        desired = {key: changes[key] for key in consent_ids}
        if changes.get("unsubscribed") is True:
            # Opting out of everything revokes every consent the customer has given.
            for consent_id, row in current.items():
                if row.granted and consent_id not in desired:
                    desired[consent_id] = False
            customer.unsubscribed = True
        elif changes.get("unsubscribed") is False or any(desired.values()):
            customer.unsubscribed = False
        known.update(
            (c.id, c)
            for c in Consent.objects.using(SANDBOX_DB).filter(id__in=set(desired) - set(known))
        )
        given, revoked = [], []
        for consent_id, granted in desired.items():
            row = current.get(consent_id)
            if row is None:
                CustomerConsent.objects.using(SANDBOX_DB).create(
                    customer=customer, consent_id=consent_id, granted=granted, date=at
                )
            elif row.granted != granted:
                row.granted, row.date = granted, at
                row.save(using=SANDBOX_DB)
            else:
                continue
            (given if granted else revoked).append(known[consent_id])
        customer.updated_at = customer.touched_at = at
        customer.save(using=SANDBOX_DB)
        snapshot = customer_to_api(customer)
        for type_, consents in (
            ("customer.consents.given", given),
            ("customer.consents.revoked", revoked),
        ):
            if consents:
                refs = [{"id": c.id, "name": c.name, "object": "consent"} for c in consents]
                record_activity(
                    customer, type_, {"customer": snapshot, "consents": refs}, request_id, at
                )
        evaluate_segments(customer, request_id)


# -- segments -----------------------------------------------------------------------------


def _value_at(document: Mapping, path: str):
    value = document
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _condition_holds(operator: str, operands: list, value) -> bool:
    first = operands[0] if operands else None
    if operator == "$is":
        return value == first
    if operator == "$is_not":
        return value != first
    if operator == "$in":
        return value in operands
    if operator == "$not_in":
        return value not in operands
    if operator == "$has_value":
        return value not in (None, "")
    if operator == "$is_unknown":
        return value in (None, "")
    if operator in ("$more_than", "$more_than_equal", "$less_than", "$less_than_equal"):
        left, right = _number(value), _number(first)
        if left is None or right is None:
            return False
        return {
            "$more_than": left > right,
            "$more_than_equal": left >= right,
            "$less_than": left < right,
            "$less_than_equal": left <= right,
        }[operator]
    if operator in ("$starts_with", "$ends_with", "$contains"):
        if not isinstance(value, str) or not isinstance(first, str):
            return False
        return {
            "$starts_with": value.startswith(first),
            "$ends_with": value.endswith(first),
            "$contains": first in value,
        }[operator]
    return False


def segment_matches(segment_filter: Mapping | None, document: Mapping) -> bool:
    """Voucherify's filter shape: {junction: and|or, "<path>": {conditions: {$op: [values]}}}."""
    if not segment_filter:
        return False
    junction = str(segment_filter.get("junction", "and")).lower()
    results = []
    for path, rule in segment_filter.items():
        if path == "junction" or not isinstance(rule, Mapping):
            continue
        conditions = rule.get("conditions") or {}
        value = _value_at(document, path)
        results.append(
            all(_condition_holds(op, list(args or []), value) for op, args in conditions.items())
        )
    if not results:
        return False
    return any(results) if junction == "or" else all(results)


def evaluate_segments(customer: Customer, request_id: str, segments=None) -> None:
    """Re-evaluate filter segments; auto-update ones record entered/left activities."""
    if segments is None:
        segments = list(Segment.objects.using(SANDBOX_DB).exclude(type=Segment.STATIC))
    if not segments:
        return
    document = customer_to_api(customer, with_consents=False)
    member_of = set(
        SegmentMembership.objects.using(SANDBOX_DB)
        .filter(customer=customer, segment__in=segments)
        .values_list("segment_id", flat=True)
    )
    at = ids.now()
    for segment in segments:
        matches = segment_matches(segment.filter, document)
        if matches == (segment.id in member_of):
            continue
        if matches:
            SegmentMembership.objects.using(SANDBOX_DB).create(
                customer=customer, segment=segment, created_at=at
            )
        else:
            SegmentMembership.objects.using(SANDBOX_DB).filter(
                customer=customer, segment=segment
            ).delete()
        if segment.type == Segment.AUTO_UPDATE:
            type_ = "customer.segment.entered" if matches else "customer.segment.left"
            payload = {"customer": document, "segment": segment_ref(segment)}
            record_activity(customer, type_, payload, request_id, at)


def customer_segments(identifier: str) -> list[Segment]:
    customer = find_customer(identifier)
    if customer is None:
        return []  # The API never answers 404 here (API_NOTES quirk 19).
    return list(
        Segment.objects.using(SANDBOX_DB)
        .filter(memberships__customer=customer)
        .order_by("name", "id")
    )


# -- activities ---------------------------------------------------------------------------

ACTIVITY_ORDERS = {
    "created_at": ("created_at", "seq"),
    "-created_at": ("-created_at", "-seq"),
    "updated_at": ("created_at", "seq"),  # activities are never updated
    "-updated_at": ("-created_at", "-seq"),
    "type": ("type", "created_at", "seq"),
    "-type": ("-type", "-created_at", "-seq"),
    # The contract's other orders sort by a voucher code, a campaign or a campaign category.
    # The sandbox does not sort by them (few of its events name a campaign or a voucher):
    # only the created_at tie-break remains.
    "code": ("created_at", "seq"),
    "-code": ("-created_at", "-seq"),
    "campaign": ("created_at", "seq"),
    "-campaign": ("-created_at", "-seq"),
    "category": ("created_at", "seq"),
    "-category": ("-created_at", "-seq"),
}


def _activity_filters(customer: Customer, params: Mapping):
    query = Activity.objects.using(SANDBOX_DB).filter(customer=customer)
    start, end = parse_time(params, "start_date"), parse_time(params, "end_date")
    if start is not None:
        query = query.filter(created_at__gte=start)
    if end is not None:
        query = query.filter(created_at__lte=end)
    campaign_type = params.get("campaign_type")
    if campaign_type and campaign_type not in CAMPAIGN_TYPES:
        raise invalid_query(
            f"Property .campaign_type should be one of: {', '.join(sorted(CAMPAIGN_TYPES))}"
        )
    # Only the events that name a campaign (`data.campaign`, e.g. customer.referred) relate
    # to one; the sandbox has no products, so no activity relates to one.
    if campaign_type:
        query = query.filter(data__campaign__campaign_type=campaign_type)
    if params.get("campaign_id"):
        query = query.filter(data__campaign__id=params["campaign_id"])
    if params.get("product_id"):
        query = query.none()
    return query


def _after_id(customer: Customer, query, ordering, starting_after_id: str):
    """Rows strictly after the given event of this customer in the given ordering."""
    anchor = (
        Activity.objects.using(SANDBOX_DB).filter(customer=customer, id=starting_after_id).first()
    )
    if anchor is None:
        raise invalid_query(f"Property .starting_after_id: cannot find event {starting_after_id}")
    descending = ordering[-1].startswith("-")
    key = (anchor.created_at, anchor.seq)
    if descending:
        return query.filter(Q(created_at__lt=key[0]) | Q(created_at=key[0], seq__lt=key[1]))
    return query.filter(Q(created_at__gt=key[0]) | Q(created_at=key[0], seq__gt=key[1]))


def list_activities(customer: Customer, params: Mapping) -> dict:
    """GET /activities (deprecated): total, and a date cursor or an id cursor."""
    limit = parse_int(params, "limit", 1, 100, 10)
    order = params.get("order") or "-created_at"
    if order not in ACTIVITY_ORDERS:
        raise invalid_query(f"Property .order should be one of: {', '.join(ACTIVITY_ORDERS)}")
    ordering = ACTIVITY_ORDERS[order]
    query = _activity_filters(customer, params)
    total = query.count()
    cursor = parse_time(params, "starting_after")
    if cursor is not None:
        descending = ordering[0].startswith("-")
        query = (
            query.filter(created_at__lt=cursor)
            if descending
            else query.filter(created_at__gt=cursor)
        )
    if params.get("starting_after_id") and ordering[0].lstrip("-") == "created_at":
        query = _after_id(customer, query, ordering, params["starting_after_id"])
    rows = query.order_by(*ordering)[:limit]
    return {
        "object": "list",
        "data_ref": "data",
        "data": [activity_to_api(row) for row in rows],
        "total": total,
    }


def list_activity(customer: Customer, params: Mapping) -> dict:
    """GET /activity: an id cursor, has_more and more_starting_after."""
    limit = parse_int(params, "limit", 1, 100, 10)
    order = params.get("order") or "-created_at"
    if order not in ("created_at", "-created_at"):
        raise invalid_query("Property .order should be one of: created_at, -created_at")
    ordering = ACTIVITY_ORDERS[order]
    query = _activity_filters(customer, params)
    category = params.get("category")
    if category:
        if category not in ("ACTION", "EFFECT"):
            raise invalid_query("Property .category should be one of: ACTION, EFFECT")
        query = (query.filter if category == "EFFECT" else query.exclude)(type__in=EFFECT_TYPES)
    if params.get("type"):
        if params["type"] not in CUSTOMER_EVENT_TYPES:
            raise invalid_query("Property .type should be a customer event type")
        query = query.filter(type=params["type"])
    if params.get("starting_after_id"):
        query = _after_id(customer, query, ordering, params["starting_after_id"])
    rows = list(query.order_by(*ordering)[: limit + 1])
    body: dict = {
        "object": "list",
        "data_ref": "data",
        "data": [activity_to_api(row) for row in rows[:limit]],
        "has_more": len(rows) > limit,
    }
    if body["has_more"]:
        body["more_starting_after"] = rows[limit - 1].id
    return body
