"""The error summary's lines (templates/includes/_error_summary.html): one per error, each
with the anchor of the input it is about, in the order of the form."""

from __future__ import annotations

from dataclasses import dataclass

from django import template

register = template.Library()


@dataclass(frozen=True)
class ErrorLine:
    message: str
    label: str = ""
    anchor: str = ""  # the id of the input to jump to; "" for errors about no one input


@register.simple_tag
def error_lines(form, editor=None) -> list[ErrorLine]:
    """The errors of a Django `form` and, for the customer form, of its metadata `editor`
    (rows named by token: their key input is `meta-key-<token>`)."""
    lines: list[ErrorLine] = []
    if form and form.is_bound:
        lines += [ErrorLine(str(message)) for message in form.non_field_errors()]
        for field in form:
            anchor = "" if field.is_hidden else field.id_for_label or ""
            lines += [ErrorLine(str(m), str(field.label), anchor) for m in field.errors]
    if editor:
        lines += [ErrorLine(str(m), "Metadata", "metadata-rows") for m in editor.errors]
        for row in editor.rows:
            label = f"Metadata “{row.key.strip()}”" if row.key.strip() else "Metadata"
            lines += [ErrorLine(str(m), label, f"meta-key-{row.token}") for m in row.errors]
    return lines
