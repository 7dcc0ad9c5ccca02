"""Model rows read by plain SQL statements, for the reads that pages make on every view.

Each request reads its session and its user before any page code runs, and most pages read
a row or two of the dashboard's own records (seen segments and campaigns, audit entries).
Through the ORM each read costs 0.3 to 0.7 ms on these machines, nearly all of it building
the query; the same statement sent as text costs under 0.05 ms (`python -m timeit`, and
bench/pages.py). `select` writes a statement once per model, set of conditions and order,
from the model's own table and column names, and turns the rows into model instances with
the conversions the ORM applies (aware datetimes, booleans and JSON on SQLite), so callers
get what the same `.filter()` gives them.

It knows the lookups these reads use: `name=` (equal), `name__in=`, and `name__gt=`,
`__gte=`, `__lt=`, `__lte=`. Anything else (joins, expressions, writes) is the ORM's.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, TypeVar

from django.db import connections, models, router

M = TypeVar("M", bound=models.Model)

_OPERATORS = {"": "=", "in": "IN", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


@lru_cache(maxsize=1024)  # one per shape; `__in` of each length is a shape
def _statement(
    model: type[models.Model],
    database: str,
    lookups: tuple[tuple[str, int], ...],  # (lookup, how many values an `__in` has)
    order_by: tuple[str, ...],
    limit: int | None,
):
    """The SELECT of every concrete column, the fields each condition's values go through,
    and the converters of the columns that have any."""
    connection = connections[database]
    quote = connection.ops.quote_name
    meta = model._meta

    def field_of(name: str):
        return meta.pk if name == "pk" else meta.get_field(name)

    conditions, condition_fields = [], []
    for lookup, count in lookups:
        name, _, operator = lookup.partition("__")
        field = field_of(name)
        values = f"({', '.join(['%s'] * count)})" if operator == "in" else "%s"
        conditions.append(f"{quote(field.column)} {_OPERATORS[operator]} {values}")
        condition_fields.append(field)
    fields = meta.concrete_fields
    # Only names from the model's metadata go into the text; the values are parameters.
    sql = (
        f"SELECT {', '.join(quote(field.column) for field in fields)}"  # noqa: S608
        f" FROM {quote(meta.db_table)}"
    )
    if conditions:
        sql += f" WHERE {' AND '.join(conditions)}"
    if order_by:
        sql += " ORDER BY " + ", ".join(
            f"{quote(field_of(name.lstrip('-')).column)}{' DESC' if name[0] == '-' else ''}"
            for name in order_by
        )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    converters = []
    for index, field in enumerate(fields):
        column = field.get_col(meta.db_table)
        found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if found:
            converters.append((index, column, found))
    return sql, tuple(condition_fields), tuple(field.attname for field in fields), converters


def select(
    model: type[M],
    *,
    order_by: tuple[str, ...] | None = None,
    limit: int | None = None,
    **lookups: Any,
) -> list[M]:
    """The rows of `model` that match every lookup (`customer_id="cust_1"`,
    `created_at__gte=when`, `operation__in=("a", "b")`), in `order_by` (`"-created_at"`;
    by default the model's `Meta.ordering`, as the ORM orders them)."""
    if order_by is None:
        order_by = tuple(model._meta.ordering)
    database = router.db_for_read(model)
    connection = connections[database]
    groups = [  # each lookup's values: one, or an `__in`'s several
        list(value) if lookup.endswith("__in") else [value] for lookup, value in lookups.items()
    ]
    if not all(groups):  # `IN ()`: nothing can match, as the ORM answers
        return []
    shape = tuple((lookup, len(group)) for lookup, group in zip(lookups, groups, strict=True))
    sql, condition_fields, attnames, converters = _statement(
        model, database, shape, tuple(order_by), limit
    )
    values = [
        field.get_db_prep_value(value, connection)
        for field, group in zip(condition_fields, groups, strict=True)
        for value in group
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        rows = cursor.fetchall()
    found = []
    for row in rows:
        row = list(row)
        for index, column, functions in converters:
            for function in functions:
                row[index] = function(row[index], column, connection)
        found.append(model.from_db(database, attnames, row))
    return found


def select_one(model: type[M], **lookups: Any) -> M | None:
    """The row of `model` that matches `lookups` (`pk=3`), or None; of several matching rows,
    the first the database returns."""
    rows = select(model, limit=1, **lookups)
    return rows[0] if rows else None
