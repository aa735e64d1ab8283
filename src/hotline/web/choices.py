"""Options for the pages' select boxes: jurisdictions, categories, units and the enum labels."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from hotline.linkage import service as linkage
from hotline.org import service as org
from hotline.org.models import LEVEL_ORDER, UNIT_KIND_LABELS, JurisdictionLevel, UnitKind
from hotline.ratings.enums import CONCLUSION_LABELS, RATING_FILTER_LABELS
from hotline.tickets.categories import catalogue, full_name
from hotline.tickets.enums import (
    CHANNEL_LABELS,
    KIND_LABELS,
    REVIEW_CONCLUSION_LABELS,
    SATISFACTION_LABELS,
    STATE_LABELS,
    URGENCY_LABELS,
    Channel,
)


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    group: str = ""


def _enum_options(labels: dict) -> list[Option]:  # type: ignore[type-arg]
    return [Option(str(k), v) for k, v in labels.items()]


KINDS = _enum_options(KIND_LABELS)
URGENCIES = _enum_options(URGENCY_LABELS)
CHANNELS = _enum_options(CHANNEL_LABELS)
PUBLIC_CHANNELS = [Option(str(Channel.WEB), CHANNEL_LABELS[Channel.WEB])]
STATES = _enum_options(STATE_LABELS)
SATISFACTIONS = _enum_options(SATISFACTION_LABELS)
RATING_FILTERS = _enum_options(RATING_FILTER_LABELS)
CONCLUSIONS = _enum_options(CONCLUSION_LABELS)
REVIEW_CONCLUSIONS = _enum_options(REVIEW_CONCLUSION_LABELS)


def categories() -> list[Option]:
    """Every category with its full name (城乡建设 / 市政设施 / 路灯), in code order."""
    return [Option(code, full_name(code)) for code in sorted(catalogue())]


def jurisdictions(db: Session, *, below_city: bool = False) -> list[Option]:
    """The jurisdiction tree, indented by level (`below_city`: districts, streets and communities)."""
    top = LEVEL_ORDER.index(JurisdictionLevel.CITY)
    options = []
    for j in org.list_jurisdictions(db):
        if below_city and LEVEL_ORDER.index(JurisdictionLevel(j.level)) <= top:
            continue
        depth = max(LEVEL_ORDER.index(JurisdictionLevel(j.level)) - top, 0)
        options.append(Option(j.code, "\u3000" * depth + j.name))
    return options


LINKED_GROUPS = {"main": "外地及省级12345", "emergency": "紧急热线", "utility": "公共事业热线"}


def linked_lines(db: Session, home_city: str) -> list[Option]:
    """The platforms a request may be passed to or come from (联动转办), grouped: another place's 12345, the
    emergency lines, the utilities."""
    return [Option(str(x.id), linkage.platform_label(x), LINKED_GROUPS.get(x.kind, "其他"))
            for x in linkage.linked_lines(db, home_city=home_city)]


def handling_units(db: Session) -> list[Option]:
    """Units a ticket can be dispatched to (the 12345 centre itself is not one), grouped by kind."""
    return [
        Option(str(u.id), u.name, UNIT_KIND_LABELS[UnitKind(u.kind)])
        for u in org.list_units(db)
        if u.kind != UnitKind.HOTLINE_CENTER
    ]
