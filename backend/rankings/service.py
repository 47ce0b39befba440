"""Rankings: evaluate submitted metrics with the engine, cache scores per (quarter, scheme version, method),
publish immutable versioned snapshots, and tell open pages when a ranking changes."""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
import warnings
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import anyio
import numpy as np
from pymongo.errors import DuplicateKeyError

from backend.errors import BadUserInput, IssueCollector, NotFound
from backend.incubators.events import follow_changes
from backend.platform_inputs.service import platform_inputs
from backend.rankings.repository import RankRepository, SnapshotRepository
from backend.submissions.service import scheme, submission_service, validate_quarter
from backend.users.models import User
from evaluation import (
    NOT_TIERED,
    EvaluationError,
    EvaluationResult,
    MethodSpec,
    RobustnessResult,
    Scheme,
    competition_rank,
    evaluate,
    robustness,
    shift_quarter,
    shipped_schemes,
)

log = logging.getLogger(__name__)

METHODS = ("arithmetic", "geometric", "topsis")
LOOKBACK = 4  # ttm() reaches 3 quarters back, previous-quarter imputation one more
ROBUSTNESS_DRAWS = 200
ROBUSTNESS_SEED = 20251
MAX_CACHED = 64
MAX_PUBLISHED_CACHED = 32
EVENT = "ranking.updated"
TOPIC = "rankings"  # on the app's broadcaster (also reaches /ws/v1 clients subscribed to it)


def window(quarter: str) -> list[str]:
    return [shift_quarter(quarter, -k) for k in range(LOOKBACK + 1)]


def stamp_window(quarter: str) -> list[str]:
    """Quarters whose inputs a cached ranking depends on: its window, plus the previous quarter's (rank change)."""
    return [shift_quarter(quarter, -k) for k in range(LOOKBACK + 2)]


def submitted_rows(heads: Iterable[dict[str, Any]]) -> dict[str, dict[str, dict[str, float | None]]]:
    """Submitted metrics (heads as stored) as the engine's ``{incubator: {quarter: {field: value}}}``."""
    out: dict[str, dict[str, dict[str, float | None]]] = {}
    for head in heads:
        out.setdefault(head["incubator_id"], {})[head["quarter"]] = dict(head["submitted_metrics"])
    return out


def _only(stamps: dict[str, int], quarters: list[str]) -> dict[str, int]:
    wanted = set(quarters) | {f"platform:{q}" for q in quarters}
    return {k: v for k, v in stamps.items() if k in wanted}


def affected_by(quarter: str) -> list[str]:
    """Quarters whose rankings (scores, or rank change) read ``quarter``'s metrics."""
    return [shift_quarter(quarter, k) for k in range(LOOKBACK + 2)]


def _f(v: Any) -> float | None:
    x = float(v)
    return None if math.isnan(x) else x


@dataclass
class Evaluated:
    """One cached evaluation with everything the ranking, scorecard and charts read."""

    quarter: str
    method: str
    scheme_version: str
    stamps: dict[str, int]
    result: EvaluationResult
    robust: RobustnessResult | None
    rows: list[dict[str, Any]]
    inputs: dict[str, dict[str, dict[str, float | None]]]
    computed_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    by_dimension: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def row(self, incubator_id: str) -> dict[str, Any] | None:
        return next((r for r in self.rows if r["incubator_id"] == incubator_id), None)

    def ranked_by(self, dimension: str | None) -> list[dict[str, Any]]:
        """The rows, or the rows ranked by one dimension (built once per cached ranking)."""
        if dimension is None:
            return self.rows
        if dimension not in self.by_dimension:
            self.by_dimension[dimension] = rank_by_dimension(self.rows, dimension)
        return self.by_dimension[dimension]


def ranking_rows(result: EvaluationResult, robust: RobustnessResult | None,
                 previous_ranks: Mapping[str, int], names: Mapping[str, tuple[str, str]]) -> list[dict[str, Any]]:
    scheme_ = result.scheme
    tier_names = {t.id: (t.name_zh, t.name_en) for t in (*scheme_.tiers, scheme_.insufficient_data, NOT_TIERED)}
    rows = []
    for i in result.order():
        inc = result.incubator_ids[i]
        rank = int(result.ranks[i])
        prev = previous_ranks.get(inc)
        flags = sorted(result.indicator_ids[j] for j, s in enumerate(result.status[i]) if s)
        zh, en = names.get(inc, (inc, inc))
        rows.append({
            "rank": rank, "incubator_id": inc, "name_zh": zh, "name_en": en,
            "composite": _f(result.composite[i]),
            "dimensions": {d: _f(result.dimension_scores[i, k]) for k, d in enumerate(result.dimension_ids)},
            "tier": result.tiers[i], "tier_zh": tier_names[result.tiers[i]][0], "tier_en": tier_names[result.tiers[i]][1],
            "previous_rank": prev, "rank_change": (prev - rank) if prev is not None else None,
            "rank_low": int(robust.p05[i]) if robust else None, "rank_high": int(robust.p95[i]) if robust else None,
            "median_rank": float(robust.median_rank[i]) if robust else None,
            "imputed": flags, "missing_weight_share": float(result.missing_weight_share[i]),
        })
    return rows


def rank_by_dimension(rows: list[dict[str, Any]], dimension: str) -> list[dict[str, Any]]:
    scores = np.array([np.nan if r["dimensions"][dimension] is None else r["dimensions"][dimension] for r in rows])
    ranks = competition_rank(scores)
    order = sorted(range(len(rows)), key=lambda k: (ranks[k], rows[k]["incubator_id"]))
    return [{**rows[k], "rank": int(ranks[k]), "rank_change": None, "previous_rank": None} for k in order]


def method_spec(method: str, scheme_: Scheme | None = None) -> MethodSpec:
    return MethodSpec.headline(scheme_ or scheme()) if method == "arithmetic" else MethodSpec.from_name(method)


def score(inputs: dict[str, dict[str, dict[str, float | None]]], quarter: str, method: str) -> EvaluationResult:
    """Evaluate ``quarter`` (pure; run in a worker thread)."""
    with warnings.catch_warnings():  # numpy's all-NaN-column warnings (a value not reported by anyone)
        warnings.simplefilter("ignore", RuntimeWarning)
        inputs = dict(inputs)
        while True:
            try:
                return evaluate(inputs, scheme(), quarter, method_spec(method))
            except EvaluationError as error:
                # One incubator's unscoreable data (stored before a check existed) must not sink the
                # quarter for everyone: leave it out of this quarter and say so in the log.
                if not error.incubator_id or quarter not in inputs.get(error.incubator_id, {}):
                    raise
                log.warning("left %s out of the %s ranking: %s", error.incubator_id, quarter, error)
                inputs[error.incubator_id] = {q: v for q, v in inputs[error.incubator_id].items() if q != quarter}


def ranks_of(result: EvaluationResult) -> dict[str, int]:
    return {inc: int(result.ranks[i]) for i, inc in enumerate(result.incubator_ids)}


def compute(inputs: dict[str, dict[str, dict[str, float | None]]], quarter: str, method: str,
            previous: Mapping[str, int], names: Mapping[str, tuple[str, str]]
            ) -> tuple[EvaluationResult, RobustnessResult | None, list[dict[str, Any]]]:
    """The pure part (run in a worker thread): evaluate, robustness, rows."""
    result = score(inputs, quarter, method)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        robust = robustness(result, ROBUSTNESS_DRAWS, seed=ROBUSTNESS_SEED) if len(result.incubator_ids) > 1 else None
    return result, robust, ranking_rows(result, robust, previous, names)


class RankingEvents:
    """In-process fan-out of ``rankingUpdated`` events per quarter (one bounded queue per subscriber)."""

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)

    def publish(self, quarter: str, event: dict[str, Any]) -> None:
        for queue in list(self._queues.get(quarter, ())):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                pass  # a slow page misses an intermediate update; the next one carries the latest state

    async def listen(self, quarter: str) -> AsyncIterator[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=16)
        self._queues[quarter].add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues[quarter].discard(queue)
            if not self._queues[quarter]:
                self._queues.pop(quarter, None)


class RankingService:
    def __init__(self, state: Any) -> None:
        self.state = state
        self.submissions = submission_service(state)
        self.snapshots = SnapshotRepository(state.db)
        self.ranks = RankRepository(state.db)
        self.directory = state.incubator_service.directory
        self.events = RankingEvents()
        self._cache: dict[tuple[str, str, str], Evaluated] = {}
        # Published rows by snapshot id (snapshots are immutable), and by (snapshot id, dimension).
        self._published: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
        self._rank_locks: dict[tuple[str, str, str], asyncio.Lock] = defaultdict(asyncio.Lock)
        # Cached rankings carry incubator names: a rename in this process drops them.
        state.incubator_service.rename_listeners.append(self._incubator_renamed)
        self._locks: dict[tuple[str, str, str], asyncio.Lock] = defaultdict(asyncio.Lock)
        self._replays: dict[str, EvaluationResult] = {}
        self.computations = 0  # evaluations actually run (tests check the cache with it)
        self.rank_computations = 0  # previous quarters scored for rank changes (no robustness)
        self.submissions.listeners.append(self.inputs_changed)
        # Fields the platform counts itself (IP consultations, signed cooperations) change rankings too.
        self.platform = platform_inputs(state)
        self.platform.listeners.append(self.inputs_changed)
        # Events travel through the app's broadcaster when there is one (memory: this process; mongo: a change
        # stream, so a page connected to another app process hears of a submission or publication too).
        self.broadcaster = state.extras.get("broadcaster")
        if self.broadcaster is not None:
            self.broadcaster.hub.listen(EVENT, self._delivered)
            # The registry the rankings read is held in memory: keep every process's copy current.
            follow_changes(state.incubator_service, self.broadcaster)

    async def emit(self, event: dict[str, Any]) -> None:
        """One event per change, naming every quarter whose ranking it changes."""
        if self.broadcaster is None:
            self._fan_out(event)
            return
        await self.broadcaster.publish(TOPIC, EVENT, {**event, "at": event["at"].isoformat()})

    def _delivered(self, topic: str, data: dict[str, Any]) -> None:
        event = {**data, "at": datetime.fromisoformat(data["at"])}
        if event["reason"] == "inputs_changed":  # maybe another process's submission: drop stale copies now
            for key in [k for k in self._cache if k[0] in event["quarters"]]:
                self._cache.pop(key, None)
        self._fan_out(event)

    def _fan_out(self, event: dict[str, Any]) -> None:
        for quarter in event["quarters"]:
            self.events.publish(quarter, {**event, "quarter": quarter})

    # ----- validation ---------------------------------------------------------------------------------
    @staticmethod
    def check(quarter: str, method: str = "arithmetic", scheme_version: str | None = None,
              dimension: str | None = None, path: str = "quarter") -> None:
        issues = IssueCollector()
        validate_quarter(quarter, None, issues, path=path)
        if method not in METHODS:
            issues.add("method", f"Unknown method '{method}'.", f"未知的评价方法“{method}”。")
        if scheme_version is not None and scheme_version != scheme().version:
            issues.add("scheme", f"Unknown scheme version '{scheme_version}' (this server scores with "
                                 f"{scheme().version}).", f"未知的指标体系版本“{scheme_version}”（当前为 {scheme().version}）。")
        if dimension is not None and dimension not in scheme().dimension_ids:
            issues.add("dimension", f"Unknown dimension '{dimension}'.", f"未知的维度“{dimension}”。")
        issues.raise_if_any()

    # ----- the score cache ----------------------------------------------------------------------------
    async def evaluated(self, quarter: str, method: str = "arithmetic") -> Evaluated | None:
        """Scores of ``quarter`` from the cache, recomputed only when a submitted input changed."""
        self.check(quarter, method)
        key = (quarter, scheme().version, method)
        # One read of the stamps also serves the previous quarter's (rank changes).
        reach = [quarter, *stamp_window(shift_quarter(quarter, -1))]
        every_stamp = await self._stamps(reach)
        stamps = _only(every_stamp, stamp_window(quarter))
        cached = self._cache.get(key)
        if cached is not None and cached.stamps == stamps:
            return cached
        async with self._locks[key]:
            cached = self._cache.get(key)
            if cached is not None and cached.stamps == stamps:
                return cached
            previous = shift_quarter(quarter, -1)
            heads = await self.submissions.repository.submitted_for_quarters(window(quarter))
            submitted = submitted_rows(heads)
            if not any(quarter in quarters for quarters in submitted.values()):
                return None

            async def previous_submitted() -> dict[str, dict[str, dict[str, float | None]]]:
                """The previous quarter's window: these heads and the one quarter before them."""
                oldest = window(previous)[-1]
                earlier = await self.submissions.repository.submitted_for_quarters([oldest])
                previous_window = set(window(previous))
                return submitted_rows(h for h in [*heads, *earlier] if h["quarter"] in previous_window)

            prev_ranks = await self.previous_ranks(quarter, method, _only(every_stamp, stamp_window(previous)),
                                                   previous_submitted)
            inputs = await self._with_platform_counts(submitted, quarter)
            ids = sorted(inputs)
            names = {i.id: (i.name_zh, i.name_en) for i in await self.directory.by_ids(ids) if i is not None}
            try:
                result, robust, rows = await anyio.to_thread.run_sync(compute, inputs, quarter, method,
                                                                      prev_ranks, names)
            except EvaluationError as error:
                raise BadUserInput.single("quarter", f"The metrics of {quarter} cannot be scored: {error}",
                                          f"{quarter} 的指标无法评分：{error}") from error
            self.computations += 1
            entry = Evaluated(quarter, method, scheme().version, stamps, result, robust, rows, inputs)
            if len(self._cache) >= MAX_CACHED:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = entry
            await self.ranks.put(RankRepository.key(*key), stamps, ranks_of(result))
            return entry

    async def previous_ranks(self, quarter: str, method: str, stamps: dict[str, int],
                             load_submitted: Callable[[], Awaitable[dict[str, dict[str, dict[str, float | None]]]]]
                             ) -> dict[str, int]:
        """Ranks of the quarter before ``quarter`` (rank changes), given that quarter's input stamps: from the
        cache or the stored ranks of the same inputs; else scored once from its submitted metrics (read only
        then, without robustness) and stored."""
        previous = shift_quarter(quarter, -1)
        key = (previous, scheme().version, method)
        cached = self._cache.get(key)
        if cached is not None and cached.stamps == stamps:
            return ranks_of(cached.result)
        stored_key = RankRepository.key(*key)
        async with self._rank_locks[key]:
            stored = await self.ranks.get(stored_key, stamps)
            if stored is not None:
                return stored
            submitted = await load_submitted()
            if not any(previous in quarters for quarters in submitted.values()):
                return {}
            inputs = await self._with_platform_counts(submitted, previous)
            try:
                result = await anyio.to_thread.run_sync(score, inputs, previous, method)
            except EvaluationError:
                return {}  # an unscoreable earlier quarter: no rank changes rather than no ranking
            self.rank_computations += 1
            ranks = ranks_of(result)
            await self.ranks.put(stored_key, stamps, ranks)
            return ranks

    async def _stamps(self, quarters: list[str]) -> dict[str, int]:
        """What a cached ranking depends on: submissions and platform counts of its quarters
        (``stamp_window``)."""
        stamps, platform = await asyncio.gather(self.submissions.repository.stamps_for(quarters),
                                                self.platform.stamps_for(quarters))
        return {**stamps, **{f"platform:{q}": v for q, v in platform.items()}}

    async def _with_platform_counts(self, submitted: dict[str, dict[str, dict[str, float | None]]],
                                    quarter: str) -> dict[str, dict[str, dict[str, float | None]]]:
        """Submitted metrics with the platform-counted fields added: to ``quarter`` where it was submitted
        (only submitters are ranked) and to every earlier window quarter, submitted or not, so trailing
        sums of platform counts are complete."""
        fields = scheme().platform_field_ids
        ranked = sorted(i for i, quarters in submitted.items() if quarter in quarters)
        if not fields or not ranked:
            return submitted
        quarters = window(quarter)
        counts = await self.platform.values(self.state, fields, ranked, quarters)
        merged = dict(submitted)
        for incubator_id in ranked:
            merged[incubator_id] = {q: {**submitted[incubator_id].get(q, {}), **counts[incubator_id][q]}
                                    for q in quarters}
        return merged

    async def _incubator_renamed(self, incubator_id: str) -> None:
        self._cache.clear()

    async def inputs_changed(self, quarter: str, incubator_ids: list[str]) -> None:
        quarters = affected_by(quarter)
        for key in [k for k in self._cache if k[0] in quarters]:
            self._cache.pop(key, None)
        await self.emit({"quarters": quarters, "reason": "inputs_changed", "version": None,
                         "incubator_ids": incubator_ids, "at": datetime.now(UTC)})

    # ----- publishing -----------------------------------------------------------------------------------
    async def publish(self, user: User, quarter: str, method: str = "arithmetic") -> dict[str, Any]:
        evaluated = await self.evaluated(quarter, method)
        if evaluated is None:
            raise NotFound(f"No submitted metrics for {quarter}: nothing to publish.",
                           f"{quarter} 没有已提交的指标，无法发布。", field="quarter")
        while True:
            latest = await self.snapshots.latest(quarter)
            document = {
                "_id": secrets.token_hex(12), "quarter": quarter, "version": (latest["version"] + 1) if latest else 1,
                "scheme_version": evaluated.scheme_version, "method": method,
                "method_key": evaluated.result.method.key(), "robustness": {"draws": ROBUSTNESS_DRAWS,
                                                                            "seed": ROBUSTNESS_SEED},
                "inputs": evaluated.inputs, "outputs": evaluated.rows,
                "published_by": user.id, "published_by_name": user.display_name,
                "published_at": datetime.now(UTC), "computed_at": evaluated.computed_at,
            }
            try:
                await self.snapshots.insert(document)
                break
            except DuplicateKeyError:
                continue  # another evaluator took this version number: take the next
        await self.emit({"quarters": [quarter], "reason": "published", "version": document["version"],
                         "incubator_ids": [], "at": document["published_at"]})
        return document

    async def published(self, quarter: str, version: int | None = None) -> dict[str, Any] | None:
        self.check(quarter)
        if version is None:
            return await self.snapshots.latest(quarter)
        return await self.snapshots.version(quarter, version)

    async def published_header(self, quarter: str, version: int | None = None) -> dict[str, Any] | None:
        """A published snapshot without its inputs and rows (see ``published_rows``)."""
        self.check(quarter)
        if version is None:
            return await self.snapshots.latest(quarter, with_outputs=False)
        return await self.snapshots.version(quarter, version, with_outputs=False)

    async def published_rows(self, header: dict[str, Any], dimension: str | None = None) -> list[dict[str, Any]]:
        """A snapshot's rows (or its rows ranked by one dimension), read once per process: snapshots never change."""
        key = (str(header["_id"]), dimension)
        rows = self._published.get(key)
        if rows is None:
            if dimension is None:
                rows = await self.snapshots.outputs(key[0])
            else:
                rows = rank_by_dimension(await self.published_rows(header), dimension)
            if len(self._published) >= MAX_PUBLISHED_CACHED:
                self._published.pop(next(iter(self._published)))
            self._published[key] = rows
        return rows

    async def replay(self, snapshot_id: str, quarter: str, version: int) -> EvaluationResult:
        """The published snapshot re-evaluated from its stored inputs (for charts of published rankings)."""
        if snapshot_id not in self._replays:
            document = await self.snapshots.version(quarter, version, with_inputs=True)
            if document is None:
                raise NotFound("No such published ranking.", "不存在该已发布排名。", field="version")
            # Scored with the scheme it was published under (earlier versions stay shipped).
            published_scheme = shipped_schemes().get(document["scheme_version"], scheme())
            self._replays[snapshot_id] = await anyio.to_thread.run_sync(
                lambda: evaluate(document["inputs"], published_scheme, quarter,
                                 method_spec(document["method"], published_scheme)))
        return self._replays[snapshot_id]


def ranking_service(state: Any) -> RankingService:
    service = state.extras.get("rankings")
    if service is None:
        service = RankingService(state)
        state.extras["rankings"] = service
    return service  # type: ignore[no-any-return]
