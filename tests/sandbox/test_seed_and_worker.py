"""The seed command and the worker's start-up policy."""

from __future__ import annotations

import itertools
import re
import threading
from collections import Counter

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from sandbox import apps, jobs, seed
from sandbox.models import (
    Activity,
    Consent,
    ConsentGroup,
    Customer,
    Segment,
    SegmentMembership,
)
from sandbox.serializers import customer_to_api
from sandbox.services import segment_matches

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def snapshot() -> list[tuple]:
    return list(
        Customer.objects.using("sandbox")
        .order_by("source_id")
        .values_list(
            "id",
            "source_id",
            "name",
            "email",
            "city",
            "address",
            "metadata",
            "loyalty",
            "referrals",
            "created_at",
            "updated_at",
        )
    )


def customers() -> list[Customer]:
    return list(Customer.objects.using("sandbox").order_by("source_id"))


def test_seed_same_seed_gives_same_data():
    seed.seed(40, 3, log=lambda _: None)
    first = snapshot()
    seed.reset()
    seed.seed(40, 3, log=lambda _: None)

    assert snapshot() == first
    assert len(first) == 40


def test_seed_other_seed_gives_other_data():
    seed.seed(10, 3, log=lambda _: None)
    first = snapshot()
    seed.reset()
    seed.seed(10, 4, log=lambda _: None)

    assert snapshot() != first


def test_seed_fills_history_segments_and_consents_consistently():
    counts = seed.seed(200, 1, log=lambda _: None)

    assert counts["customers"] == 200
    assert Activity.objects.using("sandbox").filter(type="customer.created").count() == 200
    assert Consent.objects.using("sandbox").count() == 4
    countries = {c.address["country"] for c in Customer.objects.using("sandbox") if c.address}
    assert len(countries) >= 5
    for segment in Segment.objects.using("sandbox").exclude(type=Segment.STATIC):
        members = set(
            SegmentMembership.objects.using("sandbox")
            .filter(segment=segment)
            .values_list("customer_id", flat=True)
        )
        matching = {
            c.id
            for c in Customer.objects.using("sandbox").all()
            if segment_matches(segment.filter, customer_to_api(c, with_consents=False))
        }
        assert members == matching, segment.name


def test_seed_leaves_optional_fields_unset_for_some_customers_and_the_api_omits_them(client):
    seed.seed(300, 1, log=lambda _: None)
    rows = customers()

    for field in ("email", "phone", "birthdate", "description", "metadata", "address"):
        unset = sum(getattr(c, field) is None for c in rows)
        assert 0 < unset < len(rows) * 0.9, field
    headers = {
        "HTTP_X_APP_ID": settings.SANDBOX_APP_ID,
        "HTTP_X_APP_TOKEN": settings.SANDBOX_APP_TOKEN,
    }
    for field, absent in (("email", None), ("metadata", None), ("address", "null")):
        row = next(c for c in rows if getattr(c, field) is None)
        body = client.get(f"/sandbox/v1/customers/{row.id}", **headers).json()
        if absent is None:
            assert field not in body
        else:
            assert body[field] is None


def test_seed_addresses_keep_city_state_postal_code_and_country_together():
    seed.seed(300, 2, log=lambda _: None)
    table = {
        (city, country): (region, codes)
        for country, _weight, cities in seed.LOCALES.values()
        for city, region, codes, _ in cities
    }

    addresses = [c.address for c in customers() if c.address]
    for address in addresses:
        region, codes = table[address["city"], address["country"]]
        assert address.get("state", region) == region
        if "postal_code" in address:
            patterns = [
                re.escape(code).replace("\\#", "[0-9]").replace("%", "[1-9]") for code in codes
            ]
            patterns = [p.replace("\\?", "[A-Z]") for p in patterns]
            assert any(re.fullmatch(p, address["postal_code"]) for p in patterns), address
    us = [a for a in addresses if a["country"] == "United States" and "line_1" in a]
    assert us and all("state" in a for a in us)
    assert any(a.get("city") == "Chicago" for a in us)


def test_seed_email_handles_transliterate_letters_without_ascii_decomposition():
    assert seed._ascii("Łukasz Øberg-Strauß") == ["lukasz", "obergstrauss"]
    assert seed._ascii("Æsa Đorđević") == ["aesa", "dordevic"]


def test_seed_emails_are_ascii():
    seed.seed(300, 3, log=lambda _: None)

    emails = [c.email for c in customers() if c.email]
    assert emails
    assert all(re.fullmatch(r"[a-z0-9._]+@[a-z.]+", e) for e in emails), emails


def test_seed_updates_change_a_field_and_the_last_one_sets_updated_at():
    seed.seed(300, 4, log=lambda _: None)
    base = ("name", "email", "phone", "birthdate", "description", "address", "metadata")
    updated = 0

    for customer in customers():
        events = list(
            Activity.objects.using("sandbox")
            .filter(customer=customer, type__in=["customer.created", "customer.updated"])
            .order_by("created_at")
        )
        states = [{k: e.data["customer"].get(k) for k in base} for e in events]
        assert events[0].type == "customer.created"
        for before, after in itertools.pairwise(states):
            assert before != after
        if len(events) > 1:
            updated += 1
            assert customer.updated_at == events[-1].created_at
            assert events[-1].data["customer"]["updated_at"] == seed.ids.iso(customer.updated_at)
        else:
            assert customer.updated_at is None
        final = customer_to_api(customer, with_consents=False)
        assert states[-1] == {k: final.get(k) for k in base}
    assert updated > 50


def test_seed_gives_each_request_its_own_group_id():
    seed.seed(100, 5, log=lambda _: None)
    activities = list(Activity.objects.using("sandbox").all())

    requests = [a for a in activities if not a.type.startswith("customer.segment.")]
    groups = Counter(a.group_id for a in requests)
    assert all(re.fullmatch(r"v-[0-9a-f]{18}", g) for g in groups)
    assert set(groups.values()) == {1}
    for entered in (a for a in activities if a.type.startswith("customer.segment.")):
        assert entered.group_id in groups


def test_seed_referrals_point_at_earlier_customers_who_are_credited():
    seed.seed(600, 6, log=lambda _: None)
    by_id = {c.id: c for c in customers()}

    referees = [c for c in by_id.values() if c.referrals and c.referrals["total"]]
    assert referees
    credited = Counter()
    for referee in referees:
        (referral,) = referee.referrals["campaigns"]
        assert referral["campaign_id"].startswith("camp_")
        assert re.fullmatch(r"r_[0-9a-f]{18}", referral["related_object_id"])
        assert referral["related_object_type"] == "redemption"
        referrer = by_id[referral["referrer_id"]]
        assert referrer.created_at < referee.created_at
        assert referral["date"] >= seed.ids.iso(referee.created_at)
        credited[referrer.id] += 1
    for customer in by_id.values():
        assert customer.loyalty["referred_customers"] == credited[customer.id]
        if credited[customer.id]:
            campaign = customer.loyalty["campaigns"][seed.REFERRAL_CAMPAIGN]
            assert campaign["referred_customers"] == credited[customer.id]


def test_seed_referees_timeline_has_the_referred_event_naming_the_campaign():
    seed.seed(600, 6, log=lambda _: None)

    referees = [c for c in customers() if c.referrals and c.referrals["total"]]
    events = Activity.objects.using("sandbox").filter(type="customer.referred")
    assert referees and events.count() == len(referees)
    for referee in referees:
        (referral,) = referee.referrals["campaigns"]
        (event,) = events.filter(customer=referee)
        assert seed.ids.iso(event.created_at) == referral["date"]
        campaign = event.data["campaign"]
        assert (campaign["id"], campaign["name"]) == (referral["campaign_id"], "Refer a Friend")
        assert campaign["campaign_type"] == "REFERRAL_PROGRAM"
        assert event.data["referrer"]["id"] == referral["referrer_id"]
        assert event.data["customer"]["id"] == referee.id
        assert event.data["voucher"]["campaign_id"] == referral["campaign_id"]
        assert event.data["redemption"]["id"] == referral["related_object_id"]


def test_seed_loyalty_campaigns_are_keyed_by_name_with_tier_ids():
    seed.seed(200, 7, log=lambda _: None)

    members = [c.loyalty for c in customers() if seed.LOYALTY_CAMPAIGN in c.loyalty["campaigns"]]
    assert members
    for loyalty in members:
        tier = loyalty["campaigns"][seed.LOYALTY_CAMPAIGN]["loyalty_tier"]
        assert re.fullmatch(r"ltr_[A-Za-z0-9]{24}", tier)
        assert loyalty["points"] == sum(c["points"] for c in loyalty["campaigns"].values())


def test_seed_command_if_empty_leaves_existing_data(capsys):
    call_command("seed_sandbox", customers=5, seed=1)
    before = snapshot()

    call_command("seed_sandbox", customers=50, if_empty=True)

    assert snapshot() == before
    assert "nothing to do" in capsys.readouterr().out


def test_seed_command_refuses_non_empty_without_reset():
    call_command("seed_sandbox", customers=2)

    with pytest.raises(CommandError):
        call_command("seed_sandbox", customers=2)


@pytest.mark.parametrize("if_empty", [False, True])
def test_seed_command_after_zero_customers_seeds_once_more_without_duplicates(if_empty):
    call_command("seed_sandbox", customers=0, seed=1)

    call_command("seed_sandbox", customers=7, seed=1, if_empty=if_empty)

    assert Customer.objects.using("sandbox").count() == 7
    assert Segment.objects.using("sandbox").count() == len(seed.SEGMENTS)
    assert Consent.objects.using("sandbox").count() == len(seed.CONSENTS)
    assert ConsentGroup.objects.using("sandbox").count() == len(seed.CONSENT_GROUPS)


def test_seed_after_zero_customers_gives_the_same_data_as_one_run():
    seed.seed(12, 5, log=lambda _: None)
    once = snapshot()
    memberships = SegmentMembership.objects.using("sandbox").count()
    seed.reset()

    seed.seed(0, 5, log=lambda _: None)
    seed.seed(12, 5, log=lambda _: None)

    assert snapshot() == once
    assert SegmentMembership.objects.using("sandbox").count() == memberships


def test_seed_command_reset_replaces_data():
    call_command("seed_sandbox", customers=3, seed=1)

    call_command("seed_sandbox", customers=6, seed=2, reset=True)

    assert Customer.objects.using("sandbox").count() == 6


@pytest.mark.parametrize(
    ("argv", "run_main", "expected"),
    [
        (["manage.py", "runserver"], "true", True),
        (["manage.py", "runserver"], None, False),  # the autoreloader's parent process
        (["manage.py", "runserver", "--noreload"], None, True),
        (["manage.py", "migrate"], "true", False),
        (["pytest"], None, False),
    ],
)
def test_worker_starts_only_in_a_serving_process(monkeypatch, argv, run_main, expected):
    monkeypatch.setattr("sys.argv", argv)
    if run_main is None:
        monkeypatch.delenv("RUN_MAIN", raising=False)
    else:
        monkeypatch.setenv("RUN_MAIN", run_main)

    assert apps._serving() is expected


def test_start_worker_starts_one_thread(monkeypatch):
    release = threading.Event()
    monkeypatch.setattr(jobs, "_work_forever", release.wait)
    monkeypatch.setattr(jobs, "_worker", None)

    first = jobs.start_worker()
    second = jobs.start_worker()
    running = jobs.worker_running()
    release.set()
    jobs._worker.join()

    assert (first, second, running) == (True, False, True)
    assert not jobs.worker_running()
