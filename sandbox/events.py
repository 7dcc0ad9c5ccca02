"""Customer event types (the `type` filter of GET /v1/customers/{id}/activity)."""

from __future__ import annotations

from customers.voucherify.enums import CUSTOMER_EVENT_TYPES as CONTRACT_EVENT_TYPES

# The contract's enum, plus the legacy consents events the sandbox records.
CUSTOMER_EVENT_TYPES = frozenset(CONTRACT_EVENT_TYPES) | {
    "customer.consents.given",
    "customer.consents.revoked",
}
