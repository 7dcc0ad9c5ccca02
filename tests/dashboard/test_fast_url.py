"""The dashboard's `{% url %}` writes what Django's writes, and keeps no URL it should not."""

from __future__ import annotations

import pytest
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.test import RequestFactory, override_settings
from django.urls import NoReverseMatch, path

import dashboard.templatetags.fast_url as fast_url

DJANGO = Engine()  # Django's own tags only
OURS = Engine(builtins=["dashboard.templatetags.fast_url"])
SOURCES = [
    "{% url 'home' %}",
    "{% url 'customers:list' %}?q=1",
    "{% url 'customers:detail' cid %}|{% url 'customers:detail' cid %}",
    "{% url 'customers:segments' customer_id=cid %}",
    "{% url name cid %}",
    "{% url 'customers:detail' cid as there %}[{{ there }}]",
    "{% url 'no-such-page' as there %}[{{ there }}]",
    "{% for c in ids %}{% url 'customers:detail' c %};{% endfor %}",
    "{% url 'admin:index' %}",
    "{% autoescape off %}{% url 'customers:detail' odd %}{% endautoescape %}",
    "{% url 'customers:detail' odd %}",
]
CONTEXT = {
    "cid": "cust_1",
    "name": "customers:consents",
    "ids": ["cust_a", "cust_b", "cust_a"],
    "odd": 'a b?&<d>"',
}


@pytest.mark.parametrize("source", SOURCES)
def test_it_writes_what_djangos_writes(source):
    request = RequestFactory().get("/")

    def rendered(engine):
        return Template(source, engine=engine).render(Context({**CONTEXT, "request": request}))

    assert rendered(OURS) == rendered(DJANGO)
    assert rendered(OURS) == rendered(DJANGO)  # and again, from what it kept


def test_a_url_that_does_not_exist_raises_as_djangos():
    for engine in (OURS, DJANGO):
        with pytest.raises(NoReverseMatch):
            Template("{% url 'no-such-page' %}", engine=engine).render(Context())
        with pytest.raises(TemplateSyntaxError):
            Template("{% url %}", engine=engine)


def test_a_url_reversed_once_per_page_and_an_argument_less_one_once_per_process(monkeypatch):
    reversed_ = []
    real = fast_url.reverse

    def counting(*args, **kwargs):
        reversed_.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(fast_url, "reverse", counting)
    fast_url._CONSTANT.clear()
    page = Template(
        "{% url 'home' %}{% url 'customers:detail' 'c1' %}{% url 'customers:detail' 'c1' %}",
        engine=OURS,
    )

    page.render(Context())
    page.render(Context())

    assert reversed_ == ["home", "customers:detail", "customers:detail"]


def moved(request):  # pragma: no cover - never called, only reversed
    raise AssertionError


urlpatterns = [path("elsewhere/", moved, name="home")]


def test_another_urlconf_is_not_served_from_what_was_kept():
    template = Template("{% url 'home' %}", engine=OURS)
    before = template.render(Context())

    with override_settings(ROOT_URLCONF=__name__):
        assert template.render(Context()) == "/elsewhere/"

    assert template.render(Context()) == before == "/"


def test_the_dashboards_tag_is_the_one_templates_use():
    from django.template import engines

    libraries = engines["django"].engine.template_builtins
    assert [lib.tags["url"] for lib in libraries if "url" in lib.tags][-1] is fast_url.url
