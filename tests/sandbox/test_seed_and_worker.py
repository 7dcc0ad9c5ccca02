"""The seed command and the worker's start-up policy."""

from __future__ import annotations

import threading

import pytest
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
        .values_list("id", "source_id", "name", "email", "city", "created_at")
    )


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
    countries = {c.address["country"] for c in Customer.objects.using("sandbox").all()}
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
