"""Identifiers and timestamps in the shapes Voucherify uses."""

from __future__ import annotations

import secrets
import string
from datetime import UTC, datetime

_ALNUM = string.ascii_letters + string.digits


def alnum(length: int, rng=None) -> str:
    """Random letters and digits; from `rng` (a seeded random.Random) when given."""
    if rng is not None:
        return "".join(rng.choices(_ALNUM, k=length))
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def hexstr(length: int, rng=None) -> str:
    if rng is not None:
        return f"{rng.getrandbits(length * 4):0{length}x}"
    return secrets.token_hex((length + 1) // 2)[:length]


def customer_id(rng=None) -> str:
    return "cust_" + alnum(24, rng)


def async_action_id() -> str:
    return "aa_" + hexstr(18)


def deletion_id() -> str:
    return "del_" + alnum(24)


def segment_id(rng=None) -> str:
    return "seg_" + alnum(24, rng)


def event_id(rng=None) -> str:
    return "evcus_" + hexstr(18, rng)


def consent_id(rng=None) -> str:
    return "cnst_" + alnum(24, rng)


def consent_group_id(rng=None) -> str:
    return "cnstgr_" + alnum(24, rng)


def request_id() -> str:
    return "v-" + hexstr(18)


def now() -> datetime:
    """The current time truncated to milliseconds, the API's precision (cursors depend on it)."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def iso(moment: datetime | None) -> str | None:
    """`2022-08-30T06:32:07.380Z`."""
    if moment is None:
        return None
    # isoformat() is C; strftime() and an f-string cost twice as much on a page of 100 rows.
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:23] + "Z"


def parse_datetime(value: str) -> datetime | None:
    """An ISO-8601 date or date-time in UTC (a bare date is midnight UTC); None when
    unrecognised or out of range in UTC."""
    text = value.strip()
    if not text:
        return None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        # 9999-12-31T23:59:59-05:00 is a valid ISO string but no instant the database can
        # store: it lies beyond datetime.max in UTC.
        return moment.astimezone(UTC)
    except OverflowError:
        return None
