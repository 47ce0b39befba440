"""Plotly figure builders shared by the `incubench evaluate` report and the GraphQL ``chart`` query.

Each function returns a plain figure dict (``{"data": [...], "layout": {...}}``, JSON-ready) built with
the plotly package. Labels are Chinese by default (``lang="zh"``) or English (``lang="en"``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from evaluation import NOT_TIERED, EvaluationResult, RobustnessResult

__all__ = ["TIER_COLORS", "dimension_heatmap", "radar", "rank_intervals", "rank_trends", "ranking_bar"]

TIER_COLORS = {
    "benchmark": "#2e7d32",
    "near_benchmark": "#1565c0",
    "developing": "#ef6c00",
    "needs_improvement": "#c62828",
    "insufficient_data": "#9e9e9e",
}

_TEXT = {
    "zh": {"composite": "综合得分", "rank": "排名", "incubator": "孵化器", "score": "得分",
           "ranking_title": "综合得分排名", "radar_title": "五维得分与标杆门槛", "threshold": "标杆门槛",
           "intervals_title": "排名稳健性（5%–95% 区间与中位数）", "median": "中位排名", "quarter": "季度",
           "trends_title": "排名走势", "heatmap_title": "各维度得分", "dimension": "维度", "tier": "等级"},
    "en": {"composite": "Composite score", "rank": "Rank", "incubator": "Incubator", "score": "Score",
           "ranking_title": "Composite score ranking", "radar_title": "Five dimensions vs benchmark threshold",
           "threshold": "Benchmark threshold", "intervals_title": "Rank robustness (5–95 % interval and median)",
           "median": "Median rank", "quarter": "Quarter", "trends_title": "Rank trends",
           "heatmap_title": "Dimension scores", "dimension": "Dimension", "tier": "Tier"},
}


def _t(lang: str) -> dict[str, str]:
    return _TEXT["en" if lang == "en" else "zh"]


def _plain(fig: go.Figure) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(fig.to_json())
    return out


def _name(names: Mapping[str, str] | None, inc: str) -> str:
    return names.get(inc, inc) if names else inc


def _tier_name(result: EvaluationResult, tier: str, lang: str) -> str:
    rule = result.scheme.tier(tier)
    return rule.name_en if lang == "en" else rule.name_zh


def _dim_names(result: EvaluationResult, lang: str) -> list[str]:
    return [d.name_en if lang == "en" else d.name_zh for d in result.scheme.dimensions]


def _num(v: float) -> float | None:
    return None if math.isnan(v) else round(float(v), 2)


def ranking_bar(result: EvaluationResult, names: Mapping[str, str] | None = None, lang: str = "zh") -> dict[str, Any]:
    """Composite score bars in rank order, coloured by tier (one trace per tier for the legend)."""
    t = _t(lang)
    order = result.order()
    fig = go.Figure()
    for tier in [*(r.id for r in result.scheme.tiers), result.scheme.insufficient_data.id, NOT_TIERED.id]:
        rows = [i for i in order if result.tiers[i] == tier]
        if not rows:
            continue
        fig.add_trace(go.Bar(
            x=[_name(names, result.incubator_ids[i]) for i in rows], y=[_num(result.composite[i]) for i in rows],
            name=_tier_name(result, tier, lang), marker_color=TIER_COLORS.get(tier, "#607d8b"),
            customdata=[int(result.ranks[i]) for i in rows],
            hovertemplate=f"%{{x}}<br>{t['composite']}: %{{y:.1f}}<br>{t['rank']}: %{{customdata}}<extra></extra>"))
    fig.update_layout(title=f"{t['ranking_title']} · {result.quarter}", yaxis={"title": t["composite"], "range": [0, 100]},
                      xaxis={"title": t["incubator"], "categoryorder": "array",
                             "categoryarray": [_name(names, result.incubator_ids[i]) for i in order]},
                      barmode="overlay", legend={"title": t["tier"]})
    return _plain(fig)


def radar(result: EvaluationResult, incubator_id: str, names: Mapping[str, str] | None = None,
          lang: str = "zh", target_tier: str = "benchmark") -> dict[str, Any]:
    """Five dimension scores of one incubator against the benchmark tier's per-dimension threshold."""
    t = _t(lang)
    i = result.index(incubator_id)
    dims = _dim_names(result, lang)
    rule = result.scheme.tier(target_tier)
    thr = rule.min_dimension if rule.min_dimension is not None else 0.0
    scores = [_num(v) or 0.0 for v in result.dimension_scores[i]]
    fig = go.Figure()
    fig.add_trace(go.Scatterpolar(r=[*scores, scores[0]], theta=[*dims, dims[0]], fill="toself",
                                  name=_name(names, incubator_id),
                                  line_color=TIER_COLORS.get(result.tiers[i], "#607d8b")))
    fig.add_trace(go.Scatterpolar(r=[thr] * (len(dims) + 1), theta=[*dims, dims[0]], name=t["threshold"],
                                  line={"dash": "dash", "color": "#424242"}))
    # Name and subject on two lines: long English names would otherwise be cut at the chart's edge.
    fig.update_layout(title={"text": f"{_name(names, incubator_id)}<br><sub>{t['radar_title']}</sub>",
                             "font": {"size": 14}},
                      polar={"radialaxis": {"range": [0, 100], "angle": 90, "tickfont": {"size": 9}},
                             "angularaxis": {"tickfont": {"size": 11}}},
                      margin={"l": 70, "r": 70, "t": 60, "b": 60}, showlegend=True,
                      legend={"orientation": "h", "x": 0.5, "xanchor": "center", "y": -0.12})
    return _plain(fig)


def rank_intervals(robustness: RobustnessResult, names: Mapping[str, str] | None = None,
                   lang: str = "zh") -> dict[str, Any]:
    """Median rank with 5–95 % interval per incubator (Monte Carlo robustness), best first."""
    t = _t(lang)
    order = sorted(range(len(robustness.incubator_ids)), key=lambda k: (robustness.median_rank[k], k))
    labels = [_name(names, robustness.incubator_ids[k]) for k in order]
    med = [float(robustness.median_rank[k]) for k in order]
    fig = go.Figure(go.Scatter(
        x=med, y=labels, mode="markers", name=t["median"], marker={"size": 9, "color": "#1565c0"},
        error_x={"type": "data", "symmetric": False,
                 "array": [float(robustness.p95[k]) - m for k, m in zip(order, med, strict=True)],
                 "arrayminus": [m - float(robustness.p05[k]) for k, m in zip(order, med, strict=True)]}))
    fig.update_layout(title=f"{t['intervals_title']} · n={robustness.draws}",
                      xaxis={"title": t["rank"], "autorange": "reversed"},
                      yaxis={"autorange": "reversed", "title": t["incubator"]})
    return _plain(fig)


def rank_trends(series: Mapping[str, Mapping[str, int | None]], names: Mapping[str, str] | None = None,
                lang: str = "zh") -> dict[str, Any]:
    """Rank over quarters: ``series[incubator_id][quarter] = rank`` (None = not ranked that quarter)."""
    t = _t(lang)
    fig = go.Figure()
    for inc, points in series.items():
        qs = sorted(points)
        fig.add_trace(go.Scatter(x=qs, y=[points[q] for q in qs], mode="lines+markers", name=_name(names, inc)))
    fig.update_layout(title=t["trends_title"], xaxis={"title": t["quarter"], "type": "category"},
                      yaxis={"title": t["rank"], "autorange": "reversed", "dtick": 1})
    return _plain(fig)


def dimension_heatmap(result: EvaluationResult, names: Mapping[str, str] | None = None, lang: str = "zh",
                      incubator_ids: Sequence[str] | None = None) -> dict[str, Any]:
    """Incubators (rank order) × five dimension scores."""
    t = _t(lang)
    rows = result.order() if incubator_ids is None else [result.index(i) for i in incubator_ids]
    fig = go.Figure(go.Heatmap(
        z=[[_num(v) for v in result.dimension_scores[i]] for i in rows], x=_dim_names(result, lang),
        y=[_name(names, result.incubator_ids[i]) for i in rows], zmin=0, zmax=100, colorscale="RdYlGn",
        colorbar={"title": t["score"]}, hovertemplate="%{y}<br>%{x}: %{z:.1f}<extra></extra>"))
    # Every incubator labelled (Plotly thins category ticks to fit unless told otherwise).
    fig.update_layout(title=f"{t['heatmap_title']} · {result.quarter}",
                      yaxis={"autorange": "reversed", "dtick": 1, "automargin": True, "tickfont": {"size": 10}},
                      xaxis={"title": t["dimension"], "automargin": True},
                      height=max(360, 120 + 22 * len(rows)))
    return _plain(fig)
