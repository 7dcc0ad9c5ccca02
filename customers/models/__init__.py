"""The dashboard's own records about customers, one module per page family (consents,
data-subject requests, import jobs). Every model that holds customer data registers an
erasure scrubber (`dashboard.erasure`) in its module."""

from customers.models.campaigns import SeenCampaign  # noqa: F401
from customers.models.consents import ConsentLedgerEntry  # noqa: F401
from customers.models.imports import Chunk, FailedRow, Job, RateBudget  # noqa: F401
from customers.models.privacy import DataSubjectRequest, SuppressedIdentifier  # noqa: F401
from customers.models.segments import SeenSegment  # noqa: F401
