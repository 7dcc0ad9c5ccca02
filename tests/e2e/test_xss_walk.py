"""XSS payloads stored everywhere a customer's data can reach (every customer field, a metadata
key and value, an activity, a segment, a consent, a CSV cell and its file name, a consent
change's reason, a deletion request's ticket) render inert in Chromium: no dialog opens and no
injected element appears, on every page an admin (who sees them all) walks through."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])

MARK = "data-xss"
PAYLOADS = [
    f'"><img src=x onerror="alert(1)" {MARK}>',
    f"'><svg onload=alert(2) {MARK}></svg>",
    f"</textarea></script><script {MARK}>alert(3)</script>",
    f'<a href="javascript:alert(4)" {MARK}>x</a>',
]
P = "".join(PAYLOADS)


@pytest.fixture
def stored(dashboard, user_for):
    from customers.services import imports, privacy
    from customers.voucherify import get_client
    from sandbox import ids, services
    from sandbox.models import Consent, ConsentGroup, Customer, Segment, SegmentMembership

    customer = get_client().create_customer(
        {
            "source_id": "xss-" + PAYLOADS[0],
            "name": P,
            "description": P,
            "email": "xss@example.test",
            "phone": PAYLOADS[1][:90],
            "address": {"city": P, "line_1": P, "country": P[:100], "postal_code": P[:100]},
            "metadata": {P[:200]: P},
        }
    )
    row = Customer.objects.using("sandbox").get(id=customer.id)
    services.record_activity(row, "customer.custom_event.created", {"name": P, "x": P}, "r-1")
    segment = Segment.objects.using("sandbox").create(
        id=ids.segment_id(), name=P[:200], type=Segment.STATIC, created_at=ids.now()
    )
    SegmentMembership.objects.using("sandbox").create(
        customer=row, segment=segment, created_at=ids.now()
    )
    consent = Consent.objects.using("sandbox").create(
        id=ids.consent_id(), name=P[:200], description=P, category=P[:100], created_at=ids.now()
    )
    group = ConsentGroup.objects.using("sandbox").create(
        id=ids.consent_group_id(), name=P[:200], description=P, created_at=ids.now()
    )
    group.consents.set([consent])
    admin = user_for("admin")
    quoted = '"' + P.replace('"', '""') + '"'  # one CSV cell
    raw = f"source_id,name,{quoted}\nx1,{quoted},b\n"
    job = imports.import_upload(
        chunks=[raw.encode()], filename=PAYLOADS[0] + ".csv", size=len(raw), user=admin
    )
    request = privacy.deletion_request_open(
        customer=customer.id,
        kind="access",
        ticket=P[:60],
        notes=P,
        received_on=datetime.date.today(),
        user=admin,
    )
    return customer, job, request


def test_stored_xss_payloads_render_inert_on_every_page(stored, sign_in, user_for, page, dashboard):
    customer, job, request = stored
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    user = user_for("admin")
    user.set_password("correct-horse-battery")
    user.save()
    sign_in(user.username, "correct-horse-battery")
    base = dashboard.url
    pages = [
        "/customers/",
        f"/customers/?name={P[:40]}",
        f"/customers/{customer.id}/",
        f"/customers/{customer.id}/edit/",
        f"/customers/{customer.id}/consents/",
        f"/imports/{job.pk}/",
        "/jobs/",
        "/audit/",
        "/deletion-requests/",
        f"/deletion-requests/{request.pk}/",
        f"/deletion-requests/{request.pk}/export/",
    ]
    for path in pages:
        page.goto(base + path)
        page.wait_for_load_state("networkidle")  # the fragments too (activities, segments...)
        assert page.locator(f"[{MARK}]").count() == 0, path
        assert dialogs == [], path

    page.goto(f"{base}/customers/{customer.id}/")
    page.wait_for_load_state("networkidle")
    # The payloads are there, shown as text: the test would see them if they ran.
    expect(page.locator("main")).to_contain_text(PAYLOADS[0])
    expect(page.locator("#customer-segments")).to_contain_text(PAYLOADS[0])
    expect(page.locator("#customer-consents")).to_contain_text(PAYLOADS[0])
