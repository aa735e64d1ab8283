"""The article form: from what an editor typed to the knowledge service's input, and from a stored
version back to the form (to revise it, or to restore an old version)."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from hotline.clock import to_local
from hotline.knowledge.models import ArticleVersion
from hotline.org.models import Jurisdiction
from hotline.web.forms import as_int, local_day_start, text

FIELDS = ("key", "owner_unit_id", "title", "questions", "phrasings", "answer", "policy_basis", "policy_source",
          "category_code", "audience", "jurisdiction_code", "tags", "valid_from", "expires_on", "change_note",
          "base_version")
# How far ahead the editors' 即将到期 list looks.
EXPIRING_DAYS = 30
# Tags may be separated the way people type them: commas (either width), 、, semicolons or spaces.
TAG_SPLIT = re.compile(r"[,，、;；\s]+")


def lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def article_values(form: FormData) -> dict[str, str]:
    """Everything typed, as typed (shown again when the save is refused)."""
    return {name: text(form, name) for name in FIELDS}


def _day(value: str, field: str) -> Any:
    """A date input as the start of that local day; bad text passes on so validation names it."""
    if not value:
        return None
    return local_day_start(value) or f"{field}：{value}"


def expires_on(expires_at: datetime | None) -> str:
    """The form's 失效日期 — the first day the answer no longer applies — of a stored expiry: the
    day itself at local midnight, else the next day (an answer expiring at 23:59:59 still applies
    that day)."""
    if expires_at is None:
        return ""
    local = to_local(expires_at)
    day = local.date() if local.time() == time(0) else local.date() + timedelta(days=1)
    return day.isoformat()


def article_data(values: dict[str, str], *, creating: bool, keep: ArticleVersion | None = None) -> dict[str, Any]:
    """The ArticleCreate / ArticleIn payload; empty fields left out so a missing one is named. A date
    left as `keep` (the version revised) showed it keeps its exact time."""
    data: dict[str, Any] = {"questions": lines(values.get("questions", "")),
                            "phrasings": lines(values.get("phrasings", "")),
                            "tags": [t for t in TAG_SPLIT.split(values.get("tags", "")) if t]}
    for name in ("title", "answer", "policy_basis", "policy_source", "category_code", "audience",
                 "jurisdiction_code", "change_note"):
        if values.get(name):
            data[name] = values[name]
    shown = version_dates(keep) if keep is not None else {}
    if values.get("valid_from"):
        same = keep is not None and values["valid_from"] == shown["valid_from"]
        data["valid_from"] = keep.valid_from if same and keep else _day(values["valid_from"], "生效日期")
    if values.get("expires_on"):
        same = keep is not None and values["expires_on"] == shown["expires_on"]
        # 失效日期 is the first day the answer no longer applies: it expires at 0:00 that day.
        data["expires_at"] = keep.expires_at if same and keep else _day(values["expires_on"], "失效日期")
    if not creating and values.get("base_version", "").isdigit():
        data["base_version"] = int(values["base_version"])  # the version the editor started from
    if creating:
        if values.get("key"):
            data["key"] = values["key"]
        if values.get("owner_unit_id"):
            data["owner_unit_id"] = as_int(values["owner_unit_id"])
    return data


def version_values(db: Session, v: ArticleVersion) -> dict[str, str]:
    """A stored version as form values (dates back to local days)."""
    code = ""
    if v.jurisdiction_id is not None:
        j = db.get(Jurisdiction, v.jurisdiction_id)
        code = j.code if j else ""
    return {
        "title": v.title, "questions": "\n".join(v.questions), "phrasings": "\n".join(v.phrasings),
        "answer": v.answer, "policy_basis": v.policy_basis or "", "policy_source": v.policy_source or "",
        "category_code": v.category_code or "", "audience": v.audience, "jurisdiction_code": code,
        "tags": "、".join(v.tags),
        **version_dates(v),
        "change_note": "",
    }


def version_dates(v: ArticleVersion) -> dict[str, str]:
    return {"valid_from": to_local(v.valid_from).date().isoformat() if v.valid_from else "",
            "expires_on": expires_on(v.expires_at)}
