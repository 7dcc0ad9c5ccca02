"""Realistic, reproducible sandbox data: customers in several countries, with their history."""

from __future__ import annotations

import random
import time
import unicodedata
from datetime import UTC, date, datetime, timedelta

from django.db import connections, transaction
from faker import Faker

from sandbox import ids
from sandbox.models import (
    Activity,
    AsyncAction,
    Consent,
    ConsentGroup,
    Customer,
    CustomerConsent,
    PermanentDeletion,
    Segment,
    SegmentMembership,
)
from sandbox.routers import SANDBOX_DB
from sandbox.serializers import customer_to_api, segment_ref
from sandbox.services import segment_matches

BATCH = 2000
# Fixed, so that the same --seed gives the same data on any day.
PERIOD_START = datetime(2024, 1, 1, tzinfo=UTC)
PERIOD_END = datetime(2026, 1, 1, tzinfo=UTC)

# Faker locale -> (country as stored, weight, a few real cities to make filters meaningful)
LOCALES = {
    "en_US": ("United States", 30, ["New York", "Chicago", "Austin", "Seattle", "Boston"]),
    "en_GB": ("United Kingdom", 15, ["London", "Manchester", "Leeds", "Bristol"]),
    "de_DE": ("Germany", 15, ["Berlin", "Hamburg", "Munich", "Cologne"]),
    "fr_FR": ("France", 12, ["Paris", "Lyon", "Marseille", "Toulouse"]),
    "pl_PL": ("Poland", 10, ["Warsaw", "Kraków", "Wrocław", "Gdańsk"]),
    "es_ES": ("Spain", 8, ["Madrid", "Barcelona", "Valencia", "Seville"]),
    "it_IT": ("Italy", 5, ["Rome", "Milan", "Naples", "Turin"]),
    "nl_NL": ("Netherlands", 5, ["Amsterdam", "Rotterdam", "Utrecht"]),
}
DOMAINS = ["example.com", "mail.test", "inbox.example", "post.example.org"]
TIERS = ["bronze", "bronze", "bronze", "silver", "silver", "gold", "platinum"]
CHANNELS = ["web", "app", "store", "referral", "newsletter"]
BRANDS = ["Acme", "Globex", "Initech", "Umbrella", "Soylent", "Hooli", "Stark"]

SEGMENTS = [
    ("Berlin shoppers", Segment.AUTO_UPDATE, {"address.city": {"conditions": {"$is": ["Berlin"]}}}),
    (
        "Loyalty 1,000+ points",
        Segment.AUTO_UPDATE,
        {"loyalty.points": {"conditions": {"$more_than": [999]}}},
    ),
    (
        "Gold and platinum",
        Segment.AUTO_UPDATE,
        {"metadata.tier": {"conditions": {"$in": ["gold", "platinum"]}}},
    ),
    (
        "Customers in France",
        Segment.PASSIVE,
        {"address.country": {"conditions": {"$is": ["France"]}}},
    ),
    (
        "Big spenders",
        Segment.PASSIVE,
        {"summary.orders.total_amount": {"conditions": {"$more_than": [50000]}}},
    ),
    ("Beta testers", Segment.STATIC, None),
]
CONSENTS = [
    ("Newsletter", "Monthly newsletter by email", "marketing"),
    ("SMS offers", "Promotions by text message", "marketing"),
    ("Personalised offers", "Offers based on purchase history", "profiling"),
    ("Partner sharing", "Share contact details with partners", "third-party"),
]
CONSENT_GROUPS = [
    ("Marketing", "Every marketing channel", [0, 1]),
    ("Data use", "Profiling and sharing", [2, 3]),
]


def _ascii(text: str) -> list[str]:
    """The ASCII words of a name, for e-mail handles."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum() or c == " ").split()


def _moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = int((end - start).total_seconds() * 1000)
    return start + timedelta(milliseconds=rng.randrange(max(1, span)))


def reset() -> None:
    with transaction.atomic(using=SANDBOX_DB):
        for model in (
            Activity,
            SegmentMembership,
            CustomerConsent,
            Customer,
            Segment,
            ConsentGroup,
            Consent,
            AsyncAction,
            PermanentDeletion,
        ):
            model.objects.using(SANDBOX_DB).all().delete()


def _definitions(rng: random.Random) -> tuple[list[Segment], list[Consent]]:
    """The segments, consents and consent groups; those already there (by name) are kept, so
    that seeding after `--customers 0` works. Ids are drawn either way: same seed, same data."""
    created = PERIOD_START - timedelta(days=30)
    have_segments = {s.name: s for s in Segment.objects.using(SANDBOX_DB).all()}
    segments = []
    for name, type_, rule in SEGMENTS:
        segment_id = ids.segment_id(rng)
        segment = have_segments.get(name) or Segment.objects.using(SANDBOX_DB).create(
            id=segment_id,
            name=name,
            type=type_,
            filter={"junction": "and", **rule} if rule else None,
            created_at=created,
        )
        segments.append(segment)
    have_consents = {c.name: c for c in Consent.objects.using(SANDBOX_DB).all()}
    consents = []
    for name, description, category in CONSENTS:
        consent_id = ids.consent_id(rng)
        consent = have_consents.get(name) or Consent.objects.using(SANDBOX_DB).create(
            id=consent_id,
            name=name,
            description=description,
            category=category,
            created_at=created,
        )
        consents.append(consent)
    have_groups = set(ConsentGroup.objects.using(SANDBOX_DB).values_list("name", flat=True))
    for name, description, members in CONSENT_GROUPS:
        group_id = ids.consent_group_id(rng)
        if name in have_groups:
            continue
        group = ConsentGroup.objects.using(SANDBOX_DB).create(
            id=group_id, name=name, description=description, created_at=created
        )
        group.consents.set([consents[i] for i in members])
    return segments, consents


class _People:
    """Faker per locale, seeded; cheap fields are drawn from `rng` directly for speed."""

    def __init__(self, seed: int, rng: random.Random):
        self.rng = rng
        self.locales = list(LOCALES)
        self.weights = [LOCALES[name][1] for name in self.locales]
        self.fakers = {}
        for offset, name in enumerate(self.locales):
            fake = Faker(name)
            fake.seed_instance(seed * 100 + offset)
            self.fakers[name] = fake

    def person(self, number: int) -> dict:
        rng = self.rng
        locale = rng.choices(self.locales, self.weights)[0]
        fake = self.fakers[locale]
        country, _weight, cities = LOCALES[locale]
        first, last = fake.first_name(), fake.last_name()
        handle = ".".join([*_ascii(first)[:1], *_ascii(last)[:1]]) or "customer"
        person = {
            "name": f"{first} {last}",
            "email": f"{handle}{number}@{rng.choice(DOMAINS)}",
            "phone": fake.phone_number(),
            "address": {
                "line_1": fake.street_address(),
                "city": rng.choice(cities),
                "postal_code": fake.postcode(),
                "country": country,
            },
        }
        if rng.random() < 0.3:
            person["address"]["line_2"] = f"Apt {rng.randint(1, 120)}"
        if locale == "en_US":
            person["address"]["state"] = fake.state_abbr()
        if rng.random() < 0.7:
            born = date(1950, 1, 1) + timedelta(days=rng.randrange(20000))
            person["birthdate"] = born.isoformat()
        if rng.random() < 0.15:
            person["description"] = rng.choice(
                ["Prefers email contact", "VIP since launch", "Wholesale buyer", "Store regular"]
            )
        return person


def _summary(rng: random.Random, created: datetime) -> dict:
    count = rng.choice([0, 0, 1, 1, 2, 3, 5, 8, 13])
    amounts = [rng.randint(500, 25000) for _ in range(count)]
    orders = {
        "total_amount": sum(amounts),
        "total_count": count,
        "average_amount": sum(amounts) // count if count else 0,
        "last_order_amount": amounts[-1] if count else 0,
    }
    if count:
        orders["last_order_date"] = ids.iso(_moment(rng, created, PERIOD_END))
    succeeded = rng.randint(0, count)
    failed = rng.choice([0, 0, 0, 1])
    redemptions = {
        "total_redeemed": succeeded + failed,
        "total_failed": failed,
        "total_succeeded": succeeded,
        "total_rolled_back": 0,
        "total_rollback_failed": 0,
        "total_rollback_succeeded": 0,
        "gift": {"redeemed_amount": rng.choice([0, 0, 1000, 2500]), "amount_to_go": 0},
        "loyalty_card": {"redeemed_points": rng.choice([0, 0, 100, 500]), "points_to_go": 0},
    }
    return {"redemptions": redemptions, "orders": orders}


def _loyalty(rng: random.Random, tiers: list[str]) -> dict:
    if rng.random() < 0.4:
        return {"points": 0, "referred_customers": 0, "campaigns": {}}
    points = int(rng.paretovariate(1.2) * 150)
    referred = rng.choice([0, 0, 0, 1, 2])
    return {
        "points": points,
        "referred_customers": referred,
        "campaigns": {
            "Loyalty Program": {
                "points": points,
                "loyalty_tier": rng.choice(tiers),
                "referred_customers": referred,
            }
        },
    }


def seed(customers: int = 1000, seed_value: int = 1, log=print) -> dict:
    """Fill the sandbox (assumed to have no customers); returns counts and the seconds it took."""
    started = time.perf_counter()
    rng = random.Random(seed_value)
    segments, consents = _definitions(rng)
    filtered = [s for s in segments if s.type != Segment.STATIC]
    static = [s for s in segments if s.type == Segment.STATIC]
    people = _People(seed_value, rng)
    loyalty_tiers = ["ltr_" + ids.alnum(20, rng) for _ in range(3)]
    counts = {"customers": 0, "activities": 0, "memberships": 0, "consents": 0}
    batch: list = []

    def flush():
        rows, acts, members, grants = zip(*batch, strict=True) if batch else ((), (), (), ())
        with transaction.atomic(using=SANDBOX_DB):
            Customer.objects.using(SANDBOX_DB).bulk_create(rows, batch_size=500)
            Activity.objects.using(SANDBOX_DB).bulk_create(
                [a for x in acts for a in x], batch_size=500
            )
            SegmentMembership.objects.using(SANDBOX_DB).bulk_create(
                [m for x in members for m in x], batch_size=500
            )
            CustomerConsent.objects.using(SANDBOX_DB).bulk_create(
                [g for x in grants for g in x], batch_size=500
            )
        counts["customers"] += len(rows)
        counts["activities"] += sum(map(len, acts))
        counts["memberships"] += sum(map(len, members))
        counts["consents"] += sum(map(len, grants))
        batch.clear()

    for number in range(1, customers + 1):
        batch.append(_customer(number, rng, people, filtered, static, consents, loyalty_tiers))
        if len(batch) >= BATCH:
            flush()
            log(f"  {counts['customers']:,} customers")
    flush()
    with connections[SANDBOX_DB].cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics for the new rows (SQLite, PostgreSQL)
    counts["seconds"] = round(time.perf_counter() - started, 1)
    return counts


def _customer(number, rng, people, filtered, static, consents, loyalty_tiers):
    person = people.person(number)
    created = _moment(rng, PERIOD_START, PERIOD_END)
    customer = Customer(
        id=ids.customer_id(rng),
        source_id=f"crm-{number:07d}",
        name=person["name"],
        email=person["email"],
        phone=person["phone"],
        address=person["address"],
        city=person["address"]["city"],
        birthdate=person.get("birthdate"),
        description=person.get("description"),
        summary=_summary(rng, created),
        loyalty=_loyalty(rng, loyalty_tiers),
        created_at=created,
        touched_at=created,
    )
    if rng.random() < 0.8:
        customer.metadata = {
            "tier": rng.choice(TIERS),
            "acquisition_channel": rng.choice(CHANNELS),
            "favorite_brands": rng.sample(BRANDS, rng.randint(1, 3)),
            "newsletter_language": rng.choice(["en", "de", "fr", "pl", "es"]),
        }
    group = ids.hexstr(18, rng)
    snapshot = customer_to_api(customer, with_consents=False)
    activities = [
        _activity(rng, customer, "customer.created", {"customer": snapshot}, created, group)
    ]
    if rng.random() < 0.35:
        updated = _moment(rng, created, PERIOD_END)
        customer.updated_at = customer.touched_at = updated
        snapshot = customer_to_api(customer, with_consents=False)
        activities.append(
            _activity(rng, customer, "customer.updated", {"customer": snapshot}, updated, group)
        )
    memberships = []
    for segment in filtered:
        if segment_matches(segment.filter, snapshot):
            memberships.append(
                SegmentMembership(customer=customer, segment=segment, created_at=created)
            )
            if segment.type == Segment.AUTO_UPDATE:
                payload = {"customer": snapshot, "segment": segment_ref(segment)}
                activities.append(
                    _activity(rng, customer, "customer.segment.entered", payload, created, group)
                )
    for segment in static:
        if rng.random() < 0.02:
            memberships.append(
                SegmentMembership(customer=customer, segment=segment, created_at=created)
            )
    grants = []
    if rng.random() < 0.6:
        given_at = created + timedelta(minutes=rng.randint(1, 600))
        chosen = rng.sample(consents, rng.randint(1, len(consents)))
        grants = [
            CustomerConsent(customer=customer, consent=c, granted=True, date=given_at)
            for c in chosen
        ]
        refs = [{"id": c.id, "name": c.name, "object": "consent"} for c in chosen]
        activities.append(
            _activity(
                rng,
                customer,
                "customer.consents.given",
                {"customer": snapshot, "consents": refs},
                given_at,
                group,
            )
        )
    elif rng.random() < 0.1:
        customer.unsubscribed = True
    return customer, activities, memberships, grants


def _activity(rng, customer, type_, payload, at, group) -> Activity:
    return Activity(
        id=ids.event_id(rng),
        customer=customer,
        type=type_,
        data=payload,
        channel="API",
        group_id="v-" + group,
        created_at=at,
    )
