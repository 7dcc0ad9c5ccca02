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


CASES: dict[str, list[Case]] = {
    "home": [Case("home", "support", fixed("home"), api=False, ok=(302,))],
    "healthz": [Case("healthz", "support", fixed("healthz"))],
    "audit_log": [Case("audit_log", "admin", fixed("audit_log"), api=False)],
    "customers:list": [
        Case("customers:list", "support", fixed("customers:list")),
        Case("customers:list", "support", fixed("customers:list"), htmx=True),
        Case(
            "customers:list",
            "support",
            fixed("customers:list", "?q=matrix-search"),
            ok=(200, 302),
            kept=("matrix-search",),
        ),
    ],
    "customers:export": [Case("customers:export", "support", fixed("customers:export"))],
    "customers:create": [
        Case("customers:create", "support", fixed("customers:create"), api=False),
        Case(
            "customers:create",
            "support",
            fixed("customers:create"),
            method="POST",
            data=_create_data,
            write_method="POST",
            ok=(302,),
            kept=(TYPED_NAME,),
        ),
    ],
    "customers:metadata_row": [
        Case(
            "customers:metadata_row",
            "support",
            fixed("customers:metadata_row"),
            htmx=True,
            api=False,
        )
    ],
    "customers:detail": [Case("customers:detail", "support", per_customer("customers:detail"))],
    "customers:activities": [
        Case("customers:activities", "support", per_customer("customers:activities")),
        Case("customers:activities", "support", per_customer("customers:activities"), htmx=True),
    ],
    "customers:segments": [
        Case("customers:segments", "support", per_customer("customers:segments")),
        Case("customers:segments", "support", per_customer("customers:segments"), htmx=True),
    ],
    "customers:update": [
        Case("customers:update", "support", per_customer("customers:update")),
        Case(
            "customers:update",
            "support",
            per_customer("customers:update"),
            method="POST",
            data=_update_data,
            write_method="PUT",
            ok=(302,),
            kept=(TYPED_NAME,),
        ),
    ],
    "customers:consents": [
        Case("customers:consents", "marketing", per_customer("customers:consents")),
        Case("customers:consents", "marketing", per_customer("customers:consents"), htmx=True),
        Case(
            "customers:consents",
            "marketing",
            per_customer("customers:consents"),
            method="POST",
            htmx=True,
            data=_consents_data,
            write_method="PUT",
            ok=(302,),
            kept=(TYPED_NAME,),
        ),
    ],
    "customers:consents_csv": [
        Case("customers:consents_csv", "marketing", per_customer("customers:consents_csv"))
    ],
    "customers:consents_json": [
        Case("customers:consents_json", "marketing", per_customer("customers:consents_json"))
    ],
    "jobs:import_new": [
        Case("jobs:import_new", "marketing", fixed("jobs:import_new"), api=False),
        Case(
            "jobs:import_new",
            "marketing",
            fixed("jobs:import_new"),
            method="POST",
            data=_upload_data,
            api=False,
            ok=(302,),
        ),
    ],
    "jobs:import_template": [
        Case("jobs:import_template", "marketing", fixed("jobs:import_template"), api=False)
    ],
    "jobs:import_preview": [
        Case("jobs:import_preview", "marketing", per_job("jobs:import_preview"), api=False)
    ],
    "jobs:import_convert": [
        Case(
            "jobs:import_convert",
            "marketing",
            per_job("jobs:import_convert"),
            method="POST",
            data=lambda world, client: {},
            api=False,
            ok=(302,),
        )
    ],
    "jobs:import_mapping": [
        Case(
            "jobs:import_mapping",
            "marketing",
            per_job("jobs:import_mapping"),
            method="POST",
            htmx=True,
            data=lambda world, client: form_fields(
                client.get(reverse("jobs:import_preview", args=[world.job_id])).content.decode(),
                "form[action$='/mapping/']",
            ),
            api=False,
        )
    ],
    "jobs:import_lookup": [
        Case("jobs:import_lookup", "marketing", per_job("jobs:import_lookup"), htmx=True)
    ],
    "jobs:import_start": [
        Case(
            "jobs:import_start",
            "marketing",
            per_job("jobs:import_start"),
            method="POST",
            data=lambda world, client: {
                **form_fields(
                    client.get(
                        reverse("jobs:import_preview", args=[world.job_id])
                    ).content.decode(),
                    "form[action$='/start/']",
                ),
                "kind": "merge",
            },
            api=False,
            ok=(302,),
        )
    ],
    "jobs:list": [
        Case("jobs:list", "marketing", fixed("jobs:list"), degraded=True),
        Case("jobs:list", "marketing", fixed("jobs:list"), htmx=True, degraded=True),
    ],
    "jobs:bulk_metadata": [
        Case("jobs:bulk_metadata", "marketing", fixed("jobs:bulk_metadata", "?all=1")),
        Case(
            "jobs:bulk_metadata",
            "marketing",
            lambda world: f"{reverse('jobs:bulk_metadata')}?selected=s:matrix-1",
            api=False,
        ),
        Case(
            "jobs:bulk_metadata",
            "marketing",
            lambda world: f"{reverse('jobs:bulk_metadata')}?selected=s:matrix-1",
            method="POST",
            data=_bulk_data,
            api=False,
            ok=(302,),
        ),
    ],
    "jobs:detail": [Case("jobs:detail", "marketing", per_job("jobs:detail"), api=False, ok=(302,))],
    "jobs:failed_rows": [
        Case("jobs:failed_rows", "marketing", per_job("jobs:failed_rows"), api=False)
    ],
    "privacy:list": [
        Case("privacy:list", "compliance", fixed("privacy:list"), api=False),
        Case("privacy:list", "compliance", fixed("privacy:list"), htmx=True, api=False),
    ],
    "privacy:open": [
        Case("privacy:open", "compliance", fixed("privacy:open"), api=False),
        Case(
            "privacy:open",
            "compliance",
            fixed("privacy:open"),
            method="POST",
            data=_open_request_data,
            ok=(302,),
            kept=("HD-" + TYPED_NAME,),
        ),
    ],
    "privacy:detail": [
        Case("privacy:detail", "compliance", per_request("privacy:detail"), api=False),
        Case(
            "privacy:detail",
            "compliance",
            lambda world: reverse("privacy:detail", args=[world.approved_id]),
            degraded=True,
        ),
    ],
    "privacy:verify_identity": [
        Case(
            "privacy:verify_identity",
            "compliance",
            per_request("privacy:verify_identity"),
            method="POST",
            data=_privacy_step("verify_identity", method="id_document", note="seen"),
            api=False,
            ok=(302,),
        )
    ],
    "privacy:approve": [
        Case(
            "privacy:approve",
            "compliance",
            per_request("privacy:approve"),
            method="POST",
            data=_privacy_step("approve"),
            api=False,
            ok=(302, 400, 403),
        )
    ],
    "privacy:refuse": [
        Case(
            "privacy:refuse",
            "compliance",
            per_request("privacy:refuse"),
            method="POST",
            data=_privacy_step("refuse", ground="manifestly_unfounded", explanation="x"),
            api=False,
            ok=(302, 400),
        )
    ],
    "privacy:cancel": [
        Case(
            "privacy:cancel",
            "compliance",
            per_request("privacy:cancel"),
            method="POST",
            data=_privacy_step("cancel", note="withdrawn by the customer"),
            api=False,
            ok=(302,),
        )
    ],
    "privacy:extend": [
        Case(
            "privacy:extend",
            "compliance",
            per_request("privacy:extend"),
            method="POST",
            data=_privacy_step("extend", months="1", reason="complex"),
            api=False,
            ok=(302, 400),
        )
    ],
    "privacy:execute": [
        Case(
            "privacy:execute",
            "compliance",
            per_request("privacy:execute"),
            method="POST",
            data=_privacy_step("execute", confirm="x"),
            api=False,
            ok=(302, 400, 403),
        )
    ],
    "privacy:resolve": [
        Case(
            "privacy:resolve",
            "compliance",
            per_request("privacy:resolve"),
            method="POST",
            data=_privacy_step("resolve", applied="yes"),
            api=False,
            ok=(302, 400, 403),
        )
    ],
    "privacy:certificate": [
        Case(
            "privacy:certificate",
            "compliance",
            per_request("privacy:certificate"),
            api=False,
            ok=(200, 404),
        )
    ],
    "privacy:certificate_json": [
        Case(
            "privacy:certificate_json",
            "compliance",
            per_request("privacy:certificate_json"),
            api=False,
            ok=(200, 404),
        )
    ],
    "privacy:export": [
        Case(
            "privacy:export", "compliance", per_request("privacy:export"), api=False, ok=(200, 404)
        )
    ],
    "privacy:export_json": [
        Case(
            "privacy:export_json",
            "compliance",
            per_request("privacy:export_json"),
            api=False,
            ok=(200, 404),
        )
    ],
}

ALL_CASES = [case for cases in CASES.values() for case in cases]
