"""The sandbox's HTTP API: the paths, statuses and bodies of the Voucherify contract."""

from __future__ import annotations

import csv
import functools
import hmac
import io
import json
import logging
import math
import threading
import time
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt

from sandbox import ids, jobs, services
from sandbox.errors import (
    MAX_BODY,
    MAX_PAYLOAD,
    ApiError,
    PayloadTooLarge,
    TooManyRequests,
    consents_gone,
    error_response,
    internal_error,
    invalid_payload,
    invalid_query,
    method_not_allowed,
    not_found,
    unauthorized,
)
from sandbox.models import AsyncAction, Consent, ConsentGroup, Segment
from sandbox.routers import SANDBOX_DB
from sandbox.serializers import (
    async_action_to_api,
    consent_group_to_api,
    consent_to_api,
    customer_to_api,
    permanent_deletion_to_api,
    segment_ref,
    segment_to_api,
)

log = logging.getLogger(__name__)
CUSTOMER_SUFFIXES = ("permanent-deletion", "activities", "activity", "segments", "consents")
MULTIPART_SLACK = 64 * 1024  # multipart boundaries and headers around a 10 MB file


# -- the policies every route shares ---------------------------------------------------------


class _RateWindow:
    """A fixed one-minute window per application (off unless SANDBOX_RATE_LIMIT_PER_MINUTE)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.window = 0
        self.counts: dict[str, int] = {}

    def hit(self, app_id: str, limit: int) -> tuple[int, int]:
        now = int(time.time())
        with self.lock:
            if now // 60 != self.window:
                self.window, self.counts = now // 60, {}
            self.counts[app_id] = self.counts.get(app_id, 0) + 1
            return self.counts[app_id], 60 - now % 60


_rate = _RateWindow()


def _authenticate(request, limit: int) -> None:
    """401 for wrong keys; with a rate limit on, failed attempts count per client IP too, so
    that guessing tokens hits 429 as quickly as using the API does."""
    app_id = request.headers.get("X-App-Id", "")
    token = request.headers.get("X-App-Token", "")
    id_ok = hmac.compare_digest(app_id.encode(), settings.SANDBOX_APP_ID.encode())
    token_ok = hmac.compare_digest(token.encode(), settings.SANDBOX_APP_TOKEN.encode())
    if not (app_id and token and id_ok and token_ok):
        if limit:
            failures, reset = _rate.hit("401 from " + request.META.get("REMOTE_ADDR", ""), limit)
            if failures > limit:
                raise TooManyRequests(reset)
        raise unauthorized()


def api(view):
    """Decorate a route: auth, rate limit, error bodies, JSON out, no CSRF, no sign-in.

    The view checks its methods itself, with `_allow` (the allowed ones may depend on the path).
    """

    @functools.wraps(view)
    @csrf_exempt
    @login_not_required
    def wrapper(request, *args, **kwargs):
        request_id = ids.request_id()
        limit = settings.SANDBOX_RATE_LIMIT_PER_MINUTE
        headers = {}
        try:
            _authenticate(request, limit)
            if settings.SANDBOX_WORKER:
                jobs.start_worker()
            if limit:
                used, reset = _rate.hit(request.headers["X-App-Id"], limit)
                headers = {
                    "X-Rate-Limit-Limit": str(limit),
                    "X-Rate-Limit-Remaining": str(max(0, limit - used)),
                    "X-Rate-Limit-Retry": str(int(time.time()) + reset),
                }
                if used > limit:
                    raise TooManyRequests(reset)
            response = view(request, request_id, *args, **kwargs)
        except ApiError as error:
            response = error_response(error, request_id)
        except Exception:
            # A bug or an outage (database down...): still an API answer, not an HTML page.
            log.exception(
                "sandbox: %s %s failed (request_id=%s)",
                request.method,
                view.__name__,
                request_id,
            )
            response = error_response(internal_error(), request_id)
        for name, value in headers.items():
            response[name] = value
        return response

    return wrapper


def _allow(request, *methods: str) -> None:
    if request.method not in methods:
        raise method_not_allowed(request.method, list(methods))


def _json(body, status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, safe=False)


def _no_content() -> HttpResponse:
    response = HttpResponse(status=204)
    del response["Content-Type"]
    return response


def _read_body(request, *, cap: int = MAX_BODY) -> bytes:
    """The raw body, at most `cap` bytes (else 413). Read from the stream: request.body
    refuses more than 2.5 MB."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > cap:
        raise PayloadTooLarge(cap)
    data = request.read(cap + 1)
    if len(data) > cap:
        raise PayloadTooLarge(cap)
    return data


def _json_body(request, *, cap: int = MAX_BODY, required: bool = True):
    data = _read_body(request, cap=cap)
    if not data.strip():
        if required:
            raise invalid_payload("The payload cannot be empty")
        return None
    try:
        return json.loads(data, parse_constant=_not_json, parse_float=_finite_float)
    except RecursionError:
        raise invalid_payload("The payload is nested too deeply") from None
    except (UnicodeDecodeError, ValueError):
        raise invalid_payload("The payload is not valid JSON") from None


def _not_json(name: str):
    """NaN, Infinity and -Infinity: Python's json reads them, JSON (and the database) do not."""
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # 1e400
        raise ValueError(f"{text} is out of range")
    return value


def _report_signer() -> signing.Signer:
    return signing.Signer(salt="sandbox.async-action-report")


def _report_url(request, action_id: str) -> str:
    """Like the API's signed report URLs: whoever has it may read it, nobody can guess it."""
    scheme = "https" if request.is_secure() else "http"
    host = request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", "localhost")
    prefix = request.path[: max(0, request.path.find("/v1/"))]  # e.g. /sandbox
    token = _report_signer().signature(action_id)
    return f"{scheme}://{host}{prefix}/v1/async-actions/{action_id}/report?token={token}"


def _enqueue_with_report(request, request_id: str, type_: str, payload) -> AsyncAction:
    """The id, hence the report URL, exists before the job is committed and the worker woken."""
    action_id = ids.async_action_id()
    return jobs.enqueue(
        type_,
        payload,
        request_id,
        action_id=action_id,
        report_url=_report_url(request, action_id),
    )


def _bulk_cap(count: int) -> None:
    cap = settings.SANDBOX_BULK_RECORD_CAP
    if cap and count > cap:
        raise ApiError(
            400,
            "too_many_customers",
            "Too many customers",
            f"Specify at most {cap} customers",
        )


# -- /v1/customers ----------------------------------------------------------------------------


@api
def customers(request, request_id):
    _allow(request, "GET", "POST")
    if request.method == "GET":
        return _json(services.list_customers(request.GET))
    data = _json_body(request, required=False)
    customer = services.create_customer({} if data is None else data, request_id)
    return _json(customer_to_api(customer))


def _raw_segments(request) -> list[str] | None:
    """The path after /v1/customers/, split on the RAW path's slashes, each part decoded.

    Servers that pass the raw path (gunicorn's RAW_URI, uWSGI's REQUEST_URI, our in-process
    adapter) let `a%2Fb/activity` split exactly; under runserver Django only has the decoded path.
    """
    raw = request.META.get("RAW_URI") or request.META.get("REQUEST_URI")
    if not raw:
        return None
    path = urlsplit(raw).path
    marker = "/v1/customers/"
    at = path.find(marker)
    if at < 0:
        return None
    return [unquote(part) for part in path[at + len(marker) :].split("/")]


def _route_customer_path(request, rest: str) -> tuple[str, str]:
    """(kind, customer id) for /v1/customers/<rest>; kind is a suffix or "" for the customer."""
    parts = _raw_segments(request)
    exact = parts is not None
    if parts is None:
        parts = rest.split("/")
    collection = "/".join(parts)
    if request.method == "POST" and collection == "importCSV":
        return collection, ""  # any other method: the customer whose id is "importCSV"
    # No customer route has two segments without a suffix: these are the bulk endpoints,
    # whatever the method (405 but for POST), unless a decoded `bulk%2Fasync` names one.
    if (
        len(parts) == 2
        and collection in ("bulk/async", "metadata/async")
        and (exact or request.method == "POST" or services.find_customer(collection) is None)
    ):
        return collection, ""
    if len(parts) >= 2 and parts[-1] in CUSTOMER_SUFFIXES:
        prefix = "/".join(parts[:-1])
        if exact:
            return parts[-1], prefix
        # Decoded path: `x%2Fsegments` and `x/segments` look alike; prefer a customer that exists.
        if services.find_customer(prefix) is None and services.find_customer(collection):
            return "", collection
        return parts[-1], prefix
    return "", collection


# What each kind of /v1/customers/<rest> path allows.
CUSTOMER_ROUTE_METHODS = {
    "": ("GET", "PUT", "DELETE"),
    "permanent-deletion": ("POST",),
    "activities": ("GET",),
    "activity": ("GET",),
    "segments": ("GET",),
    "consents": ("PUT",),
    "importCSV": ("POST",),
    "bulk/async": ("POST",),
    "metadata/async": ("POST",),
}


@api
def customer_routes(request, request_id, rest):
    kind, customer_id = _route_customer_path(request, rest)
    allowed = CUSTOMER_ROUTE_METHODS[kind]
    if kind == "" and customer_id == "importCSV":
        allowed = (*allowed, "POST")  # the same path is also the CSV import's
    _allow(request, *allowed)
    if kind == "importCSV":
        return _import_csv(request, request_id)
    if kind == "bulk/async":
        return _bulk_update(request, request_id)
    if kind == "metadata/async":
        return _metadata_update(request, request_id)
    if kind == "segments":
        segments = services.customer_segments(customer_id)
        return _json(
            {
                "object": "list",
                "data_ref": "data",
                "data": [segment_ref(s) for s in segments],
                "total": len(segments),
            }
        )
    if kind == "permanent-deletion":
        customer = services.get_customer(customer_id, include_deleted=True)
        _read_body(request)  # no body, `{}`, or anything: nothing in it is used
        receipt = services.permanently_delete_customer(customer)
        return _json(permanent_deletion_to_api(receipt))
    if kind == "consents" and settings.SANDBOX_CONSENTS_GONE:
        raise consents_gone()
    customer = services.get_customer(customer_id)
    if kind == "activities":
        return _json(services.list_activities(customer, request.GET))
    if kind == "activity":
        return _json(services.list_activity(customer, request.GET))
    if kind == "consents":
        services.update_consents(customer, _json_body(request), request_id)
        return _no_content()
    if request.method == "GET":
        return _json(customer_to_api(customer))
    if request.method == "PUT":
        data = _json_body(request)
        if not isinstance(data, dict):
            raise invalid_payload("The payload should be an object")
        customer = services.update_customer(customer, services.clean_base(data), request_id)
        return _json(customer_to_api(customer))
    services.delete_customer(customer, request_id)
    return _no_content()


def _import_csv(request, request_id):
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_PAYLOAD + MULTIPART_SLACK:
        raise PayloadTooLarge()
    try:
        upload = request.FILES.get("file")
    except RequestDataTooBig:
        raise PayloadTooLarge() from None
    except (MultiPartParserError, SuspiciousOperation):  # no boundary, cut short, too many parts
        raise invalid_payload("The multipart body cannot be parsed") from None
    if upload is None:
        raise invalid_payload("Property .file is required: send the CSV as multipart form field")
    if upload.size > MAX_PAYLOAD:
        raise PayloadTooLarge()
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise invalid_payload("The file must be a UTF-8 encoded CSV") from None
    if not next(csv.reader(io.StringIO(text)), None):
        raise invalid_payload("The CSV file must start with a header row")
    action = jobs.enqueue(
        AsyncAction.IMPORT_CSV, {"csv": text, "filename": upload.name or ""}, request_id
    )
    return _json({"async_action_id": action.id}, status=202)


def _bulk_update(request, request_id):
    items = _json_body(request, cap=MAX_PAYLOAD)
    if not isinstance(items, list) or not items:
        raise invalid_payload("The payload should be a non-empty array of customers")
    _bulk_cap(len(items))
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise invalid_payload(f"Property [{index}] should be object")
    action = _enqueue_with_report(request, request_id, AsyncAction.BULK_UPDATE, items)
    return _json({"async_action_id": action.id}, status=202)


def _metadata_update(request, request_id):
    data = _json_body(request, cap=MAX_PAYLOAD)
    if not isinstance(data, dict):
        raise invalid_payload("The payload should be an object")
    source_ids, metadata = data.get("source_ids"), data.get("metadata")
    if not isinstance(source_ids, list) or not source_ids:
        raise invalid_payload("Property .source_ids should be a non-empty array")
    if not all(isinstance(source_id, str) and source_id for source_id in source_ids):
        raise invalid_payload("Property .source_ids should contain strings")
    if not isinstance(metadata, dict):
        raise invalid_payload("Property .metadata should be object")
    _bulk_cap(len(source_ids))
    action = _enqueue_with_report(
        request,
        request_id,
        AsyncAction.METADATA_UPDATE,
        {"source_ids": source_ids, "metadata": metadata},
    )
    return _json({"async_action_id": action.id}, status=202)


# -- /v1/async-actions ------------------------------------------------------------------------


@api
def async_actions(request, request_id):
    _allow(request, "GET")
    limit = services.parse_int(request.GET, "limit", 1, 100, 10)
    query = AsyncAction.objects.using(SANDBOX_DB).order_by("-created_at", "-id")
    if request.GET.get("end_date"):
        end = ids.parse_datetime(request.GET["end_date"])
        if end is None:
            raise invalid_query(
                "Property .end_date cannot be recognized as a ISO-8601 compliant date"
            )
        query = query.filter(created_at__lt=end)
    rows = list(query[: limit + 1])
    return _json(
        {
            "object": "list",
            "data_ref": "async_actions",
            "async_actions": [async_action_to_api(row, with_result=False) for row in rows[:limit]],
            "has_more": len(rows) > limit,
        }
    )


@api
def async_action(request, request_id, action_id):
    _allow(request, "GET")
    action = AsyncAction.objects.using(SANDBOX_DB).filter(id=action_id).first()
    if action is None:
        raise not_found("async_action", action_id)
    if action.status in (AsyncAction.ENQUEUED, AsyncAction.IN_PROGRESS) and not (
        jobs.worker_running()
    ):
        # No worker in this process: work the queue up to this job before answering.
        jobs.run_pending_jobs(until=action)
        action.refresh_from_db(using=SANDBOX_DB)
    return _json(async_action_to_api(action))


@csrf_exempt
@login_not_required
def async_action_report(request, action_id):
    """The per-record report a bulk result links to; 404 without the URL's valid token."""
    try:
        _report_signer().unsign(f"{action_id}:{request.GET.get('token', '')}")
    except signing.BadSignature:
        return error_response(not_found("report", action_id), ids.request_id())
    action = (
        AsyncAction.objects.using(SANDBOX_DB).filter(id=action_id, report__isnull=False).first()
    )
    if action is None or ids.now() > action.updated_at + jobs.REPORTS_KEPT:
        return error_response(not_found("report", action_id), ids.request_id())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["source_id", "found", "updated"])
    for row in action.report:
        writer.writerow([row["source_id"], str(row["found"]).lower(), str(row["updated"]).lower()])
    response = HttpResponse(out.getvalue(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{action_id}.csv"'
    return response


# -- /v1/consents and /v1/segments --------------------------------------------------------------


@api
def consents(request, request_id):
    _allow(request, "GET")
    if settings.SANDBOX_CONSENTS_GONE:
        raise consents_gone()
    groups = list(
        ConsentGroup.objects.using(SANDBOX_DB).prefetch_related("consents").order_by("name")
    )
    items = list(Consent.objects.using(SANDBOX_DB).order_by("name"))
    return _json(
        {
            "groups": {
                "object": "list",
                "data_ref": "data",
                "data": [consent_group_to_api(group) for group in groups],
                "total": len(groups),
            },
            "consents": {
                "object": "list",
                "data_ref": "data",
                "data": [consent_to_api(consent) for consent in items],
                "total": len(items),
            },
        }
    )


@api
def segment(request, request_id, segment_id):
    _allow(request, "GET")
    found = Segment.objects.using(SANDBOX_DB).filter(id=segment_id).first()
    if found is None:
        raise not_found("segment", segment_id)
    return _json(segment_to_api(found))


@csrf_exempt
@login_not_required
def unknown_route(request, path=""):
    error = ApiError(
        404, "not_found", "Resource not found", f"Cannot {request.method} /{path}: no such route"
    )
    return error_response(error, ids.request_id())
