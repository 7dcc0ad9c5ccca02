"""The form renderer: Django's, with its most used widget templates written in Python.

A filter form's selects render one template include per option: the activity filter's select
alone cost more than the rest of its fragment (bench/pages.py, "activities fragment"). These
functions write exactly what Django's templates in django/forms/widgets/ write (a test holds
them to it); every other template still renders as Django's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData


def _text(value: Any) -> str:
    """`{{ value|stringformat:'s' }}`: as text, escaped unless already safe."""
    text = "%s" % (str(value) if isinstance(value, tuple) else value,)  # noqa: UP031
    return text if isinstance(value, SafeData) else escape(text)


def _attrs(attrs: Mapping[str, Any]) -> str:
    """django/forms/widgets/attrs.html."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {escape(name)}" if value is True else f' {escape(name)}="{_text(value)}"')
    return "".join(out)


def _input(widget: Mapping[str, Any]) -> str:
    """django/forms/widgets/input.html (and the templates that only include it)."""
    value = "" if widget["value"] is None else f' value="{_text(widget["value"])}"'
    return (
        f'<input type="{escape(widget["type"])}" name="{escape(widget["name"])}"{value}'
        f"{_attrs(widget['attrs'])}>"
    )


def _option(option: Mapping[str, Any]) -> str:
    """django/forms/widgets/select_option.html."""
    label = conditional_escape(localize(option["label"]))
    return f'<option value="{_text(option["value"])}"{_attrs(option["attrs"])}>{label}</option>'


def _select(widget: Mapping[str, Any]) -> str | None:
    """django/forms/widgets/select.html; None when an option has a template of its own."""
    out = [f'<select name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{conditional_escape(localize(group_name))}">')
        for option in options:
            if option["template_name"] != "django/forms/widgets/select_option.html":
                return None
            out.append(f"\n  {_option(option)}\n")  # the option template ends with a newline
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


_INPUTS = ("input", "text", "date", "search", "email", "number", "hidden", "tel", "url")
_PYTHON = {f"django/forms/widgets/{name}.html": _input for name in _INPUTS} | {
    "django/forms/widgets/select.html": _select
}


class FormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        write = _PYTHON.get(template_name)
        html = write(context["widget"]) if write and "widget" in context else None
        if html is None:
            return super().render(template_name, context, request)
        return html.strip()
