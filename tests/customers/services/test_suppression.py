"""The suppression list: keyed hashes only, matched by kind, normalised emails and phones."""

from __future__ import annotations

import pytest

from customers.models.privacy import SuppressedIdentifier
from customers.services.suppression import (
    Suppressed,
    suppressed_identifiers,
    suppression_add,
    suppression_check,
)
from dashboard.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def listed(db):
    suppression_add(
        request=None, source_id="crm-7", email="Ann.Lee@Example.test", phone="+47 900 00 007"
    )


def test_suppressed_identifiers_names_the_kinds_that_match_in_order(listed):
    assert suppressed_identifiers(source_id="crm-7") == ["source_id"]
    assert suppressed_identifiers(email=" ann.lee@example.TEST ") == ["email"]
    assert suppressed_identifiers(phone="+4790000007") == ["phone"]
    assert suppressed_identifiers(phone="+47 (900) 00-007") == ["phone"]
    assert suppressed_identifiers(
        source_id="crm-7", email="ann.lee@example.test", phone="+47 900 00 007"
    ) == ["source_id", "email", "phone"]
    assert suppressed_identifiers(email="other@example.test", phone="+47 900 00 008") == []
    assert suppressed_identifiers() == []


def test_suppressed_identifiers_source_id_is_exact_and_kinds_do_not_mix(listed):
    assert suppressed_identifiers(source_id="CRM-7") == []
    assert suppressed_identifiers(source_id="ann.lee@example.test") == []


def test_suppression_add_keeps_hashes_only_and_is_idempotent(listed):
    suppression_add(request=None, source_id="crm-7", email=None, phone=None)

    rows = list(SuppressedIdentifier.objects.values_list("kind", "value_hash"))
    assert len(rows) == 3
    assert all(value.startswith("hmac:") for _, value in rows)
    assert "crm-7" not in str(rows) and "ann" not in str(rows).lower()


def test_suppression_check_blocks_and_says_why(listed, user_for):
    blocked = suppression_check(
        source_id="crm-new",
        email="ann.lee@example.test",
        phone=None,
        override=False,
        user=user_for("support"),
    )

    assert blocked == Suppressed(("email",), can_override=False)
    assert "This email belonged to a customer who was erased" in blocked.message


def test_suppression_check_admin_override_passes_and_is_audited(listed, user_for):
    admin = user_for("admin")

    offered = suppression_check(
        source_id="crm-7", email=None, phone=None, override=False, user=admin
    )
    passed = suppression_check(source_id="crm-7", email=None, phone=None, override=True, user=admin)

    assert offered.can_override
    assert passed is None
    entry = AuditEntry.objects.get(operation="suppression_override")
    assert entry.username == admin.username
    assert set(entry.changes) == {"source_id"}


@pytest.mark.parametrize("role", ["support", "compliance", "marketing"])
def test_suppression_check_override_by_non_admin_is_ignored(listed, user_for, role):
    blocked = suppression_check(
        source_id="crm-7", email=None, phone=None, override=True, user=user_for(role)
    )

    assert blocked is not None
    assert not AuditEntry.objects.exists()


def test_suppression_check_free_values_pass(listed, user_for):
    assert (
        suppression_check(
            source_id="crm-8",
            email="b@example.test",
            phone="",
            override=False,
            user=user_for("support"),
        )
        is None
    )
