"""Segments by name: the small local record of the segments seen on profiles (id and name,
no personal data), and how a typed name or `seg_` id becomes the id the list filters by."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from customers.models import SeenSegment
from customers.services.seen import seen_record
from customers.voucherify import NotFound, get_client
from customers.voucherify.resources import SegmentRef
from dashboard.sql import select

SEGMENT_ID_PREFIX = "seg_"
SEEN_REFRESH = datetime.timedelta(days=1)


@dataclass(frozen=True)
class KnownSegment:
    id: str
    name: str


def segments_record(refs: Iterable[SegmentRef]) -> None:
    """Remember the id and name of each segment seen: a new one or a rename is written, and
    `seen_at` is renewed at most once per `SEEN_REFRESH` (which of two segments of the same
    name was seen last only matters to the day). A profile's segments are read on every
    view: one read query each time, a write only when something changed."""
    named = {ref.id: ref.name for ref in refs if ref.id and ref.name}
    seen_record(SeenSegment, "segment_id", named, refresh=SEEN_REFRESH)


def segments_known() -> list[KnownSegment]:
    """Every segment seen, by name (what a filter offers to pick from)."""
    return [
        KnownSegment(id=s.segment_id, name=s.name)
        for s in select(SeenSegment, order_by=("name", "segment_id"))
    ]


def segment_find(*, text: str) -> KnownSegment | None:
    """The segment a typed value means: a `seg_` id (its name asked once with `get_segment`
    and then remembered), or the name of a segment seen before (any case). None when no
    segment is known by that name. A `seg_` id the API does not know is kept as typed: the
    list then shows no one, as Voucherify does. Raises `VoucherifyError` when the API fails."""
    text = text.strip()
    if not text:
        return None
    if text.startswith(SEGMENT_ID_PREFIX):
        seen = SeenSegment.objects.filter(segment_id=text).first()
        if seen is not None:
            return KnownSegment(seen.segment_id, seen.name)
        try:
            segment = get_client().get_segment(text)
        except NotFound:
            return KnownSegment(text, "")
        segments_record([SegmentRef(id=segment.id or text, name=segment.name)])
        return KnownSegment(segment.id or text, segment.name or "")
    seen = SeenSegment.objects.filter(name__iexact=text).order_by("-seen_at").first()
    return KnownSegment(seen.segment_id, seen.name) if seen is not None else None


def segment_id_for(*, text: str) -> str | None:
    """The id a typed segment means without asking the API: a `seg_` id as typed, or the id
    of the segment seen under that name; None when no segment is known by that name."""
    text = text.strip()
    if text.startswith(SEGMENT_ID_PREFIX):
        return text
    seen = SeenSegment.objects.filter(name__iexact=text).order_by("-seen_at").first()
    return seen.segment_id if seen is not None else None


def customer_segments_list(*, customer_id: str, user) -> tuple[SegmentRef, ...]:
    """The segments a customer is in (one API call), remembered by id and name so that the
    list can be filtered by a segment's name. Raises `VoucherifyError` when the API fails."""
    segments = get_client().list_customer_segments(customer_id)
    segments_record(segments)
    return segments
