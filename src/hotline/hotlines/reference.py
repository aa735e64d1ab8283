"""The consolidation lists shipped as reference data (reference/hotlines.json), read and validated.

Only numbers that the public documents give, or well-known national numbers, are shipped; a line
whose number is not known is listed under `pending` and an administrator registers it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hotline.errors import DomainError
from hotline.hotlines.enums import MergeMode, SeatArrangement

REFERENCE_FILE = Path(__file__).resolve().parent.parent / "reference" / "hotlines.json"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MainLine(_Strict):
    number: str = Field(pattern=r"^[0-9]{3,12}$")
    name: str
    owner: str | None = None
    note: str | None = None


class ListedLine(_Strict):
    mode: MergeMode
    name: str
    number: str = Field(pattern=r"^[0-9]{3,12}$")
    owner: str | None = None
    seats: SeatArrangement = SeatArrangement.NONE
    note: str | None = None


class LinkedLine(_Strict):
    kind: Literal["emergency", "utility"]
    number: str = Field(pattern=r"^[0-9]{3,12}$")
    name: str
    owner: str | None = None
    service: Literal["water", "power", "gas", "heating"] | None = None
    note: str | None = None


class Pending(_Strict):
    name: str
    owner: str | None = None
    note: str


class CityList(_Strict):
    city: str
    jurisdiction_code: str | None = None
    source: str
    issued: date
    main: MainLine
    lines: list[ListedLine]
    linked: list[LinkedLine] = Field(default_factory=list)
    pending: list[Pending] = Field(default_factory=list)


class ReferenceFile(_Strict):
    about: str = ""
    cities: list[CityList]


def load(path: Path | None = None) -> ReferenceFile:
    path = path or REFERENCE_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DomainError("reference_unreadable", f"无法读取热线清单文件 {path}：{exc.strerror}",
                          status_code=422) from exc
    except json.JSONDecodeError as exc:
        raise DomainError("reference_invalid", f"热线清单文件 {path} 不是合法的 JSON（第 {exc.lineno} 行）",
                          status_code=422) from exc
    try:
        data = ReferenceFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise DomainError("reference_invalid", f"热线清单文件 {path} 格式错误：{where} {first['msg']}",
                          status_code=422) from exc
    for city in data.cities:
        numbers = [city.main.number, *(x.number for x in city.lines), *(x.number for x in city.linked)]
        duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
        if duplicates:
            raise DomainError("reference_invalid", f"{city.city}的清单中号码重复：{'、'.join(duplicates)}",
                              status_code=422)
    return data
