"""Campaigns by name: what the activities read name, remembered by id (and renamed)."""

from __future__ import annotations

import pytest

from customers.models import SeenCampaign
from customers.services.campaigns import campaign_names, campaigns_record
from customers.voucherify.resources import Activity

pytestmark = pytest.mark.django_db


def event(campaign, event_id="evcus_1", type_="customer.rewarded") -> Activity:
    payload = {"campaign": campaign} if campaign is not None else {}
    return Activity.from_api({"id": event_id, "type": type_, "data": {"data": payload}})


def test_campaigns_record_keeps_id_and_name_and_the_newest_name_wins():
    campaigns_record(
        [
            event({"id": "camp_1", "name": "Summer 2025"}, "evcus_3"),  # newest first
            event({"id": "camp_1", "name": "Summer"}, "evcus_2"),
            event({"id": "camp_2", "name": "Refer a Friend"}, "evcus_1"),
        ]
    )
    campaigns_record([event({"id": "camp_2", "name": "Refer a Friend (2025)"})])

    assert campaign_names(["camp_1", "camp_2", "camp_3", None]) == {
        "camp_1": "Summer 2025",
        "camp_2": "Refer a Friend (2025)",
    }
    assert SeenCampaign.objects.count() == 2


def test_campaigns_record_seen_again_unchanged_writes_nothing(django_assert_num_queries):
    campaigns_record([event({"id": "camp_1", "name": "Summer"})])
    seen_at = SeenCampaign.objects.get().seen_at

    with django_assert_num_queries(1):  # the read of what is known
        campaigns_record([event({"id": "camp_1", "name": "Summer"})])

    assert SeenCampaign.objects.get().seen_at == seen_at


def test_campaigns_record_ignores_events_without_a_whole_campaign(django_assert_num_queries):
    events = [
        event(None),
        event({"id": "camp_1"}),
        event({"name": "No id"}),
        event({"id": 7, "name": "Not a string id"}),
        event("camp_1"),
        Activity.from_api({"id": "evcus_9", "type": "customer.created"}),
    ]

    with django_assert_num_queries(0):
        campaigns_record(events)
        assert campaign_names([]) == {}
