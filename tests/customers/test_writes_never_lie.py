"""The defects a probe of the running dashboard found, through the real view stack against the
sandbox: concurrent saves, a write that times out after it was applied, a double POST."""

from __future__ import annotations

import contextlib
import threading

import pytest
import requests
from django.test import Client
from django.urls import reverse
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from customers.voucherify import get_client
from dashboard.models import AuditEntry
from sandbox.models import Customer as SandboxCustomer
from tests.customers.test_edit import edit_post

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"], transaction=True)


def form_token(page: str) -> str:
    return HTMLParser(page).css_first('input[name="form_token"]').attributes["value"]


class Transport:
    """Wraps the in-process sandbox transport: `on_send(request, send)` sees every call."""

    def __init__(self, monkeypatch):
        adapter = get_client().session.get_adapter(get_client().base_url + "/")
        self._send = adapter.send
        self.on_send = None
        monkeypatch.setattr(adapter, "send", self.send)

    def send(self, request, **kwargs):
        if self.on_send is None:
            return self._send(request, **kwargs)
        return self.on_send(request, lambda: self._send(request, **kwargs))


@pytest.fixture
def transport(monkeypatch):
    get_client.cache_clear()
    yield Transport(monkeypatch)
    get_client.cache_clear()


@pytest.fixture
def agents(user_for):
    def signed_in(name: str) -> Client:
        client = Client()
        client.force_login(user_for("support", name))
        return client

    return signed_in("agent-a"), signed_in("agent-b")


def save_at_the_same_moment(
    transport, a: Client, b: Client, url: str, data_a, data_b, *, url_b: str | None = None
):
    """Both agents press Save together (b on `url_b` if given); each read of the customer
    waits (up to 1 s) for the other agent's, so without a lock both read the customer before
    either writes."""
    both_reading = threading.Barrier(2, timeout=1)

    def on_send(request, send):
        if request.method == "GET" and "/v1/customers/" in request.url:
            # The other save holds the lock: it never reads meanwhile, and the wait times out.
            with contextlib.suppress(threading.BrokenBarrierError):
                both_reading.wait()
        return send()

    transport.on_send = on_send
    responses = {}

    def save(name, client, data, to=url):
        responses[name] = client.post(to, data)

    threads = [
        threading.Thread(target=save, args=("a", a, data_a)),
        threading.Thread(target=save, args=("b", b, data_b, url_b or url)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    transport.on_send = None
    return responses["a"], responses["b"]


def test_two_agents_saving_different_metadata_keys_at_once_both_changes_kept(transport, agents):
    customer = get_client().create_customer({"source_id": "race-1", "metadata": {"tier": "gold"}})
    url = reverse("customers:update", args=[customer.id])

    a, b = save_at_the_same_moment(
        transport,
        *agents,
        url,
        edit_post(customer, {"tier": "gold", "from_a": "A"}),
        edit_post(customer, {"tier": "gold", "from_b": "B"}),
    )

    assert (a.status_code, b.status_code) == (302, 302)
    saved = get_client().get_customer(customer.id)
    assert saved.metadata == {"tier": "gold", "from_a": "A", "from_b": "B"}
    assert AuditEntry.objects.filter(operation="update_customer", outcome="success").count() == 2


def test_two_agents_saving_the_same_field_at_once_the_second_is_asked(transport, agents):
    customer = get_client().create_customer({"source_id": "race-2", "name": "Before"})
    url = reverse("customers:update", args=[customer.id])

    a, b = save_at_the_same_moment(
        transport, *agents, url, edit_post(customer, name="By A"), edit_post(customer, name="By B")
    )

    assert sorted([a.status_code, b.status_code]) == [302, 409]
    asked = a if a.status_code == 409 else b
    winner = "By B" if asked is a else "By A"
    assert get_client().get_customer(customer.id).name == winner
    assert f"<td>Name</td><td>Before</td><td>{winner}</td>" in asked.content.decode()


def test_two_agents_saving_by_id_and_by_source_id_at_once_the_second_is_asked(transport, agents):
    """The lock is the customer's, not the URL's: a save addressed by source_id waits for one
    addressed by id."""
    customer = get_client().create_customer({"source_id": "race-3", "name": "Before"})

    a, b = save_at_the_same_moment(
        transport,
        *agents,
        reverse("customers:update", args=[customer.id]),
        edit_post(customer, name="By A"),
        edit_post(customer, name="By B"),
        url_b=reverse("customers:update", args=["race-3"]),
    )

    assert sorted([a.status_code, b.status_code]) == [302, 409]
    asked = a if a.status_code == 409 else b
    winner = "By B" if asked is a else "By A"
    assert get_client().get_customer(customer.id).name == winner
    assert f"<td>Name</td><td>Before</td><td>{winner}</td>" in asked.content.decode()
    assert AuditEntry.objects.filter(operation="update_customer").count() == 1


def timeout_after_applying(method: str):
    """The sandbox applies the request, then the answer is lost (a read timeout)."""

    def on_send(request, send):
        response = send()
        if request.method == method:
            raise requests.ReadTimeout("read timed out")
        return response

    return on_send


def test_update_that_times_out_after_being_applied_says_saved_after_reading_back(transport, agents):
    customer = get_client().create_customer({"source_id": "slow-1", "name": "Before"})
    url = reverse("customers:update", args=[customer.id])
    transport.on_send = timeout_after_applying("PUT")

    response = agents[0].post(url, edit_post(customer, name="After"), follow=True)

    page = response.content.decode()
    assert response.redirect_chain[0][0] == reverse("customers:detail", args=[customer.id])
    assert "Nothing was saved" not in page
    assert "Customer saved (Voucherify answered late" in page
    entry = AuditEntry.objects.get(operation="update_customer")
    assert entry.outcome == "success"


def test_create_that_times_out_after_being_applied_finds_the_customer(transport, agents):
    transport.on_send = timeout_after_applying("POST")

    response = agents[0].post(
        reverse("customers:create"),
        {"source_id": "slow-new", "name": "Ann", "meta_row": ["aa"], "meta_key_aa": ""},
        follow=True,
    )

    created = SandboxCustomer.objects.get(source_id="slow-new")
    assert response.redirect_chain[0][0] == reverse("customers:detail", args=[created.id])
    assert "Customer saved (Voucherify answered late" in response.content.decode()
    entry = AuditEntry.objects.get(operation="create_customer")
    assert (entry.outcome, entry.customer_id) == ("success", created.id)


def test_create_whose_answer_is_lost_and_cannot_be_found_says_it_may_exist(transport, agents):
    def lost(request, send):
        if request.method == "POST":
            raise requests.ReadTimeout("read timed out")  # never reached the sandbox
        return send()

    transport.on_send = lost

    response = agents[0].post(
        reverse("customers:create"),
        {"email": "lost@example.com", "name": "Lost", "meta_row": ["aa"], "meta_key_aa": ""},
    )

    page = response.content.decode()
    assert response.status_code == 504
    assert "The customer may have been created." in page
    assert "Nothing was saved" not in page
    assert 'value="lost@example.com"' in page  # the input is kept
    assert AuditEntry.objects.get(operation="create_customer").outcome == "unknown"


def test_create_posted_twice_with_one_form_creates_one_customer(agents):
    agent = agents[0]
    token = form_token(agent.get(reverse("customers:create")).content.decode())
    data = {
        "email": "twice@example.com",
        "meta_row": ["aa"],
        "meta_key_aa": "",
        "form_token": token,
    }

    first = agent.post(reverse("customers:create"), data)
    second = agent.post(reverse("customers:create"), data, follow=True)

    assert SandboxCustomer.objects.filter(email="twice@example.com").count() == 1
    assert second.redirect_chain[0][0] == first["Location"]
    assert "nothing was sent again" in second.content.decode()
    assert AuditEntry.objects.filter(operation="create_customer").count() == 1


def test_create_double_click_two_posts_at_once_create_one_customer(transport, agents):
    agent = agents[0]
    token = form_token(agent.get(reverse("customers:create")).content.decode())
    data = {"email": "dbl@example.com", "meta_row": ["aa"], "meta_key_aa": "", "form_token": token}
    first_sending = threading.Event()
    release = threading.Event()

    def hold_the_first(request, send):
        if request.method == "POST":
            first_sending.set()
            release.wait(timeout=5)
        return send()

    transport.on_send = hold_the_first
    results = []
    first = threading.Thread(
        target=lambda: results.append(agent.post(reverse("customers:create"), data))
    )
    first.start()
    assert first_sending.wait(timeout=5)
    second = threading.Thread(
        target=lambda: results.append(agent.post(reverse("customers:create"), data))
    )
    second.start()
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)

    assert [r.status_code for r in results] == [302, 302], [r.content[:3000] for r in results]
    assert results[0]["Location"] == results[1]["Location"]
    assert SandboxCustomer.objects.filter(email="dbl@example.com").count() == 1
