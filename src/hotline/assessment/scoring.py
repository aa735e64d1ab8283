"""Presets (indicators and weights, shipped as JSON) and the composite score: pure functions.

No weight here is official: the presets are examples after the Beijing 三率 and a Guangdong-style set.
A score is the weighted mean of the preset's indicators that have data (den > 0), each scored 0–100
(a lower-is-better indicator as 100 × (1 − rate)); weights of indicators without data are left out and
the rest renormalised, so that a unit is not punished for, say, having had no callbacks yet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from hotline.assessment.indicators import INDICATORS, Indicator
from hotline.errors import DomainError, NotFound


@dataclass(frozen=True)
class Weight:
    indicator: Indicator
    weight: float


@dataclass(frozen=True)
class Preset:
    code: str
    name: str
    description: str
    weights: tuple[Weight, ...]
    official: bool = False


def parse_preset(raw: dict[str, object]) -> Preset:
    """Validate one preset; a bad file is refused with the reason (at start-up, by presets())."""
    code = str(raw.get("code") or "")
    items = raw.get("indicators")
    if not code or not isinstance(items, list) or not items:
        raise DomainError("preset_invalid", f"考核方案 {code or '?'} 缺少编号或指标")
    weights = []
    for item in items:
        try:
            indicator = Indicator(item["code"])
            weight = float(item["weight"])
        except (KeyError, ValueError, TypeError) as exc:
            raise DomainError("preset_invalid", f"考核方案 {code} 的指标配置有误：{item}") from exc
        if INDICATORS[indicator].scope != "unit":
            label = INDICATORS[indicator].label
            raise DomainError("preset_invalid", f"考核方案 {code}：{label}属于中心，不考核承办单位")
        if weight <= 0:
            raise DomainError("preset_invalid", f"考核方案 {code}：权重须为正数")
        weights.append(Weight(indicator, weight))
    return Preset(code=code, name=str(raw.get("name") or code), description=str(raw.get("description") or ""),
                  weights=tuple(weights), official=bool(raw.get("official", False)))


@cache
def presets() -> dict[str, Preset]:
    out: dict[str, Preset] = {}
    for entry in sorted(resources.files("hotline.assessment").joinpath("presets").iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".json"):
            preset = parse_preset(json.loads(entry.read_text(encoding="utf-8")))
            out[preset.code] = preset
    return out


DEFAULT_PRESET = "beijing_three_rates"


def get_preset(code: str | None) -> Preset:
    found = presets().get(code or DEFAULT_PRESET)
    if found is None:
        names = "、".join(presets())
        raise NotFound("preset_not_found", f"考核方案 {code} 不存在（可选：{names}）")
    return found


def rate(num: int, den: int) -> float | None:
    return num / den if den > 0 else None


def indicator_points(indicator: Indicator, value: float) -> float:
    """0–100 points for a rate, higher is better."""
    value = min(max(value, 0.0), 1.0)
    return 100.0 * (value if INDICATORS[indicator].higher_is_better else 1.0 - value)


def score(preset: Preset, figures: dict[str, tuple[int, int]]) -> float | None:
    """The weighted score of one unit's (num, den) per indicator; None when no indicator has data."""
    total = weight_sum = 0.0
    for w in preset.weights:
        num, den = figures.get(str(w.indicator), (0, 0))
        value = rate(num, den)
        if value is None:
            continue
        total += w.weight * indicator_points(w.indicator, value)
        weight_sum += w.weight
    return round(total / weight_sum, 2) if weight_sum else None
