"""The dashboard's `date` filter writes what Django's writes, in templates and called alone."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Engine, Template
from django.template.defaultfilters import date as django_date
from django.templatetags.tz import utc

from dashboard.templatetags.fast_date import date

BERLIN = ZoneInfo("Europe/Berlin")
VALUES = [
    datetime.datetime(2024, 3, 31, 1, 59, 59, 123456, tzinfo=datetime.UTC),  # before Berlin's DST
    datetime.datetime(2024, 3, 31, 2, 0, tzinfo=datetime.UTC),
    datetime.datetime(5, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),  # a year under 1000
    datetime.datetime(2024, 12, 31, 23, 0, tzinfo=BERLIN),
    datetime.datetime(2024, 6, 1, 12, 30),  # naive
    datetime.date(1990, 2, 3),
    None,
    "",
    "2024-01-01",
    17,
]
FORMATS = ["c", "Y-m-d", "Y-m-d H:i", "Y-m-d H:i:s", "H:i:s", "Y/m/d", "N j, Y", "", None]
CASES = [(value, arg) for value in VALUES for arg in FORMATS]


@pytest.mark.parametrize(("value", "arg"), CASES, ids=[f"{v!r}-{a!r}" for v, a in CASES])
def test_date_filter_called_alone_writes_what_djangos_writes(value, arg):
    def outcome(date_filter):
        try:
            return date_filter(value, arg) if arg is not None else date_filter(value)
        except TypeError as error:  # a time format for a date: Django says so
            return repr(error)

    assert outcome(date) == outcome(django_date)


TEMPLATE = (
    "{{ v|date:'c' }}|{{ v|date:'Y-m-d H:i' }}|{{ v|utc|date:'c' }}|{{ v|utc|date:'Y-m-d H:i:s' }}"
    "|{{ d|date:'Y-m-d' }}|{{ d|date:'c' }}|{{ v|date }}"
)


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/St_Johns", "UTC"])
def test_date_filter_in_a_template_shows_the_local_time_as_djangos(settings, zone):
    settings.TIME_ZONE = zone
    context = {"v": VALUES[0], "d": VALUES[5]}
    django = Engine(libraries={"tz": "django.templatetags.tz"}).from_string(
        "{% load tz %}" + TEMPLATE
    )

    ours = Template("{% load tz %}" + TEMPLATE).render(Context(context))

    assert ours == django.render(Context(context))
    assert ours.split("|")[0] == VALUES[0].astimezone(ZoneInfo(zone)).isoformat()


def test_the_dashboards_filter_is_the_one_templates_use():
    libraries = Template("{{ v|date:'c' }}").engine.template_builtins
    assert [lib.filters["date"] for lib in libraries if "date" in lib.filters][-1] is date
    assert utc(VALUES[0]) == VALUES[0]


TIME_PAIRS = [
    ("{{ v|time_tag }}", '<time datetime="{{ v|date:\'c\' }}">{{ v|date:"Y-m-d H:i" }}</time>'),
    (
        '{{ v|time_tag:"seconds" }}',
        '<time datetime="{{ v|date:\'c\' }}">{{ v|date:"Y-m-d H:i:s" }}</time>',
    ),
    (
        "{{ v|utc|time_tag }}",
        '<time datetime="{{ v|utc|date:\'c\' }}">{{ v|utc|date:"Y-m-d H:i" }}</time>',
    ),
]


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/St_Johns", "UTC"])
@pytest.mark.parametrize(("ours", "theirs"), TIME_PAIRS)
def test_time_tag_writes_the_time_element_the_two_date_filters_write(settings, zone, ours, theirs):
    from django.utils import timezone

    engine = Engine(
        builtins=["dashboard.templatetags.fast_date"], libraries={"tz": "django.templatetags.tz"}
    )
    django = Engine(libraries={"tz": "django.templatetags.tz"})
    with timezone.override(ZoneInfo(zone)):
        for value in VALUES:
            if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
                continue  # a time format of a date: Django raises, as it always did
            context = {"v": value}
            expected = Template("{% load tz %}" + theirs, engine=django).render(Context(context))
            got = Template("{% load tz %}" + ours, engine=engine).render(Context(context))
            assert got == expected, value
