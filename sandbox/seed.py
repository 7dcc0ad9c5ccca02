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

# Faker locale -> (country as stored, weight, cities). A city is (name, state or region,
# postal code templates, weight): "#" a digit, "%" a digit 1-9, "?" a capital letter. Real
# cities with their real region and postal code ranges, so that city, state, postal code and
# country agree and the city filter has something to find.
LOCALES = {
    "en_US": (
        "United States",
        30,
        [
            ("New York", "NY", ["100##", "101##"], 8),
            ("Los Angeles", "CA", ["900##"], 6),
            ("Chicago", "IL", ["606##"], 5),
            ("Austin", "TX", ["787##"], 3),
            ("Seattle", "WA", ["981##"], 3),
            ("Boston", "MA", ["021##"], 3),
            ("Miami", "FL", ["331##"], 2),
            ("Denver", "CO", ["802##"], 2),
        ],
    ),
    "en_GB": (
        "United Kingdom",
        15,
        [
            ("London", "Greater London", ["SW1A #??", "EC1A #??", "N1 #??", "SE15 #??"], 8),
            ("Manchester", "Greater Manchester", ["M1 #??", "M4 #??", "M14 #??"], 3),
            ("Leeds", "West Yorkshire", ["LS1 #??", "LS6 #??"], 2),
            ("Bristol", "Bristol", ["BS1 #??", "BS8 #??"], 2),
            ("Edinburgh", "Scotland", ["EH1 #??", "EH3 #??"], 2),
        ],
    ),
    "de_DE": (
        "Germany",
        15,
        [
            ("Berlin", "Berlin", ["10###", "12###", "13###"], 6),
            ("Hamburg", "Hamburg", ["20###", "22###"], 4),
            ("München", "Bayern", ["80###", "81###"], 4),
            ("Köln", "Nordrhein-Westfalen", ["50###", "51###"], 3),
            ("Frankfurt am Main", "Hessen", ["603##", "604##", "605##"], 2),
        ],
    ),
    "fr_FR": (
        "France",
        12,
        [
            ("Paris", "Île-de-France", ["7500%", "7501#"], 8),
            ("Lyon", "Auvergne-Rhône-Alpes", ["6900%"], 3),
            ("Marseille", "Provence-Alpes-Côte d'Azur", ["1300%", "1301#"], 3),
            ("Toulouse", "Occitanie", ["3100%", "3120%"], 2),
            ("Bordeaux", "Nouvelle-Aquitaine", ["3300%", "3380%"], 2),
        ],
    ),
    "pl_PL": (
        "Poland",
        10,
        [
            ("Warszawa", "mazowieckie", ["0#-###"], 6),
            ("Kraków", "małopolskie", ["30-###", "31-###"], 3),
            ("Wrocław", "dolnośląskie", ["50-###", "51-###", "53-###"], 3),
            ("Gdańsk", "pomorskie", ["80-###"], 2),
            ("Poznań", "wielkopolskie", ["60-###", "61-###"], 2),
        ],
    ),
    "es_ES": (
        "Spain",
        8,
        [
            ("Madrid", "Comunidad de Madrid", ["280##"], 5),
            ("Barcelona", "Cataluña", ["080##"], 4),
            ("Valencia", "Comunitat Valenciana", ["460##"], 2),
            ("Sevilla", "Andalucía", ["410##"], 2),
        ],
    ),
    "it_IT": (
        "Italy",
        5,
        [
            ("Roma", "Lazio", ["001##"], 4),
            ("Milano", "Lombardia", ["201##"], 4),
            ("Napoli", "Campania", ["801##"], 2),
            ("Torino", "Piemonte", ["101##"], 2),
        ],
    ),
    "nl_NL": (
        "Netherlands",
        5,
        [
            ("Amsterdam", "Noord-Holland", ["10%# ??"], 4),
            ("Rotterdam", "Zuid-Holland", ["30%# ??"], 3),
            ("Utrecht", "Utrecht", ["35%# ??"], 2),
        ],
    ),
}
# Letters NFKD does not take apart into an ASCII letter and an accent.
_TRANSLITERATE = str.maketrans(
    {
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "Th",
        "\u0131": "i",  # dotless i
    }
)
# How a flat or unit is written on the second address line, per locale.
LINE_2 = {
    "en_US": ["Apt {n}", "Suite {n}"],
    "en_GB": ["Flat {n}"],
    "de_DE": ["{n}. OG"],
    "fr_FR": ["Appartement {n}", "Bâtiment {l}"],
    "pl_PL": ["lok. {n}"],
    "es_ES": ["Piso {n}"],
    "it_IT": ["Interno {n}", "Scala {l}"],
    "nl_NL": ["Unit {n}"],
}
DOMAINS = ["example.com", "mail.test", "inbox.example", "post.example.org"]
TIERS = ["bronze", "bronze", "bronze", "silver", "silver", "gold", "platinum"]
TIER_NAMES = ["bronze", "silver", "gold", "platinum"]
LANGUAGES = ["en", "de", "fr", "pl", "es"]
DESCRIPTIONS = ["Prefers email contact", "VIP since launch", "Wholesale buyer", "Store regular"]
LOYALTY_CAMPAIGN = "Loyalty Program"
STAMPS_CAMPAIGN = "Coffee Club"
REFERRAL_CAMPAIGN = "Refer a Friend"

# Shares of customers created with each optional field (the API omits unset fields).
HAS_EMAIL = 0.93
HAS_PHONE = 0.65
HAS_ADDRESS = 0.88
ADDRESS_CITY_ONLY = 0.08  # of addresses: only city and country, e.g. from a signup form
HAS_BIRTHDATE = 0.55
HAS_DESCRIPTION = 0.15
HAS_METADATA = 0.8
REFERRED = 0.05
# How many times a customer was edited after creation, and what an edit changes.
UPDATE_COUNTS = ([0, 1, 2, 3], [60, 25, 10, 5])
EDITS = (
    ["phone", "email", "address", "metadata", "birthdate", "description", "name"],
    [20, 12, 20, 25, 10, 8, 5],
)
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
    """The ASCII words of a name, for e-mail handles ("Łukasz Øberg" -> ["lukasz", "oberg"])."""
    plain = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATE))
    plain = plain.encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum() or c == " ").split()


def _postal_code(rng: random.Random, template: str) -> str:
    out = []
    for char in template:
        if char == "#":
            out.append(str(rng.randrange(10)))
        elif char == "%":
            out.append(str(rng.randrange(1, 10)))
        elif char == "?":
            out.append(rng.choice("ABDEFGHJLNPQRSTUWXYZ"))
        else:
            out.append(char)
    return "".join(out)


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
        self.city_weights = {name: [c[3] for c in LOCALES[name][2]] for name in self.locales}
        self.fakers = {}
        for offset, name in enumerate(self.locales):
            fake = Faker(name)
            fake.seed_instance(seed * 100 + offset)
            self.fakers[name] = fake

    def person(self, number: int) -> tuple[str, dict]:
        """A customer's fields as first created, and their locale; unset fields are left out."""
        rng = self.rng
        locale = rng.choices(self.locales, self.weights)[0]
        fake = self.fakers[locale]
        first, last = fake.first_name(), fake.last_name()
        person = {"name": f"{first} {last}"}
        if rng.random() < HAS_EMAIL:
            person["email"] = self.email(person["name"], number)
        if rng.random() < HAS_PHONE:
            person["phone"] = fake.phone_number()
        if rng.random() < HAS_ADDRESS:
            person["address"] = self.address(locale, city_only=rng.random() < ADDRESS_CITY_ONLY)
        if rng.random() < HAS_BIRTHDATE:
            person["birthdate"] = self.birthdate()
        if rng.random() < HAS_DESCRIPTION:
            person["description"] = rng.choice(DESCRIPTIONS)
        return locale, person

    def email(self, name: str, number: int, domain: str | None = None) -> str:
        rng = self.rng
        words = _ascii(name)
        first, last = words[:1], ["".join(words[1:])] if len(words) > 1 else []
        style = rng.random()
        if style < 0.5:
            handle = ".".join(first + last)
        elif style < 0.7:
            handle = "".join(first + last)
        elif style < 0.85:
            handle = ".".join([w[0] for w in first] + last)
        else:
            handle = "_".join(first + last)
        return f"{handle or 'customer'}{number}@{domain or rng.choice(DOMAINS)}"

    def address(self, locale: str, city_only: bool = False) -> dict:
        """An address in one real city of the locale's country, with that city's region and a
        postal code from its range."""
        rng = self.rng
        country, _weight, cities = LOCALES[locale]
        city, region, postal_codes, _ = rng.choices(cities, self.city_weights[locale])[0]
        if city_only:
            return {"city": city, "country": country}
        address = {"line_1": self.fakers[locale].street_address()}
        if rng.random() < 0.25:
            line_2 = rng.choice(LINE_2[locale])
            address["line_2"] = line_2.format(n=rng.randint(1, 40), l=rng.choice("ABCDEF"))
        address["city"] = city
        # US addresses always carry the state; elsewhere the region is often left out.
        if locale == "en_US" or rng.random() < 0.4:
            address["state"] = region
        address["postal_code"] = _postal_code(rng, rng.choice(postal_codes))
        address["country"] = country
        return address

    def birthdate(self) -> str:
        return (date(1950, 1, 1) + timedelta(days=self.rng.randrange(20000))).isoformat()


def _metadata(rng: random.Random) -> dict:
    return {
        "tier": rng.choice(TIERS),
        "acquisition_channel": rng.choice(CHANNELS),
        "favorite_brands": rng.sample(BRANDS, rng.randint(1, 3)),
        "newsletter_language": rng.choice(LANGUAGES),
    }


def _edit(rng: random.Random, people: _People, locale: str, customer: Customer, number: int):
    """One plausible edit of `customer`, as a dashboard user or a CRM sync would make it.
    Dicts are replaced, never changed in place: earlier activity snapshots share them."""
    kind = rng.choices(*EDITS)[0]
    if kind == "phone":
        customer.phone = people.fakers[locale].phone_number()
    elif kind == "email":
        domains = [d for d in DOMAINS if not (customer.email or "").endswith("@" + d)]
        customer.email = people.email(customer.name, number, rng.choice(domains))
    elif kind == "address":  # moved, within the same country
        customer.address = people.address(locale)
        customer.city = customer.address["city"]
    elif kind == "metadata":
        if customer.metadata is None:
            customer.metadata = _metadata(rng)
        else:
            metadata = dict(customer.metadata)
            if rng.random() < 0.6:
                metadata["tier"] = rng.choice([t for t in TIER_NAMES if t != metadata["tier"]])
            elif rng.random() < 0.6:
                metadata["newsletter_language"] = rng.choice(
                    [x for x in LANGUAGES if x != metadata["newsletter_language"]]
                )
            else:
                metadata["favorite_brands"] = rng.sample(BRANDS, rng.randint(1, 3))
            customer.metadata = metadata
    elif kind == "birthdate":  # added later, or a typo corrected
        customer.birthdate = people.birthdate()
    elif kind == "description":
        customer.description = rng.choice([d for d in DESCRIPTIONS if d != customer.description])
    else:  # a new family name
        given = customer.name.split(" ")[0]
        customer.name = f"{given} {people.fakers[locale].last_name()}"


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
    """Balances per campaign, keyed by campaign name; the tier follows the points. Referred
    customers are counted once every customer is seeded (_Referrals.credit)."""
    if rng.random() < 0.4:
        return {"points": 0, "referred_customers": 0, "campaigns": {}}
    points = int(rng.paretovariate(1.2) * 150)
    tier = tiers[0] if points < 500 else tiers[1] if points < 2000 else tiers[2]
    campaigns = {
        LOYALTY_CAMPAIGN: {"points": points, "loyalty_tier": tier, "referred_customers": 0}
    }
    total = points
    if rng.random() < 0.15:
        stamps = rng.randint(1, 9) * 10
        campaigns[STAMPS_CAMPAIGN] = {"points": stamps, "referred_customers": 0}
        total += stamps
    return {"points": total, "referred_customers": 0, "campaigns": campaigns}


class _Referrals:
    """Referees point at an earlier customer of this run; referrers are credited at the end.

    Each referee's timeline has the `customer.referred` event that names the campaign (its
    id and name, as Voucherify's events do). The events' ids come from a generator of their
    own, so that the customers drawn do not depend on them."""

    def __init__(self, rng: random.Random):
        self.campaign_id = "camp_" + ids.alnum(24, rng)
        self.event_rng = random.Random(self.campaign_id)
        self.seen: list[tuple[str, str, datetime]] = []  # id, source_id, created_at
        self.referred: dict[str, int] = {}

    def draw(self, rng: random.Random, customer: Customer) -> Activity | None:
        """Maybe make `customer` a referee; returns its `customer.referred` event if so."""
        event = None
        if self.seen and rng.random() < REFERRED:
            for _ in range(4):
                referrer_id, referrer_source_id, since = self.seen[rng.randrange(len(self.seen))]
                if since < customer.created_at:
                    at = customer.created_at + timedelta(milliseconds=rng.randint(200, 5000))
                    referral = {
                        "campaign_id": self.campaign_id,
                        "referrer_id": referrer_id,
                        "related_object_id": "r_" + ids.hexstr(18, rng),
                        "related_object_type": "redemption",
                        "date": ids.iso(at),
                    }
                    customer.referrals = {"total": 1, "campaigns": [referral]}
                    self.referred[referrer_id] = self.referred.get(referrer_id, 0) + 1
                    referrer = {"id": referrer_id, "source_id": referrer_source_id}
                    event = self._event(customer, referrer, referral, at)
                    break
        self.seen.append((customer.id, customer.source_id, customer.created_at))
        return event

    def _event(self, customer: Customer, referrer: dict, referral: dict, at) -> Activity:
        """`customer.referred` (the contract's EventCustomerReferred): the referee redeemed
        the referrer's code of the referral campaign."""
        rng = self.event_rng
        code = "REF-" + ids.alnum(8, rng).upper()
        voucher_id = "v_" + ids.alnum(32, rng)
        referee = {
            "id": customer.id,
            "source_id": customer.source_id,
            "name": customer.name,
            **({"email": customer.email} if customer.email else {}),
            "object": "customer",
        }
        payload = {
            "customer": referee,
            "referrer": {**referrer, "object": "customer"},
            "campaign": {
                "id": self.campaign_id,
                "name": REFERRAL_CAMPAIGN,
                "campaign_type": "REFERRAL_PROGRAM",
                "type": "AUTO_UPDATE",
                "is_referral_code": True,
            },
            "voucher": {
                "id": voucher_id,
                "code": code,
                "type": "DISCOUNT_VOUCHER",
                "campaign": REFERRAL_CAMPAIGN,
                "campaign_id": self.campaign_id,
                "is_referral_code": True,
                "holder_id": referrer["id"],
                "referrer_id": referrer["id"],
            },
            "custom_event": {
                "object": "event",
                "type": "redemption",
                "customer": referee,
                "referral": {"referrer_id": referrer["id"], "code": code, "id": voucher_id},
                "loyalty": {},
            },
            "redemption": {
                "id": referral["related_object_id"],
                "object": "redemption",
                "customer_id": customer.id,
                "related_object_type": "voucher",
                "related_object_id": voucher_id,
                "campaign_name": REFERRAL_CAMPAIGN,
                "status": "SUCCEEDED",
                "result": "SUCCESS",
            },
        }
        return _activity(rng, customer, "customer.referred", payload, at, _group(rng))

    def credit(self) -> None:
        """Count each referrer's referees in its loyalty, under the referral campaign's name."""
        referrers = sorted(self.referred)
        for start in range(0, len(referrers), 500):
            chunk = referrers[start : start + 500]
            rows = list(Customer.objects.using(SANDBOX_DB).filter(id__in=chunk).only("loyalty"))
            for row in rows:
                count = self.referred[row.id]
                loyalty = row.loyalty or {"points": 0, "referred_customers": 0, "campaigns": {}}
                campaigns = {
                    **loyalty.get("campaigns", {}),
                    REFERRAL_CAMPAIGN: {"points": 0, "referred_customers": count},
                }
                row.loyalty = {
                    **loyalty,
                    "referred_customers": loyalty.get("referred_customers", 0) + count,
                    "campaigns": campaigns,
                }
            Customer.objects.using(SANDBOX_DB).bulk_update(rows, ["loyalty"], batch_size=500)


def seed(customers: int = 1000, seed_value: int = 1, log=print) -> dict:
    """Fill the sandbox (assumed to have no customers); returns counts and the seconds it took."""
    started = time.perf_counter()
    rng = random.Random(seed_value)
    segments, consents = _definitions(rng)
    filtered = [s for s in segments if s.type != Segment.STATIC]
    static = [s for s in segments if s.type == Segment.STATIC]
    people = _People(seed_value, rng)
    loyalty_tiers = ["ltr_" + ids.alnum(24, rng) for _ in range(3)]
    referrals = _Referrals(rng)
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
        batch.append(
            _customer(number, rng, people, filtered, static, consents, loyalty_tiers, referrals)
        )
        if len(batch) >= BATCH:
            flush()
            log(f"  {counts['customers']:,} customers")
    flush()
    with transaction.atomic(using=SANDBOX_DB):
        referrals.credit()
    with connections[SANDBOX_DB].cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics for the new rows (SQLite, PostgreSQL)
    counts["seconds"] = round(time.perf_counter() - started, 1)
    return counts


def _customer(number, rng, people, filtered, static, consents, loyalty_tiers, referrals):
    locale, person = people.person(number)
    created = _moment(rng, PERIOD_START, PERIOD_END)
    address = person.get("address")
    customer = Customer(
        id=ids.customer_id(rng),
        source_id=f"crm-{number:07d}",
        name=person["name"],
        email=person.get("email"),
        phone=person.get("phone"),
        address=address,
        city=address["city"] if address else None,
        birthdate=person.get("birthdate"),
        description=person.get("description"),
        summary=_summary(rng, created),
        loyalty=_loyalty(rng, loyalty_tiers),
        created_at=created,
        touched_at=created,
    )
    if rng.random() < HAS_METADATA:
        customer.metadata = _metadata(rng)
    since: dict[str, datetime] = {}  # filter segment id -> when the customer last entered it

    def evaluate(snapshot, at, group):
        for segment in filtered:
            matches = segment_matches(segment.filter, snapshot)
            if matches == (segment.id in since):
                continue
            if matches:
                since[segment.id] = at
            else:
                del since[segment.id]
            if segment.type == Segment.AUTO_UPDATE:
                type_ = "customer.segment.entered" if matches else "customer.segment.left"
                payload = {"customer": snapshot, "segment": segment_ref(segment)}
                later = at + timedelta(milliseconds=rng.randint(20, 900))
                activities.append(_activity(rng, customer, type_, payload, later, group))

    # Each request is its own group; the segment changes it causes share it.
    group = _group(rng)
    snapshot = customer_to_api(customer, with_consents=False)
    activities = [
        _activity(rng, customer, "customer.created", {"customer": snapshot}, created, group)
    ]
    evaluate(snapshot, created, group)
    grants = []
    if rng.random() < 0.6:
        given_at = created + timedelta(minutes=rng.randint(1, 600))
        chosen = rng.sample(consents, rng.randint(1, len(consents)))
        grants = [
            CustomerConsent(customer=customer, consent=c, granted=True, date=given_at)
            for c in chosen
        ]
        refs = [{"id": c.id, "name": c.name, "object": "consent"} for c in chosen]
        payload = {"customer": snapshot, "consents": refs}
        activities.append(
            _activity(rng, customer, "customer.consents.given", payload, given_at, _group(rng))
        )
    elif rng.random() < 0.1:
        customer.unsubscribed = True
    referred = referrals.draw(rng, customer)
    if referred is not None:
        activities.append(referred)
    edits = rng.choices(*UPDATE_COUNTS)[0]
    first_edit = created + timedelta(days=1)
    if edits and first_edit < PERIOD_END:
        for at in sorted(_moment(rng, first_edit, PERIOD_END) for _ in range(edits)):
            _edit(rng, people, locale, customer, number)
            customer.updated_at = customer.touched_at = at
            snapshot = customer_to_api(customer, with_consents=False)
            group = _group(rng)
            activities.append(
                _activity(rng, customer, "customer.updated", {"customer": snapshot}, at, group)
            )
            evaluate(snapshot, at, group)
    memberships = [
        SegmentMembership(customer=customer, segment=segment, created_at=since[segment.id])
        for segment in filtered
        if segment.id in since
    ]
    for segment in static:
        if rng.random() < 0.02:
            memberships.append(
                SegmentMembership(customer=customer, segment=segment, created_at=created)
            )
    return customer, activities, memberships, grants


def _group(rng) -> str:
    return "v-" + ids.hexstr(18, rng)


def _activity(rng, customer, type_, payload, at, group) -> Activity:
    return Activity(
        id=ids.event_id(rng),
        customer=customer,
        type=type_,
        data=payload,
        channel="API",
        group_id=group,
        created_at=at,
    )
