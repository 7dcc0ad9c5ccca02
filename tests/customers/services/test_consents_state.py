"""The state shown for each consent: derived from the ledger and Voucherify's evidence."""

from __future__ import annotations

import msgspec
import pytest

from customers.services.consents import derive_consents, months_before
from customers.voucherify.resources import Consents
from tests.customers.consent_fixtures import (
    NEWSLETTER,
    PROFILING,
    SMS,
    at,
    consent_event,
    customer,
    definitions,
    entry,
    iso,
)

pytestmark = pytest.mark.django_db


def derive(entries=(), activities=(), api=None, **kwargs):
    kwargs.setdefault("now", at(days=30))
    state = derive_consents(
        definitions=definitions(),
        customer=customer(api),
        entries=list(entries),
        activities=list(activities),
        **kwargs,
    )
    return state, state.by_id()


def test_derive_nothing_recorded_is_never_asked_grouped_by_consent_group():
    state, by_id = derive()

    assert [g.name for g in state.groups] == ["Marketing", "Other consents"]
    assert [s.consent.name for s in state.groups[0].consents] == ["Newsletter", "SMS offers"]
    assert {s.state for s in by_id.values()} == {"never_asked"}
    assert all(s.last is None and s.disagreement is None for s in by_id.values())
    assert state.history == ()


def test_derive_given_through_the_dashboard_is_granted_with_how_and_who():
    entries = [entry(NEWSLETTER, "never_asked", "granted", at(1))]
    events = [consent_event(True, at(1, minutes=0.01), NEWSLETTER)]

    state, by_id = derive(entries, events)

    newsletter = by_id[NEWSLETTER]
    assert newsletter.state == "granted"
    assert newsletter.last.source == "dashboard"
    assert newsletter.last.how == "Phone"
    assert newsletter.last.by == "marketing-1"
    assert newsletter.last.at == at(1)
    assert newsletter.disagreement is None
    # Voucherify's echo of the change is folded into the entry, not a second line.
    assert len(state.history) == 1
    assert state.history[0].confirmed_by == events[0].id


def test_derive_withdrawn_after_given_is_withdrawn():
    entries = [
        entry(NEWSLETTER, "never_asked", "granted", at(1)),
        entry(NEWSLETTER, "granted", "withdrawn", at(2)),
    ]
    events = [
        consent_event(True, at(1, 0.01), NEWSLETTER, n=1),
        consent_event(False, at(2, 0.01), NEWSLETTER, n=2),
    ]

    state, by_id = derive(entries, events)

    assert by_id[NEWSLETTER].state == "withdrawn"
    assert by_id[NEWSLETTER].last.at == at(2)
    assert [item.new_state for item in state.history] == ["withdrawn", "granted"]


def test_derive_given_again_after_a_withdrawal_is_granted_since_the_last_grant():
    entries = [
        entry(NEWSLETTER, "never_asked", "granted", at(1)),
        entry(NEWSLETTER, "granted", "withdrawn", at(2)),
        entry(NEWSLETTER, "withdrawn", "granted", at(3)),
    ]
    api = {NEWSLETTER: {"value": True, "date": iso(at(3, 0.01))}, "unsubscribed": False}

    _, by_id = derive(entries, api=api)

    assert by_id[NEWSLETTER].state == "granted"
    assert by_id[NEWSLETTER].last.at == at(3)
    assert by_id[NEWSLETTER].disagreement is None


def test_derive_unsubscribed_shows_the_global_opt_out_and_its_last_change():
    entries = [
        entry(NEWSLETTER, "never_asked", "granted", at(1)),
        entry("unsubscribed", "subscribed", "unsubscribed", at(2), name="Unsubscribed"),
        entry(NEWSLETTER, "granted", "withdrawn", at(2)),
    ]
    api = {
        NEWSLETTER: {"value": False, "date": iso(at(2, 0.01))},
        "unsubscribed": True,
    }

    state, by_id = derive(entries, api=api)

    assert state.unsubscribed is True
    assert state.unsubscribed_last.at == at(2)
    assert state.unsubscribed_disagrees is False
    assert by_id[NEWSLETTER].state == "withdrawn"
    assert by_id[SMS].state == "never_asked"


def test_derive_changed_outside_the_dashboard_shows_both_and_the_newer_wins():
    entries = [entry(NEWSLETTER, "never_asked", "granted", at(1))]
    events = [
        consent_event(True, at(1, 0.01), NEWSLETTER, n=1),
        consent_event(False, at(5), NEWSLETTER, channel="USER_PORTAL", n=2),
    ]

    state, by_id = derive(entries, events)

    newsletter = by_id[NEWSLETTER]
    assert newsletter.state == "withdrawn"
    assert newsletter.disagreement == "outside"
    assert newsletter.outside_dashboard is True
    assert newsletter.dashboard.state == "granted"
    assert newsletter.voucherify.state == "withdrawn"
    assert "USER_PORTAL" in newsletter.voucherify.how
    outside = [item for item in state.history if item.source == "voucherify"]
    assert [(item.new_state, item.at) for item in outside] == [("withdrawn", at(5))]


def test_derive_given_only_outside_the_dashboard_is_granted_with_no_disagreement():
    _, by_id = derive(activities=[consent_event(True, at(1), SMS)])

    assert by_id[SMS].state == "granted"
    assert by_id[SMS].outside_dashboard is True
    assert by_id[SMS].disagreement is None


def test_derive_not_applied_by_the_api_keeps_the_ledger_and_says_voucherify_differs():
    entries = [entry(NEWSLETTER, "withdrawn", "granted", at(3))]
    api = {NEWSLETTER: {"value": False, "date": iso(at(1))}, "unsubscribed": False}

    _, by_id = derive(entries, api=api)

    newsletter = by_id[NEWSLETTER]
    assert newsletter.state == "granted"
    assert newsletter.disagreement == "not_applied"
    assert newsletter.dashboard.state == "granted"
    assert newsletter.voucherify.state == "withdrawn"


def test_derive_applied_entry_voucherify_shows_nothing_for_is_not_applied():
    entries = [entry(SMS, "never_asked", "granted", at(3), name="SMS offers")]
    api = {NEWSLETTER: {"value": True, "date": iso(at(1))}, "unsubscribed": False}

    _, by_id = derive(entries, api=api)

    assert by_id[SMS].disagreement == "not_applied"
    assert by_id[SMS].voucherify is None


def test_derive_without_any_consent_evidence_from_voucherify_trusts_the_ledger():
    entries = [entry(SMS, "never_asked", "granted", at(3), name="SMS offers")]

    _, by_id = derive(entries)

    assert by_id[SMS].state == "granted"
    assert by_id[SMS].disagreement is None


def test_derive_failed_and_unknown_entries_do_not_change_the_state():
    entries = [
        entry(NEWSLETTER, "never_asked", "granted", at(1), outcome="failed"),
        entry(SMS, "never_asked", "granted", at(1), outcome="unknown", name="SMS offers"),
    ]

    state, by_id = derive(entries)

    assert by_id[NEWSLETTER].state == "never_asked"
    assert by_id[SMS].state == "never_asked"
    assert [e.pk for e in by_id[SMS].pending] == [entries[1].pk]
    assert state.pending is True


def test_derive_granted_longer_ago_than_the_refresh_period_is_due(settings):
    settings.CONSENT_REFRESH_MONTHS = 24
    entries = [entry(NEWSLETTER, "never_asked", "granted", at(1))]

    _, fresh = derive(entries, now=at(days=700))
    _, stale = derive(entries, now=at(days=740))

    assert fresh[NEWSLETTER].due_for_refresh is False
    assert stale[NEWSLETTER].due_for_refresh is True
    assert stale[PROFILING].due_for_refresh is False


def test_derive_a_consent_in_two_groups_is_shown_once_and_names_the_other():
    defs = definitions()
    groups = [msgspec.structs.asdict(group) for group in defs.groups]
    twice = Consents.from_api(
        {
            "groups": {"data": [*groups, {"id": "g2", "name": "Texts", "consents": [SMS]}]},
            "consents": {"data": [msgspec.structs.asdict(c) for c in defs.consents]},
        }
    )

    state = derive_consents(definitions=twice, customer=customer(), entries=[], activities=[])

    sms = [s for s in state.statuses() if s.id == SMS]
    assert len(sms) == 1
    assert sms[0].group == "Marketing"
    assert sms[0].also_in == ("Texts",)


def test_months_before_falls_back_to_the_last_day_of_a_shorter_month():
    moment = at().replace(year=2026, month=3, day=31)

    assert months_before(moment, 1).date().isoformat() == "2026-02-28"
    assert months_before(moment, 24).date().isoformat() == "2024-03-31"
    assert months_before(moment.replace(month=1, day=15), 1).date().isoformat() == "2025-12-15"


def test_settle_without_consent_state_uses_the_newer_consent_event():
    from customers.services.consents import settle_from_voucherify

    pending = entry(NEWSLETTER, "never_asked", "granted", at(1), outcome="unknown")
    other = entry(SMS, "never_asked", "granted", at(1), outcome="unknown", name="SMS offers")
    events = [consent_event(True, at(1, 0.01), NEWSLETTER), consent_event(True, at(0), SMS)]

    verdict = settle_from_voucherify([pending, other], customer(), events)

    pending.refresh_from_db()
    other.refresh_from_db()
    assert verdict is None  # the SMS event is older than the entry: it tells nothing
    assert (pending.outcome, other.outcome) == ("applied", "unknown")
