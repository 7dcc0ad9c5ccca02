"""Deletion certificates: what was erased or deleted, when, by whom, and the proof that the
customer is gone, without any personal data, signed with the dashboard's certificate key.

The signature is an HMAC-SHA256 (key `DSR_CERTIFICATE_KEY`) of every field on its own plus one
of the whole document, so that a check names each field that was changed, added or removed
(`python manage.py verify_certificate FILE`).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from customers.models.privacy import DataSubjectRequest, hashed

ALGORITHM = "HMAC-SHA256"
FORMAT = "voucherify-dashboard/deletion-certificate/1"


def _key() -> bytes:
    return settings.DSR_CERTIFICATE_KEY.encode()


def key_id(key: bytes | None = None) -> str:
    """A public fingerprint of the key: tells which key signed, reveals nothing of it."""
    return hashlib.sha256(b"key-id:" + (key or _key())).hexdigest()[:16]


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _mac(key: bytes, path: str, value: Any) -> str:
    return hmac.new(key, path.encode() + b"=" + _canonical(value), hashlib.sha256).hexdigest()


def _fields(body: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every leaf of the document as `(dotted.path, value)`; lists and empty maps are leaves."""
    if isinstance(body, dict) and body:
        for name, value in body.items():
            yield from _fields(value, f"{prefix}.{name}" if prefix else str(name))
    else:
        yield prefix, body


def certificate_sign(body: dict[str, Any]) -> dict[str, Any]:
    key = _key()
    return {
        "certificate": body,
        "signature": {
            "algorithm": ALGORITHM,
            "key_id": key_id(key),
            "fields": {path: _mac(key, path, value) for path, value in _fields(body)},
            "document": _mac(key, "", body),
        },
    }


@dataclass(frozen=True)
class CertificateCheck:
    """`tampered` names each field whose value was changed, added or removed."""

    valid: bool
    tampered: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    request: str | None = None


def certificate_verify(document: Any) -> CertificateCheck:
    """Check a certificate against this dashboard's key, field by field."""
    body = document.get("certificate") if isinstance(document, dict) else None
    signature = document.get("signature") if isinstance(document, dict) else None
    if not isinstance(body, dict) or not isinstance(signature, dict):
        return CertificateCheck(False, problems=("This is not a deletion certificate.",))
    about = body.get("request")
    request = about.get("id") if isinstance(about, dict) else None
    key = _key()
    if signature.get("algorithm") != ALGORITHM:
        return CertificateCheck(False, problems=("Unknown signature algorithm.",), request=request)
    if signature.get("key_id") != key_id(key):
        return CertificateCheck(
            False,
            problems=(
                f"Signed with another key (key id {signature.get('key_id')!s}; this dashboard's "
                f"is {key_id(key)}): it cannot be checked here.",
            ),
            request=request,
        )
    signed = signature.get("fields") if isinstance(signature.get("fields"), dict) else {}
    leaves = dict(_fields(body))
    tampered = []
    for path in sorted(leaves.keys() | signed.keys()):
        if path not in signed:
            tampered.append(f"{path} (added)")
        elif path not in leaves:
            tampered.append(f"{path} (removed)")
        elif not hmac.compare_digest(str(signed[path]), _mac(key, path, leaves[path])):
            tampered.append(path)
    problems = ()
    document_ok = hmac.compare_digest(str(signature.get("document")), _mac(key, "", body))
    if not document_ok and not tampered:
        problems = ("The signature of the whole document does not match.",)
    return CertificateCheck(document_ok and not tampered, tuple(tampered), problems, request)


def _iso(value: datetime.date | datetime.datetime | None) -> str | None:
    return value.isoformat() if value else None


def certificate_body(request: DataSubjectRequest, *, done_at: datetime.datetime) -> dict:
    """The certificate's content: identifiers only as keyed hashes, staff by username."""
    identifiers = {
        name: hashed(getattr(request, name)) or None
        for name in ("customer_id", "source_id", "email", "phone")
    }
    return {
        "format": FORMAT,
        "request": {
            "id": request.label,
            "kind": request.kind,
            "ticket": request.ticket,
            "received_on": _iso(request.received_on),
            "due_on": _iso(request.due_on),
        },
        "voucherify": {
            "deletion_id": request.deletion_id or None,
            "status": request.receipt_status or None,
            "counts": dict(request.receipt_counts or {}),
            "receipt_created_at": _iso(request.receipt_created_at),
            "applied_how": request.applied_how,
            "attempts": request.attempts,
        },
        "timeline": {
            "received": _iso(request.received_on),
            "opened": _iso(request.created_at),
            "identity_verified": _iso(request.identity_verified_at),
            "approved": _iso(request.approved_at),
            "executing": _iso(request.execution_started_at),
            "verified": _iso(request.verified_at),
            "done": _iso(done_at),
        },
        "people": {
            "requested_by": request.requested_by_name,
            "identity_verified_by": request.identity_verified_by_name,
            "identity_method": request.identity_method,
            "approved_by": request.approved_by_name,
            "executed_by": request.executed_by_name,
        },
        "verification": dict(request.verification or {}),
        "erased_identifiers": {
            "hash": "HMAC-SHA256 keyed with the dashboard's secret key",
            **identifiers,
        },
        "dashboard_records": dict(request.scrub_counts or {}),
        "issued_at": _iso(done_at),
    }


def certificate_issue(request: DataSubjectRequest, *, done_at: datetime.datetime) -> dict:
    return certificate_sign(certificate_body(request, done_at=done_at))
