"""Campaigns by name: the small local record of the campaigns seen in activities (id and
name, no personal data). The API names a campaign in the events about it (`data.campaign`:
{id, name}) but gives a profile's referrals by campaign id only; what the timeline has read
names them."""

from __future__ import annotations

from collections.abc import Iterable

from customers.models import SeenCampaign
from customers.services.seen import seen_record
from customers.voucherify.resources import Activity
from dashboard.sql import select


def campaigns_record(activities: Iterable[Activity]) -> None:
    """Remember the id and name of each campaign the activities name: a new one or a rename
    is written (the newest activity first, as the API lists them, gives the name). A page
    that names no campaign costs no query; one that names only known campaigns, one read."""
    named: dict[str, str] = {}
    for activity in activities:
        campaign = activity.campaign
        if campaign is not None and campaign.id and campaign.name:
            named.setdefault(campaign.id, campaign.name[:255])
    seen_record(SeenCampaign, "campaign_id", named)


def campaign_names(campaign_ids: Iterable[str | None]) -> dict[str, str]:
    """`{campaign id: name}` of the campaigns seen among `campaign_ids` (one query); an id
    never seen is left out."""
    wanted = {i for i in campaign_ids if i}
    if not wanted:
        return {}
    return {seen.campaign_id: seen.name for seen in select(SeenCampaign, campaign_id__in=wanted)}
