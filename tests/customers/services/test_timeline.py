"""A timeline that says what happened: the fields a "Customer updated" entry changed (from
the snapshots the events carry, or the audit trail with who made the change) and filters
that live in the profile's URL."""

from __future__ import annotations

import pytest
from django.urls import reverse
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from customers.services import customers as customer_services
from customers.services.timeline import FieldChange, customer_timeline
from customers.voucherify import get_client
from customers.voucherify.resources import Activity, ActivityList
from dashboard.models import AuditEntry

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def sandbox():
    get_client.cache_clear()
    yield get_client()
    get_client.cache_clear()


@pytest.fixture
def ada(sandbox):
    return sandbox.create_customer({"source_id": "crm-ada", "name": "Ada", "email": "a@x.io"})


def _updates(timeline):
    return [e for e in timeline.entries if e.activity.type == "customer.updated"]


def test_customer_timeline_update_made_elsewhere_diffs_the_snapshots(sandbox, ada):
    sandbox.update_customer(ada.id, {"email": "ada@x.io", "address": {"city": "Oslo"}})

    (update,) = _updates(customer_timeline(customer_id=ada.id, filters={}, limit=20, user=None))

    assert update.by == ""
    assert update.changes == (
        FieldChange("address.city", None, "Oslo"),
        FieldChange("email", "a@x.io", "ada@x.io"),
    )


def test_customer_timeline_update_made_here_says_who_and_what(sandbox, ada, user_for):
    agent = user_for("support", "agent-smith")
    customer_services.customer_update(
        customer_id=ada.id,
        opened=ada.base_fields(),
        submitted={**ada.base_fields(), "phone": "+47 123"},
        user=agent,
    )
    assert AuditEntry.objects.filter(operation="update_customer").count() == 1

    (update,) = _updates(customer_timeline(customer_id=ada.id, filters={}, limit=20, user=None))

    assert update.by == "agent-smith"
    assert update.changes == (FieldChange("phone", None, "+47 123"),)


def test_customer_timeline_oldest_entry_of_a_page_diffs_against_the_next_page(sandbox, ada):
    for n in range(3):
        sandbox.update_customer(ada.id, {"name": f"Ada {n}"})

    timeline = customer_timeline(customer_id=ada.id, filters={}, limit=2, user=None)

    assert [e.changes for e in timeline.entries] == [
        (FieldChange("name", "Ada 1", "Ada 2"),),
        (FieldChange("name", "Ada 0", "Ada 1"),),
    ]
    assert timeline.more_starting_after == timeline.entries[-1].activity.id
    rest = customer_timeline(
        customer_id=ada.id,
        filters={"starting_after_id": timeline.more_starting_after},
        limit=2,
        user=None,
    )
    assert rest.entries[0].changes == (FieldChange("name", "Ada", "Ada 0"),)


def test_customer_timeline_update_without_an_earlier_snapshot_is_said_unknown(fake_client):
    fake_client.activities = ActivityList(
        activities=(
            Activity.from_api(
                {
                    "id": "evcus_2",
                    "type": "customer.updated",
                    "created_at": "2024-08-01T10:00:00.000Z",
                    "data": {"data": {"customer": {"name": "New"}}},
                }
            ),
        )
    )

    (entry,) = customer_timeline(customer_id="cust_1", filters={}, limit=20, user=None).entries

    assert entry.changes_unknown
    assert fake_client.sent[-1][2]["limit"] == 21  # one more than shown, for the diff


def test_customer_activities_page_shows_changed_fields_and_who(client_for, sandbox, ada, user_for):
    customer_services.customer_update(
        customer_id=ada.id,
        opened=ada.base_fields(),
        submitted={**ada.base_fields(), "name": "Ada L."},
        user=user_for("support", "agent-smith"),
    )

    response = client_for("support").get(reverse("customers:activities", args=[ada.id]), **HTMX)

    page = HTMLParser(response.text)
    (entry,) = [li for li in page.css("#activity-list > li") if "Customer updated" in li.text()]
    assert entry.css_first("[data-by]").text() == "by agent-smith"
    assert entry.css_first("[data-changes]").text(strip=True) == "Name: Ada → Ada L."


def test_customer_activities_filter_from_the_profile_pushes_the_profiles_url(
    client_for, sandbox, ada
):
    url = reverse("customers:activities", args=[ada.id])

    response = client_for("support").get(
        url,
        {"type": "customer.updated", "campaign_type": "", "start_date": ""},
        HTTP_HX_TRIGGER="activity-filters",
        **HTMX,
    )

    assert response.status_code == 200
    assert response["HX-Push-Url"] == f"/customers/{ada.id}/?type=customer.updated"


def test_customer_activities_load_more_pushes_no_url(client_for, sandbox, ada):
    url = reverse("customers:activities", args=[ada.id])

    response = client_for("support").get(url, {"type": "customer.created"}, **HTMX)

    assert "HX-Push-Url" not in response


def test_customer_detail_with_activity_filters_loads_the_timeline_with_them(
    client_for, sandbox, ada
):
    response = client_for("support").get(
        reverse("customers:detail", args=[ada.id]), {"type": "customer.updated", "x": "1"}
    )

    section = HTMLParser(response.text).css_first("#customer-activities")
    assert section.attributes["hx-get"] == f"/customers/{ada.id}/activities/?type=customer.updated"


def test_activity_campaign_name_from_the_payload():
    event = Activity.from_api(
        {
            "id": "e",
            "type": "customer.rewarded.loyalty_points",
            "data": {"data": {"campaign": {"id": "camp_1", "name": "Coffee Club"}}},
        }
    )

    assert event.campaign_name == "Coffee Club"
    assert Activity.from_api({"id": "e", "type": "customer.created"}).campaign_name is None


def consent_event(n: int, granted: bool, *refs: dict) -> Activity:
    return Activity.from_api(
        {
            "id": f"evcus_{n:018x}",
            "type": "customer.consents.given" if granted else "customer.consents.revoked",
            "created_at": f"2024-08-01T10:{59 - n:02d}:00.000Z",
            "data": {"data": {"consents": list(refs)}, "event_source": {"channel": "API"}},
        }
    )


def consent_names_shown(response) -> list[str]:
    return [span.text() for span in HTMLParser(response.text).css("#activity-list [data-consents]")]


def test_customer_activities_consent_events_named_by_their_payload_read_no_catalogue(
    client_for, fake_client
):
    fake_client.activities = ActivityList(
        activities=tuple(
            consent_event(n, n % 2 == 0, {"id": "cnst_1", "name": "Newsletter"}) for n in range(20)
        )
    )

    response = client_for("support").get(reverse("customers:activities", args=["cust_1"]), **HTMX)

    assert consent_names_shown(response) == ["“Newsletter”"] * 20
    assert fake_client.calls == {"list_customer_activity": 1}


def test_customer_activities_page_of_consent_events_reads_the_catalogue_once(
    client_for, fake_client
):
    from tests.customers.consent_fixtures import NEWSLETTER, SMS, definitions

    fake_client.consents = definitions()
    fake_client.activities = ActivityList(
        activities=tuple(
            consent_event(n, n % 2 == 0, {"id": NEWSLETTER}, {"id": SMS, "name": "SMS (2024)"})
            for n in range(20)
        ),
        has_more=True,
    )

    response = client_for("support").get(reverse("customers:activities", args=["cust_1"]), **HTMX)

    # Ids only: named from the catalogue; a name the event gives is the one shown.
    assert consent_names_shown(response) == ["“Newsletter”, “SMS (2024)”"] * 20
    assert fake_client.calls == {"list_customer_activity": 1, "list_consents": 1}


def test_customer_activities_consent_catalogue_unreadable_shows_the_ids(client_for, fake_client):
    from customers.voucherify import ServerError
    from tests.customers.pages_support import raising

    fake_client.list_consents = raising(ServerError("boom", status=500))
    fake_client.activities = ActivityList(
        activities=(consent_event(1, True, {"id": "cnst_<b>1</b>"}),)
    )

    response = client_for("support").get(reverse("customers:activities", args=["cust_1"]), **HTMX)

    assert response.status_code == 200
    assert consent_names_shown(response) == ["“cnst_<b>1</b>”"]
    assert "cnst_&lt;b&gt;1&lt;/b&gt;" in response.text
