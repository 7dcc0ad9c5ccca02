"""The profile: the customer as Voucherify has it, with what the dashboard knows beside it
(the names of the campaigns its referrals came through)."""

from __future__ import annotations

from dataclasses import dataclass

from customers.services.campaigns import campaign_names
from customers.voucherify import get_client
from customers.voucherify.resources import Customer, Referral


@dataclass(frozen=True)
class NamedReferral:
    referral: Referral
    campaign_name: str = ""  # "" when no activity read here has named the campaign


@dataclass(frozen=True)
class Profile:
    customer: Customer
    referrals: tuple[NamedReferral, ...]


def customer_profile_get(*, customer_id: str, user) -> Profile:
    """The customer (one `get_customer` call), each referral with its campaign's name when
    an activity the dashboard has read named it. Raises `VoucherifyError` when the API fails."""
    customer = get_client().get_customer(customer_id)
    referrals = customer.referrals.campaigns
    names = campaign_names(r.campaign_id for r in referrals)
    return Profile(
        customer=customer,
        referrals=tuple(NamedReferral(r, names.get(r.campaign_id or "", "")) for r in referrals),
    )
