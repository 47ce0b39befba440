"""The engine: raw quarterly metrics → indicators → missing-data policy → normalise → weight → aggregate
→ rank → tier, keeping every intermediate step.

Two entry points share one pipeline:

* :func:`evaluate` – validated, from plain Python mappings (what the backend and the CLI call);
* :func:`evaluate_matrix` – validated, from a ready indicator matrix (benchmarks, tests, other tools).

The kernels in ``normalize``/``weights``/``aggregate`` do no validation; these entry points do.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._types import BoolArray, FloatArray, IntArray
from .aggregate import AGGREGATIONS, AggregationResult, aggregate
from .errors import InputError, MethodError
from .gates import GATE_STATUS_LABELS, evaluate_gates
from .gates import NOT_APPLICABLE as GATE_NOT_APPLICABLE
from .gates import PASSED as GATE_PASSED
from .missing import STATUS_LABELS, MissingResult, apply_missing_policy
from .normalize import NORMALIZATIONS, NormalizationResult, normalize
from .ranking import competition_rank, display_order
from .scheme import ENTROPY_VARIANTS, NOT_TIERED, WEIGHT_TOL, Indicator, Scheme, value_problem
from .tiers import assign_tiers
from .weights import WEIGHTINGS, WeightingResult, blend, critic, entropy

__all__ = [
    "EvaluationResult",
    "MatrixScores",
    "MethodSpec",
    "QuarterData",
    "evaluate",
    "evaluate_matrix",
    "parse_quarter",
    "shift_quarter",
]

Metrics = Mapping[str, Mapping[str, Mapping[str, float | None]]]
_QUARTER = re.compile(r"^(19[89][0-9]|20[0-9]{2})Q([1-4])\Z")


# ----- quarters ----------------------------------------------------------------------------------------
def parse_quarter(quarter: str) -> tuple[int, int]:
    """``"2025Q3"`` → ``(2025, 3)``; raises ``BAD_QUARTER``."""
    m = _QUARTER.match(quarter) if isinstance(quarter, str) else None
    if m is None:
        raise InputError("BAD_QUARTER", f"quarter must look like 2025Q3, got {quarter!r}", field="quarter")
    return int(m.group(1)), int(m.group(2))


def shift_quarter(quarter: str, offset: int) -> str:
    """The quarter ``offset`` quarters after (negative: before) ``quarter``."""
    if not isinstance(quarter, str) or not isinstance(offset, int):
        parse_quarter(quarter)  # raises BAD_QUARTER
    return _shift_quarter(quarter, int(offset))


@lru_cache(maxsize=4096)
def _shift_quarter(quarter: str, offset: int) -> str:
    y, q = parse_quarter(quarter)
    k = y * 4 + (q - 1) + offset
    return f"{k // 4}Q{k % 4 + 1}"


# ----- method ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MethodSpec:
    """How to score. The default is the **headline** method: target normalisation (fixed goalposts) +
    scheme weights + weighted arithmetic mean, missing values from the incubator's own history only.
    Every other combination is a secondary view.

    Attributes:
        normalization: ``target`` | ``minmax`` | ``zscore`` | ``vector``.
        weighting: ``scheme`` | ``entropy`` | ``critic`` | ``blend``.
        aggregation: ``arithmetic`` | ``geometric`` | ``topsis``.
        blend_with: the data-driven weighting blended with scheme weights (``entropy`` | ``critic``).
        alpha: weight of the scheme weights in the blend (0–1).
        bounds: fixed min–max bounds ``((indicator_id, lo, hi), ...)`` (``minmax`` only).
        topsis_ideal: ``cohort`` (textbook, best/worst observed) | ``fixed`` (100/0 goalposts).
        epsilon: floor for the geometric mean on the 0–100 scale.
        weights: optional override of the global indicator weights ``((indicator_id, w), ...)``; must
            cover every indicator and sum to 1 (± 1e-9).
        peer_imputation: whether the scheme's ``peer_median`` rule may fill a missing value (it reads the
            other incubators, so a spec using it is never fixed-goalpost).
        entropy_variant: ``minmax_sum`` | ``sum`` (see :mod:`evaluation.weights`); None = the scheme's.
    """

    normalization: str = "target"
    weighting: str = "scheme"
    aggregation: str = "arithmetic"
    blend_with: str = "entropy"
    alpha: float = 0.5
    bounds: tuple[tuple[str, float, float], ...] = ()
    topsis_ideal: str = "cohort"
    epsilon: float = 1.0
    weights: tuple[tuple[str, float], ...] = ()
    peer_imputation: bool = False
    entropy_variant: str | None = None

    @classmethod
    def headline(cls, scheme: Scheme | None = None) -> MethodSpec:
        """The scheme's headline method (``[method]`` table), target/scheme/arithmetic by default."""
        m: Mapping[str, Any] = scheme.method if scheme is not None else {}
        return cls(normalization=str(m.get("normalization", "target")), weighting=str(m.get("weighting", "scheme")),
                   aggregation=str(m.get("aggregation", "arithmetic")), epsilon=float(m.get("geometric_epsilon", 1.0)),
                   peer_imputation=bool(scheme is not None and scheme.missing.peer_median_in_headline),
                   entropy_variant=scheme.entropy_variant if scheme is not None else None)

    @classmethod
    def from_name(cls, name: str, normalization: str | None = None) -> MethodSpec:
        """Presets for the CLI/API: ``arithmetic`` and ``geometric`` (target normalisation) and ``topsis``
        (vector normalisation, textbook). ``normalization`` overrides the preset's."""
        presets = {"arithmetic": cls(), "geometric": cls(aggregation="geometric"),
                   "topsis": cls(normalization="vector", aggregation="topsis")}
        if name not in presets:
            raise MethodError("UNKNOWN_METHOD", f"unknown method {name!r}; use {sorted(presets)}", field="method")
        spec = presets[name]
        return replace(spec, normalization=normalization) if normalization else spec

    def fixed_goalpost(self, indicator_ids: Sequence[str] | None = None) -> bool:
        """True when an incubator's score cannot depend on the other incubators, judged from every
        ingredient: normalisation (target, or min–max with fixed bounds on *every* indicator — needs
        ``indicator_ids``), weighting (scheme weights only), aggregation (TOPSIS only with fixed ideals)
        and imputation (no peer median)."""
        if self.normalization == "target":
            fixed_norm = True
        elif self.normalization == "minmax" and indicator_ids is not None:
            fixed_norm = set(indicator_ids) <= {iid for iid, _, _ in self.bounds}
        else:
            fixed_norm = False
        fixed_agg = self.aggregation != "topsis" or self.topsis_ideal == "fixed"
        return fixed_norm and self.weighting == "scheme" and fixed_agg and not self.peer_imputation

    @property
    def is_fixed_goalpost(self) -> bool:
        """:meth:`fixed_goalpost` without knowing the indicators (min–max bounds then never prove it)."""
        return self.fixed_goalpost(None)

    def key(self) -> str:
        """A stable string identifying the method (cache key)."""
        parts = [self.normalization, self.weighting, self.aggregation]
        if self.weighting == "blend":
            parts.append(f"{self.blend_with}@{self.alpha:g}")
        if self.aggregation == "topsis":
            parts.append(f"ideal={self.topsis_ideal}")
        if self.aggregation == "geometric":
            parts.append(f"eps={self.epsilon:g}")
        if self.peer_imputation:
            parts.append("peer-imputation")
        if self.entropy_variant and "entropy" in (self.weighting, self.blend_with if self.weighting == "blend" else ""):
            parts.append(f"entropy={self.entropy_variant}")
        if self.bounds:
            parts.append("bounds=" + ",".join(f"{i}:{a:g}:{b:g}" for i, a, b in self.bounds))
        if self.weights:
            parts.append("weights=" + ",".join(f"{i}:{w:g}" for i, w in self.weights))
        return "/".join(parts)

    def validate(self, indicator_ids: Sequence[str] | None = None) -> None:
        """Raise :class:`MethodError` (or ``UNKNOWN_INDICATOR``/``WEIGHTS_DO_NOT_SUM``) on a bad spec."""
        for attr, allowed in (("normalization", NORMALIZATIONS), ("weighting", WEIGHTINGS),
                              ("aggregation", AGGREGATIONS), ("blend_with", ("entropy", "critic")),
                              ("topsis_ideal", ("cohort", "fixed")),
                              ("entropy_variant", (None, *ENTROPY_VARIANTS))):
            if getattr(self, attr) not in allowed:
                raise MethodError("UNKNOWN_METHOD", f"{attr} must be one of {allowed}, got {getattr(self, attr)!r}",
                                  field=attr)
        if not (0.0 <= self.alpha <= 1.0) or math.isnan(self.alpha):
            raise MethodError("BAD_PARAMETER", f"alpha must be within [0, 1], got {self.alpha}", field="alpha")
        if not self.epsilon > 0:
            raise MethodError("BAD_PARAMETER", f"epsilon must be > 0, got {self.epsilon}", field="epsilon")
        if self.bounds and self.normalization != "minmax":
            raise MethodError("BAD_PARAMETER", "bounds apply to minmax normalisation only", field="bounds")
        known = set(indicator_ids) if indicator_ids is not None else None
        for iid, lo, hi in self.bounds:
            if known is not None and iid not in known:
                raise InputError("UNKNOWN_INDICATOR", f"unknown indicator {iid!r} in bounds", field=iid)
            if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
                raise MethodError("BAD_PARAMETER", f"bounds for {iid} must be finite with hi > lo", field=iid)
        if self.weights:
            for iid, w in self.weights:
                if known is not None and iid not in known:
                    raise InputError("UNKNOWN_INDICATOR", f"unknown indicator {iid!r} in weights", field=iid)
                if not (math.isfinite(w) and w >= 0):
                    raise MethodError("BAD_PARAMETER", f"weight of {iid} must be ≥ 0", field=iid)
            if known is not None and set(known) - {i for i, _ in self.weights}:
                missing = sorted(set(known) - {i for i, _ in self.weights})
                raise MethodError("WEIGHTS_DO_NOT_SUM", f"weights missing for {missing}", field=missing[0])
            total = sum(w for _, w in self.weights)
            if abs(total - 1.0) > WEIGHT_TOL:
                raise MethodError("WEIGHTS_DO_NOT_SUM", f"weights sum to {total:.12g}, not 1", field="weights")


# ----- data --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class QuarterData:
    """Raw metrics: ``values[incubator_id][quarter][field] = float | None`` (None = not reported; a true zero
    is 0.0; an absent field is not reported). ``not_applicable[incubator_id]`` lists field or indicator
    ids that do not apply to that incubator (kept distinct from both)."""

    values: Metrics
    not_applicable: Mapping[str, Collection[str]] = field(default_factory=dict)


# ----- array-level pipeline ----------------------------------------------------------------------------
@dataclass(frozen=True)
class MatrixScores:
    """Result of the array-level pipeline with every intermediate step."""

    method: MethodSpec
    normalization: NormalizationResult
    weighting: WeightingResult
    aggregation: AggregationResult
    ranks: NDArray[np.int64]

    @property
    def composite(self) -> FloatArray:
        return self.aggregation.composite

    @property
    def dimension_scores(self) -> FloatArray:
        return self.aggregation.dimension_scores


def _weights(x: FloatArray, cost: BoolArray, base: FloatArray, method: MethodSpec) -> WeightingResult:
    variant = method.entropy_variant or "minmax_sum"
    if method.weighting == "scheme":
        return WeightingResult("scheme", base)
    if method.weighting == "entropy":
        return entropy(x, cost, variant)
    if method.weighting == "critic":
        return critic(x, cost)
    other = entropy(x, cost, variant) if method.blend_with == "entropy" else critic(x, cost)
    return WeightingResult("blend", blend(base, other.weights, method.alpha),
                           {"scheme": base, method.blend_with: other.weights, "alpha": np.array([method.alpha])})


def score_arrays(x: FloatArray, cost: BoolArray, thresholds: FloatArray, dim_idx: IntArray, n_dims: int,
                 base_weights: FloatArray, method: MethodSpec, mask: BoolArray | None = None,
                 penalised: BoolArray | None = None, indicator_ids: Sequence[str] = ()) -> MatrixScores:
    """The unvalidated pipeline on an indicator matrix (NaN where excluded or penalised)."""
    if mask is not None and bool(mask.all()):
        mask = None
    w = _weights(x, cost, base_weights, method)
    lo = hi = None
    if method.bounds:
        pos = {iid: k for k, iid in enumerate(indicator_ids)}
        unknown = [iid for iid, _, _ in method.bounds if iid not in pos]
        if unknown:
            raise InputError("UNKNOWN_INDICATOR", f"bounds name unknown indicator {unknown[0]!r}", field=unknown[0])
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)  # a column nobody reported: its bound is given
            lo = np.nanmin(x, axis=0)
            hi = np.nanmax(x, axis=0)
        for iid, a, b in method.bounds:
            lo[pos[iid]] = a
            hi[pos[iid]] = b
    norm = normalize(x, method.normalization, cost, thresholds, lo, hi)
    nvals = norm.values
    if penalised is not None and penalised.any():
        nvals = np.where(penalised, 0.0, nvals)
        norm = NormalizationResult(norm.method, nvals, norm.params)
    agg = aggregate(nvals, w.weights, dim_idx, n_dims, method.aggregation, mask,
                    epsilon=method.epsilon, ideal=method.topsis_ideal)
    return MatrixScores(method, norm, w, agg, competition_rank(agg.composite))


def evaluate_matrix(matrix: Any, *, weights: Any, cost: Any = None, thresholds: Any = None,
                    dimension_index: Any = None, method: MethodSpec | None = None,
                    indicator_ids: Sequence[str] | None = None) -> MatrixScores:
    """Validated array-level entry: score an (n × m) indicator matrix.

    Args:
        matrix: indicator values (n × m), finite and ≥ 0.
        weights: global weights (m,), ≥ 0, summing to 1 (± 1e-9).
        cost: boolean (m,) – True for cost indicators (default: all benefit).
        thresholds: benchmark thresholds (m,), > 0; required for target normalisation.
        dimension_index: dimension of each indicator (m,) as integers 0..d-1 (default: one dimension).
        method: :class:`MethodSpec` (default: headline).
        indicator_ids: names of the columns, used by ``method.bounds`` (default ``"0"``, ``"1"``, …).
    """
    method = method or MethodSpec()
    x = np.asarray(matrix, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 1:
        raise InputError("BAD_SHAPE", f"matrix must be 2-D (n × m), got shape {x.shape}", field="matrix")
    n, m = x.shape
    ids = [str(j) for j in range(m)] if indicator_ids is None else [str(i) for i in indicator_ids]
    if len(ids) != m or len(set(ids)) != m:
        raise InputError("BAD_SHAPE", f"indicator_ids must name the {m} columns once each", field="indicator_ids")
    method.validate(ids)
    if not np.isfinite(x).all():
        i, j = np.argwhere(~np.isfinite(x))[0]
        raise InputError("NOT_FINITE", f"matrix[{i}, {j}] is not finite", incubator_id=str(i), field=str(j))
    if (x < 0).any():
        i, j = np.argwhere(x < 0)[0]
        raise InputError("NEGATIVE_VALUE", f"matrix[{i}, {j}] is negative", incubator_id=str(i), field=str(j))
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (m,):
        raise InputError("BAD_SHAPE", f"weights must have shape ({m},), got {w.shape}", field="weights")
    if (w < 0).any() or not np.isfinite(w).all():
        raise InputError("BAD_PARAMETER", "weights must be finite and ≥ 0", field="weights")
    if abs(float(w.sum()) - 1.0) > WEIGHT_TOL:
        raise InputError("WEIGHTS_DO_NOT_SUM", f"weights sum to {w.sum():.12g}, not 1", field="weights")
    c = np.zeros(m, dtype=bool) if cost is None else np.asarray(cost, dtype=bool)
    if c.shape != (m,):
        raise InputError("BAD_SHAPE", f"cost must have shape ({m},), got {c.shape}", field="cost")
    if thresholds is None:
        if method.normalization == "target":
            raise InputError("MISSING_VALUE", "target normalisation needs thresholds", field="thresholds")
        t = np.ones(m)
    else:
        t = np.asarray(thresholds, dtype=np.float64)
        if t.shape != (m,) or not (t > 0).all():
            raise InputError("BAD_SHAPE", f"thresholds must be (m,) and > 0, got {t.shape}", field="thresholds")
    d = np.zeros(m, dtype=np.intp) if dimension_index is None else np.asarray(dimension_index, dtype=np.intp)
    if d.shape != (m,) or (d < 0).any():
        raise InputError("BAD_SHAPE", f"dimension_index must be (m,) non-negative ints, got {d.shape}",
                         field="dimension_index")
    if n < 2 and method.weighting != "scheme":
        raise InputError("BAD_SHAPE", "data-driven weights need at least 2 incubators", field="matrix")
    return score_arrays(x, c, t, d, int(d.max()) + 1, w, method, indicator_ids=ids)


# ----- the result --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EvaluationResult:
    """Everything an evaluation produced, with intermediates. Arrays are indexed by ``incubator_ids``
    (rows, sorted by id) and ``indicator_ids`` / ``dimension_ids`` (columns, scheme order).

    Attributes:
        scheme, scheme_version, quarter, method: what was run.
        raw: indicator values as computed from the reported data (NaN = not reported / not applicable).
        values: indicator values after the missing-data policy (NaN = excluded or penalised).
        normalized: normalised values 0–100 (oriented; NaN = excluded).
        weights: global indicator weights used (sum 1).
        effective_weights: per-incubator weights after redistributing excluded indicators (rows sum to 1).
        contributions: per-indicator points (sum to the composite for arithmetic; log-shares for
            geometric; None for TOPSIS).
        dimension_scores: (n × 5) 0–100; composite: (n,) 0–100; ranks: competition ranks; tiers: tier ids.
        status: per value, an index into ``STATUS_LABELS`` (reported, imputed:…, excluded, penalised,
            not_applicable).
        missing_weight_share: share of scheme weight not reported per incubator.
        normalization, weighting, aggregation: the intermediate step objects.
        not_applicable: what the input declared not applicable (``status`` also marks indicators
            whose zero denominator means not applicable, recomputed when values change).
    """

    scheme: Scheme
    quarter: str
    method: MethodSpec
    incubator_ids: tuple[str, ...]
    raw: FloatArray
    values: FloatArray
    normalized: FloatArray
    weights: FloatArray
    effective_weights: FloatArray
    contributions: FloatArray | None
    dimension_scores: FloatArray
    composite: FloatArray
    ranks: NDArray[np.int64]
    tiers: tuple[str, ...]
    status: NDArray[np.int8]
    missing_weight_share: FloatArray
    normalization: NormalizationResult
    weighting: WeightingResult
    aggregation: AggregationResult
    field_values: Mapping[str, Mapping[str, FloatArray]]
    not_applicable: BoolArray
    not_applicable_ids: Mapping[str, frozenset[str]]
    gate_status: NDArray[np.int8] = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int8))
    gate_values: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    dimension_not_applicable: BoolArray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))

    @property
    def is_fixed_goalpost(self) -> bool:
        """Whether these scores depend on this incubator's own data only (:meth:`MethodSpec.fixed_goalpost`)."""
        return self.method.fixed_goalpost(self.indicator_ids)

    @property
    def tiered(self) -> bool:
        """Whether tier labels were granted (fixed-goalpost scores only); else every tier is ``not_tiered``."""
        return _tiered(self.scheme, self.method)

    def gates(self, incubator_id: str) -> list[dict[str, Any]]:
        """The scheme's gates for one incubator: id, names, minimums, tiers, basis, value, status."""
        i = self.index(incubator_id)
        return [{"gate_id": g.id, "name_zh": g.name_zh, "name_en": g.name_en, "tiers": list(g.tiers),
                 "basis": g.basis, "minimums": [c.min for c in g.conditions], "value": _f(self.gate_values[i, k]),
                 "status": GATE_STATUS_LABELS[int(self.gate_status[i, k])]}
                for k, g in enumerate(self.scheme.gates)]

    @property
    def scheme_version(self) -> str:
        return self.scheme.version

    @property
    def indicator_ids(self) -> tuple[str, ...]:
        return self.scheme.indicator_ids

    @property
    def dimension_ids(self) -> tuple[str, ...]:
        return self.scheme.dimension_ids

    @property
    def mask(self) -> BoolArray:
        """True where a value is scored (not excluded, not not-applicable)."""
        return np.asarray((self.status != 3) & (self.status != 5), dtype=bool)

    @property
    def penalised(self) -> BoolArray:
        return np.asarray(self.status == 4, dtype=bool)

    def index(self, incubator_id: str) -> int:
        try:
            return self.incubator_ids.index(incubator_id)
        except ValueError:
            raise InputError("UNKNOWN_INCUBATOR", f"incubator {incubator_id!r} was not evaluated in {self.quarter}",
                             incubator_id=incubator_id) from None

    def order(self) -> list[int]:
        """Row indices in ranking order (ties by incubator id)."""
        return [int(i) for i in display_order(self.composite)]

    def imputed(self) -> dict[str, dict[str, str]]:
        """``{incubator_id: {indicator_id: status label}}`` for every value not plainly reported."""
        out: dict[str, dict[str, str]] = {}
        rows, cols = np.nonzero(self.status)
        for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
            out.setdefault(self.incubator_ids[i], {})[self.indicator_ids[j]] = STATUS_LABELS[self.status[i, j]]
        return out

    def row(self, incubator_id: str) -> dict[str, Any]:
        """Plain dict for one incubator: rank, composite, dimensions, tier, flags."""
        i = self.index(incubator_id)
        return self._row(i)

    def _row(self, i: int) -> dict[str, Any]:
        flags = {self.indicator_ids[j]: STATUS_LABELS[int(s)] for j, s in enumerate(self.status[i]) if s}
        return {
            "rank": int(self.ranks[i]),
            "incubator_id": self.incubator_ids[i],
            "composite": _f(self.composite[i]),
            "dimensions": {d: _f(self.dimension_scores[i, k]) for k, d in enumerate(self.dimension_ids)},
            "tier": self.tiers[i],
            "missing_weight_share": float(self.missing_weight_share[i]),
            "flags": flags,
        }

    def ranking(self) -> list[dict[str, Any]]:
        """Rows in ranking order (plain Python types)."""
        return [self._row(i) for i in self.order()]

    def scorecard(self, incubator_id: str) -> list[dict[str, Any]]:
        """Per-indicator rows: raw, value used, normalised, weight, effective weight, contribution,
        threshold, unit, direction, status, basis."""
        i = self.index(incubator_id)
        rows = []
        for j, ind in enumerate(self.scheme.indicators):
            rows.append({
                "indicator_id": ind.id, "name_zh": ind.name_zh, "name_en": ind.name_en,
                "dimension": ind.dimension, "raw": _f(self.raw[i, j]), "value": _f(self.values[i, j]),
                "normalized": _f(self.normalized[i, j]) if self.mask[i, j] else None,
                "weight": float(self.weights[j]), "effective_weight": float(self.effective_weights[i, j]),
                "contribution": None if self.contributions is None or not self.mask[i, j]
                else float(self.contributions[i, j]),
                "threshold": ind.threshold, "unit": ind.unit, "direction": ind.direction,
                "status": STATUS_LABELS[int(self.status[i, j])], "basis": ind.basis,
            })
        return rows


def _f(v: float | np.floating[Any]) -> float | None:
    x = float(v)
    return None if math.isnan(x) else x


# ----- building arrays from mappings -------------------------------------------------------------------
_OK_TYPES = (int, float, type(None), np.float64, np.int64, np.float32, np.int32)


def _quarter_arrays(data: Metrics, ids: Sequence[str], quarter: str, scheme: Scheme) -> dict[str, FloatArray]:
    fids = scheme.field_ids
    fset = set(fids)
    rows: list[list[Any]] = []
    for inc in ids:
        rec = data[inc].get(quarter)
        if rec is None:
            rows.append([None] * len(fids))
            continue
        if not isinstance(rec, Mapping):
            raise InputError("BAD_SHAPE", f"metrics for {quarter} must be a mapping field → value",
                             incubator_id=inc, field=quarter)
        if not fset.issuperset(rec):
            bad = sorted(k for k in rec if k not in fset)[0]
            raise InputError("UNKNOWN_FIELD", f"unknown raw field {bad!r} in {quarter}", incubator_id=inc, field=bad)
        rows.append([rec.get(f) for f in fids])
    types = {type(v) for r in rows for v in r}
    if not types.issubset(_OK_TYPES):
        for i, r in enumerate(rows):
            for j, v in enumerate(r):
                if type(v) not in _OK_TYPES:
                    problem = value_problem(scheme.raw_fields[j], v)
                    code, msg = problem if problem else ("INVALID_TYPE", f"bad value {v!r}")
                    raise InputError(code, f"{msg} in {quarter}", incubator_id=ids[i], field=fids[j])
    arr = np.array([[np.nan if v is None else v for v in r] for r in rows], dtype=np.float64).reshape(len(ids), len(fids))
    none = np.array([[v is None for v in r] for r in rows], dtype=bool).reshape(arr.shape)
    for j, spec in enumerate(scheme.raw_fields):
        col = arr[:, j]
        present = ~none[:, j]
        invalid = present & (~np.isfinite(col) | (col < spec.min)
                             | (col > (spec.max if spec.max is not None else np.inf))
                             | ((col != np.floor(col)) if spec.integer else False))
        if invalid.any():
            i = int(np.flatnonzero(invalid)[0])
            problem = value_problem(spec, float(col[i]))
            code, msg = problem if problem else ("INVALID_TYPE", "bad value")
            raise InputError(code, f"{msg} in {quarter}", incubator_id=ids[i], field=spec.id)
    out = {f: arr[:, j] for j, f in enumerate(fids)}
    for c in scheme.constraints:
        left = out[c.left]
        right = np.full(len(ids), c.right) if isinstance(c.right, float) else out[c.right]
        both = ~np.isnan(left) & ~np.isnan(right)
        with np.errstate(invalid="ignore"):
            ok = {"<=": left <= right, "<": left < right, ">=": left >= right, ">": left > right,
                  "==": left == right}[c.op]
        viol = both & ~ok
        if viol.any():
            i = int(np.flatnonzero(viol)[0])
            raise InputError("CONSTRAINT_VIOLATED", f"{c.message_en} ({c.left}={left[i]:g}, {c.right}="
                             f"{right[i]:g}) in {quarter}", incubator_id=ids[i], field=c.left)
    return out


def _indicator_matrix(field_values: Mapping[str, Mapping[str, FloatArray]], quarter: str, scheme: Scheme,
                      ids: Sequence[str], strict: bool) -> tuple[FloatArray, BoolArray]:
    """Indicator values (n × m) and where a zero denominator makes an indicator not applicable
    (indicators whose scheme says so); any other zero denominator raises when ``strict``."""
    n = len(ids)
    nan = np.full(n, np.nan)

    def lookup(f: str, lag: int) -> FloatArray:
        q = shift_quarter(quarter, -lag)
        fv = field_values.get(q)
        return fv[f] if fv is not None else nan

    cols, not_applicable = [], []
    for ind in scheme.indicators:
        vals, zero, den = ind.formula.evaluate(lookup, n)
        inapplicable = zero if ind.zero_denominator == "not_applicable" else np.zeros(n, dtype=bool)
        if strict and (zero & ~inapplicable).any():
            i = int(np.flatnonzero(zero & ~inapplicable)[0])
            raise InputError("ZERO_DENOMINATOR",
                             f"indicator {ind.id} = {ind.formula.text}: denominator {den} is 0 in {quarter}",
                             incubator_id=ids[i], field=den if den in scheme.field_ids else ind.id)
        cols.append(np.where(inapplicable, np.nan, vals))
        not_applicable.append(inapplicable)
    if not cols:
        return np.zeros((n, 0)), np.zeros((n, 0), dtype=bool)
    return np.column_stack(cols), np.column_stack(not_applicable)


def _na_matrix(scheme: Scheme, ids: Sequence[str], na: Mapping[str, Collection[str]]) -> BoolArray:
    out = np.zeros((len(ids), len(scheme.indicators)), dtype=bool)
    fset, iset = set(scheme.field_ids), set(scheme.indicator_ids)
    pos = {inc: k for k, inc in enumerate(ids)}
    for inc, items in na.items():
        for item in items:
            if item not in fset and item not in iset:
                raise InputError("UNKNOWN_FIELD", f"unknown field or indicator {item!r} marked not applicable",
                                 incubator_id=inc, field=item)
        if inc not in pos:
            continue
        k = pos[inc]
        for j, ind in enumerate(scheme.indicators):
            if ind.id in items or any(f in items for f in ind.formula.fields):
                out[k, j] = True
    return out


def _check_structure(data: Metrics) -> None:
    if not isinstance(data, Mapping):
        raise InputError("BAD_SHAPE", "data must map incubator id → quarter → field → value", field="data")
    for inc, quarters in data.items():
        if not isinstance(inc, str):
            raise InputError("BAD_SHAPE", f"incubator ids must be strings, got {inc!r}", field="incubator_id")
        if not isinstance(quarters, Mapping):
            raise InputError("BAD_SHAPE", "each incubator must map quarter → field → value", incubator_id=inc)


def _lags(scheme: Scheme) -> int:
    lag = max([i.formula.max_lag for i in scheme.indicators]
              + [c.formula.max_lag for g in scheme.gates for c in g.conditions], default=0)
    if scheme.missing.policy == "impute" and "previous_quarter" in scheme.missing.impute_rules:
        lag += 1
    return lag


def evaluate(data: QuarterData | Metrics, scheme: Scheme, quarter: str,
             method: MethodSpec | str | None = None) -> EvaluationResult:
    """Score, rank and tier every incubator that has data for ``quarter``.

    Args:
        data: :class:`QuarterData` or ``{incubator_id: {quarter: {field: float | None}}}``. Previous
            quarters are used by ``ttm()`` formulas and by ``previous_quarter`` imputation.
        scheme: a validated :class:`~evaluation.scheme.Scheme` (e.g. ``default_scheme()``).
        quarter: ``"2025Q3"``.
        method: a :class:`MethodSpec`, a preset name (``arithmetic``/``geometric``/``topsis``) or None for
            the scheme's headline method.

    Raises:
        EvaluationError subclasses naming the incubator and field (``UNKNOWN_FIELD``, ``NEGATIVE_VALUE``,
        ``ZERO_DENOMINATOR``, ``CONSTRAINT_VIOLATED``, ``NO_DATA``, ...).
    """
    qd = data if isinstance(data, QuarterData) else QuarterData(data)
    _check_structure(qd.values)
    parse_quarter(quarter)
    spec = _method(method, scheme)
    ids = sorted(inc for inc, quarters in qd.values.items() if quarter in quarters)
    if not ids:
        raise InputError("NO_DATA", f"no incubator has data for {quarter}", field="quarter")
    field_values = {}
    for lag in range(_lags(scheme) + 1):
        q = shift_quarter(quarter, -lag)
        if any(q in qd.values[inc] for inc in ids):
            field_values[q] = _quarter_arrays(qd.values, ids, q, scheme)
    na = _na_matrix(scheme, ids, qd.not_applicable)
    na_ids = {inc: frozenset(v) for inc, v in qd.not_applicable.items() if inc in set(ids)}
    return _evaluate_arrays(tuple(ids), field_values, na, na_ids, scheme, quarter, spec)


def _method(method: MethodSpec | str | None, scheme: Scheme) -> MethodSpec:
    if method is None:
        spec = MethodSpec.headline(scheme)
    elif isinstance(method, str):
        spec = _preset_for(scheme, MethodSpec.from_name(method))
    elif isinstance(method, MethodSpec):
        spec = method if method.entropy_variant is not None else replace(method, entropy_variant=scheme.entropy_variant)
    else:
        raise MethodError("UNKNOWN_METHOD", f"method must be a MethodSpec or a name, got {method!r}", field="method")
    spec.validate(scheme.indicator_ids)
    return spec


def _impute_rules(scheme: Scheme, spec: MethodSpec) -> tuple[str, ...]:
    return tuple(r for r in scheme.missing.impute_rules if r != "peer_median" or spec.peer_imputation)


def _tiered(scheme: Scheme, spec: MethodSpec) -> bool:
    """Tier labels only on fixed-goalpost scores (and on the headline of a scheme published with peer
    imputation in it, so its rankings replay)."""
    return spec.fixed_goalpost(scheme.indicator_ids) or spec == MethodSpec.headline(scheme)


def _preset_for(scheme: Scheme, spec: MethodSpec) -> MethodSpec:
    """A named preset under ``scheme``: the headline itself when it is the same method; a cohort view
    uses the scheme's peer-median rule (labelled ``imputed:peer_median``)."""
    spec = replace(spec, entropy_variant=scheme.entropy_variant)
    head = MethodSpec.headline(scheme)
    if replace(spec, peer_imputation=head.peer_imputation, epsilon=head.epsilon) == head:
        return head
    cohort = not spec.fixed_goalpost(scheme.indicator_ids)
    peer = "peer_median" in scheme.missing.impute_rules and (cohort or scheme.missing.peer_median_in_headline)
    return replace(spec, peer_imputation=peer)


def _evaluate_arrays(ids: tuple[str, ...], field_values: Mapping[str, Mapping[str, FloatArray]], na: BoolArray,
                     na_ids: Mapping[str, frozenset[str]], scheme: Scheme, quarter: str,
                     spec: MethodSpec) -> EvaluationResult:
    raw, zero_na = _indicator_matrix(field_values, quarter, scheme, ids, strict=True)
    rules = _impute_rules(scheme, spec)
    previous = None
    if scheme.missing.policy == "impute" and "previous_quarter" in rules and np.isnan(raw).any():
        previous, _ = _indicator_matrix(field_values, shift_quarter(quarter, -1), scheme, ids, strict=False)
    base = _base_weights(scheme, spec)
    cost = np.array([i.is_cost for i in scheme.indicators], dtype=bool)
    miss: MissingResult = apply_missing_policy(raw, na | zero_na, previous, scheme.missing, scheme.global_weights(),
                                               rules=rules, cost=cost)
    if len(ids) < 2 and (spec.weighting != "scheme"):
        raise InputError("BAD_SHAPE", "data-driven weights need at least 2 incubators", field="weighting")
    thr = np.array([i.threshold for i in scheme.indicators], dtype=np.float64)
    ms = score_arrays(miss.values, cost, thr, scheme.dimension_index(), len(scheme.dimensions), base, spec,
                      miss.mask, miss.penalised, scheme.indicator_ids)
    agg = ms.aggregation
    gate_status, gate_values = evaluate_gates(scheme, _lookup(field_values, quarter, len(ids)), ids, na_ids)
    dim_na = _dimension_not_applicable(scheme, miss.status)
    if _tiered(scheme, spec):
        ok = (gate_status == GATE_PASSED) | (gate_status == GATE_NOT_APPLICABLE)
        passed = {t.id: ok[:, [k for k, g in enumerate(scheme.gates) if t.id in g.tiers]].all(axis=1)
                  for t in scheme.tiers}
        tiers = assign_tiers(agg.composite, agg.dimension_scores, scheme.tiers, miss.insufficient,
                             scheme.insufficient_data.id, gates_passed=passed,
                             skip_dimension=dim_na if scheme.not_applicable_dimension == "skip" else None)
    else:
        tiers = (NOT_TIERED.id,) * len(ids)
    eff = np.asarray(np.broadcast_to(agg.effective_weights, raw.shape), dtype=np.float64)
    return EvaluationResult(
        scheme=scheme, quarter=quarter, method=spec, incubator_ids=ids, raw=raw, values=miss.values,
        normalized=ms.normalization.values, weights=ms.weighting.weights, effective_weights=eff,
        contributions=agg.contributions, dimension_scores=agg.dimension_scores, composite=agg.composite,
        ranks=ms.ranks, tiers=tiers, status=miss.status, missing_weight_share=miss.missing_weight_share,
        normalization=ms.normalization, weighting=ms.weighting, aggregation=agg, field_values=field_values,
        not_applicable=na, not_applicable_ids=na_ids, gate_status=gate_status, gate_values=gate_values,
        dimension_not_applicable=dim_na,
    )


def _lookup(field_values: Mapping[str, Mapping[str, FloatArray]], quarter: str, n: int) -> Any:
    nan = np.full(n, np.nan)

    def lookup(f: str, lag: int) -> FloatArray:
        fv = field_values.get(shift_quarter(quarter, -lag))
        return fv[f] if fv is not None else nan

    return lookup


def _dimension_not_applicable(scheme: Scheme, status: NDArray[np.int8]) -> BoolArray:
    """(n × d) True where every indicator of the dimension is not applicable to the incubator."""
    dim_idx = scheme.dimension_index()
    na = status == 5
    return np.column_stack([na[:, dim_idx == k].all(axis=1) for k in range(len(scheme.dimensions))]) \
        if len(scheme.dimensions) else np.zeros((status.shape[0], 0), dtype=bool)


def _base_weights(scheme: Scheme, spec: MethodSpec) -> FloatArray:
    if not spec.weights:
        return scheme.global_weights()
    w = dict(spec.weights)
    return np.array([w[i] for i in scheme.indicator_ids], dtype=np.float64)


def rescore(result: EvaluationResult, values: FloatArray, status: NDArray[np.int8]) -> MatrixScores:
    """Re-run scoring (not the missing-data step) of ``result``'s method on another indicator matrix;
    used by change explanation. ``values`` NaN where excluded/penalised per ``status``."""
    scheme = result.scheme
    cost = np.array([i.is_cost for i in scheme.indicators])
    thr = np.array([i.threshold for i in scheme.indicators], dtype=np.float64)
    mask = (status != 3) & (status != 5)
    return score_arrays(values, cost, thr, scheme.dimension_index(), len(scheme.dimensions),
                        _base_weights(scheme, result.method), result.method, mask, status == 4,
                        scheme.indicator_ids)


def with_changes(result: EvaluationResult, incubator_id: str, changes: Mapping[str, float],
                 method: MethodSpec | None = None, *, absolute: bool = False) -> EvaluationResult:
    """Re-evaluate ``result``'s quarter with raw-field ``changes`` applied to one incubator's current
    quarter (added, or set when ``absolute``), validated like a submission."""
    i = result.index(incubator_id)
    scheme = result.scheme
    cur = {f: a.copy() for f, a in result.field_values[result.quarter].items()}
    for f, v in changes.items():
        if f not in cur:
            raise InputError("UNKNOWN_FIELD", f"unknown raw field {f!r}", incubator_id=incubator_id, field=f)
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise InputError("INVALID_TYPE", f"change of {f} must be a finite number", incubator_id=incubator_id,
                             field=f)
        old = cur[f][i]
        if absolute:
            cur[f][i] = float(v)
        else:
            if np.isnan(old):
                raise InputError("MISSING_VALUE", f"{f} was not reported; give an absolute value",
                                 incubator_id=incubator_id, field=f)
            cur[f][i] = old + float(v)
        problem = value_problem(scheme.raw_field(f), float(cur[f][i]))
        if problem is not None:
            raise InputError(problem[0], problem[1], incubator_id=incubator_id, field=f)
    row = {f: (None if np.isnan(a[i]) else float(a[i])) for f, a in cur.items()}
    for c in scheme.constraints:
        if c.check(row) is False:
            raise InputError("CONSTRAINT_VIOLATED", c.message_en, incubator_id=incubator_id, field=c.left)
    fv = dict(result.field_values)
    fv[result.quarter] = cur
    return _evaluate_arrays(result.incubator_ids, fv, result.not_applicable, result.not_applicable_ids, scheme,
                            result.quarter, method or result.method)


def headline_result(result: EvaluationResult) -> EvaluationResult:
    """``result`` itself if it used the headline method, else the same data re-scored by the headline."""
    head = MethodSpec.headline(result.scheme)
    if result.method == head:
        return result
    return _evaluate_arrays(result.incubator_ids, result.field_values, result.not_applicable,
                            result.not_applicable_ids, result.scheme, result.quarter, head)


def indicator_value(result: EvaluationResult, i: int, ind: Indicator, lever_delta: float = 0.0) -> float:
    """Indicator ``ind`` of row ``i`` with ``lever_delta`` added to its lever field this quarter."""
    def lookup(f: str, lag: int) -> FloatArray:
        q = shift_quarter(result.quarter, -lag)
        fv = result.field_values.get(q)
        v = float(fv[f][i]) if fv is not None else math.nan
        if lag == 0 and f == ind.lever:
            v += lever_delta
        return np.array([v])

    vals, zero, _ = ind.formula.evaluate(lookup, 1)
    return math.nan if zero[0] else float(vals[0])
