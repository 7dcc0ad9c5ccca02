"""Resources: what callers get from API JSON, including the shapes the contract gets wrong."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from customers.voucherify.resources import (
    Activity,
    ActivityList,
    Address,
    AsyncAction,
    AsyncActionList,
    BulkUpdateResult,
    Consents,
    Customer,
    CustomerList,
    ImportCsvResult,
    PermanentDeletion,
    Segment,
    SegmentRef,
    parse_date,
    parse_datetime,
)
from tests.contract import contract_document, response_examples

# API_NOTES §4: a freshly created customer with only a source_id.
FRESH = {
    "id": "cust_fresh",
    "source_id": "abc",
    "summary": {
        "redemptions": {
            "total_redeemed": 0,
            "gift": {"redeemed_amount": 0, "amount_to_go": 0},
            "loyalty_card": {"redeemed_points": 0, "points_to_go": 0},
        },
        "orders": {"total_amount": 0, "total_count": 0, "average_amount": 0},
    },
    "loyalty": {"points": 0, "referred_customers": 0, "campaigns": {}},
    "referrals": {"total": 0, "campaigns": []},
    "system_metadata": {},
    "created_at": "2024-07-23T12:27:32.926Z",
    "object": "customer",
    "address": None,
}


def test_customer_fresh_missing_keys_get_neutral_values():
    customer = Customer.from_api(FRESH)

    assert customer.id == "cust_fresh"
    assert customer.metadata == {}
    assert customer.address is None
    assert customer.updated_at is None
    assert customer.email is None
    assert customer.birthdate is None
    assert customer.summary.orders.last_order_date is None
    assert customer.summary.redemptions.total_failed == 0
    assert customer.loyalty.campaigns == {}
    assert customer.referrals.campaigns == ()
    assert customer.unsubscribed is False
    assert customer.created_at == datetime(2024, 7, 23, 12, 27, 32, 926000, tzinfo=UTC)


def test_customer_nulls_everywhere_do_not_break():
    customer = Customer.from_api(
        {
            "id": "c",
            "summary": None,
            "loyalty": None,
            "referrals": None,
            "metadata": None,
            "system_metadata": None,
            "name": None,
            "created_at": None,
        }
    )

    assert customer.summary.orders.total_amount == 0
    assert customer.loyalty.points == 0
    assert customer.referrals.total == 0
    assert customer.metadata == {}
    assert customer.name is None
    assert customer.created_at is None
    assert customer.object == "customer"


def test_customer_full_example_parses_nested_values():
    example = response_examples("/v1/customers/{customerId}", "get")["Example"]

    customer = Customer.from_api(example)

    assert customer.summary.orders.total_amount == 203900
    assert customer.summary.orders.last_order_date.tzinfo is not None
    assert customer.summary.redemptions.loyalty_card.points_to_go == 3303
    assert customer.loyalty.campaigns["Summer Campaign"].points == 3303
    assert customer.loyalty.campaigns["Summer Campaign"].loyalty_tier is None


@pytest.mark.parametrize("value", ["not-a-date", "1990-02-30", 19900101, "", None])
def test_customer_bad_birthdate_gives_none(value):
    assert Customer.from_api({"id": "c", "birthdate": value}).birthdate is None


def test_customer_birthdate_and_birthday_are_dates():
    customer = Customer.from_api({"id": "c", "birthdate": "2022-01-01", "birthday": "2022-01-02"})

    assert customer.birthdate == date(2022, 1, 1)
    assert customer.birthday == date(2022, 1, 2)


def test_customer_unconfirmed_object_is_kept():
    customer = Customer.from_api({"object": "unconfirmed_customer", "email": "a@example.com"})

    assert customer.object == "unconfirmed_customer"
    assert customer.id is None


def test_customer_unsubscribed_reads_system_metadata():
    customer = Customer.from_api(
        {"id": "c", "system_metadata": {"consents": {"unsubscribed": True}}}
    )

    assert customer.unsubscribed is True


def test_customer_referrals_and_loyalty_tier_parse():
    customer = Customer.from_api(
        {
            "loyalty": {"campaigns": {"Gold": {"points": "12", "loyalty_tier": "ltr_1"}}},
            "referrals": {
                "total": 1,
                "campaigns": [
                    {
                        "campaign_id": "camp_1",
                        "referrer_id": "cust_2",
                        "related_object_id": "r_1",
                        "related_object_type": "redemption",
                        "date": "2022-08-30T10:19:39.196Z",
                    }
                ],
            },
        }
    )

    assert customer.loyalty.campaigns["Gold"].points == 12
    assert customer.loyalty.campaigns["Gold"].loyalty_tier == "ltr_1"
    (referral,) = customer.referrals.campaigns
    assert referral.referrer_id == "cust_2"
    assert referral.date.year == 2022


def test_customer_base_fields_give_api_json():
    customer = Customer.from_api(
        {
            "id": "c",
            "name": "Ann",
            "email": "ann@example.com",
            "birthdate": "1990-05-17",
            "address": {"city": "Kraków", "country": None},
            "metadata": {"tier": "gold"},
            "summary": {},
        }
    )

    assert customer.base_fields() == {
        "name": "Ann",
        "description": None,
        "email": "ann@example.com",
        "phone": None,
        "birthdate": "1990-05-17",
        "address": {
            "line_1": None,
            "line_2": None,
            "city": "Kraków",
            "state": None,
            "postal_code": None,
            "country": None,
        },
        "metadata": {"tier": "gold"},
    }


def test_customer_base_fields_without_address_or_birthdate():
    fields = Customer.from_api(FRESH).base_fields()

    assert fields["address"] is None
    assert fields["birthdate"] is None
    assert fields["metadata"] == {}


def test_address_not_a_mapping_gives_none():
    assert Address.from_api("Main St") is None


def test_customer_list_has_more_absent_is_none():
    listing = CustomerList.from_api({"customers": [FRESH], "total": "1"})

    assert listing.has_more is None
    assert listing.total == 1
    assert listing.customers[0].source_id == "abc"


def test_activity_nested_data_gives_payload_and_channel():
    activity = Activity.from_api(
        {
            "id": "evcus_1",
            "type": "customer.segment.entered",
            "data": {
                "data": {"customer": {"id": "c"}, "segment": {"id": "seg_1", "name": "VIP"}},
                "event_source": {"channel": "USER_PORTAL", "user": {"id": "user_1"}},
            },
            "created_at": "2024-01-01T00:00:00.000Z",
            "group_id": "v-1",
        }
    )

    assert activity.data == {"customer": {"id": "c"}, "segment": {"id": "seg_1", "name": "VIP"}}
    assert activity.channel == "USER_PORTAL"
    assert activity.group_id == "v-1"


def test_activity_flat_data_is_the_payload():
    activity = Activity.from_api(
        {"id": "evcus_2", "type": "customer.created", "data": {"customer": {"id": "c"}}}
    )

    assert activity.data == {"customer": {"id": "c"}}
    assert activity.channel is None
    assert activity.created_at is None


def test_activity_flat_data_with_event_source_drops_it_from_payload():
    activity = Activity.from_api(
        {"data": {"customer": {"id": "c"}, "event_source": {"channel": "API"}}}
    )

    assert activity.data == {"customer": {"id": "c"}}
    assert activity.channel == "API"


def test_activity_list_without_total_or_cursor():
    listing = ActivityList.from_api({"data": [], "has_more": False})

    assert listing.total is None
    assert listing.more_starting_after is None
    assert listing.activities == ()


def test_permanent_deletion_partial_data_json_is_kept():
    # What the Ruby SDK recorded from the live API (quirk 3): two counts are missing.
    deletion = PermanentDeletion.from_api(
        {
            "id": "del_1",
            "status": "DONE",
            "data_json": {
                "events": 1,
                "daily_events": 0,
                "segments": 0,
                "orders": 0,
                "customer": 1,
            },
            "object": "pernament_deletion",
        }
    )

    assert deletion.data_json == {
        "events": 1,
        "daily_events": 0,
        "segments": 0,
        "orders": 0,
        "customer": 1,
    }
    assert deletion.created_at is None


def test_async_action_old_bulk_results_shape():
    action = AsyncAction.from_api(
        {
            "id": "aa_1",
            "type": "CUSTOMERS.BULK_UPDATE",
            "status": "DONE",
            "result": {"results": [{"source_id": "a", "found": False, "updated": True}]},
        }
    )

    assert isinstance(action.result, BulkUpdateResult)
    assert action.result.results[0].source_id == "a"
    assert action.result.results[0].found is False
    assert action.result.results[0].updated is True
    assert action.result.reports == ()


def test_async_action_import_failures_are_rows():
    example = response_examples("/v1/async-actions/{asyncActionId}", "get")["CUSTOMERS.IMPORT_CSV"]

    action = AsyncAction.from_api(example)

    assert isinstance(action.result, ImportCsvResult)
    assert action.result.failed_count == 2
    assert [row.row for row in action.result.failed] == [1, 2]
    assert action.result.failed[0].source_id == "test-user@voucherify.io"
    assert action.processing_time == 130


def test_async_action_in_progress_without_result():
    action = AsyncAction.from_api({"id": "aa_2", "status": "IN_PROGRESS", "progress": 40})

    assert action.result is None
    assert action.finished is False
    assert action.progress == 40
    assert action.processing_time is None


def test_async_action_unknown_type_keeps_result_dict():
    action = AsyncAction.from_api({"type": "SOMETHING.NEW", "result": {"x": 1}})

    assert action.result == {"x": 1}


def test_async_action_list_has_more_absent_is_none():
    assert AsyncActionList.from_api({"async_actions": []}).has_more is None


def test_segment_without_filter():
    segment = Segment.from_api({"id": "seg_1", "type": "static", "filter": None})

    assert segment.filter is None
    assert segment.updated_at is None


def test_consents_missing_lists_are_empty():
    consents = Consents.from_api({})

    assert consents.groups == ()
    assert consents.consents == ()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2022-08-30T06:32:07.380Z", datetime(2022, 8, 30, 6, 32, 7, 380000, tzinfo=UTC)),
        ("2022-08-30T08:32:07+02:00", datetime(2022, 8, 30, 6, 32, 7, tzinfo=UTC)),
        ("2022-08-30T06:32:07", datetime(2022, 8, 30, 6, 32, 7, tzinfo=UTC)),
        (
            datetime(2022, 1, 1, tzinfo=timezone(timedelta(hours=1))),
            datetime(2021, 12, 31, 23, tzinfo=UTC),
        ),
        ("yesterday", None),
        (1661841127, None),
    ],
)
def test_parse_datetime_gives_aware_or_none(value, expected):
    parsed = parse_datetime(value)

    assert parsed == expected
    assert parsed is None or parsed.tzinfo is not None


def test_parse_date_accepts_date_and_datetime():
    assert parse_date(date(2020, 1, 2)) == date(2020, 1, 2)
    assert parse_date(datetime(2020, 1, 2, 3, tzinfo=UTC)) == date(2020, 1, 2)
    assert parse_date("2020-01-02T00:00:00Z") == date(2020, 1, 2)


def test_numbers_lenient_strings_floats_bools():
    customer = Customer.from_api(
        {"summary": {"orders": {"total_amount": 12.0, "total_count": "x", "average_amount": True}}}
    )

    assert customer.summary.orders.total_amount == 12
    assert customer.summary.orders.total_count == 0
    assert customer.summary.orders.average_amount == 1


RESOURCE_FOR = {
    ("GET", "/v1/customers"): CustomerList,
    ("POST", "/v1/customers"): Customer,
    ("GET", "/v1/customers/{customerId}"): Customer,
    ("PUT", "/v1/customers/{customerId}"): Customer,
    ("POST", "/v1/customers/{customerId}/permanent-deletion"): PermanentDeletion,
    ("GET", "/v1/customers/{customerId}/segments"): None,
    ("GET", "/v1/async-actions"): AsyncActionList,
    ("GET", "/v1/async-actions/{asyncActionId}"): AsyncAction,
    ("GET", "/v1/consents"): Consents,
    ("GET", "/v1/segments/{segmentId}"): Segment,
}


def _success_examples():
    for path, item in contract_document()["paths"].items():
        for method in item:
            key = (method.upper(), path)
            if key not in RESOURCE_FOR:
                continue
            for status in item[method]["responses"]:
                if status.startswith("2"):
                    for name, value in response_examples(path, method, status).items():
                        yield pytest.param(key, value, id=f"{method.upper()} {path} {name}")


@pytest.mark.parametrize(("operation", "example"), list(_success_examples()))
def test_contract_success_examples_parse_into_resources(operation, example):
    resource = RESOURCE_FOR[operation]

    if resource is None:  # a segment list: one SegmentRef per item
        refs = tuple(SegmentRef.from_api(item) for item in example["data"])
        assert [r.id for r in refs] == [item["id"] for item in example["data"]]
        return
    parsed = resource.from_api(example)

    if "id" in example:
        assert parsed.id == example["id"]
    if "created_at" in example:
        assert parsed.created_at == parse_datetime(example["created_at"])
