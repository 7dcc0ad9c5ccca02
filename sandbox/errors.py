"""Error bodies in the API's shapes (API_NOTES §2)."""

from __future__ import annotations

from django.http import JsonResponse

MAX_PAYLOAD = 10 * 1024 * 1024  # 10 MB, the bulk endpoints' and the CSV import's cap
MAX_BODY = 1024 * 1024  # 1 MB for every other body: one customer, a consents map


class ApiError(Exception):
    """Raised anywhere in a request; the view turns it into the standard error body."""

    def __init__(
        self,
        code: int,
        key: str | None,
        message: str,
        details: str | None = None,
        *,
        resource_id: str | None = None,
        resource_type: str | None = None,
        field: str | None = None,
    ):
        super().__init__(details or message)
        # The request body's field that broke a rule, for reports that name it (CSV import).
        self.field = field
        self.code = code
        self.key = key
        self.message = message
        self.details = details
        self.resource_id = resource_id
        self.resource_type = resource_type

    def body(self, request_id: str) -> dict:
        body: dict = {"code": self.code}
        if self.key:
            body["key"] = self.key
        body["message"] = self.message
        if self.details:
            body["details"] = self.details
        body["request_id"] = request_id
        if self.resource_id is not None:
            body["resource_id"] = self.resource_id
        if self.resource_type is not None:
            body["resource_type"] = self.resource_type
        return body


class PayloadTooLarge(ApiError):
    """413 in the Boom shape: {statusCode, error, message}, no key, no request_id."""

    def __init__(self, limit: int = MAX_PAYLOAD):
        super().__init__(413, None, "Request Entity Too Large")
        self.limit = limit

    def body(self, request_id: str) -> dict:
        return {
            "statusCode": 413,
            "error": "Request Entity Too Large",
            "message": f"Payload content length greater than maximum allowed: {self.limit}",
        }


class TooManyRequests(ApiError):
    """429 without a key."""

    def __init__(self, retry_after: int):
        super().__init__(429, None, "Too many requests hit the API too quickly.")
        self.retry_after = retry_after

    def body(self, request_id: str) -> dict:
        return {"code": 429, "message": self.message}


def consents_gone() -> ApiError:
    """410 for the consents endpoints, dropped from the spec (API_NOTES 5.12): what a
    project without the feature may answer (SANDBOX_CONSENTS_GONE)."""
    return ApiError(
        410,
        "gone",
        "Gone",
        "Consents are no longer available: the feature was removed from Voucherify",
    )


def not_found(resource_type: str, resource_id: str) -> ApiError:
    return ApiError(
        404,
        "not_found",
        "Resource not found",
        f"Cannot find {resource_type} with id {resource_id}",
        resource_id=resource_id,
        resource_type=resource_type,
    )


def invalid_payload(details: str, *, field: str | None = None) -> ApiError:
    return ApiError(400, "invalid_payload", "Invalid payload", details, field=field)


def invalid_query(details: str) -> ApiError:
    return ApiError(400, "invalid_query_params", "Invalid query params", details)


def unauthorized() -> ApiError:
    return ApiError(
        401,
        "unauthorized",
        "Unauthorized",
        "Authentication failed: the X-App-Id and X-App-Token headers must match the application.",
    )


class MethodNotAllowed(ApiError):
    """405 without a key; the answer names the allowed methods in `Allow` too (RFC 9110)."""

    def __init__(self, method: str, allowed: list[str]):
        suggestion = " or ".join(
            [", ".join(allowed[:-1]), allowed[-1]] if len(allowed) > 1 else allowed
        )
        super().__init__(
            405,
            None,
            "HTTP Method Not Allowed",
            f"{method} is not supported by this endpoint. Did you mean {suggestion}?",
        )
        self.allowed = allowed


def method_not_allowed(method: str, allowed: list[str]) -> ApiError:
    return MethodNotAllowed(method, allowed)


def internal_error() -> ApiError:
    return ApiError(500, "internal_error", "Internal server error")


def error_response(error: ApiError, request_id: str) -> JsonResponse:
    response = JsonResponse(error.body(request_id), status=error.code)
    if isinstance(error, TooManyRequests):
        response["Retry-After"] = str(error.retry_after)
        response["X-Rate-Limit-Type"] = "api_calls"
    elif isinstance(error, MethodNotAllowed):
        response["Allow"] = ", ".join(error.allowed)
    return response
