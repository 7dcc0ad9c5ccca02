"""The Voucherify client: one Session, auth headers, timeouts, retries, the error mapping, and one
method per API operation, named as in Voucherify's API reference."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import IO, Any, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import msgspec
import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from urllib3.exceptions import MaxRetryError, ReadTimeoutError
from urllib3.util.retry import Retry

from customers.voucherify.dates import format_date
from customers.voucherify.decoding import Resource, decode
from customers.voucherify.errors import (
    BadResponse,
    ConnectionFailed,
    NotFound,
    Timeout,
    ValidationFailed,
    VoucherifyError,
    error_from_status,
)
from customers.voucherify.multipart import MultipartFile
from customers.voucherify.paging import (
    CURSOR_ASCENDING_START,
    CURSOR_DESCENDING_START,
    DateLike,
    ListRequest,
    cursor_allowed,
)
from customers.voucherify.resources import (
    Activity,
    ActivityList,
    AsyncAction,
    AsyncActionCreated,
    AsyncActionList,
    Consents,
    Customer,
    CustomerList,
    PermanentDeletion,
    Segment,
    SegmentList,
    SegmentRef,
)

logger = logging.getLogger(__name__)

CHANNEL = "Customers-Dashboard"
CONNECT_TIMEOUT = 3.05  # just above a multiple of 3 s, the TCP retransmission window

READS = frozenset({"GET", "HEAD"})  # a failed read changed nothing, whatever the error
R = TypeVar("R", bound=Resource)


def default_retry() -> Retry:
    """Retries for idempotent calls only; the last answer is returned, never raised, so that
    `handle_response` stays the one place that turns statuses into exceptions."""
    return Retry(
        total=2,
        connect=2,
        read=0,  # a read timeout has already cost the whole timeout: let the user decide
        status=2,
        other=0,
        allowed_methods=frozenset({"GET", "PUT", "DELETE", "HEAD"}),
        status_forcelist=(429, 502, 503, 504),
        backoff_factor=0.5,
        backoff_max=4,
        backoff_jitter=0.3,
        respect_retry_after_header=True,
        retry_after_max=5,  # a page must not hang on a long Retry-After; RateLimited tells why
        raise_on_status=False,
        raise_on_redirect=False,
    )


def handle_response(response: requests.Response, into: type[R] | None = None) -> R | None:
    """The one mapping from an answer to a result or an exception.

    2xx: the body decoded straight into `into` (None when no body is expected, e.g. for 204s).
    Anything else: the matching `VoucherifyError` subclass. A 2xx without the promised JSON
    object is `BadResponse`.
    """
    status = response.status_code
    if 200 <= status < 300:
        if into is None:
            # No body expected (204, or the consents' bare 200); one that is not JSON is not
            # Voucherify's answer (a proxy's or a captive portal's page): maybe not applied.
            if response.content.strip():
                try:
                    msgspec.json.decode(response.content)
                except msgspec.DecodeError as exc:
                    raise BadResponse(
                        "Voucherify answered with a body that is not JSON", status=status
                    ) from exc
            return None
        try:
            return decode(response.content, into)
        except msgspec.DecodeError as exc:  # ValidationError included: not a JSON object
            raise BadResponse(
                "Voucherify answered with a body that is not the expected JSON object",
                status=status,
            ) from exc
    try:
        body = msgspec.json.decode(response.content) if response.content else None
    except msgspec.DecodeError:
        body = None
    raise error_from_status(status, body, retry_after=response.headers.get("Retry-After"))


def _query(params: Mapping[str, Any]) -> dict[str, Any]:
    query = {}
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, date | datetime):
            value = format_date(value)
        query[name] = value
    return query


DOT_SEGMENTS = frozenset({".", ".."})


def _segment(identifier: str) -> str:
    """One path segment for an id: `/`, spaces, `?`... quoted, and the ids `.` and `..` as
    `%2E` and `%2E%2E`, which no URL normaliser resolves away as "this" or "parent" folder."""
    if identifier in DOT_SEGMENTS:
        return identifier.replace(".", "%2E")
    return quote(identifier, safe="")


def _path(template: str, *ids: str) -> str:
    """Quote every id (a source_id may hold `/`, spaces, `?`, or be `..`) into its own path
    segment."""
    if any(not isinstance(i, str) or not i for i in ids):
        raise NotFound("An empty id names no record")
    return template.format(*(_segment(i) for i in ids))


def _keep_dot_ids(url: str) -> str:
    """requests re-quotes a prepared URL and decodes `%2E` back to `.`: encode dot segments
    again (only ids can be ones: `_path` quoted them, and literal ones were resolved)."""
    parts = urlsplit(url)
    segments = parts.path.split("/")
    if not DOT_SEGMENTS.intersection(segments):
        return url
    path = "/".join(_segment(s) if s in DOT_SEGMENTS else s for s in segments)
    return urlunsplit(parts._replace(path=path))


# The fixed segments of the API's paths; every other segment is an id.
PATH_WORDS = frozenset(
    {
        "v1",
        "customers",
        "activities",
        "activity",
        "segments",
        "consents",
        "permanent-deletion",
        "importCSV",
        "bulk",
        "async",
        "metadata",
        "async-actions",
    }
)


def _loggable(path: str) -> str:
    """The path with its ids masked: a source_id may be an email address (personal data)."""
    return "/".join(part if not part or part in PATH_WORDS else "{id}" for part in path.split("/"))


def _log_call(
    method: str,
    path: str,
    started: float,
    *,
    status: int | None = None,
    error: VoucherifyError | None = None,
) -> None:
    """One structured line per call: the masked path, the status, the time it took and, for a
    failure, the error's type and Voucherify's request id (never its message: it may quote a
    value the call sent)."""
    fields = {
        "method": method,
        "path": _loggable(path),
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
    }
    if error is None:
        logger.info("voucherify %s %s -> %s", method, fields["path"], status, extra=fields)
        return
    fields["error"] = type(error).__name__
    fields["voucherify_request_id"] = error.request_id
    logger.warning(
        "voucherify %s %s -> %s", method, fields["path"], status or fields["error"], extra=fields
    )


def _transport_error(exc: requests.RequestException) -> VoucherifyError:
    """Slow (reached, no answer in time) or unreachable (never reached), by the root cause:
    urllib3's retry wraps a read timeout of a retried method in a ConnectionError."""
    if isinstance(exc, requests.ConnectTimeout):
        return ConnectionFailed("Could not reach Voucherify (connect timeout)")
    cause: BaseException | None = exc
    for _ in range(8):  # the chain is short; a bound keeps a cyclic one from looping
        if cause is None:
            break
        if isinstance(cause, requests.ReadTimeout | ReadTimeoutError):
            return Timeout("Voucherify did not answer in time")
        if isinstance(cause, MaxRetryError):
            cause = cause.reason
        elif cause.args and isinstance(cause.args[0], BaseException):
            cause = cause.args[0]
        else:
            cause = cause.__cause__ or cause.__context__
    return ConnectionFailed("Could not reach Voucherify")


class VoucherifyClient:
    """A Voucherify API client on one `requests.Session`.

    `adapter` replaces the retrying HTTP adapter for `base_url` (the sandbox's in-process
    transport); `retries` replaces the default urllib3 `Retry` (a seam for tests).
    """

    def __init__(
        self,
        base_url: str,
        app_id: str,
        app_token: str,
        *,
        timeout: float,
        adapter: BaseAdapter | None = None,
        retries: Retry | None = None,
        backend: str = "voucherify",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.backend = backend
        self.timeout = (min(CONNECT_TIMEOUT, timeout), timeout)
        self._token = app_token
        self.session = requests.Session()
        self.session.headers.update(
            {
                "X-App-Id": app_id,
                "X-App-Token": app_token,
                "X-Voucherify-Channel": CHANNEL,
                "Accept": "application/json",
            }
        )
        # The environment's proxy (HTTPS_PROXY, NO_PROXY...) and CA bundle settings, read once
        # for the one host this client talks to: with `trust_env` requests reads them, and
        # ~/.netrc, again on every call, which was 40% of a call's own time (bench/pages.py).
        self.session.proxies = requests.utils.get_environ_proxies(self.base_url)
        self.session.verify = (
            os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        )
        self.session.trust_env = False
        if adapter is None:
            adapter = HTTPAdapter(max_retries=retries or default_retry())
        self.session.mount(self.base_url + "/", adapter)

    def __repr__(self) -> str:
        return f"<VoucherifyClient {self.backend} {self.base_url}>"

    def close(self) -> None:
        self.session.close()

    def _prepared(self, method, path, params, json, data, headers) -> requests.PreparedRequest:
        """The request as `Session.request` prepares it: the session's headers and the call's,
        its hooks; and the ids `.` and `..` kept as `%2E` segments, which requests decodes.

        Without what this client has no use for: session cookies, params and auth, and the
        merging of each (with a `typing.Protocol` check per value, slow on Python 3.11). The
        merges were two thirds of a call's own time (bench/pages.py, cProfile)."""
        prepared = requests.PreparedRequest()
        prepared.prepare(
            method=method,
            url=self.base_url + path,
            headers={**self.session.headers, **headers} if headers else self.session.headers,
            # None, not {}: requests checks an empty dict against a typing.Protocol twice.
            params=_query(params or {}) or None,
            json=json,
            data=data,
            hooks=self.session.hooks,
        )
        prepared.url = _keep_dot_ids(prepared.url)
        return prepared

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        into: type[R] | None = None,
    ) -> R | None:
        started = time.perf_counter()
        session = self.session
        try:
            response = session.send(
                self._prepared(method, path, params, json, data, headers),
                timeout=self.timeout,
                # requests keeps custom headers (X-App-Token) across hosts on a redirect; the
                # API never redirects, so an answer of 3xx is an error, not a place to go.
                allow_redirects=False,
                proxies=session.proxies,
                verify=session.verify,
                stream=False,
                cert=None,
            )
        except requests.exceptions.InvalidJSONError as exc:
            # Raised while preparing the request (json= holds NaN or an infinity): not sent.
            raise ValidationFailed(
                "The data cannot be sent as JSON",
                details="A value is not valid JSON (a number that is NaN or infinite?). "
                "Nothing was sent to Voucherify.",
            ) from exc
        except requests.RequestException as exc:
            error = _transport_error(exc)
            error.may_have_applied = error.may_have_applied and method not in READS
            _log_call(method, path, started, error=error)
            raise error from exc
        try:
            result = handle_response(response, into)
        except VoucherifyError as exc:
            exc.may_have_applied = exc.may_have_applied and method not in READS
            self._redact(exc)
            _log_call(method, path, started, status=response.status_code, error=exc)
            raise
        _log_call(method, path, started, status=response.status_code)
        return result

    def _redact(self, error: VoucherifyError) -> None:
        """A gateway may echo the refused token in its message: the error, which pages,
        logs, the audit trail and the consent ledger show, never carries it."""
        if not self._token:
            return
        for name in ("message", "details"):
            value = getattr(error, name)
            if isinstance(value, str) and self._token in value:
                setattr(error, name, value.replace(self._token, "[app token]"))
        error.args = (error.message,)

    def _async_action_id(self, created: AsyncActionCreated) -> str:
        if not created.async_action_id:
            raise BadResponse("Voucherify did not return an async_action_id")
        return created.async_action_id

    # --- customers --------------------------------------------------------------------------

    def list_customers(
        self,
        *,
        limit: int | None = None,
        page: int | None = None,
        email: str | None = None,
        name: str | None = None,
        city: str | None = None,
        segment_id: str | None = None,
        created_at_before: DateLike | None = None,
        created_at_after: DateLike | None = None,
        updated_at_before: DateLike | None = None,
        updated_at_after: DateLike | None = None,
        order: str | None = None,
        starting_after: DateLike | None = None,
        ending_before: DateLike | None = None,
    ) -> CustomerList:
        """GET /v1/customers. `page` stops at 99 in the API: `starting_after` (a created_at)
        goes on, or `iter_customers`. `ending_before` is not the API's: the page just before
        that created_at, asked the other way round (see `ListRequest`).

        The list knows the request it answered: its `pager` says where it stands."""
        request = ListRequest(
            limit=limit,
            order=order,
            page=page,
            starting_after=starting_after,
            ending_before=ending_before,
        )
        params = {
            **request.query(),
            "email": email,
            "name": name,
            "city": city,
            "segment_id": segment_id,
            "created_at[before]": created_at_before,
            "created_at[after]": created_at_after,
            "updated_at[before]": updated_at_before,
            "updated_at[after]": updated_at_after,
        }
        result = self._request("GET", "/v1/customers", params=params, into=CustomerList)
        return result.answering(request)

    def iter_customers(
        self,
        *,
        limit: int = 100,
        order: str | None = None,
        **filters: Any,
    ) -> Iterator[Customer]:
        """Every matching customer, page after page, with the `starting_after` cursor.

        Like the JS SDK's scroll(): the cursor is the oldest (descending) or newest (ascending)
        `created_at` seen so far. Customers already yielded at that boundary timestamp are
        skipped by id, in case the API treats the cursor as inclusive.

        The cursor compares `created_at`, so it only walks lists ordered by creation: any
        other `order` (updated_at, source_id) would skip customers, and raises `ValueError`
        here, before any request.
        """
        if not cursor_allowed(order):
            raise ValueError(
                f"iter_customers walks the created_at cursor; order={order!r} would skip "
                "customers (use created_at, -created_at or None)"
            )
        return self._walk_customers(limit, order == "created_at", filters)

    def _walk_customers(
        self, limit: int, ascending: bool, filters: Mapping[str, Any]
    ) -> Iterator[Customer]:
        # Descending is the documented default order of the cursor: sent without `order`.
        order = "created_at" if ascending else None
        cursor = CURSOR_ASCENDING_START if ascending else CURSOR_DESCENDING_START
        boundary: datetime | None = None
        seen_at_boundary: set[str | None] = set()
        while True:
            page = self.list_customers(limit=limit, order=order, starting_after=cursor, **filters)
            fresh = [c for c in page.customers if c.id not in seen_at_boundary]
            yield from fresh
            stamps = [c.created_at for c in page.customers if c.created_at is not None]
            if not fresh or not stamps or page.has_more is False:
                return
            edge = max(stamps) if ascending else min(stamps)
            if edge != boundary:
                boundary, seen_at_boundary = edge, set()
            seen_at_boundary.update(c.id for c in page.customers if c.created_at == edge)
            cursor = format_date(edge)

    def get_customer(self, customer_id: str) -> Customer:
        path = _path("/v1/customers/{}", customer_id)
        return self._request("GET", path, into=Customer)

    def create_customer(self, data: Mapping[str, Any]) -> Customer:
        """POST /v1/customers: creates, or updates the customer matching `id`/`source_id`."""
        return self._request("POST", "/v1/customers", json=dict(data), into=Customer)

    def update_customer(self, customer_id: str, data: Mapping[str, Any]) -> Customer:
        """PUT /v1/customers/{id}: fields left out keep their values; source_id is immutable."""
        path = _path("/v1/customers/{}", customer_id)
        return self._request("PUT", path, json=dict(data), into=Customer)

    def delete_customer(self, customer_id: str) -> None:
        path = _path("/v1/customers/{}", customer_id)
        self._request("DELETE", path)

    def customer_permanently_deletion(self, customer_id: str) -> PermanentDeletion:
        """POST with no body at all: erases the customer and every related record."""
        path = _path("/v1/customers/{}/permanent-deletion", customer_id)
        return self._request("POST", path, into=PermanentDeletion)

    # --- activities -------------------------------------------------------------------------

    def list_customer_activities(
        self,
        customer_id: str,
        *,
        limit: int | None = None,
        order: str | None = None,
        starting_after: DateLike | None = None,
        starting_after_id: str | None = None,
        campaign_type: str | None = None,
        campaign_id: str | None = None,
        product_id: str | None = None,
        start_date: DateLike | None = None,
        end_date: DateLike | None = None,
    ) -> ActivityList:
        """GET /v1/customers/{id}/activities (deprecated by Voucherify; returns `total`)."""
        params = {
            "limit": limit,
            "order": order,
            "starting_after": starting_after,
            "starting_after_id": starting_after_id,
            "campaign_type": campaign_type,
            "campaign_id": campaign_id,
            "product_id": product_id,
            "start_date": start_date,
            "end_date": end_date,
        }
        path = _path("/v1/customers/{}/activities", customer_id)
        return self._request("GET", path, params=params, into=ActivityList)

    def list_customer_activity(
        self,
        customer_id: str,
        *,
        limit: int | None = None,
        order: str | None = None,
        starting_after_id: str | None = None,
        start_date: DateLike | None = None,
        end_date: DateLike | None = None,
        campaign_id: str | None = None,
        campaign_type: str | None = None,
        category: str | None = None,
        type: str | None = None,
    ) -> ActivityList:
        """GET /v1/customers/{id}/activity: `has_more` and an id cursor, `more_starting_after`."""
        params = {
            "limit": limit,
            "order": order,
            "starting_after_id": starting_after_id,
            "start_date": start_date,
            "end_date": end_date,
            "campaign_id": campaign_id,
            "campaign_type": campaign_type,
            "category": category,
            "type": type,
        }
        path = _path("/v1/customers/{}/activity", customer_id)
        return self._request("GET", path, params=params, into=ActivityList)

    def iter_customer_activity(
        self, customer_id: str, *, limit: int = 100, **filters: Any
    ) -> Iterator[Activity]:
        """Every activity of a customer, following `more_starting_after`."""
        cursor: str | None = None
        while True:
            page = self.list_customer_activity(
                customer_id, limit=limit, starting_after_id=cursor, **filters
            )
            yield from page.activities
            if not page.has_more or not page.more_starting_after:
                return
            if page.more_starting_after == cursor:
                return  # the API did not move the cursor: stop rather than loop
            cursor = page.more_starting_after

    # --- segments ---------------------------------------------------------------------------

    def list_customer_segments(self, customer_id: str) -> tuple[SegmentRef, ...]:
        """Never 404s: for an unknown customer the API evaluates would-be segments (quirk 19)."""
        path = _path("/v1/customers/{}/segments", customer_id)
        return self._request("GET", path, into=SegmentList).data

    def get_segment(self, segment_id: str) -> Segment:
        path = _path("/v1/segments/{}", segment_id)
        return self._request("GET", path, into=Segment)

    # --- consents (legacy endpoints, removed from the current spec) -------------------------

    def update_customers_consents(self, customer_id: str, consents: Mapping[str, bool]) -> None:
        """`{consent_id: bool}`; the key `unsubscribed` opts the customer out of everything."""
        path = _path("/v1/customers/{}/consents", customer_id)
        self._request("PUT", path, json=dict(consents))

    def list_consents(self) -> Consents:
        return self._request("GET", "/v1/consents", into=Consents)

    # --- bulk and async ---------------------------------------------------------------------

    def import_customers_using_csv(self, file: IO[Any], filename: str = "customers.csv") -> str:
        """POST /v1/customers/importCSV, streaming `file`; returns the async action id."""
        body = MultipartFile(file, filename)
        created = self._request(
            "POST",
            "/v1/customers/importCSV",
            data=body,
            headers={"Content-Type": body.content_type},
            into=AsyncActionCreated,
        )
        return self._async_action_id(created)

    def update_customers_in_bulk(self, customers: Sequence[Mapping[str, Any]]) -> str:
        """POST /v1/customers/bulk/async: a JSON array of customers keyed by source_id."""
        body = [dict(customer) for customer in customers]
        created = self._request(
            "POST", "/v1/customers/bulk/async", json=body, into=AsyncActionCreated
        )
        return self._async_action_id(created)

    def update_customers_metadata_in_bulk(
        self, source_ids: Sequence[str], metadata: Mapping[str, Any]
    ) -> str:
        """POST /v1/customers/metadata/async: the same metadata for every listed customer."""
        body = {"source_ids": list(source_ids), "metadata": dict(metadata)}
        created = self._request(
            "POST", "/v1/customers/metadata/async", json=body, into=AsyncActionCreated
        )
        return self._async_action_id(created)

    def get_async_action(self, async_action_id: str) -> AsyncAction:
        path = _path("/v1/async-actions/{}", async_action_id)
        return self._request("GET", path, into=AsyncAction)

    def list_async_actions(
        self, *, limit: int | None = None, end_date: DateLike | None = None
    ) -> AsyncActionList:
        """GET /v1/async-actions (no `result` in the items; `end_date` may be a bare date)."""
        params = {"limit": limit, "end_date": end_date}
        return self._request("GET", "/v1/async-actions", params=params, into=AsyncActionList)


__all__ = ["VoucherifyClient", "default_retry", "handle_response"]
