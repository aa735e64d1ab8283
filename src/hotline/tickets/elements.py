"""The five intake elements (受理五要素): which are required for which kind of request."""

from __future__ import annotations

from typing import Any

from hotline.tickets.enums import Kind

ELEMENT_LABELS = {
    "who": "诉求人（姓名或匿名）",
    "when": "发生时间",
    "where": "发生地点",
    "what": "诉求内容",
    "how": "事情经过",
}

# A consultation or a suggestion needs no place, time or course of events; a matter to be handled does.
_REQUIRED = {
    Kind.CONSULTATION: ("who", "what"),
    Kind.SUGGESTION: ("who", "what"),
    Kind.PRAISE: ("who", "what"),
    Kind.HELP: ("who", "when", "where", "what", "how"),
    Kind.COMPLAINT: ("who", "when", "where", "what", "how"),
    Kind.REPORT: ("who", "when", "where", "what", "how"),
}


def _present(value: Any) -> bool:
    return value is not None and (not isinstance(value, str) or bool(value.strip()))


def missing_elements(kind: Kind, fields: dict[str, Any]) -> list[str]:
    """The required elements that the intake left empty, in the canonical order."""
    present = {
        "who": fields.get("requester_anonymous") or _present(fields.get("requester_name")),
        "when": _present(fields.get("occurred_at")) or _present(fields.get("occurred_desc")),
        "where": _present(fields.get("address")) or _present(fields.get("jurisdiction_id"))
        or _present(fields.get("jurisdiction_code")),
        "what": _present(fields.get("content")),
        "how": _present(fields.get("circumstances")),
    }
    return [e for e in _REQUIRED[kind] if not present[e]]
