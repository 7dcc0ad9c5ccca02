"""The list's rows built in Python say exactly what the row template they replace said."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from customers.templatetags.customer_rows import customer_rows
from tests.customers.pages_support import make_customer

# The rows as customer_list.html wrote them before the tag (the reference for the markup).
TEMPLATE_ROW = Template(
    """{% for customer in customers %}<tr>{% if selectable %}<td><input type="checkbox" name="selected" form="bulk-form" value="{% if customer.source_id %}s:{{ customer.source_id }}{% else %}c:{{ customer.id }}{% endif %}" aria-label="Select {{ customer.name|default:customer.id }}"></td>{% endif %}<td><a href="{% url 'customers:detail' customer.id %}">{{ customer.name|default:customer.id }}</a></td><td data-label="Email">{{ customer.email|default:"" }}</td><td data-label="Phone">{{ customer.phone|default:"" }}</td><td data-label="Source id"><code>{{ customer.source_id|default:"" }}</code></td><td data-label="City">{{ customer.address.city|default:"" }}</td><td data-label="Created"><time datetime="{{ customer.created_at|date:'c' }}">{{ customer.created_at|date:"Y-m-d H:i" }}</time></td></tr>{% if not forloop.last %}\n{% endif %}{% endfor %}"""  # noqa: E501
)
CUSTOMERS = [
    make_customer(),
    make_customer(
        id="cust_0000000000000000000000b2",
        source_id=None,
        name=None,
        email='o"brien&<x>@example.com',
        phone="+44 <1>",
        address=None,
        created_at="2024-12-31T23:59:59.123456Z",
    ),
    make_customer(id="cust_0000000000000000000000c3", name="Zoë <b>", created_at=None),
]


@pytest.mark.parametrize("selectable", [False, True])
def test_customer_rows_match_the_row_template(selectable, settings):
    settings.TIME_ZONE = "Europe/Berlin"  # dates shown in the dashboard's zone, as the filter does
    expected = TEMPLATE_ROW.render(Context({"customers": CUSTOMERS, "selectable": selectable}))

    assert customer_rows(CUSTOMERS, selectable=selectable) == expected


def test_customer_rows_quote_an_odd_id_in_the_profile_link():
    customer = make_customer(id="cust a&b")

    assert 'href="/customers/cust%20a&amp;b/"' in customer_rows([customer])
