"""The form renderer: Django's, with its most used widget, label and error-list templates
written in Python.

A filter form's selects render one template include per option: the activity filter's select
alone cost more than the rest of its fragment (bench/pages.py, "activities fragment"). These
functions write exactly what Django's templates in django/forms/ write (a test holds them to
it); every other template still renders as Django's.
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


def _textarea(widget: Mapping[str, Any]) -> str:
    """django/forms/widgets/textarea.html."""
    value = widget["value"]
    text = conditional_escape(value) if value else ""
    return f'<textarea name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>\n{text}</textarea>'


def _label(context: Mapping[str, Any]) -> str:
    """django/forms/label.html (with django/forms/attrs.html)."""
    label = conditional_escape(context["label"])
    if not context["use_tag"]:
        return label
    tag = escape(context["tag"])
    return f"<{tag}{_attrs(context['attrs'] or {})}>{label}</{tag}>"


def _errors(context: Mapping[str, Any]) -> str:
    """django/forms/errors/list/default.html, which includes ul.html."""
    errors = context["errors"]
    if not errors:
        return ""
    field_id = getattr(errors, "field_id", None)
    id_attr = f' id="{escape(field_id)}_error"' if field_id else ""
    items = "".join(f"<li>{conditional_escape(error)}</li>" for error in errors)
    return f'<ul class="{escape(context["error_class"])}"{id_attr}>{items}</ul>'


_INPUTS = ("input", "text", "date", "search", "email", "number", "hidden", "tel", "url")
_WIDGETS = {f"django/forms/widgets/{name}.html": _input for name in _INPUTS} | {
    "django/forms/widgets/select.html": _select,
    "django/forms/widgets/textarea.html": _textarea,
}
_OTHERS = {
    "django/forms/label.html": _label,
    "django/forms/errors/list/default.html": _errors,
    "django/forms/errors/list/ul.html": _errors,
}


class FormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        html = None
        if (write := _WIDGETS.get(template_name)) and "widget" in context:
            html = write(context["widget"])
        elif write := _OTHERS.get(template_name):
            html = write(context)
        if html is None:
            return super().render(template_name, context, request)
        return html.strip()
