"""Resources: what callers get from API JSON, including the shapes the contract gets wrong."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import msgspec
import pytest

from customers.voucherify.dates import parse_date, parse_datetime
from customers.voucherify.decoding import decode
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
    MessageResult,
    PermanentDeletion,
    Segment,
    SegmentRef,
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


def test_customer_address_not_a_mapping_gives_no_address():
    customer = Customer.from_api({"id": "c", "address": "Main St", "name": "Ann"})

    assert not customer.address
    assert customer.base_fields()["address"] is None
    assert customer.name == "Ann"  # the rest of the customer is kept


def test_customer_address_null_is_none_and_missing_is_unset():
    assert Customer.from_api({"id": "c", "address": None}).address is None
    missing = Customer.from_api({"object": "unconfirmed_customer", "email": "a@example.com"})
    assert missing.address is msgspec.UNSET
    assert missing.base_fields()["address"] is None


def test_address_with_null_parts_is_kept_as_stored():
    # Quirk 2: a bulk update with nulls leaves {city: null, country: null}, not null.
    customer = Customer.from_api({"address": {"city": None, "country": None}})

    assert isinstance(customer.address, Address)
    assert customer.address.to_api() == dict.fromkeys(
        ("line_1", "line_2", "city", "state", "postal_code", "country")
    )


def test_resource_from_something_that_is_not_an_object_raises():
    with pytest.raises(msgspec.ValidationError):
        Address.from_api("Main St")


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


# --- decoding from the response bytes -------------------------------------------------------


def test_decode_body_bytes_gives_typed_resources():
    body = json.dumps({"customers": [FRESH], "total": 1, "has_more": False}).encode()

    listing = decode(body, CustomerList)

    assert listing.customers == (Customer.from_api(FRESH),)
    assert listing.customers[0].created_at == datetime(2024, 7, 23, 12, 27, 32, 926000, tzinfo=UTC)
    assert listing.has_more is False


def test_decode_one_wrong_value_keeps_every_other_customer():
    broken = {**FRESH, "id": "cust_broken", "summary": {"orders": {"total_count": "many"}}}
    body = json.dumps({"customers": [FRESH, broken, FRESH], "total": "3"}).encode()

    listing = decode(body, CustomerList)

    assert [c.id for c in listing.customers] == ["cust_fresh", "cust_broken", "cust_fresh"]
    assert listing.customers[1].summary.orders.total_count == 0
    assert listing.total == 3


def test_decode_naive_timestamp_is_read_as_utc():
    customer = decode(b'{"id": "c", "created_at": "2024-07-23T12:27:32"}', Customer)

    assert customer.created_at == datetime(2024, 7, 23, 12, 27, 32, tzinfo=UTC)


def test_decode_list_items_that_are_not_objects_are_left_out():
    listing = decode(
        b'{"customers": [{"id": "a"}, "b", null, {"id": "c"}], "total": 2}', CustomerList
    )

    assert [c.id for c in listing.customers] == ["a", "c"]


@pytest.mark.parametrize("body", [b"[]", b'"customer"', b"{not json", b""])
def test_decode_body_that_is_not_a_json_object_raises(body):
    with pytest.raises(msgspec.DecodeError):
        decode(body, Customer)


# --- activities: any type, payload nested or flat --------------------------------------------


def test_activity_type_the_contract_does_not_list_is_kept():
    activity = Activity.from_api(
        {
            "id": "evcus_3",
            "type": "customer.consents.given",
            "data": {"data": {"consents": [{"id": "cnst_1"}]}, "event_source": {"channel": "API"}},
        }
    )

    assert activity.type == "customer.consents.given"
    assert activity.data == {"consents": [{"id": "cnst_1"}]}
    assert activity.segment_name is None
    assert activity.changes() == []


def test_activity_segment_name_from_nested_or_flat_payload():
    nested = {"data": {"segment": {"id": "seg_1", "name": "VIP"}}, "event_source": {}}
    flat = {"segment": {"id": "seg_1", "name": "VIP"}, "customer": {"id": "c"}}

    for data in (nested, flat):
        activity = Activity.from_api({"type": "customer.segment.entered", "data": data})
        assert activity.segment_name == "VIP"
    assert Activity.from_api({"data": {"segment": "VIP"}}).segment_name is None


def test_activity_changes_from_a_changes_map_sorted_by_field():
    activity = Activity.from_api(
        {
            "type": "customer.updated",
            "data": {
                "customer": {"name": "New"},
                "changes": {"name": {"old": "Old", "new": "New"}, "email": ["a@x.io", "b@x.io"]},
            },
        }
    )

    assert activity.changes() == [("email", "a@x.io", "b@x.io"), ("name", "Old", "New")]


def test_activity_changes_from_previous_attributes_per_metadata_key():
    activity = Activity.from_api(
        {
            "type": "customer.updated",
            "data": {
                "data": {
                    "customer": {"name": "Ann", "metadata": {"tier": "gold", "visits": 3}},
                    "previous_attributes": {"metadata": {"tier": "silver"}},
                }
            },
        }
    )

    assert activity.changes() == [("metadata.tier", "silver", "gold")]


def test_activity_changes_only_for_customer_updated_with_a_previous_state():
    changes = {"changes": {"name": {"old": "A", "new": "B"}}}

    assert Activity.from_api({"type": "customer.created", "data": changes}).changes() == []
    updated = {"type": "customer.updated", "data": {"customer": {"name": "B"}}}
    assert Activity.from_api(updated).changes() == []


# --- async results typed by their dotted type -----------------------------------------------


def test_async_action_metadata_key_purge_is_a_message_result():
    action = AsyncAction.from_api(
        {
            "type": "CUSTOMERS.METADATA_KEY_PURGE",
            "result": {"message": "Updated 0 customers.", "done_count": 0},
        }
    )

    assert action.result == MessageResult(message="Updated 0 customers.", done_count=0)


def test_async_action_current_bulk_shape_counts_errors_when_no_count_is_sent():
    action = decode(
        json.dumps(
            {
                "type": "CUSTOMERS.METADATA_UPDATE",
                "status": "DONE",
                "result": {
                    "done_count": 1,
                    "errors": [{"message": "m", "key": "k", "source_id": "s1"}],
                    "reports": ["https://reports.example/1.csv", 7],
                    "reports_available_till": "2024-09-13T10:00:00.000Z",
                },
            }
        ).encode(),
        AsyncAction,
    )

    assert isinstance(action.result, BulkUpdateResult)
    assert action.result.failed_count == 1
    assert action.result.errors[0].source_id == "s1"
    assert action.result.reports == ("https://reports.example/1.csv",)
    assert action.finished is True


def test_consents_groups_and_consents_are_unwrapped():
    consents = Consents.from_api(
        {
            "groups": {"data": [{"id": "cnstgr_1", "consents": ["cnst_1", 2]}]},
            "consents": {"data": [{"id": "cnst_1", "name": "Newsletter", "updated_at": None}]},
        }
    )

    assert [g.consents for g in consents.groups] == [("cnst_1",)]
    assert consents.consents[0].name == "Newsletter"
    assert consents.consents[0].updated_at is None


def test_decode_wrong_values_in_a_list_body_keep_what_fits():
    body = {
        "customers": [{**FRESH, "metadata": {"tier": "gold", "tags": ["a"]}, "name": 7}],
        "total": "about 3",
        "has_more": "yes",
        "__request__": {"page": 5},
    }

    listing = decode(json.dumps(body).encode(), CustomerList)

    (customer,) = listing.customers
    assert customer.metadata == {"tier": "gold", "tags": ["a"]}
    assert customer.name is None
    assert (listing.total, listing.has_more) == (0, None)
    assert listing.pager.page == 1  # a request the JSON claims is not taken for ours


def test_decode_list_that_is_not_a_list_is_empty():
    assert decode(b'{"customers": {"id": "c"}, "total": 1}', CustomerList).customers == ()


def test_async_action_import_without_failed_count_counts_failed_rows():
    action = AsyncAction.from_api(
        {"type": "CUSTOMERS.IMPORT_CSV", "result": {"failed": [{"row": "2", "reason": "x"}]}}
    )

    assert action.result.failed_count == 1
    assert action.result.failed[0].row == 2
