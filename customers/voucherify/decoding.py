"""Decoding API JSON into the resources: one pass from the response bytes, lenient on bad values.

A body is decoded straight into its declared type with msgspec's lax mode (`"12"` and `12.0`
are read as the integer 12). Every field of a resource has a default, since the real API omits
unset fields and the SDKs drop every `required` (API_NOTES quirks 1, 24); unknown keys are
ignored. A value that breaks its declared type (a count sent as `"x"`, `summary: null`,
`address: "Main St"`) must not cost the page, but msgspec has no declaration for "use the
default when a value does not fit": such a body takes a second, generic pass (`_fitted`, over
msgspec's own type info) that keeps what fits and leaves the rest to its default. Valid bodies
never pay for it; no resource has conversion code of its own.
"""

from __future__ import annotations

import functools
import math
from datetime import datetime
from typing import Annotated, Any, Self, TypeVar

import msgspec
import msgspec.inspect as mi

from customers.voucherify.dates import parse_date, parse_datetime

# Timestamps are aware: a naive one fails here and is read as UTC by the lenient pass.
Timestamp = Annotated[datetime, msgspec.Meta(tz=True)]

R = TypeVar("R", bound="Resource")


# gc=False: a page of 100 customers is ~1,000 Structs, and tracking them made the garbage
# collector run during decoding (half the decode time); JSON values form no reference cycles.
class Resource(msgspec.Struct, frozen=True, gc=False):
    """Base of every resource: frozen, and built from API JSON by `from_api` or `decode`."""

    @classmethod
    def from_api(cls, data: Any) -> Self:
        """The resource from already-parsed JSON (a dict), as leniently as `decode`."""
        try:
            return msgspec.convert(data, cls, strict=False)
        except msgspec.ValidationError:
            return _fit_top(data, cls)


def decode(content: bytes, into: type[R]) -> R:
    """`into` from a JSON body. Raises `msgspec.DecodeError` (or its subclass
    `ValidationError`) when the body is not JSON or not a JSON object."""
    try:
        return _decoder(into).decode(content)
    except msgspec.ValidationError:
        return _fit_top(msgspec.json.decode(content), into)


@functools.cache
def _decoder(into: type) -> msgspec.json.Decoder:
    return msgspec.json.Decoder(into, strict=False)


# --- the lenient pass -----------------------------------------------------------------------

_NO_FIT = object()


def _fit_top(data: Any, into: type[R]) -> R:
    if not isinstance(data, dict):
        raise msgspec.ValidationError(f"Expected a JSON object for {into.__name__}")
    return _fitted(data, _type_info(into))


@functools.cache
def _type_info(into: type) -> mi.Type:
    return mi.type_info(into)


def _fitted(value: Any, info: mi.Type) -> Any:
    """`value` as `info` declares it, or `_NO_FIT`. Structs, lists and dicts keep the parts
    that fit (a field that does not fit keeps its default); numbers are read as old code read
    them (`True` is 1, `12.7` is 12, `"x"` does not fit)."""
    if isinstance(info, mi.UnionType):
        for option in info.types:
            fitted = _fitted(value, option)
            if fitted is not _NO_FIT:
                return fitted
        return _NO_FIT
    if isinstance(info, mi.StructType):
        if not isinstance(value, dict):
            return _NO_FIT
        fields = {}
        for spec in info.fields:
            if spec.encode_name in value:
                fitted = _fitted(value[spec.encode_name], spec.type)
                if fitted is not _NO_FIT:
                    fields[spec.name] = fitted
        return info.cls(**fields)
    if isinstance(info, mi.DictType):
        if not isinstance(value, dict):
            return _NO_FIT
        pairs = ((_fitted(k, info.key_type), _fitted(v, info.value_type)) for k, v in value.items())
        return {k: v for k, v in pairs if k is not _NO_FIT and v is not _NO_FIT}
    if isinstance(info, mi.VarTupleType | mi.ListType):
        if not isinstance(value, list):
            return _NO_FIT
        items = [x for x in (_fitted(v, info.item_type) for v in value) if x is not _NO_FIT]
        return tuple(items) if isinstance(info, mi.VarTupleType) else items
    return _fitted_scalar(value, info)


def _fitted_scalar(value: Any, info: mi.Type) -> Any:
    if isinstance(info, mi.AnyType):
        return value
    if isinstance(info, mi.NoneType):
        return None if value is None else _NO_FIT
    if isinstance(info, mi.StrType):
        return value if isinstance(value, str) else _NO_FIT
    if isinstance(info, mi.BoolType):
        return value if isinstance(value, bool) else _NO_FIT
    if isinstance(info, mi.IntType):
        if isinstance(value, int | float) and math.isfinite(value):
            return int(value)
        try:
            return int(value) if isinstance(value, str) else _NO_FIT
        except ValueError:
            return _NO_FIT
    if isinstance(info, mi.DateTimeType):
        parsed = parse_datetime(value)
        return _NO_FIT if parsed is None else parsed
    if isinstance(info, mi.DateType):
        parsed = parse_date(value)
        return _NO_FIT if parsed is None else parsed
    raise TypeError(f"The lenient pass cannot read {info!r}: declare a JSON type")
