from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Annotated, Any

import strawberry
from strawberry import Info
from strawberry.scalars import JSON

from backend import charts
from backend.api.inputs.submissions import MetricValueInput
from backend.api.permissions import IsAuthenticated, OwnIncubator, roles
from backend.api.resolvers.submissions import offset_from
from backend.api.types.rankings import (
    ChangeExplanation,
    ChangeExplanationConnection,
    ChartKind,
    ComparePoint,
    CompareSeries,
    DimensionScore,
    GapToBenchmark,
    GateCheck,
    IndicatorEffect,
    IndicatorScore,
    PlanStep,
    PublishedRanking,
    RankingEntry,
    RankingMethod,
    RankingPage,
    RankingSource,
    Scorecard,
    WhatIfResult,
    table_row,
)
from backend.errors import BadUserInput, Forbidden, IssueCollector, NotFound, Unauthenticated
from backend.pagination import check_page_size, encode_cursor
from backend.rankings.service import Evaluated, ranking_service
from backend.security import decode_token
from backend.submissions.models import camel
from backend.submissions.service import field_aliases, scheme
from backend.users.models import Role, User
from evaluation import EvaluationError, GapReport, Scheme, explain_change, gap_to_benchmark, what_if
from evaluation.engine import headline_result

STAFF_ROLES = (Role.admin, Role.evaluator)
STAFF = roles(*STAFF_ROLES)
MAX_RANKING_PAGE = 1000
MAX_COMPARE_QUARTERS = 12
MAX_COMPARE_INCUBATORS = 50
SESSION_CHECK_SECONDS = 60.0  # an idle rankingUpdated stream re-reads its account this often


def _gap(report: GapReport, scheme_: Scheme) -> GapToBenchmark:
    plan = report.plan
    return GapToBenchmark(
        target_tier=report.target_tier, quarter=report.quarter, composite_needed=report.composite_needed,
        dimension_shortfalls=dimension_scores(dict(report.dimension_shortfalls)), reachable=plan.reachable,
        reaches_tier=plan.reaches_tier, reason=plan.reason, optimal=plan.optimal,
        composite_after=plan.composite_after,
        total_effort=plan.total_effort,
        steps=[PlanStep(lever=camel(s.lever), lever_name_zh=scheme_.raw_field(s.lever).name_zh,
                        lever_name_en=scheme_.raw_field(s.lever).name_en, lever_value=s.lever_value, change=s.change,
                        unit=s.unit, indicator_ids=list(s.indicators), gate_ids=list(s.gates),
                        also_field=camel(s.also) if s.also else None,
                        also_name_zh=scheme_.raw_field(s.also).name_zh if s.also else None,
                        also_name_en=scheme_.raw_field(s.also).name_en if s.also else None,
                        points_gained=s.points, effort=s.effort, points_per_effort=s.points_per_effort,
                        message_zh=s.message(scheme_, "zh"), message_en=s.message(scheme_, "en"))
               for s in plan.steps])


def dimension_names() -> dict[str, tuple[str, str]]:
    return {d.id: (d.name_zh, d.name_en) for d in scheme().dimensions}


def dimension_scores(values: dict[str, float | None]) -> list[DimensionScore]:
    return [DimensionScore(dimension=d, name_zh=zh, name_en=en, score=values.get(d))
            for d, (zh, en) in dimension_names().items()]


def _f(v: Any) -> float | None:
    x = float(v)
    return None if math.isnan(x) else x


def is_staff(user: User) -> bool:
    return user.role in STAFF_ROLES


def _tier_names(tier: str) -> tuple[str, str]:
    t = scheme().tier(tier)
    return t.name_zh, t.name_en


def _name(incubator_id: str, evaluated: Evaluated | None) -> tuple[str, str]:
    row = evaluated.row(incubator_id) if evaluated else None
    return (row["name_zh"], row["name_en"]) if row else (incubator_id, incubator_id)


def _engine_error(error: EvaluationError, path: str) -> BadUserInput:
    fid = error.field if error.field in set(scheme().field_ids) else None
    return BadUserInput.single(f"{path}.{camel(fid)}" if fid else path, f"Cannot compute this: {error}",
                               f"无法计算：{error}")


def check_first(first: int, limit: int = MAX_RANKING_PAGE) -> None:
    if not 1 <= first <= limit:
        raise BadUserInput.single("first", f"Page size must be between 1 and {limit}.", f"每页数量须在 1 到 {limit} 之间。")


async def live(info: Info, quarter: str, method: str) -> Evaluated:
    evaluated = await ranking_service(info.context.state).evaluated(quarter, method)
    if evaluated is None:
        raise NotFound(f"No submitted metrics for {quarter}.", f"{quarter} 暂无已提交的指标。", field="quarter")
    return evaluated


# Entries built once per cached ranking view: the service keeps one rows list per (quarter, scheme, method,
# dimension, live or published snapshot) until its inputs change, and the registry's version says whether
# the registry fields copied into the entries are still current.
_ENTRIES: dict[int, tuple[list[dict[str, Any]], int, list[RankingEntry], list[dict[str, Any]]]] = {}


async def entries_for(info: Info, rows: list[dict[str, Any]]) -> tuple[list[RankingEntry], list[dict[str, Any]]]:
    """The view's entries and its ``RankingRows`` items, built once per cached view."""
    directory = info.context.state.incubator_service.directory
    cached = _ENTRIES.get(id(rows))
    if cached is not None and cached[0] is rows and cached[1] == directory.version:
        return cached[2], cached[3]
    version = directory.version
    names = dimension_names()
    registry = await directory.by_ids([r["incubator_id"] for r in rows])
    entries = [RankingEntry.from_row(r, names, incubator) for r, incubator in zip(rows, registry, strict=True)]
    table = [table_row(r, incubator) for r, incubator in zip(rows, registry, strict=True)]
    if len(_ENTRIES) >= 32:
        _ENTRIES.pop(next(iter(_ENTRIES)))
    _ENTRIES[id(rows)] = (rows, version, entries, table)
    return entries, table


async def page_of(info: Info, rows: list[dict[str, Any]], first: int, after: str | None
                  ) -> tuple[list[RankingEntry], list[dict[str, Any]], str | None, bool]:
    start = offset_from(after)
    entries, table = await entries_for(info, rows)
    chunk = entries[start:start + first]
    return (chunk, table[start:start + first], encode_cursor(str(start + len(chunk))) if chunk else None,
            start + first < len(rows))


async def build_ranking(info: Info, quarter: str, method: str, dimension: str | None, source: str | None,
                        version: int | None, first: int, after: str | None, scheme_version: str | None = None
                        ) -> RankingPage:
    user = info.context.require_user()
    service = ranking_service(info.context.state)
    service.check(quarter, method, scheme_version, dimension)
    check_first(first)
    source = source or ("live" if is_staff(user) and version is None else "published")
    if source == "live":
        if not is_staff(user):
            raise Forbidden("Only evaluators see live rankings; published rankings are open to everyone.",
                            "只有评估人员可查看实时排名；已发布的排名对所有人开放。", field="source")
        evaluated = await service.evaluated(quarter, method)
        rows = evaluated.ranked_by(dimension) if evaluated else []
        published_at = None
        computed_at = evaluated.computed_at if evaluated else None
        number = None
        scheme_v = scheme().version
    else:
        snapshot = await service.published_header(quarter, version)
        if snapshot is None:
            raise NotFound(f"No ranking of {quarter} has been published yet." if version is None else
                           f"Version {version} of the {quarter} ranking does not exist.",
                           f"{quarter} 排名尚未发布。" if version is None else f"{quarter} 排名不存在第 {version} 版。",
                           field="quarter" if version is None else "version")
        if snapshot["method"] != method and version is None and method != "arithmetic":
            raise NotFound(f"The published {quarter} ranking uses the {snapshot['method']} method.",
                           f"{quarter} 已发布排名使用的方法为 {snapshot['method']}。", field="method")
        method = snapshot["method"]
        rows = await service.published_rows(snapshot, dimension)
        published_at, number = snapshot["published_at"], snapshot["version"]
        computed_at, scheme_v = snapshot.get("computed_at"), snapshot["scheme_version"]
    entries, table, end_cursor, has_next = await page_of(info, rows, first, after)
    return RankingPage(quarter=quarter, scheme_version=scheme_v, method=RankingMethod(method), dimension=dimension,
                       source=RankingSource(source), version=number, published_at=published_at,
                       computed_at=computed_at, total_count=len(rows), entries=entries, rows=table, end_cursor=end_cursor,
                       has_next_page=has_next)


def _value(enum_value: Any) -> Any:
    return getattr(enum_value, "value", enum_value)


@strawberry.type
class RankingQueries:
    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="Ranked incubators of a quarter. Staff see LIVE scores by default; everyone else "
                                  "sees the latest PUBLISHED version (or `version`). `dimension` ranks by one dimension.")
    async def ranking(self, info: Info, quarter: str, method: RankingMethod = RankingMethod("arithmetic"),  # type: ignore[valid-type]
                      scheme: str | None = None, dimension: str | None = None,
                      view: Annotated[RankingSource | None, strawberry.argument(name="source")] = None,  # type: ignore[valid-type]
                      version: int | None = None, first: int = 50, after: str | None = None) -> RankingPage:
        # (the argument is "source" in GraphQL; Strawberry's permission extension reserves that Python name)
        return await build_ranking(info, quarter, _value(method), dimension, _value(view) if view else None,
                                   version, first, after, scheme)

    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="Published versions of a quarter, oldest first: `first` versions after `afterVersion`.")
    async def published_rankings(self, info: Info, quarter: str, first: int = 50,
                                 after_version: int | None = None) -> list[PublishedRanking]:
        service = ranking_service(info.context.state)
        service.check(quarter)
        check_page_size(first)
        documents = await service.snapshots.versions(quarter, after_version=after_version, limit=first)
        return [PublishedRanking.from_document(d) for d in documents]

    @strawberry.field(permission_classes=[OwnIncubator],
                      description="An incubator's full scorecard: indicators, weights, contributions, thresholds, gap.")
    async def incubator_scorecard(self, info: Info, incubator_id: strawberry.ID, quarter: str,
                                  method: RankingMethod = RankingMethod("arithmetic")) -> Scorecard:  # type: ignore[valid-type]
        evaluated = await live(info, quarter, _value(method))
        result = evaluated.result
        inc = str(incubator_id)
        if inc not in result.incubator_ids:
            raise NotFound(f"This incubator has no submitted metrics for {quarter}.",
                           f"该孵化器 {quarter} 无已提交的指标。", field="incubatorId")
        i = result.index(inc)
        row = evaluated.row(inc) or {}
        gap = None
        next_gap = None
        head = headline_result(result)
        order = [t.id for t in head.scheme.tiers]
        if head.tiers[i] != "benchmark":
            current = order.index(head.tiers[i]) if head.tiers[i] in order else len(order)
            next_tier = order[max(current - 1, 0)]
            try:  # MILPs: off the event loop
                report, next_report = await asyncio.to_thread(
                    lambda: (gap_to_benchmark(head, inc),
                             gap_to_benchmark(head, inc, next_tier) if next_tier != "benchmark" else None))
            except EvaluationError:
                report = next_report = None  # e.g. a headline the plan cannot model
            if report is not None:
                gap = _gap(report, head.scheme)
            if next_report is not None:
                next_gap = _gap(next_report, head.scheme)
        gates = [GateCheck(gate_id=g["gate_id"], name_zh=g["name_zh"], name_en=g["name_en"], status=g["status"],
                           value=g["value"], minimums=g["minimums"], tiers=g["tiers"], basis=g["basis"])
                 for g in head.gates(inc)]
        not_applicable = [d for k, d in enumerate(head.dimension_ids) if head.dimension_not_applicable[i, k]]
        zh, en = _tier_names(result.tiers[i])
        return Scorecard(
            incubator_id=strawberry.ID(inc), quarter=quarter, method=method, composite=_f(result.composite[i]),
            rank=int(result.ranks[i]), total=len(result.incubator_ids), tier=result.tiers[i], tier_name_zh=zh,
            tier_name_en=en, dimensions=dimension_scores(row.get("dimensions", {})),
            indicators=[IndicatorScore(indicator_id=r["indicator_id"], name_zh=r["name_zh"], name_en=r["name_en"],
                                       dimension=r["dimension"], raw=r["raw"], value=r["value"],
                                       normalized=r["normalized"], weight=r["weight"],
                                       effective_weight=r["effective_weight"], contribution=r["contribution"],
                                       threshold=r["threshold"], unit=r["unit"], direction=r["direction"],
                                       status=r["status"], basis=r["basis"],
                                       platform_counted=bool(set(scheme().indicator(r["indicator_id"]).formula.fields)
                                                             & set(scheme().platform_field_ids)))
                        for r in result.scorecard(inc)],
            gap=gap, next_tier_gap=next_gap, gates=gates, not_applicable_dimensions=not_applicable,
            tiered=result.tiered)

    @strawberry.field(permission_classes=[OwnIncubator],
                      description="Score, rank and tier after proposed improvements (raw-field increments).")
    async def what_if(self, info: Info, incubator_id: strawberry.ID, quarter: str,
                      changes: list[MetricValueInput]) -> WhatIfResult:
        evaluated = await live(info, quarter, "arithmetic")
        aliases = field_aliases(scheme())
        issues = IssueCollector()
        deltas: dict[str, float] = {}
        for k, change in enumerate(changes):
            fid = aliases.get(change.field)
            if fid is None or change.value is None or not math.isfinite(change.value):
                issues.add(f"changes[{k}]", "Give a known field and a numeric change.", "请填写有效的指标项和数值变化。")
            else:
                deltas[fid] = change.value
        issues.raise_if_any()
        inc = str(incubator_id)
        if inc not in evaluated.result.incubator_ids:
            raise NotFound(f"This incubator has no submitted metrics for {quarter}.",
                           f"该孵化器 {quarter} 无已提交的指标。", field="incubatorId")
        try:
            outcome = await asyncio.to_thread(what_if, evaluated.result, inc, deltas)  # CPU: off the loop
        except EvaluationError as error:
            raise _engine_error(error, "changes") from error
        return WhatIfResult(incubator_id=strawberry.ID(inc), quarter=quarter,
                            composite_before=outcome.composite_before, composite_after=outcome.composite_after,
                            tier_before=outcome.tier_before, tier_after=outcome.tier_after,
                            rank_before=outcome.rank_before, rank_after=outcome.rank_after,
                            dimensions_before=dimension_scores(dict(outcome.dimensions_before)),
                            dimensions_after=dimension_scores(dict(outcome.dimensions_after)))

    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="Time series of scores, ranks and tiers (staff: any incubators; a manager: own).")
    async def compare(self, info: Info, incubator_ids: list[strawberry.ID], quarters: list[str],
                      method: RankingMethod = RankingMethod("arithmetic")) -> list[CompareSeries]:  # type: ignore[valid-type]
        user = info.context.require_user()
        ids = [str(i) for i in incubator_ids]
        issues = IssueCollector()
        if not 1 <= len(ids) <= MAX_COMPARE_INCUBATORS:
            issues.add("incubatorIds", f"Compare 1–{MAX_COMPARE_INCUBATORS} incubators.",
                       f"可比较 1–{MAX_COMPARE_INCUBATORS} 个孵化器。")
        if not 1 <= len(quarters) <= MAX_COMPARE_QUARTERS:
            issues.add("quarters", f"Compare over 1–{MAX_COMPARE_QUARTERS} quarters.",
                       f"可比较 1–{MAX_COMPARE_QUARTERS} 个季度。")
        issues.raise_if_any()
        _own_only(user, ids)
        service = ranking_service(info.context.state)
        per_quarter = {}
        for k, q in enumerate(quarters):
            service.check(q, _value(method), path=f"quarters[{k}]")
        for q in quarters:
            per_quarter[q] = await service.evaluated(q, _value(method))
        incubators = await info.context.loaders.incubator.load_many(ids)
        series = []
        for inc, record in zip(ids, incubators, strict=True):
            points = []
            for q in quarters:
                ev = per_quarter[q]
                row = ev.row(inc) if ev else None
                points.append(ComparePoint(quarter=q, composite=row["composite"] if row else None,
                                           rank=row["rank"] if row else None, total=len(ev.rows) if ev else 0,
                                           tier=row["tier"] if row else None,
                                           dimensions=dimension_scores(row["dimensions"] if row else {})))
            series.append(CompareSeries(incubator_id=strawberry.ID(inc),
                                        name_zh=record.name_zh if record else inc,
                                        name_en=record.name_en if record else inc, points=points))
        return series

    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="Which indicators moved each incubator's score and rank between two quarters.")
    async def explain_change(self, info: Info, from_quarter: str, to_quarter: str,
                             incubator_ids: list[strawberry.ID] | None = None,
                             method: RankingMethod = RankingMethod("arithmetic"),  # type: ignore[valid-type]
                             first: int = 50, after: str | None = None) -> ChangeExplanationConnection:
        user = info.context.require_user()
        ids = [str(i) for i in incubator_ids] if incubator_ids else None
        if not is_staff(user):
            _own_only(user, ids or [])
        check_first(first, 200)
        service = ranking_service(info.context.state)
        service.check(from_quarter, _value(method), path="fromQuarter")
        service.check(to_quarter, _value(method), path="toQuarter")
        before = await live(info, from_quarter, _value(method))
        after_ = await live(info, to_quarter, _value(method))
        try:
            explained = await asyncio.to_thread(explain_change, before.result, after_.result, ids)  # CPU: off the loop
        except EvaluationError as error:
            raise _engine_error(error, "method") from error
        explained.sort(key=lambda e: -abs(e.delta))
        start = offset_from(after)
        chunk = explained[start:start + first]
        nodes = []
        for e in chunk:
            zh, en = _name(e.incubator_id, after_)
            effects = sorted(e.indicator_effects.items(), key=lambda kv: -abs(kv[1]))
            nodes.append(ChangeExplanation(
                incubator_id=strawberry.ID(e.incubator_id), name_zh=zh, name_en=en,
                composite_before=e.composite_before, composite_after=e.composite_after, delta=e.delta,
                rank_before=e.rank_before, rank_after=e.rank_after, rank_change=e.rank_change,
                tier_before=e.tier_before, tier_after=e.tier_after,
                indicator_effects=[IndicatorEffect(indicator_id=k, name_zh=scheme().indicator(k).name_zh,
                                                   name_en=scheme().indicator(k).name_en, effect=v)
                                   for k, v in effects if abs(v) > 1e-12],
                interaction=e.interaction, peer_effect=e.peer_effect, imputation_effect=e.imputation_effect,
                scheme_effect=e.scheme_effect))
        return ChangeExplanationConnection(from_quarter=from_quarter, to_quarter=to_quarter,
                                           total_count=len(explained), nodes=nodes,
                                           end_cursor=encode_cursor(str(start + len(chunk))) if chunk else None,
                                           has_next_page=start + first < len(explained))

    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="A Plotly figure (JSON) for the pages. Staff chart live scores; managers their own "
                                  "radar and rank trend; everyone the published ranking bars and heat map.")
    async def chart(self, info: Info, kind: ChartKind, quarter: str | None = None,  # type: ignore[valid-type]
                    incubator_id: strawberry.ID | None = None, incubator_ids: list[strawberry.ID] | None = None,
                    quarters: list[str] | None = None, lang: str = "zh",
                    method: RankingMethod = RankingMethod("arithmetic")) -> JSON:  # type: ignore[valid-type]
        user = info.context.require_user()
        kind_value, method_value = _value(kind), _value(method)
        if lang not in ("zh", "en"):
            raise BadUserInput.single("lang", "Language must be zh or en.", "语言须为 zh 或 en。")
        service = ranking_service(info.context.state)
        if kind_value == "rank_trends":
            ids = [str(i) for i in (incubator_ids or ([incubator_id] if incubator_id else []))]
            if not is_staff(user):
                _own_only(user, ids)
            if not quarters or not ids:
                raise BadUserInput.single("quarters", "Give quarters and incubators.", "请指定季度和孵化器。")
            series: dict[str, dict[str, int | None]] = {i: {} for i in ids}
            names: dict[str, str] = {}
            for q in quarters[:MAX_COMPARE_QUARTERS]:
                ev = await service.evaluated(q, method_value)
                for i in ids:
                    row = ev.row(i) if ev else None
                    series[i][q] = row["rank"] if row else None
                    if row:
                        names[i] = row["name_zh" if lang == "zh" else "name_en"]
            return charts.rank_trends(series, names, lang)  # type: ignore[no-any-return]
        if quarter is None:
            raise BadUserInput.single("quarter", "This chart needs a quarter.", "该图表需要指定季度。")
        if kind_value == "radar":
            if incubator_id is None:
                raise BadUserInput.single("incubatorId", "The radar needs an incubator.", "雷达图需要指定孵化器。")
            if not is_staff(user):
                _own_only(user, [str(incubator_id)])
            ev = await live(info, quarter, method_value)
            if str(incubator_id) not in ev.result.incubator_ids:
                raise NotFound("This incubator has no submitted metrics for this quarter.", "该孵化器本季度无已提交的指标。",
                               field="incubatorId")
            return charts.radar(ev.result, str(incubator_id), _names(ev, lang), lang)  # type: ignore[no-any-return]
        if is_staff(user):
            ev = await live(info, quarter, method_value)
            result, robust, label = ev.result, ev.robust, _names(ev, lang)
        else:
            if kind_value == "rank_intervals":
                raise Forbidden("Rank intervals are for evaluators.", "排名区间仅供评估人员查看。")
            snapshot = await service.published(quarter)
            if snapshot is None:
                raise NotFound(f"No ranking of {quarter} has been published yet.", f"{quarter} 排名尚未发布。",
                               field="quarter")
            result = await service.replay(snapshot["_id"], quarter, snapshot["version"])
            robust = None
            label = {r["incubator_id"]: r["name_zh" if lang == "zh" else "name_en"] for r in snapshot["outputs"]}
        if kind_value == "ranking_bars":
            return charts.ranking_bar(result, label, lang)  # type: ignore[no-any-return]
        if kind_value == "dimension_heatmap":
            ids_filter = [str(i) for i in incubator_ids] if incubator_ids else None
            return charts.dimension_heatmap(result, label, lang, ids_filter)  # type: ignore[no-any-return]
        if robust is None:
            raise NotFound("Rank intervals need at least two incubators.", "排名区间至少需要两个孵化器。", field="quarter")
        return charts.rank_intervals(robust, label, lang)  # type: ignore[no-any-return]


def _names(ev: Evaluated, lang: str) -> dict[str, str]:
    return {r["incubator_id"]: r["name_zh" if lang == "zh" else "name_en"] for r in ev.rows}


def _own_only(user: User, ids: list[str]) -> None:
    if is_staff(user):
        return
    if user.role is Role.manager and ids and all(i == user.incubator_id for i in ids):
        return
    raise Forbidden("Managers may look only at their own incubator; evaluators at all.",
                    "管理员只能查看本孵化器；评估人员可查看全部。", field="incubatorIds")


@strawberry.type
class RankingMutations:
    @strawberry.mutation(permission_classes=[STAFF],
                         description="Publish the quarter's ranking as a new immutable version (earlier versions stay).")
    async def publish_ranking(self, info: Info, quarter: str,
                              method: RankingMethod = RankingMethod("arithmetic")) -> PublishedRanking:  # type: ignore[valid-type]
        document = await ranking_service(info.context.state).publish(info.context.require_user(), quarter,
                                                                     _value(method))
        return PublishedRanking.from_document(document)


@strawberry.type(description="A ranking changed: new submitted metrics (staff) or a new published version.")
class RankingUpdate:
    quarter: str
    reason: str = strawberry.field(description="inputs_changed | published")
    version: int | None
    at: datetime
    incubator_ids: list[strawberry.ID]

    @strawberry.field(description="The ranking as the subscriber may see it now (first page).")
    async def ranking(self, info: Info, first: int = 50) -> RankingPage:
        return await build_ranking(info, self.quarter, "arithmetic", None, None, None, first, None)


@strawberry.type
class RankingSubscriptions:
    @strawberry.subscription(permission_classes=[IsAuthenticated],
                             description="Pushes when the quarter's ranking changes. Staff hear of new submitted "
                                         "metrics and publications; everyone else of publications only.")
    async def ranking_updated(self, info: Info, quarter: str) -> AsyncGenerator[RankingUpdate, None]:
        user = info.context.require_user()
        service = ranking_service(info.context.state)
        service.check(quarter)
        token = info.context.token
        users = info.context.state.user_service
        expires_at = decode_token(token, info.context.state.settings.resolved_jwt_secret()).expires_at \
            if token else None
        events = service.events.listen(quarter)
        waiting: asyncio.Task[dict[str, Any]] | None = None
        try:
            while True:
                # The stream ends with UNAUTHENTICATED when the session expires or the account is disabled
                # (checked on every event, and every SESSION_CHECK_SECONDS while idle).
                left = (expires_at - datetime.now(UTC)).total_seconds() if expires_at else None
                if waiting is None:  # one pending read, never cancelled by a check (that would end `events`)
                    waiting = asyncio.ensure_future(anext(events))
                timeout = SESSION_CHECK_SECONDS if token is not None else None
                if left is not None:
                    timeout = min(max(left, 0.0), timeout) if timeout is not None else max(left, 0.0)
                done, _ = await asyncio.wait({waiting}, timeout=timeout)
                if not done:
                    if left is not None and left <= (timeout or 0.0):
                        raise Unauthenticated("The session has expired: sign in again.", "登录已过期，请重新登录。",
                                              reason="TOKEN_EXPIRED")
                    if token is not None:
                        await users.user_from_token(token)
                    continue
                event, waiting = waiting.result(), None
                if token is not None:
                    user = await users.user_from_token(token)
                if event["reason"] != "published" and not is_staff(user):
                    continue
                yield RankingUpdate(quarter=event["quarter"], reason=event["reason"], version=event["version"],
                                    at=event["at"], incubator_ids=[strawberry.ID(i) for i in event["incubator_ids"]])
        finally:
            if waiting is not None:
                waiting.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                    await waiting
            await events.aclose()
