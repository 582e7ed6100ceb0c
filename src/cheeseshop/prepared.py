"""Queries compiled to SQL once per database and then run with new parameters.

The upload path runs the same dozen small reads (a row or two by an indexed column) on every
upload. Building and compiling such a queryset costs Django about ten times what the database
spends running it (measured: most of an upload's time went there), so compiling each of them
once makes uploads markedly cheaper. A prepared query is still written as a queryset: the
models' metadata and the database backend decide its SQL, as for any other query.

``PreparedQuery`` is for ``values_list`` querysets: rows come back as tuples, converted as
Django converts them (booleans, dates and times, JSON...); ``instance`` builds model instances
from such rows. ``PreparedUpdate`` writes a few fields of a row found by one column.
"""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from threading import Lock
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet

# How a compiled parameter is filled in at run time.
_CONSTANT = "constant"  # a value of the query itself: kept
_VALUE = "value"  # a placeholder's value, as given
# A UUID placeholder on a database without a UUID type: its hex, as Django's UUIDField sends.
_UUID_HEX = "hex"


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # Per parameter, what gives its value from the values of a call.
    params: tuple[Callable[[tuple], Any], ...]
    # The selected expressions, whose converters apply to the rows.
    columns: list[Any]
    # Whether any of them has one (the same for every connection of this database): rows of a
    # query without converters are returned as the driver gives them.
    converted: bool


def _parameter(kind: str, value: Any) -> Callable[[tuple], Any]:
    """What gives a compiled parameter's value from a call's values."""
    if kind == _VALUE:
        return itemgetter(value)
    if kind == _UUID_HEX:
        return lambda values: values[value].hex
    return lambda values: value


def model_columns(model: type[Model]) -> tuple[str, ...]:
    """The columns to select (``values_list``) to build whole instances of ``model``."""
    return tuple(field.attname for field in model._meta.concrete_fields)


def instance(model: type[Model], row: tuple, using: str = DEFAULT_DB_ALIAS) -> Model:
    """An instance of ``model`` as loaded from the database, from the row of its
    ``model_columns``."""
    return model.from_db(using, model_columns(model), row)


class PreparedQuery:
    """``build(*placeholders)`` returns the queryset; calling ``rows(*values)`` runs its SQL
    with each placeholder's value replaced by the value at the same position.

    Each placeholder must be of the type the compared column takes (an ``int`` for an integer
    or a foreign key, a ``str`` for text, a ``UUID``...) and must differ from every other
    parameter of the query, so that its place in the compiled parameters is known.
    """

    def __init__(self, build: Callable[..., QuerySet], *placeholders: Any):
        self._build = build
        self._placeholders = placeholders
        self._compiled: dict[tuple[str, str], _Compiled] = {}
        self._lock = Lock()

    def _slot(self, param: Any, sql: str) -> tuple[str, Any]:
        matches = []
        for index, placeholder in enumerate(self._placeholders):
            if type(param) is type(placeholder) and param == placeholder:
                matches.append((_VALUE, index))
            elif isinstance(placeholder, uuid.UUID) and param == placeholder.hex:
                matches.append((_UUID_HEX, index))
        if len(matches) > 1:  # pragma: no cover - a mistake in a query's definition
            raise ValueError(f"parameter {param!r} matches several placeholders in {sql}")
        return matches[0] if matches else (_CONSTANT, param)

    def _compile(self, using: str, connection) -> _Compiled:
        key = (using, connection.vendor)
        compiled = self._compiled.get(key)
        if compiled is not None:
            return compiled
        compiler = self._build(*self._placeholders).query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        columns = [
            expression for expression, _sql, _alias in compiler.select[: compiler.col_count]
        ]
        slots = [self._slot(param, sql) for param in params]
        used = {index for kind, index in slots if kind != _CONSTANT}
        if len(used) != len(self._placeholders):  # pragma: no cover - a mistake, as above
            raise ValueError(f"not every placeholder is a parameter of {sql}")
        compiled = _Compiled(
            sql,
            tuple(_parameter(kind, value) for kind, value in slots),
            columns,
            bool(self._converters(columns, connection)),
        )
        with self._lock:
            self._compiled[key] = compiled
        return compiled

    def rows(self, *values: Any, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
        connection = connections[using]  # a thread-local lookup: once per call
        compiled = self._compile(using, connection)
        params = [parameter(values) for parameter in compiled.params]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if not compiled.converted:
            return rows
        return self._converted(rows, compiled.columns, connection)

    def first(self, *values: Any, using: str = DEFAULT_DB_ALIAS) -> tuple | None:
        found = self.rows(*values, using=using)
        return found[0] if found else None

    @staticmethod
    def _converters(columns: list[Any], connection) -> list[tuple[int, list, Any]]:
        # What SQLCompiler.get_converters does, with this thread's connection.
        converters = []
        for index, column in enumerate(columns):
            functions = [
                *connection.ops.get_db_converters(column),
                *column.get_db_converters(connection),
            ]
            if functions:
                converters.append((index, functions, column))
        return converters

    @classmethod
    def _converted(cls, rows: list[tuple], columns: list[Any], connection) -> list[tuple]:
        # What SQLCompiler.apply_converters does.
        converters = cls._converters(columns, connection)
        converted = []
        for row in rows:
            values = list(row)
            for index, functions, column in converters:
                value = values[index]
                for function in functions:
                    value = function(value, column, connection)
                values[index] = value
            converted.append(tuple(values))
        return converted


class PreparedUpdate:
    """``UPDATE`` of some fields of the rows of ``model`` whose ``key`` field equals a value,
    written from the model's metadata once per database: for the few rows an upload rewrites.

    ``skip_locked``: where the database has row locks, a row another transaction holds is left
    as it is rather than waited for.
    """

    def __init__(
        self, model: type[Model], fields: Sequence[str], key: str = "pk", skip_locked: bool = False
    ):
        self._model = model
        self._fields = [model._meta.get_field(name) for name in fields]
        self._key = model._meta.pk if key == "pk" else model._meta.get_field(key)
        self._skip_locked = skip_locked
        self._sql: dict[tuple[str, str], str] = {}

    def _compile(self, using: str, connection) -> str:
        sql = self._sql.get((using, connection.vendor))
        if sql is not None:
            return sql
        quote = connection.ops.quote_name
        table = quote(self._model._meta.db_table)
        assignments = ", ".join(f"{quote(field.column)} = %s" for field in self._fields)
        key = quote(self._key.column)
        features = connection.features
        if self._skip_locked and features.has_select_for_update_skip_locked:
            pk = quote(self._model._meta.pk.column)
            lock = connection.ops.for_update_sql(
                skip_locked=True, no_key=features.has_select_for_no_key_update
            )
            where = f"{pk} IN (SELECT {pk} FROM {table} WHERE {key} = %s {lock})"  # noqa: S608
        else:
            where = f"{key} = %s"
        # Identifiers come from model metadata and values are parameters: nothing user-supplied.
        sql = f"UPDATE {table} SET {assignments} WHERE {where}"  # noqa: S608
        self._sql[(using, connection.vendor)] = sql
        return sql

    def run(self, key_value: Any, *values: Any, using: str = DEFAULT_DB_ALIAS) -> int:
        """Set the fields (in order) to ``values``; returns how many rows were updated."""
        connection = connections[using]
        params = [
            field.get_db_prep_save(value, connection)
            for field, value in zip(self._fields, values, strict=True)
        ]
        params.append(self._key.get_db_prep_value(key_value, connection))
        with connection.cursor() as cursor:
            cursor.execute(self._compile(using, connection), params)
            return cursor.rowcount
