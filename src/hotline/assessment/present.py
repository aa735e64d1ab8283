"""Service results as API schemas (shared by the API and the Excel export)."""

from __future__ import annotations

from hotline.assessment.indicators import (
    EXEMPTION_LABELS,
    EXEMPTION_STATUS_LABELS,
    INDICATORS,
    ExemptionKind,
    ExemptionStatus,
)
from hotline.assessment.schemas import (
    ExemptionOut,
    FigureOut,
    PeriodOut,
    PresetOut,
    UnitScoreOut,
    WeightOut,
)
from hotline.assessment.scoring import Preset
from hotline.assessment.service import ExemptionView, Figure, Period, UnitScore


def figure_out(f: Figure) -> FigureOut:
    return FigureOut(indicator=str(f.indicator), label=f.label, num=f.num, den=f.den, rate=f.rate)


def unit_out(u: UnitScore) -> UnitScoreOut:
    return UnitScoreOut(unit_id=u.unit_id, unit_name=u.unit_name, rank=u.rank, score=u.score, volume=u.volume,
                        too_few=u.too_few, figures=[figure_out(f) for f in u.figures.values()], trend=u.trend)


def period_out(p: Period) -> PeriodOut:
    return PeriodOut(start=p.start, end=p.end, label=p.label)


def preset_out(p: Preset) -> PresetOut:
    return PresetOut(code=p.code, name=p.name, description=p.description, official=p.official,
                     weights=[WeightOut(indicator=str(w.indicator), label=INDICATORS[w.indicator].label,
                                        weight=w.weight, higher_is_better=INDICATORS[w.indicator].higher_is_better)
                              for w in p.weights])


def exemption_out(v: ExemptionView) -> ExemptionOut:
    r = v.row
    return ExemptionOut(
        id=r.id, ticket_id=r.ticket_id, number=v.number, title=v.title, kind=r.kind,
        kind_label=EXEMPTION_LABELS[ExemptionKind(r.kind)], status=r.status,
        status_label=EXEMPTION_STATUS_LABELS[ExemptionStatus(r.status)], reason=r.reason, unit_id=r.unit_id,
        unit_name=v.unit_name, indicators=list(r.indicators), requested_by_name=r.requested_by_name,
        requested_at=r.requested_at, decided_by_name=r.decided_by_name, decided_at=r.decided_at,
        decision_reason=r.decision_reason, revoked_by_name=r.revoked_by_name, revoked_at=r.revoked_at,
        revoke_reason=r.revoke_reason,
    )
