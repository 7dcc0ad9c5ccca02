"""Contract fuzzing: schemathesis sends generated requests, valid and invalid, for every operation
of the contract to the sandbox over real HTTP (the live server's /sandbox) and checks each answer.

What every answer must be, whatever was sent:
- no 5xx (`not_a_server_error`);
- JSON: `application/json` and a body that parses, in the API's error shapes for the statuses
  the contract leaves out (`answer_is_api_json`); a 204 has no body and no content type;
  this covers ids and paths that no route matches (a newline in an id);
- a 405 lists its methods in `Allow` (`unsupported_method`, `allow_header_conformance`);
- a request without the app's keys, or with wrong ones, is refused (`ignored_auth`).
Where the contract documents the status: the content type, the headers and the body's schema
(`response_schema_conformance`), for every operation, against the contract with the errata of
`tests.contract._apply_errata` (overlapping `oneOf`s read as `anyOf`, nulls the API sends where
the schema says string).

Left out, and why (also in README, "Tests, checks and benchmarks"):
- `status_code_conformance`: the contract documents almost no 4xx (no 400 for create or
  update, no 401 anywhere) while the API answers them (API_NOTES §2, quirk 23); every 4xx is
  instead checked to be the API's error body.
- `negative_data_rejection`: the contract does not say what the API does with an empty query
  value, an unknown query parameter or an omitted body; the sandbox ignores the first two and
  takes no body for `{}`, as the dashboard and the SDKs rely on.
- `positive_data_acceptance`: valid requests the API refuses all the same: an unknown id (404),
  an unknown consent id (400, documented), more than 100 bulk records (400 `too_many_customers`,
  API_NOTES quirk 10), a CSV without a header row.
- the stateful checks (`use_after_free`, `ensure_resource_availability`, ...): the contract
  declares no links between operations.
- `allow_header_conformance` on POST /v1/customers/importCSV: that path is also
  /v1/customers/{customerId} for the customer whose id is "importCSV", so its 405 rightly
  allows GET, PUT and DELETE beside POST, which the check counts as undocumented.

The run is bounded (`MAX_EXAMPLES` per operation, plus the contract's examples and
schemathesis' coverage cases) and deterministic: derandomized, with a fixed seed and no
example database, so a failure reproduces on every run.
"""

from __future__ import annotations

import functools
import json

import hypothesis
import hypothesis.strategies as st
import pytest
import requests
import schemathesis
from django.test.testcases import LiveServerThread, _StaticFilesHandler
from openapi_schema_validator import OAS30Validator
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    response_headers_conformance,
    response_schema_conformance,
    unsupported_method,
)

from sandbox import seed, services
from sandbox.models import Consent, Customer, Segment
from sandbox.routers import SANDBOX_DB
from tests.contract import contract_document, corrected_contract
from tests.sandbox.conftest import auth_headers

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])

MAX_EXAMPLES = 25  # per operation, beside the contract's examples and the coverage cases
SEED = 20261201
# Customers whose source_ids a client must quote: the fuzzer picks them beside random ids.
ODD_SOURCE_IDS = ("a/b", "ann@example.com", "crm\n42", "50% off?", "..", "cust_lookalike")

# Hypothesis loads its "ci" profile by itself when CI is set, and schemathesis builds on the
# profile in force: the default one here, so that CI and a developer generate the same cases.
hypothesis.settings.load_profile("default")
schema = schemathesis.openapi.from_dict(corrected_contract())
schema.config.seed = SEED
schema.config.generation.update(
    max_examples=MAX_EXAMPLES,
    deterministic=True,
    database="none",
    # The app's keys are sent with every call (and taken away by `ignored_auth`).
    with_security_parameters=False,
)

# Ids of the records seeded for the current test, by path parameter name.
_known: dict[str, list[str]] = {}


@schema.hook
def before_generate_path_parameters(context, strategy):
    """Half the time an id that exists (or a source_id), so that the 200 answers get checked
    too, not only 404s for random ids."""
    names = [parameter.name for parameter in context.operation.path_parameters]
    if not names:
        return strategy
    known = st.fixed_dictionaries(
        {name: st.integers(0, 63).map(functools.partial(_known_id, name)) for name in names}
    )
    return st.one_of(strategy, known)


def _known_id(name: str, index: int) -> str:
    """Read when drawn, not when the strategy is built: the ids exist once `seeded` ran (the
    contract's examples are drawn at collection, before any fixture: they get a made-up id)."""
    ids = _known.get(name) or ["not-seeded-yet"]
    return ids[index % len(ids)]


@pytest.fixture
def seeded():
    """A small seeded sandbox (segments, consents, customers with activities), the odd source
    ids, and an async action; same seed, same ids."""
    seed.seed(12, 7, log=lambda _line: None)
    for source_id in ODD_SOURCE_IDS:
        services.create_customer({"source_id": source_id, "name": "Odd"}, "v-000000000000000000")
    customers = Customer.objects.using(SANDBOX_DB).order_by("source_id")
    # The seeded customers' ids are the same on every run, the odd ones' are not: only their
    # source_ids are used.
    seeded_ids = customers.filter(source_id__startswith="crm-").values_list("id", flat=True)
    _known["customerId"] = [*seeded_ids[:4], *customers.values_list("source_id", flat=True)]
    _known["segmentId"] = sorted(Segment.objects.using(SANDBOX_DB).values_list("id", flat=True))
    _known["consentId"] = sorted(Consent.objects.using(SANDBOX_DB).values_list("id", flat=True))
    yield
    _known.clear()


@pytest.fixture(scope="module")
def sandbox_server(django_db_setup):
    """A live server whose request threads open their own connections to the test databases
    (files). pytest-django's `live_server` hands every thread the test's connection objects,
    and the fuzzer's concurrent connections (its auth probes) would then use and close one
    SQLite connection from two threads at once."""
    thread = LiveServerThread("127.0.0.1", _StaticFilesHandler, connections_override={})
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield f"http://127.0.0.1:{thread.port}"
    thread.terminate()


@pytest.fixture
def api(sandbox_server, seeded):
    session = requests.Session()
    base_url = sandbox_server + "/sandbox"
    action = session.post(
        base_url + "/v1/customers/bulk/async",
        json=[{"source_id": "crm-0000001", "name": "Bulk"}],
        headers=auth_headers(),
        timeout=10,
    ).json()
    _known["asyncActionId"] = [action["async_action_id"]]
    yield session, base_url
    session.close()


@functools.cache
def _error_validator() -> OAS30Validator:
    return OAS30Validator(contract_document()["components"]["schemas"]["Error"])


def _media_type(response) -> str:
    values = response.headers.get("content-type") or [""]
    return values[0].split(";")[0].strip().lower()


def answer_is_api_json(ctx, response, case) -> bool:
    """Every answer is JSON in the API's shapes; a 204 is empty."""
    status = response.status_code
    if status == 204:
        assert not response.content, "a 204 has a body"
        assert "content-type" not in response.headers, "a 204 names a content type"
        return True
    assert _media_type(response) == "application/json", (
        f"{status} answered {_media_type(response) or 'no content type'}, not application/json"
    )
    body = json.loads(response.content)
    if status == 413:  # Boom's shape (API_NOTES §2)
        assert set(body) == {"statusCode", "error", "message"}, body
    elif status == 429:
        assert body == {"code": 429, "message": "Too many requests hit the API too quickly."}
    elif status >= 400:
        _error_validator().validate(body)
        assert body["code"] == status, body
        assert body["request_id"].startswith("v-"), body
    return True


CHECKS = [
    not_a_server_error,
    answer_is_api_json,
    content_type_conformance,
    response_headers_conformance,
    missing_required_header,
    unsupported_method,
    allow_header_conformance,
    ignored_auth,
    response_schema_conformance,
]


@schema.parametrize()
# The seeded records are meant to outlive each example: a deleted customer stays deleted.
@hypothesis.settings(suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture])
def test_sandbox_answers_every_generated_request_as_the_contract_says(case, api):
    session, base_url = api
    checks = CHECKS
    if case.operation.label == "POST /v1/customers/importCSV":
        checks = [check for check in CHECKS if check is not allow_header_conformance]
    case.call_and_validate(
        base_url=base_url, session=session, headers=auth_headers(), checks=checks, timeout=10
    )
