"""The filtered customers list as a streamed CSV file, every page of it."""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone

from customers.voucherify import VoucherifyClient, VoucherifyError, format_date
from customers.voucherify.resources import Customer

logger = logging.getLogger(__name__)

COLUMNS = (
    "id",
    "source_id",
    "name",
    "email",
    "phone",
    "city",
    "country",
    "created_at",
    "updated_at",
    "metadata",
)
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection), also
# after leading whitespace, and in their full-width forms (which some spreadsheets fold).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


class Echo:
    """A file-like object whose write() hands the line back: csv.writer without a buffer."""

    def write(self, value: str) -> str:
        return value


def neutralise(value: Any) -> str:
    """The cell as text, with a leading `'` if a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES) or text.lstrip().startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def customer_row(customer: Customer) -> list[str]:
    address = customer.address
    cells = (
        customer.id,
        customer.source_id,
        customer.name,
        customer.email,
        customer.phone,
        address.city if address else None,
        address.country if address else None,
        format_date(customer.created_at) if customer.created_at else "",
        format_date(customer.updated_at) if customer.updated_at else "",
        json.dumps(customer.metadata, ensure_ascii=False, sort_keys=True, default=str)
        if customer.metadata
        else "",
    )
    return [neutralise(cell) for cell in cells]


class ExportStopped(Exception):
    """The download ended before the last row: the browser went away."""


# Told, once the stream ends, how many customer rows were written and why it stopped early
# (None when the file is complete).
OnEnd = Callable[[int, BaseException | None], None]


def _lines(first: Customer | None, rest: Iterator[Customer], on_end: OnEnd) -> Iterator[str]:
    writer = csv.writer(Echo())
    written = 0
    error: BaseException | None = None
    try:
        yield writer.writerow(COLUMNS)
        if first is None:
            return
        written = 1
        yield writer.writerow(customer_row(first))
        try:
            for customer in rest:
                written += 1
                yield writer.writerow(customer_row(customer))
        except VoucherifyError as failure:
            error = failure
            # The status line is long gone: say so in the file itself, where the reader looks.
            logger.warning(
                "CSV export stopped after %s rows: %s",
                written,
                type(failure).__name__,
                extra={"voucherify_request_id": failure.request_id},
            )
            request_id = f" (request id {failure.request_id})" if failure.request_id else ""
            yield writer.writerow(
                [
                    f"# EXPORT INCOMPLETE: Voucherify failed after {written} customers"
                    f"{request_id}. Export again to get the full list."
                ]
            )
    except GeneratorExit:
        error = error or ExportStopped()
        raise
    except Exception as failure:
        error = failure
        raise
    finally:
        on_end(written, error)


def _ignore(rows: int, error: BaseException | None) -> None:
    return None


def customer_csv_response(
    client: VoucherifyClient, filters: Mapping[str, Any], *, on_end: OnEnd = _ignore
) -> StreamingHttpResponse:
    """Stream every customer matching `filters` as CSV; `on_end` hears how it ended.

    The first page is fetched before the response starts, so that a failure there raises
    `VoucherifyError` to the view (an error page, not a broken download).
    """
    customers = client.iter_customers(**filters)
    first = next(customers, None)
    filename = f"customers-{timezone.now():%Y%m%d-%H%M%S}.csv"
    response = StreamingHttpResponse(
        _lines(first, customers, on_end), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
