"""The error summary include (GOV.UK's pattern): one link per error, to its input."""

from __future__ import annotations

from django import forms
from django.template.loader import render_to_string
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from customers.forms import MetadataEditor, MetadataRow


class ContactForm(forms.Form):
    email = forms.EmailField(label="Email")
    token = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self):
        raise forms.ValidationError("Give at least one way to reach the customer.")


def summary(**context):
    return HTMLParser(render_to_string("includes/_error_summary.html", context))


def test_error_summary_without_errors_renders_nothing():
    assert summary(form=ContactForm()).css_first("[data-error-summary]") is None
    assert summary(form=None).css_first("[data-error-summary]") is None


def test_error_summary_with_errors_links_each_field_and_lists_form_errors():
    form = ContactForm({"email": "nope", "token": "x"})
    form.add_error("token", "Stale form.")

    page = summary(form=form)

    box = page.css_first("[data-error-summary]")
    assert box.attributes["tabindex"] == "-1" and "data-focus" in box.attributes
    assert box.css_first("[role=alert] h2").text() == "There is a problem"
    items = [(li.text(strip=True), li.css_first("a")) for li in box.css("li")]
    assert items[0] == ("Give at least one way to reach the customer.", None)
    assert items[1][0] == "Email: Enter a valid email address."
    assert items[1][1].attributes["href"] == "#id_email"
    assert items[2][0] == "Token: Stale form." and items[2][1] is None  # hidden: no anchor


def test_error_summary_links_metadata_rows_to_their_key_inputs():
    editor = MetadataEditor([MetadataRow("ab12cd34", "tier", "x"), MetadataRow("ef56ab78", "tier")])
    assert not editor.is_valid()
    editor.errors.append("Too many keys.")

    links = summary(form=ContactForm(), metadata=editor).css("[data-error-summary] a")

    assert [(a.attributes["href"], a.text()) for a in links] == [
        ("#metadata-rows", "Metadata: Too many keys."),
        ("#meta-key-ef56ab78", "Metadata “tier”: The key “tier” is used twice."),
    ]


def test_customer_form_with_errors_starts_with_the_summary(client_for):
    response = client_for("support").post("/customers/new/", {"email": "nope"})

    page = HTMLParser(response.content.decode())
    form = page.css_first("main form")
    first = next(node for node in form.iter() if node.tag not in ("input", "button"))
    assert "data-error-summary" in first.attributes
    assert page.css_first("#id_email") is not None
    assert any(a.attributes["href"] == "#id_email" for a in first.css("a"))
