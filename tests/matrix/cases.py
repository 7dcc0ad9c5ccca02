"""The dashboard's URLs, one table: how to request each URL name (role, method, URL, data,
fragment or not) and whether the request path calls Voucherify. The fault and security
matrices are generated from it; `test_every_dashboard_url_has_a_case` fails for a URL
without one.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from selectolax.lexbor import LexborHTMLParser as HTMLParser

# Not the dashboard's own pages: Django's admin, the sandbox's API, sign-in and out.
EXCLUDED_NAMESPACES = frozenset({"admin", "sandbox"})
EXCLUDED_NAMES = frozenset({"login", "logout"})

TYPED_NAME = "Typed Ñame 42"  # what a user typed, which a failure must keep on screen


def url_names(patterns=None, namespace: str = "") -> set[str]:
    """Every resolvable URL name under the root URLconf, namespaced, minus the excluded."""
    names: set[str] = set()
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in EXCLUDED_NAMESPACES:
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            name = f"{namespace}{pattern.name}"
            if name not in EXCLUDED_NAMES and not namespace.startswith("sandbox"):
                names.add(name)
    return names


@dataclass
class World:
    """What the cases point at: a customer in the sandbox, a draft import, a deletion request."""

    customer_id: str
    customer: object
    job_id: int
    request_id: int
    approved_id: int  # an approved erasure: its page reads what an execution would take


@dataclass(frozen=True)
class Case:
    """One request to one URL name. `api`: the request path calls Voucherify (False: it only
    reads the dashboard's own records or starts a job, and must not care about faults).
    `data(world, client)`: the POST data, from the rendered form. `write_method`: the API
    method of the write, the only call that fails in the write cases."""

    name: str
    role: str
    url: Callable[[World], str]
    method: str = "GET"
    htmx: bool = False
    api: bool = True
    data: Callable | None = None
    write_method: str | None = None
    ok: tuple[int, ...] = (200,)
    kept: tuple[str, ...] = field(default_factory=tuple)
    degraded: bool = False  # the page's own records still show (200); a section has the problem

    @property
    def id(self) -> str:
        return f"{self.name}-{self.method}{'-htmx' if self.htmx else ''}"

    @property
    def is_write(self) -> bool:
        return self.method == "POST"


def form_fields(page: str, selector: str = "main form[method=post]") -> dict:
    tree = HTMLParser(page)
    form = tree.css_first(selector) or tree.css_first("form[method=post]")
    assert form is not None, "no form to fill"
    data: dict = {}
    for node in form.css("input[name], select[name], textarea[name]"):
        name = node.attributes["name"]
        kind = node.attributes.get("type", "")
        if kind in ("submit", "button", "file") or (
            kind in ("radio", "checkbox") and "checked" not in node.attributes
        ):
            continue
        if node.tag == "select":
            chosen = node.css_first("option[selected]") or node.css_first("option")
            value = chosen.attributes.get("value", "") if chosen else ""
        elif node.tag == "textarea":
            value = node.text()
        else:
            value = node.attributes.get("value") or ""
        data.setdefault(name, []).append(value)
    return {k: v[0] if len(v) == 1 else v for k, v in data.items()}


def _create_data(world, client):
    data = form_fields(client.get(reverse("customers:create")).content.decode())
    return {**data, "source_id": "matrix-new-1", "name": TYPED_NAME, "email": "typed@example.com"}


def _update_data(world, client):
    page = client.get(reverse("customers:update", args=[world.customer_id])).content.decode()
    return {**form_fields(page), "name": TYPED_NAME}


def _consents_data(world, client):
    from sandbox.models import Consent

    page = client.get(reverse("customers:consents", args=[world.customer_id])).content.decode()
    consent = Consent.objects.using("sandbox").get(name="Newsletter")
    data = form_fields(page, "#consent-change form")
    return {
        **data,
        f"consent_{consent.id}": "grant",
        "method": "phone",
        "reason": TYPED_NAME,
        "action": "change",
    }


def _open_request_data(world, client):
    page = client.get(reverse("privacy:open")).content.decode()
    return {
        **form_fields(page),
        "customer": "matrix-other",
        "kind": "access",
        "ticket": "HD-" + TYPED_NAME,
        "received_on": datetime.date.today().isoformat(),
    }


def _bulk_data(world, client):
    page = client.get(f"{reverse('jobs:bulk_metadata')}?selected=s:matrix-1")
    return {**form_fields(page.content.decode()), "set_values": "tier=gold"}


def _upload_data(world, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv = b"source_id,name,email\nup-1,Up One,up1@example.com\n"
    return {"file": SimpleUploadedFile("matrix.csv", csv, content_type="text/csv")}


def _privacy_step(step: str, **fields):
    def data(world, client):
        page = client.get(reverse("privacy:detail", args=[world.request_id])).content.decode()
        action = reverse(f"privacy:{step}", args=[world.request_id])
        tree = HTMLParser(page)
        form = tree.css_first(f'form[action="{action}"]')
        token = form.css_first('input[name="form_token"]') if form else None
        return {"form_token": token.attributes["value"] if token else "", **fields}

    return data


def _c(world):
    return world.customer_id


def per_customer(name):
    return lambda world: reverse(name, args=[world.customer_id])


def per_job(name):
    return lambda world: reverse(name, args=[world.job_id])


def per_request(name):
    return lambda world: reverse(name, args=[world.request_id])


def fixed(name, query=""):
    return lambda world: reverse(name) + query


def page(name: str, role: str, url=None, **options) -> list[Case]:
    """A GET of URL name `name` (its URL takes no argument unless `url` says otherwise)."""
    return [Case(name, role, url or fixed(name), **options)]


def page_and_fragment(name: str, role: str, url=None, **options) -> list[Case]:
    """A page that is also an HTMX fragment: asked both ways."""
    url = url or fixed(name)
    return [Case(name, role, url, **options), Case(name, role, url, htmx=True, **options)]


def post(name: str, role: str, url, data, **options) -> list[Case]:
    return [Case(name, role, url, method="POST", data=data, **options)]


def write(name: str, role: str, url, data, write_method: str, **options) -> list[Case]:
    """A form that writes to Voucherify (`write_method`) and redirects; a failure keeps what
    the user typed."""
    options = {"ok": (302,), "kept": (TYPED_NAME,), **options}
    return post(name, role, url, data, write_method=write_method, **options)


def _import_preview_form(action: str, **fields):
    def data(world, client):
        preview = client.get(reverse("jobs:import_preview", args=[world.job_id]))
        return {**form_fields(preview.content.decode(), f"form[action$='/{action}/']"), **fields}

    return data


SELECTED = "?selected=s:matrix-1"  # bulk metadata for one selected customer

# The steps of a data-subject request, posted to the world's open erasure request (most of
# them are refused there, hence their 400 and 403): (step, the form's fields, statuses).
PRIVACY_STEPS = [
    ("verify_identity", {"method": "id_document", "note": "seen"}, (302,)),
    ("approve", {}, (302, 400, 403)),
    ("refuse", {"ground": "manifestly_unfounded", "explanation": "x"}, (302, 400)),
    ("cancel", {"note": "withdrawn by the customer"}, (302,)),
    ("extend", {"months": "1", "reason": "complex"}, (302, 400)),
    ("execute", {"confirm": "x"}, (302, 400, 403)),
    ("resolve", {"applied": "yes"}, (302, 400, 403)),
]
# What a done request hands out (404 while it is not done).
PRIVACY_RECORDS = ["certificate", "certificate_json", "export", "export_json"]

TABLE: list[Case] = [
    *page("home", "support", api=False, ok=(302,)),
    *page("healthz", "support"),
    *page("audit_log", "admin", api=False),
    *page_and_fragment("customers:list", "support"),
    *page(
        "customers:list",
        "support",
        fixed("customers:list", "?q=matrix-search"),
        ok=(200, 302),
        kept=("matrix-search",),
    ),
    *page("customers:export", "support"),
    *page("customers:create", "support", api=False),
    *write("customers:create", "support", fixed("customers:create"), _create_data, "POST"),
    *page("customers:metadata_row", "support", htmx=True, api=False),
    *page("customers:detail", "support", per_customer("customers:detail")),
    *page_and_fragment("customers:activities", "support", per_customer("customers:activities")),
    *page_and_fragment("customers:segments", "support", per_customer("customers:segments")),
    *page("customers:update", "support", per_customer("customers:update")),
    *write("customers:update", "support", per_customer("customers:update"), _update_data, "PUT"),
    *page_and_fragment("customers:consents", "marketing", per_customer("customers:consents")),
    *write(
        "customers:consents",
        "marketing",
        per_customer("customers:consents"),
        _consents_data,
        "PUT",
        htmx=True,
    ),
    *page("customers:consents_csv", "marketing", per_customer("customers:consents_csv")),
    *page("customers:consents_json", "marketing", per_customer("customers:consents_json")),
    *page("jobs:import_new", "marketing", api=False),
    *post(
        "jobs:import_new", "marketing", fixed("jobs:import_new"), _upload_data, api=False, ok=(302,)
    ),
    *page("jobs:import_template", "marketing", api=False),
    *page("jobs:import_preview", "marketing", per_job("jobs:import_preview"), api=False),
    *post(
        "jobs:import_convert",
        "marketing",
        per_job("jobs:import_convert"),
        lambda world, client: {},
        api=False,
        ok=(302,),
    ),
    *post(
        "jobs:import_mapping",
        "marketing",
        per_job("jobs:import_mapping"),
        _import_preview_form("mapping"),
        htmx=True,
        api=False,
    ),
    *page("jobs:import_lookup", "marketing", per_job("jobs:import_lookup"), htmx=True),
    *post(
        "jobs:import_start",
        "marketing",
        per_job("jobs:import_start"),
        _import_preview_form("start", kind="merge"),
        api=False,
        ok=(302,),
    ),
    *page_and_fragment("jobs:list", "marketing", degraded=True),
    *page("jobs:bulk_metadata", "marketing", fixed("jobs:bulk_metadata", "?all=1")),
    *page("jobs:bulk_metadata", "marketing", fixed("jobs:bulk_metadata", SELECTED), api=False),
    *post(
        "jobs:bulk_metadata",
        "marketing",
        fixed("jobs:bulk_metadata", SELECTED),
        _bulk_data,
        api=False,
        ok=(302,),
    ),
    *page("jobs:detail", "marketing", per_job("jobs:detail"), api=False, ok=(302,)),
    *page("jobs:failed_rows", "marketing", per_job("jobs:failed_rows"), api=False),
    *page_and_fragment("privacy:list", "compliance", api=False),
    *page("privacy:open", "compliance", api=False),
    *post(
        "privacy:open",
        "compliance",
        fixed("privacy:open"),
        _open_request_data,
        ok=(302,),
        kept=("HD-" + TYPED_NAME,),
    ),
    *page("privacy:detail", "compliance", per_request("privacy:detail"), api=False),
    *page(
        "privacy:detail",
        "compliance",
        lambda world: reverse("privacy:detail", args=[world.approved_id]),
        degraded=True,
    ),
    *(
        case
        for step, fields, ok in PRIVACY_STEPS
        for case in post(
            f"privacy:{step}",
            "compliance",
            per_request(f"privacy:{step}"),
            _privacy_step(step, **fields),
            api=False,
            ok=ok,
        )
    ),
    *(
        case
        for record in PRIVACY_RECORDS
        for case in page(
            f"privacy:{record}",
            "compliance",
            per_request(f"privacy:{record}"),
            api=False,
            ok=(200, 404),
        )
    ),
]

CASES: dict[str, list[Case]] = {}
for _case in TABLE:
    CASES.setdefault(_case.name, []).append(_case)
ALL_CASES = [case for cases in CASES.values() for case in cases]
