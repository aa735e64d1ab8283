"""A dispatch suggestion for a request: scope screening, the place, the category, the catalogue's
decision with its explanation, duplicates — and whether all of it is sure enough to dispatch
without a human (auto-dispatch).

Auto-dispatch needs every link to hold: no screening hit (an emergency or out-of-scope matter is
for the operator), no duplicate candidate (merging is a person's call), a category set by the
operator or predicted above the model's own threshold (chosen on cross-validation for 98%
precision), a place from the ticket or read with confidence, and a catalogue rule that covers both."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.dispatch.catalogue import Decision, decide, has_narrower
from hotline.dispatch.duplicates import DuplicateCheck, find_duplicates
from hotline.dispatch.hints import Hints, hints
from hotline.dispatch.place import PLACE_CONFIDENCE, PlaceGuess, gazetteer, guess_place
from hotline.dispatch.screening import ScreeningHit, screen
from hotline.org.models import Jurisdiction
from hotline.runtime import Runtime
from hotline.security.actor import Actor
from hotline.tickets.categories import catalogue, full_name
from hotline.tickets.enums import KIND_LABELS, Kind
from hotline.tickets.models import Ticket

DECIDE_CONFIDENCE = 0.5  # a predicted category below this does not pick the catalogue's unit
# Below this a predicted category is no proposal: shown as the model's best guess, with no button to
# take it (QA: a demo model trained on templates said 商贸旅游文化/体育 at 3% for a quarter of fresh requests).
PROPOSE_CONFIDENCE = 0.2


@dataclass(frozen=True)
class CategoryGuess:
    code: str | None
    name: str
    source: str  # "ticket" (set by a person) | "model"
    confidence: float | None = None
    auto_dispatch: bool = False
    alternatives: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class KindGuess:
    """The request kind a kind model reads in the text (only asked when the kind is not yet known)."""

    code: str | None  # a Kind, or None when the model's label is none of ours
    name: str
    confidence: float
    auto_dispatch: bool
    alternatives: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Suggestion:
    screening: list[ScreeningHit]
    place: PlaceGuess | None
    place_source: str  # "ticket" | "text" | "none"
    category: CategoryGuess | None
    decision: Decision | None
    duplicates: DuplicateCheck
    auto_dispatch: bool
    reasons: list[str]  # why (not) automatic, in Chinese, for the dispatcher
    hints: Hints | None = None
    kind: KindGuess | None = None
    # Why the decision must not be taken in one click (an emergency; a unit chosen by the place alone
    # while the category is unknown), or None. The pages then show it as a hint, not a choice.
    tentative: str | None = None
    # What the decision relied on beyond the ticket: a place read from the text, a predicted category
    # (codes), for the dispatch to keep on a ticket that has none.
    relied_on: dict[str, str] = field(default_factory=dict)


@cache
def _load_model(path: str, mtime: float) -> Any:
    """Cached per file version: a retrained model (a new mtime) is picked up without a restart."""
    from hotline.dispatch import store

    return store.load(Path(path))


def _code_for_label(label: str) -> str | None:
    """A model's label is a category code, or a category name (the tipdm2020c labels are names)."""
    nodes = catalogue()
    if label in nodes:
        return label
    by_name = [c.code for c in nodes.values() if c.name == label]
    return min(by_name, key=len) if by_name else None


def _model(path: Path | None) -> tuple[Any, dict[str, Any]] | None:
    if not path or not Path(path).is_file():
        return None
    from hotline.dispatch.store import ModelError

    try:
        return _load_model(str(path), Path(path).stat().st_mtime)
    except (ModelError, OSError):  # a damaged model must not break the ticket page
        return None


def _category_name(label: str) -> str:
    code = _code_for_label(label)
    return full_name(code) if code else label


def predict_category(rt: Runtime, title: str, content: str) -> CategoryGuess | None:
    loaded = _model(rt.settings.dispatch_model)
    if loaded is None or loaded[1].get("label_kind") in ("unit", "kind"):  # not a category model
        return None
    prediction = loaded[0].predict(title, content)
    code = _code_for_label(prediction.label)
    return CategoryGuess(code=code, name=full_name(code) if code else prediction.label, source="model",
                         confidence=round(prediction.confidence, 3), auto_dispatch=prediction.auto_dispatch,
                         alternatives=[{"label": lab, "name": _category_name(lab), "p": round(p, 3)}
                                       for lab, p in prediction.alternatives])


_KIND_BY_LABEL = {label: str(k) for k, label in KIND_LABELS.items()}


def _kind_code(label: str) -> str | None:
    """A kind model's label: a Kind (retrained from tickets) or its Chinese name (labelled work orders)."""
    return label if label in {str(k) for k in Kind} else _KIND_BY_LABEL.get(label)


def predict_kind(rt: Runtime, title: str, content: str) -> KindGuess | None:
    loaded = _model(rt.settings.kind_model)
    if loaded is None:
        return None
    p = loaded[0].predict(title, content)
    code = _kind_code(p.label)
    return KindGuess(code=code, name=_kind_name(p.label), confidence=round(p.confidence, 3),
                     auto_dispatch=p.auto_dispatch,
                     alternatives=[{"label": lab, "name": _kind_name(lab), "p": round(q, 3)}
                                   for lab, q in p.alternatives])


def _kind_name(label: str) -> str:
    code = _kind_code(label)
    return KIND_LABELS[Kind(code)] if code else label


def for_ticket(db: Session, rt: Runtime, *, actor: Actor, ticket: Ticket) -> Suggestion:
    """The suggestion for a registered ticket, from everything it holds."""
    return suggest(db, rt, actor=actor, title=ticket.title, content=ticket.content, address=ticket.address,
                   circumstances=ticket.circumstances, kind=ticket.kind, category_code=ticket.category_code,
                   jurisdiction_path=ticket.jurisdiction_path, ticket_id=ticket.id)


def suggest(db: Session, rt: Runtime, *, actor: Actor, title: str, content: str, address: str | None = None,
            circumstances: str | None = None, kind: str | None = None, category_code: str | None = None,
            jurisdiction_path: str | None = None, ticket_id: int | None = None) -> Suggestion:
    reasons: list[str] = []
    hits = screen(title, content, circumstances)  # what registration screens (tickets/service.py)
    if hits:
        reasons.append("受理范围提示：" + "；".join(h.reason for h in hits) + "，须由话务员确认")

    place: PlaceGuess | None = None
    place_source = "none"
    path = jurisdiction_path
    if path:
        place_source = "ticket"
    else:
        place = guess_place(db, address=address, text=f"{title} {content}")
        broad = bool(place and place.place.level in ("province", "city"))  # names no unit's area
        if place and place.confidence >= PLACE_CONFIDENCE and not broad:
            path, place_source = place.place.path, "text"
        elif place and broad:
            place_source = "text"
            reasons.append(f"地点“{place.matched}”只到全市，请人工确认区县、街道")
        elif place:
            place_source = "text"
            reasons.append(f"地点“{place.matched}”识别把握不足（{place.confidence:.0%}），请人工确认属地")
        else:
            reasons.append("未能从地址和内容中识别属地")

    if category_code:
        category: CategoryGuess | None = CategoryGuess(code=category_code, name=full_name(category_code),
                                                       source="ticket", auto_dispatch=True)
    else:
        category = predict_category(rt, title, content)
        if category is None:
            reasons.append("工单未填写诉求分类，且未配置分类模型")
        elif not category.auto_dispatch:
            reasons.append(f"分类“{category.name}”的把握度 {category.confidence:.0%} 未达自动派单阈值")
        elif category.code is None:
            reasons.append(f"模型分类“{category.name}”不在本市分类目录中")

    # A predicted category below even odds does not choose a unit: the catalogue is asked for the
    # place alone (a street's own matters), and the dispatcher sees the prediction beside it.
    unsure = bool(category and category.source == "model" and (category.confidence or 0) < DECIDE_CONFIDENCE)
    if unsure and category:
        reasons.append(f"模型分类“{category.name}”把握度 {category.confidence:.0%}，未据以匹配派单目录")
    used = category.code if category and not unsure else None
    decision = decide(db, category_code=used, jurisdiction_path=path, kind=kind)
    if decision is None:
        what = ("分类和属地" if path else "分类") if used else ("属地" if path else "")
        reasons.append(f"派单目录中没有覆盖该{what}的规则" if what else "分类和属地均未确定，派单目录无法匹配")
        if used and not path:
            reasons[-1] += "（属地未确认，按属地的规则未参与匹配）"
    # 劳动和社会保障 alone, where the catalogue tells 0401 from 0404: a person picks (a category not
    # used for the catalogue says nothing here)
    coarse = bool(used and has_narrower(db, used))
    if coarse and category:
        reasons.append(f"分类“{category.name}”不够具体：派单目录按其下级分类分派，请选择下级分类")

    duplicates = find_duplicates(db, rt, title=title, content=content, jurisdiction_path=path, actor=actor,
                                 exclude_ticket_id=ticket_id)
    if duplicates.candidates:
        reasons.append(f"发现 {len(duplicates.candidates)} 件疑似重复的在办工单，请确认是否并单")
    if duplicates.burst:
        reasons.append(f"同一事项 24 小时内已有 {duplicates.recent_similar} 件，疑似集中反映")

    # A category the suggestion itself did not use (unsure) dispatches nothing on its own.
    auto = bool(not hits and decision and category and category.code and category.auto_dispatch
                and not unsure and path and not duplicates.candidates and not coarse)
    if auto and decision:
        reasons.insert(0, f"可自动派单：{decision.chosen.explanation}")
    tentative = None
    if decision and any(h.kind == "emergency" for h in hits):
        tentative = "紧急事项应先转接，派单建议仅供参考"
    elif decision and not used:
        tentative = "仅按属地匹配（分类未定），请核对是否属于属地职责"
    relied_on = {}
    if decision and place_source == "text" and path and place:
        relied_on["jurisdiction_code"] = place.place.code
    if decision and used and category and category.source == "model":
        relied_on["category_code"] = used
    return Suggestion(screening=hits, place=place, place_source=place_source, category=category,
                      decision=decision, duplicates=duplicates, auto_dispatch=auto, reasons=reasons,
                      hints=hints(title, content), kind=None if kind else predict_kind(rt, title, content),
                      tentative=tentative, relied_on=relied_on)


def place_name(db: Session, path: str | None) -> str | None:
    if not path:
        return None
    return db.execute(select(Jurisdiction.name).where(Jurisdiction.path == path)).scalar()


def as_dict(db: Session, s: Suggestion, *, jurisdiction_path: str | None = None) -> dict[str, Any]:
    d = s.decision
    where = gazetteer(db)
    return {
        "auto_dispatch": s.auto_dispatch,
        "reasons": s.reasons,
        "screening": [{"code": h.code, "kind": h.kind, "label": h.label, "advice": h.advice,
                       "transfer_to": h.transfer_to, "matched": list(h.matched), "reason": h.reason}
                      for h in s.screening],
        "place": ({"source": "ticket", "name": place_name(db, jurisdiction_path), "path": jurisdiction_path}
                  if s.place_source == "ticket" else
                  {"source": "text", "read_from": s.place.source,  # "address" or "text": the field it was read in
                   "name": s.place.place.name, "full_name": where.chain_name(s.place.place),
                   "code": s.place.place.code,
                   "path": s.place.place.path, "matched": s.place.matched, "confidence": s.place.confidence,
                   "named": s.place.named,
                   "alternatives": [{"name": a.place.name, "full_name": where.chain_name(a.place),
                                     "code": a.place.code, "path": a.place.path, "matched": a.matched,
                                     "read_from": a.source} for a in s.place.alternatives]}
                  if s.place else None),
        "category": None if s.category is None else {
            "code": s.category.code, "name": s.category.name, "source": s.category.source,
            "confidence": s.category.confidence, "auto_dispatch": s.category.auto_dispatch,
            "proposed": s.category.source != "model" or (s.category.confidence or 0) >= PROPOSE_CONFIDENCE,
            "alternatives": s.category.alternatives},
        "decision": None if d is None else {
            "lead_unit_id": d.chosen.lead_unit_id, "lead_unit_name": d.chosen.lead_unit_name,
            "assisting_unit_ids": d.chosen.assisting_unit_ids, "explanation": d.chosen.explanation,
            "rule_id": d.chosen.rule_id, "tentative": s.tentative, "relied_on": s.relied_on,
            "alternatives": [{"lead_unit_id": c.lead_unit_id, "lead_unit_name": c.lead_unit_name,
                              "explanation": c.explanation, "rule_id": c.rule_id} for c in d.alternatives]},
        "kind": None if s.kind is None else {
            "code": s.kind.code, "name": s.kind.name, "confidence": s.kind.confidence,
            "auto_dispatch": s.kind.auto_dispatch, "alternatives": s.kind.alternatives},
        "hints": None if s.hints is None else {
            "urgency": s.hints.urgency, "urgency_words": list(s.hints.urgency_words),
            "enterprise": s.hints.enterprise, "enterprise_words": list(s.hints.enterprise_words)},
        "duplicates": {"burst": s.duplicates.burst, "recent_similar": s.duplicates.recent_similar,
                       "candidates": [{"ticket_id": c.ticket_id, "number": c.number, "title": c.title,
                                       "state": c.state, "similarity": c.similarity, "same_place": c.same_place}
                                      for c in s.duplicates.candidates]},
    }
