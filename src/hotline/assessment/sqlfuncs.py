"""Portable SQL constructs: the local (Asia/Shanghai) day of a UTC timestamp, the month of a day,
membership in a small subquery, and the position of a substring.

China has no daylight saving time: the local day is the UTC time plus eight hours on SQLite."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ColumnElement, Date, Integer, Select, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal


class local_day(FunctionElement[Any]):  # noqa: N801 - reads as a SQL function
    type = Date()
    name = "local_day"
    inherit_cache = True


@compiles(local_day, "postgresql")
def _local_day_pg(element: local_day, compiler: Any, **kw: Any) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)} AT TIME ZONE 'Asia/Shanghai') AS DATE)"


@compiles(local_day)
def _local_day_sqlite(element: local_day, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


class month_of(FunctionElement[Any]):  # noqa: N801
    """The first day of a DATE's month, grouped on cheaply; read it back with str(value)[:7] ('YYYY-MM')."""

    type = String()
    name = "month_of"
    inherit_cache = True


@compiles(month_of, "postgresql")
def _month_pg(element: month_of, compiler: Any, **kw: Any) -> str:
    return f"date_trunc('month', {compiler.process(element.clauses, **kw)})"


@compiles(month_of)
def _month_sqlite(element: month_of, compiler: Any, **kw: Any) -> str:
    return f"strftime('%Y-%m-01', {compiler.process(element.clauses, **kw)})"


class in_few(ColumnElement[bool]):  # noqa: N801
    """`column IN (subquery)` for a subquery known to return few values (one refresh batch's tickets).

    On PostgreSQL it is written `column = ANY(ARRAY(subquery))`: the values are computed first and the
    column's index is probed once per value. With a plain IN the planner estimates the subquery's size
    from statistics and may choose a merge join that reads the index of the whole table from its start,
    which makes every later batch of a full build slower than the one before."""

    type = Boolean()
    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("subquery", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: ColumnElement[Any], subquery: Select[Any]) -> None:
        self.column = column
        self.subquery = subquery.scalar_subquery()


@compiles(in_few, "postgresql")
def _in_few_pg(element: in_few, compiler: Any, **kw: Any) -> str:
    return f"{compiler.process(element.column, **kw)} = ANY(ARRAY{compiler.process(element.subquery, **kw)})"


@compiles(in_few)
def _in_few_default(element: in_few, compiler: Any, **kw: Any) -> str:
    return f"{compiler.process(element.column, **kw)} IN {compiler.process(element.subquery, **kw)}"


class position_of(FunctionElement[int]):  # noqa: N801 - reads as a SQL function
    """1-based position of a substring (0 when absent): instr() on SQLite, strpos() on PostgreSQL."""

    type = Integer()
    name = "position_of"
    inherit_cache = True


@compiles(position_of, "postgresql")
def _position_pg(element: position_of, compiler: Any, **kw: Any) -> str:
    return f"strpos({compiler.process(element.clauses, **kw)})"


@compiles(position_of)
def _position_default(element: position_of, compiler: Any, **kw: Any) -> str:
    return f"instr({compiler.process(element.clauses, **kw)})"
