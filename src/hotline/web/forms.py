"""From submitted forms to the service's input models, and their errors back to Chinese text."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from hotline.clock import CHINA_TZ
from hotline.errors_http import chinese_message

INTAKE_TEXT = (
    "requester_name", "requester_phone", "requester_org", "occurred_at", "occurred_desc", "address",
    "jurisdiction_code", "title", "content", "circumstances", "category_code", "channel", "kind", "urgency",
    "next_step", "lead_unit_id", "dispatch_note", "answer", "answer_source", "idem", "kb_key",
    "linked_from_line_id", "linked_from_ref",  # 联动转入: the platform that passed the request in, its number
    "screening_seen",  # the screening hits the operator was shown, to confirm those and no others
    "sms_ids",  # the texts (短信受理) this form registers, when it was opened from them
    "wechat_ids",  # the WeChat messages (微信受理) this form registers, likewise
)
INTAKE_FLAGS = ("requester_anonymous", "is_enterprise", "confidential", "is_complex", "screening_confirmed")
ACTION_TEXT = ("note", "reason", "content", "answer", "answer_source", "lead_unit_id", "days", "solved",
               "satisfaction", "conclusion", "parent_number", "comment", "category_code", "jurisdiction_code",
               "line_id", "external_ref")


def text(form: FormData, name: str) -> str:
    """A field as typed. Browsers send a textarea's line breaks as CRLF but count them as one
    character against `maxlength`: stored and counted as LF, the server agrees with the form."""
    value = form.get(name)
    return value.replace("\r\n", "\n").replace("\r", "\n").strip() if isinstance(value, str) else ""


def is_id(value: str) -> bool:
    """A number to look up by (an id, a version, a count of days): decimal digits (not "²"), few
    enough to fit the database's integer (a 5,000-digit one is no id either)."""
    return value.isdecimal() and len(value) <= 9


def flag(form: FormData, name: str) -> bool:
    return text(form, name) in ("1", "on", "true", "yes")


def id_list(form: FormData, name: str) -> list[str]:
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def as_int(value: str) -> int | str:
    """An int when it is one; otherwise the raw text, so that validation names the field."""
    try:
        return int(value)
    except ValueError:
        return value


def local_datetime(value: str) -> datetime | str:
    """A datetime-local input (no zone) read as Nanjing time; bad text passes on to validation."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=CHINA_TZ)


def local_day_start(value: str, *, next_day: bool = False) -> datetime | None:
    """A date input as the start of that local day (or of the day after, for an exclusive bound)."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    if next_day:
        day += timedelta(days=1)
    return datetime.combine(day, time(0, 0), tzinfo=CHINA_TZ)


def errors_of(exc: ValidationError, labels: dict[str, str] | None = None) -> list[str]:
    messages: list[str] = []
    for err in exc.errors():
        message = chinese_message(dict(err), labels)
        if message not in messages:
            messages.append(message)
    return messages


# ---- intake -------------------------------------------------------------------------------


def intake_values(form: FormData) -> dict[str, Any]:
    """Everything typed into the intake form, as it was typed (to show it again on error)."""
    values: dict[str, Any] = {name: text(form, name) for name in INTAKE_TEXT}
    values.update({name: flag(form, name) for name in INTAKE_FLAGS})
    values["assisting_unit_ids"] = id_list(form, "assisting_unit_ids")
    return values


def intake_data(values: dict[str, Any]) -> dict[str, Any]:
    """The TicketCreate payload: empty fields left out, so that a missing one is named as missing."""
    data: dict[str, Any] = {}
    for name in ("requester_name", "requester_phone", "requester_org", "occurred_desc", "address",
                 "jurisdiction_code", "title", "content", "circumstances", "category_code", "channel", "kind",
                 "urgency", "linked_from_ref"):
        if values.get(name):
            data[name] = values[name]
    if values.get("linked_from_line_id"):
        data["linked_from_line_id"] = as_int(values["linked_from_line_id"])
    for name in INTAKE_FLAGS:
        data[name] = bool(values.get(name))
    if values.get("occurred_at"):
        data["occurred_at"] = local_datetime(values["occurred_at"])
    step = values.get("next_step")
    if step == "dispatch":
        dispatch: dict[str, Any] = {"assisting_unit_ids": [as_int(v) for v in values.get("assisting_unit_ids", [])]}
        if values.get("lead_unit_id"):
            dispatch["lead_unit_id"] = as_int(values["lead_unit_id"])
        if values.get("dispatch_note"):
            dispatch["note"] = values["dispatch_note"]
        data["dispatch"] = dispatch
    elif step == "answer":
        data["direct_answer"] = {k: values[k] for k in ("answer", "answer_source") if values.get(k)}
    return data


# ---- workflow actions ---------------------------------------------------------------------


def action_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {name: text(form, name) for name in ACTION_TEXT}
    values["assisting_unit_ids"] = id_list(form, "assisting_unit_ids")
    # The form had the assisting units' list: what is chosen there, even nothing, is the choice.
    values["assisting_units_shown"] = flag(form, "assisting_units_shown")
    return values


def action_data(values: dict[str, Any]) -> dict[str, Any]:
    """The ActionIn payload from an action form."""
    data: dict[str, Any] = {}
    for name in ("note", "reason", "content", "answer", "answer_source", "satisfaction", "conclusion", "parent_number",
                 "comment", "category_code", "jurisdiction_code", "external_ref"):
        if values.get(name):
            data[name] = values[name]
    for name in ("lead_unit_id", "days", "line_id"):
        if values.get(name):
            data[name] = as_int(values[name])
    if values.get("assisting_unit_ids") or values.get("assisting_units_shown"):
        data["assisting_unit_ids"] = [as_int(v) for v in values.get("assisting_unit_ids", [])]
    if values.get("solved") in ("yes", "no"):
        data["solved"] = values["solved"] == "yes"
    return data
