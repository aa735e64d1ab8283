"""Two portable SQL functions: the local (Asia/Shanghai) day of a UTC timestamp and the month of a day.

China has no daylight saving time: the local day is the UTC time plus eight hours on SQLite."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


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
