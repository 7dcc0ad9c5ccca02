"""Django's `{% url %}`, reversing each URL once per page, and an argument-less one once per
process.

A `reverse()` costs 20 to 40 µs here. A full page reverses about twenty URLs: the nine of the
top bar, which are the same on every page, and the page's own, several twice (the profile
names each of its fragments' URLs in two places). This tag replaces the built-in one (it is
listed in TEMPLATES' `builtins`, which load after Django's) and gives exactly what Django's
gives: it parses the same syntax, and reverses with the same arguments and current app.
What it keeps:
- within one rendering (one `Context`), every URL it has reversed;
- for the life of the process, the URLs that take no arguments: they depend only on the
  URLconf and the script prefix, both part of the key, and the memo is emptied whenever a
  setting changes (the tests' `override_settings(ROOT_URLCONF=...)`).
"""

from __future__ import annotations

from django import template
from django.core.signals import setting_changed
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()

_CONSTANT: dict[tuple, str] = {}  # argument-less URLs, for the process


def _forget(**kwargs) -> None:
    _CONSTANT.clear()


setting_changed.connect(_forget)


def _current_app(context) -> str | None:
    """As Django's URLNode finds it: the request's `current_app`, else its namespace."""
    try:
        return context.request.current_app
    except AttributeError:
        try:
            return context.request.resolver_match.namespace
        except AttributeError:
            return None


class MemoURLNode(URLNode):
    def render(self, context):
        args = tuple(arg.resolve(context) for arg in self.args)
        kwargs = tuple((k, v.resolve(context)) for k, v in self.kwargs.items())
        view_name = self.view_name.resolve(context)
        current_app = _current_app(context)
        key = (view_name, args, kwargs, current_app)
        page = context.__dict__.setdefault("_reversed_urls", {})
        try:
            url = page[key]
        except KeyError:
            url = page[key] = self._reverse(view_name, args, kwargs, current_app)
        except TypeError:  # an argument that cannot be a key (a list): as Django does it
            url = self._reverse(view_name, args, kwargs, current_app)
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url

    def _reverse(self, view_name, args, kwargs, current_app) -> str:
        constant = None if args or kwargs else (view_name, current_app)
        if constant is not None:
            constant += (get_urlconf(), get_script_prefix())
            if constant in _CONSTANT:
                return _CONSTANT[constant]
        try:
            url = reverse(view_name, args=args, kwargs=dict(kwargs), current_app=current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
            return ""  # `{% url ... as var %}` of no URL: empty, and not kept
        if constant is not None:
            _CONSTANT[constant] = url
        return url


@register.tag
def url(parser, token):
    """`{% url 'name' arg key=value as var %}`, as Django's."""
    node = django_url(parser, token)
    return MemoURLNode(node.view_name, node.args, node.kwargs, node.asvar)
