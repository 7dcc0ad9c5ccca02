"""One model row read by a plain SQL statement, for the reads every request makes.

Each request reads its session and its user before any page code runs. Through the ORM each
read costs about 0.35 ms on these machines, nearly all of it building the query; the same
statement sent as text costs under 0.05 ms (bench/pages.py, python -m timeit). `select_one`
writes the statement once per model and set of conditions, from the model's own table and
column names, and turns the row into a model instance with the same conversions the ORM
applies (aware datetimes, booleans on SQLite), so callers get what `.get()` gives them.
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from django.db import connections, models, router

M = TypeVar("M", bound=models.Model)

_OPERATORS = {"": "=", "gt": ">"}


@cache
def _statement(model: type[models.Model], database: str, lookups: tuple[str, ...]):
    """The SELECT of every concrete column where each lookup holds (`name` is equality,
    `name__gt` greater than), with the fields the parameters go through."""
    connection = connections[database]
    quote = connection.ops.quote_name
    meta = model._meta
    fields = meta.concrete_fields
    conditions, condition_fields = [], []
    for lookup in lookups:
        name, _, operator = lookup.partition("__")
        field = meta.pk if name == "pk" else meta.get_field(name)
        conditions.append(f"{quote(field.column)} {_OPERATORS[operator]} %s")
        condition_fields.append(field)
    # Only names from the model's metadata go into the text; the values are parameters.
    sql = (
        f"SELECT {', '.join(quote(field.column) for field in fields)}"  # noqa: S608
        f" FROM {quote(meta.db_table)} WHERE {' AND '.join(conditions)}"
    )
    converters = []
    for index, field in enumerate(fields):
        column = field.get_col(meta.db_table)
        found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if found:
            converters.append((index, column, found))
    return sql, tuple(condition_fields), tuple(field.attname for field in fields), converters


def select_one(model: type[M], **lookups: Any) -> M | None:
    """The row of `model` that matches `lookups` (`pk=3`, `session_key=..., expire_date__gt=...`),
    or None; several matching rows give the first the database returns."""
    database = router.db_for_read(model)
    connection = connections[database]
    sql, condition_fields, attnames, converters = _statement(model, database, tuple(lookups))
    params = [
        field.get_db_prep_value(value, connection)
        for field, value in zip(condition_fields, lookups.values(), strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, column, functions in converters:
        for function in functions:
            values[index] = function(values[index], column, connection)
    return model.from_db(database, attnames, values)
