from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, NewType

import strawberry
from strawberry import Info

from backend.api.types.incubator import Incubator, Industry, SubArea
from backend.incubators import models as incubator_models

RankingMethod = strawberry.enum(Enum("RankingMethod", {"ARITHMETIC": "arithmetic", "GEOMETRIC": "geometric",
                                                       "TOPSIS": "topsis"}),
                                description="ARITHMETIC is the headline (target normalisation, scheme weights).")
RankingSource = strawberry.enum(Enum("RankingSource", {"LIVE": "live", "PUBLISHED": "published"}),
                                description="LIVE: current submitted metrics (staff only); PUBLISHED: a snapshot.")
ChartKind = strawberry.enum(Enum("ChartKind", {"RANKING_BARS": "ranking_bars", "RADAR": "radar",
                                               "RANK_TRENDS": "rank_trends", "RANK_INTERVALS": "rank_intervals",
                                               "DIMENSION_HEATMAP": "dimension_heatmap"}))


RankingRows = NewType("RankingRows", object)
RANKING_ROWS = strawberry.scalar(
    name="RankingRows", serialize=lambda rows: rows, parse_value=lambda value: value,
    description="A ranking page's rows as one JSON value (what a ranking table reads, with no per-field "
                "resolution): a list, in rank order, of objects with the RankingEntry fields of the same names — "
                "rank, incubatorId, nameZh, nameEn, subArea and industries (enum names, e.g. DESHENG, FINTECH; "
                "subArea null if the incubator left the registry), composite, techConversion, investment, "
                "mentoring, supplyChain, globalServices, tier, tierNameZh, tierNameEn, previousRank, rankChange, "
                "rankLow, rankHigh, medianRank, imputed, missingWeightShare.")


def table_row(row: dict[str, Any], incubator: incubator_models.Incubator | None) -> dict[str, Any]:
    """One ``RankingRows`` item (keys as the RankingEntry fields)."""
    d = row["dimensions"]
    return {"rank": row["rank"], "incubatorId": row["incubator_id"], "nameZh": row["name_zh"], "nameEn": row["name_en"],
            "subArea": incubator.sub_area.name.upper() if incubator else None,
            "industries": [i.name.upper() for i in incubator.industries] if incubator else [],
            "composite": row["composite"], "techConversion": d.get("tech_conversion"),
            "investment": d.get("investment"), "mentoring": d.get("mentoring"), "supplyChain": d.get("supply_chain"),
            "globalServices": d.get("global_services"), "tier": row["tier"], "tierNameZh": row["tier_zh"],
            "tierNameEn": row["tier_en"], "previousRank": row["previous_rank"], "rankChange": row["rank_change"],
            "rankLow": row["rank_low"], "rankHigh": row["rank_high"], "medianRank": row["median_rank"],
            "imputed": row["imputed"], "missingWeightShare": row["missing_weight_share"]}


@strawberry.type
class DimensionScore:
    dimension: str
    name_zh: str
    name_en: str
    score: float | None


@strawberry.type(description="One row of a ranking. Dimension scores and the registry fields a ranking page shows "
                              "are flat fields: a 500-row page resolves no nested object per row.")
class RankingEntry:
    rank: int
    incubator_id: strawberry.ID
    name_zh: str
    name_en: str
    sub_area: SubArea | None = strawberry.field(description="From the registry")  # type: ignore[valid-type]
    industries: list[Industry] = strawberry.field(description="From the registry")  # type: ignore[valid-type]
    composite: float | None
    tech_conversion: float | None
    investment: float | None
    mentoring: float | None
    supply_chain: float | None
    global_services: float | None
    tier: str
    tier_name_zh: str
    tier_name_en: str
    previous_rank: int | None
    rank_change: int | None = strawberry.field(description="Places gained since the previous quarter (+ up)")
    rank_low: int | None = strawberry.field(description="Best rank of the 5–95 % robustness interval")
    rank_high: int | None = strawberry.field(description="Worst rank of the 5–95 % robustness interval")
    median_rank: float | None
    imputed: list[str] = strawberry.field(description="Indicators whose value was imputed, excluded or penalised")
    missing_weight_share: float
    _dimension_names: strawberry.Private[dict[str, tuple[str, str]]]

    @strawberry.field
    def dimensions(self) -> list[DimensionScore]:
        return [DimensionScore(dimension=d, name_zh=zh, name_en=en, score=getattr(self, d))
                for d, (zh, en) in self._dimension_names.items()]

    @strawberry.field(description="The incubator's registry record (batched by a DataLoader).")
    async def incubator(self, info: Info) -> Incubator | None:
        found = await info.context.loaders.incubator.load(str(self.incubator_id))
        return Incubator.from_model(found) if found else None

    @classmethod
    def from_row(cls, row: dict[str, Any], dimension_names: dict[str, tuple[str, str]],
                 incubator: incubator_models.Incubator | None = None) -> RankingEntry:
        d = row["dimensions"]
        return cls(rank=row["rank"], incubator_id=strawberry.ID(row["incubator_id"]), name_zh=row["name_zh"],
                   name_en=row["name_en"],
                   sub_area=SubArea(incubator.sub_area.value) if incubator else None,
                   industries=[Industry(i.value) for i in incubator.industries] if incubator else [],
                   composite=row["composite"], tech_conversion=d.get("tech_conversion"),
                   investment=d.get("investment"), mentoring=d.get("mentoring"), supply_chain=d.get("supply_chain"),
                   global_services=d.get("global_services"), tier=row["tier"], tier_name_zh=row["tier_zh"],
                   tier_name_en=row["tier_en"], previous_rank=row["previous_rank"], rank_change=row["rank_change"],
                   rank_low=row["rank_low"], rank_high=row["rank_high"], median_rank=row["median_rank"],
                   imputed=row["imputed"], missing_weight_share=row["missing_weight_share"],
                   _dimension_names=dimension_names)


@strawberry.type
class RankingPage:
    quarter: str
    scheme_version: str
    method: RankingMethod  # type: ignore[valid-type]
    dimension: str | None
    source: RankingSource  # type: ignore[valid-type]
    version: int | None = strawberry.field(description="Published version (PUBLISHED source)")
    published_at: datetime | None
    computed_at: datetime | None
    total_count: int
    entries: list[RankingEntry]
    rows: RankingRows = strawberry.field(  # type: ignore[valid-type]
        description="The same page as `entries`, as one JSON value (see RankingRows): for tables of many rows")
    end_cursor: str | None
    has_next_page: bool


@strawberry.type(description="A published (immutable) ranking snapshot.")
class PublishedRanking:
    id: strawberry.ID
    quarter: str
    version: int
    scheme_version: str
    method: RankingMethod  # type: ignore[valid-type]
    method_key: str
    published_by: strawberry.ID
    published_by_name: str
    published_at: datetime

    @classmethod
    def from_document(cls, d: dict[str, Any]) -> PublishedRanking:
        return cls(id=strawberry.ID(d["_id"]), quarter=d["quarter"], version=d["version"],
                   scheme_version=d["scheme_version"], method=RankingMethod(d["method"]), method_key=d["method_key"],
                   published_by=strawberry.ID(d["published_by"]), published_by_name=d.get("published_by_name", ""),
                   published_at=d["published_at"])


@strawberry.type
class IndicatorScore:
    indicator_id: str
    name_zh: str
    name_en: str
    dimension: str
    raw: float | None = strawberry.field(description="Indicator value from the reported metrics")
    value: float | None = strawberry.field(description="Value used after the missing-data policy")
    normalized: float | None
    weight: float
    effective_weight: float
    contribution: float | None
    threshold: float
    unit: str
    direction: str
    status: str
    basis: str
    platform_counted: bool = strawberry.field(
        description="Computed from fields incubench counts itself (IP consultations, signed cooperations), "
                    "not from the manager's report")


@strawberry.type(description="One step of the least-effort plan: a change of one raw field in the evaluated quarter")
class PlanStep:
    lever: str = strawberry.field(description="Raw field to move (camelCase)")
    lever_name_zh: str
    lever_name_en: str
    lever_value: float = strawberry.field(description="The field's value in the evaluated quarter")
    change: float = strawberry.field(description="Change of the field in its raw unit")
    unit: str
    indicator_ids: list[str] = strawberry.field(description="Indicators the change moves")
    gate_ids: list[str] = strawberry.field(description="Gates the change makes pass")
    also_field: str | None = strawberry.field(description="A field the lever is part of, moved by the same change "
                                                          "(camelCase; e.g. total income with non-rent income)")
    also_name_zh: str | None
    also_name_en: str | None
    points_gained: float = strawberry.field(description="Composite points this change alone adds")
    effort: float
    points_per_effort: float
    message_zh: str
    message_en: str


@strawberry.type(description="The gap to a tier and the least-effort plan (MILP, HiGHS) that reaches it")
class GapToBenchmark:
    target_tier: str
    quarter: str = strawberry.field(description="The quarter the changes apply to (the evaluated one)")
    composite_needed: float | None
    dimension_shortfalls: list[DimensionScore]
    reachable: bool
    reaches_tier: str = strawberry.field(description="The tier the what-if gives once the plan is applied")
    reason: str = strawberry.field(description="Why the tier is out of reach, or why the plan is not proven "
                                               "least-effort (empty otherwise)")
    optimal: bool = strawberry.field(description="False when the solver's time limit stopped it before proving "
                                                 "the least effort")
    composite_after: float
    total_effort: float
    steps: list[PlanStep] = strawberry.field(description="Ordered by points per effort")


@strawberry.type(description="An official minimum checked before a tier is granted")
class GateCheck:
    gate_id: str
    name_zh: str
    name_en: str
    status: str = strawberry.field(description="passed | failed | not_reported | not_applicable")
    value: float | None
    minimums: list[float] = strawberry.field(description="One minimum per alternative (any may be met)")
    tiers: list[str]
    basis: str = strawberry.field(description="The official document that sets it")


@strawberry.type
class Scorecard:
    incubator_id: strawberry.ID
    quarter: str
    method: RankingMethod  # type: ignore[valid-type]
    composite: float | None
    rank: int
    total: int
    tier: str
    tier_name_zh: str
    tier_name_en: str
    dimensions: list[DimensionScore]
    indicators: list[IndicatorScore]
    gap: GapToBenchmark | None = strawberry.field(description="The least-effort plan to benchmark status")
    next_tier_gap: GapToBenchmark | None = strawberry.field(
        description="The least-effort plan to the next tier up, when that is not benchmark")
    gates: list[GateCheck]
    not_applicable_dimensions: list[str] = strawberry.field(
        description="Dimensions declared wholly not applicable: left out of the tiers' dimension minimum")
    tiered: bool = strawberry.field(description="False for cohort-relative views, which carry no tier")


@strawberry.type
class WhatIfResult:
    incubator_id: strawberry.ID
    quarter: str
    composite_before: float
    composite_after: float
    tier_before: str
    tier_after: str
    rank_before: int
    rank_after: int
    dimensions_before: list[DimensionScore]
    dimensions_after: list[DimensionScore]


@strawberry.type
class ComparePoint:
    quarter: str
    composite: float | None
    rank: int | None
    total: int
    tier: str | None
    dimensions: list[DimensionScore]


@strawberry.type
class CompareSeries:
    incubator_id: strawberry.ID
    name_zh: str
    name_en: str
    points: list[ComparePoint]


@strawberry.type
class IndicatorEffect:
    indicator_id: str
    name_zh: str
    name_en: str
    effect: float = strawberry.field(description="Composite points this indicator's change moved")


@strawberry.type
class ChangeExplanation:
    incubator_id: strawberry.ID
    name_zh: str
    name_en: str
    composite_before: float
    composite_after: float
    delta: float
    rank_before: int
    rank_after: int
    rank_change: int
    tier_before: str
    tier_after: str
    indicator_effects: list[IndicatorEffect] = strawberry.field(description="Largest effects first")
    interaction: float
    peer_effect: float
    imputation_effect: float
    scheme_effect: float


@strawberry.type
class ChangeExplanationConnection:
    from_quarter: str
    to_quarter: str
    total_count: int
    nodes: list[ChangeExplanation]
    end_cursor: str | None
    has_next_page: bool
