"""Indicator schemes: versioned TOML data files, parsed and validated into frozen dataclasses.

``load_scheme_text(text)`` is pure; ``load_scheme(path)`` and ``default_scheme()`` are the only places in
the package that read a file. Every problem found in a scheme is reported at once in a
:class:`~evaluation.errors.SchemeError` (``issues`` with line numbers and dotted keys).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .errors import SchemeError, SchemeIssue
from .formula import Formula, FormulaSyntaxError, parse_formula

__all__ = [
    "DIMENSION_IDS",
    "NOT_TIERED",
    "Constraint",
    "DeaSpec",
    "Dimension",
    "Gate",
    "GateCondition",
    "Indicator",
    "MissingPolicy",
    "RawField",
    "Scheme",
    "TierRule",
    "default_scheme",
    "load_scheme",
    "load_scheme_text",
    "shipped_schemes",
]

DIMENSION_IDS = ("tech_conversion", "investment", "mentoring", "supply_chain", "global_services")
FIELD_KINDS = ("count", "amount", "hours", "area", "ratio")
CONSTRAINT_OPS = ("<=", "<", ">=", ">", "==")
MISSING_POLICIES = ("exclude", "impute", "penalise")
IMPUTE_RULES = ("previous_quarter", "peer_median")
FIELD_SOURCES = ("reported", "platform")
ZERO_DENOMINATOR_RULES = ("error", "not_applicable")
ENTROPY_VARIANTS = ("minmax_sum", "sum")
NOT_APPLICABLE_DIMENSION_RULES = ("fail", "skip")
DEA_MODELS = ("ccr", "bcc")
DEA_ORIENTATIONS = ("input", "output")
WEIGHT_TOL = 1e-9
_DEFAULT_PATH = Path(__file__).with_name("schemes") / "default.toml"


@dataclass(frozen=True)
class RawField:
    """A raw quarterly field. ``source`` is ``reported`` (the incubator manager submits it) or
    ``platform`` (counted by incubench itself, e.g. IP consultations held, signed cooperations)."""

    id: str
    name_zh: str
    name_en: str
    unit: str
    kind: str
    min: float
    max: float | None
    help_zh: str
    help_en: str
    dimension: str | None
    source: str = "reported"
    part_of: str | None = None  # a field this one is part of: raising it raises that one too (a plan's lever)

    @property
    def reported(self) -> bool:
        return self.source == "reported"

    @property
    def integer(self) -> bool:
        """True for counts (values must be whole numbers in submissions)."""
        return self.kind == "count"


@dataclass(frozen=True)
class Constraint:
    """Internal consistency rule ``left op right`` (``right`` a field id or a number)."""

    left: str
    op: str
    right: str | float
    message_zh: str
    message_en: str

    def check(self, values: Mapping[str, float | None]) -> bool | None:
        """True/False if both sides are known, None if either side is not reported."""
        lv = values.get(self.left)
        rv = self.right if isinstance(self.right, float) else values.get(self.right)
        if lv is None or rv is None:
            return None
        return _compare(float(lv), self.op, float(rv))


def _compare(a: float, op: str, b: float) -> bool:
    if op == "<=":
        return a <= b
    if op == "<":
        return a < b
    if op == ">=":
        return a >= b
    if op == ">":
        return a > b
    return a == b


@dataclass(frozen=True)
class Dimension:
    id: str
    name_zh: str
    name_en: str
    weight: float


@dataclass(frozen=True)
class Indicator:
    """One indicator: a formula over raw fields, direction, weight within its dimension, benchmark
    threshold (the fixed goalpost), the raw field to move in a gap analysis (``lever``), the effort of
    one unit of that lever (``effort``) and the ``basis`` it rests on. ``zero_denominator`` says what a
    zero denominator means: ``error`` (bad data, the default) or ``not_applicable`` (e.g. an attendance
    rate with no consultation due: the indicator is left out and its weight stays in the dimension)."""

    id: str
    name_zh: str
    name_en: str
    dimension: str
    formula: Formula
    direction: str
    unit: str
    weight: float
    threshold: float
    basis: str
    lever: str
    effort: float
    zero_denominator: str = "error"

    @property
    def is_cost(self) -> bool:
        return self.direction == "cost"


@dataclass(frozen=True)
class TierRule:
    """A tier: reached when composite ≥ ``min_composite`` and every dimension ≥ ``min_dimension``
    (``None`` = no condition). Rules are tried in order; the first that holds wins."""

    id: str
    name_zh: str
    name_en: str
    min_composite: float | None
    min_dimension: float | None


NOT_TIERED = TierRule("not_tiered", "不定级（相对视图）", "Not tiered (cohort-relative view)", None, None)


@dataclass(frozen=True)
class GateCondition:
    """``formula ≥ min`` on the incubator's own raw data; ``lever``/``effort``: what a plan may move."""

    formula: Formula
    min: float
    lever: str
    effort: float


@dataclass(frozen=True)
class Gate:
    """A minimum an official document sets (``basis`` cites it), checked before a tier in ``tiers`` is
    granted. It passes when any of its ``conditions`` holds (an official text may offer alternatives).
    A condition that cannot be computed (not reported) does not hold; a gate whose fields the incubator
    declared not applicable is not checked."""

    id: str
    name_zh: str
    name_en: str
    conditions: tuple[GateCondition, ...]
    tiers: tuple[str, ...]
    basis: str


@dataclass(frozen=True)
class MissingPolicy:
    """What to do with a value that was not reported (see docs/scoring.md).

    ``previous_quarter`` carries the incubator's own previous-quarter value forward, multiplied by
    ``carry_forward_decay`` (benefit) or divided by it (cost): a stale value is worth a little less.
    ``peer_median`` reads the other incubators, so it applies only in cohort-relative views, unless
    ``peer_median_in_headline`` (kept for schemes published before 2026.2, so their rankings replay)."""

    policy: str
    impute_rules: tuple[str, ...]
    max_imputed_weight_share: float
    carry_forward_decay: float = 1.0
    peer_median_in_headline: bool = False


@dataclass(frozen=True)
class DeaSpec:
    """The scheme's ``[dea]`` table: which raw fields or indicators are the inputs and outputs of the
    efficiency view (see :mod:`evaluation.dea`), and the model and orientation shown first."""

    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    model: str = "bcc"
    orientation: str = "input"


@dataclass(frozen=True)
class Scheme:
    """A validated indicator scheme. Use :func:`load_scheme_text`/:func:`load_scheme` to build one."""

    version: str
    title: str
    raw_fields: tuple[RawField, ...]
    constraints: tuple[Constraint, ...]
    dimensions: tuple[Dimension, ...]
    indicators: tuple[Indicator, ...]
    tiers: tuple[TierRule, ...]
    insufficient_data: TierRule
    missing: MissingPolicy
    method: Mapping[str, Any] = field(default_factory=dict)
    weights_note: str = ""
    gates: tuple[Gate, ...] = ()
    not_applicable_dimension: str = "fail"

    @property
    def entropy_variant(self) -> str:
        """The entropy-weight variant the scheme pins (``[method] entropy_variant``)."""
        return str(self.method.get("entropy_variant", "minmax_sum"))

    def gates_for(self, tier_id: str) -> tuple[Gate, ...]:
        return tuple(g for g in self.gates if tier_id in g.tiers)
    dea: DeaSpec | None = None

    # ----- convenience lookups -------------------------------------------------------------------
    @property
    def field_ids(self) -> tuple[str, ...]:
        return tuple(f.id for f in self.raw_fields)

    @property
    def reported_fields(self) -> tuple[RawField, ...]:
        """The fields a manager submits, in form order (platform-counted fields left out)."""
        return tuple(f for f in self.raw_fields if f.reported)

    @property
    def platform_field_ids(self) -> tuple[str, ...]:
        return tuple(f.id for f in self.raw_fields if not f.reported)

    @property
    def indicator_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.indicators)

    @property
    def dimension_ids(self) -> tuple[str, ...]:
        return tuple(d.id for d in self.dimensions)

    @cached_property
    def _fields_by_id(self) -> Mapping[str, RawField]:
        return {f.id: f for f in self.raw_fields}

    @cached_property
    def part_of(self) -> Mapping[str, str]:
        """``{field: the field it is part of}`` (raising the first raises the second)."""
        return {f.id: f.part_of for f in self.raw_fields if f.part_of}

    def raw_field(self, field_id: str) -> RawField:
        found = self._fields_by_id.get(field_id)
        if found is not None:
            return found
        from .errors import InputError

        raise InputError("UNKNOWN_FIELD", f"unknown raw field {field_id!r}", field=field_id)

    def indicator(self, indicator_id: str) -> Indicator:
        for i in self.indicators:
            if i.id == indicator_id:
                return i
        from .errors import InputError

        raise InputError("UNKNOWN_INDICATOR", f"unknown indicator {indicator_id!r}", field=indicator_id)

    def tier(self, tier_id: str) -> TierRule:
        for t in (*self.tiers, self.insufficient_data, NOT_TIERED):
            if t.id == tier_id:
                return t
        raise KeyError(tier_id)

    def dimension_index(self) -> NDArray[np.intp]:
        """Index of each indicator's dimension in ``dimensions`` (length = number of indicators)."""
        pos = {d.id: k for k, d in enumerate(self.dimensions)}
        return np.array([pos[i.dimension] for i in self.indicators], dtype=np.intp)

    def global_weights(self) -> NDArray[np.float64]:
        """Scheme weight of each indicator: dimension weight × weight within the dimension (sums to 1)."""
        dw = {d.id: d.weight for d in self.dimensions}
        return np.array([dw[i.dimension] * i.weight for i in self.indicators], dtype=np.float64)

    def check_values(self, values: Mapping[str, float | None]) -> list[SchemeIssue]:
        """Validate one submission (field → value or None) against ranges and constraints.

        Returns *all* problems (empty list = valid), each with the field id, a code
        (``UNKNOWN_FIELD``, ``INVALID_TYPE``, ``NOT_FINITE``, ``NEGATIVE_VALUE``, ``OUT_OF_RANGE``,
        ``NOT_INTEGER``, ``CONSTRAINT_VIOLATED``) and an English message; constraint messages in both
        languages are on :attr:`constraints`. The backend uses this for manager submissions.
        """
        issues: list[SchemeIssue] = []
        known = {f.id: f for f in self.raw_fields}
        for key, value in values.items():
            spec = known.get(key)
            if spec is None:
                issues.append(SchemeIssue("UNKNOWN_FIELD", key, f"unknown raw field {key!r}"))
                continue
            if value is None:
                continue
            problem = value_problem(spec, value)
            if problem is not None:
                issues.append(SchemeIssue(problem[0], key, problem[1]))
        bad = {i.field for i in issues}
        for c in self.constraints:
            if c.left in bad or (isinstance(c.right, str) and c.right in bad):
                continue
            if c.check(values) is False:
                issues.append(SchemeIssue("CONSTRAINT_VIOLATED", c.left, c.message_en))
        return issues


def value_problem(spec: RawField, value: object) -> tuple[str, str] | None:
    """(code, message) if ``value`` is not acceptable for ``spec``, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        return "INVALID_TYPE", f"{spec.id} must be a number, got {type(value).__name__}"
    v = float(value)
    if not np.isfinite(v):
        return "NOT_FINITE", f"{spec.id} must be finite, got {v}"
    if v < spec.min:
        if spec.min == 0:
            return "NEGATIVE_VALUE", f"{spec.id} must not be negative, got {v:g}"
        return "OUT_OF_RANGE", f"{spec.id} must be ≥ {spec.min:g}, got {v:g}"
    if spec.max is not None and v > spec.max:
        return "OUT_OF_RANGE", f"{spec.id} must be ≤ {spec.max:g}, got {v:g}"
    if spec.integer and v != int(v):
        return "NOT_INTEGER", f"{spec.id} is a count and must be a whole number, got {v:g}"
    return None


# ----- parsing ---------------------------------------------------------------------------------------


class _Locator:
    """Finds the line of ``key`` inside the k-th ``[[section]]`` (tomllib keeps no positions)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def header_line(self, header: str, index: int | None) -> int | None:
        pattern = re.compile(r"^\s*\[\[\s*" + re.escape(header) + r"\s*\]\]" if index is not None
                             else r"^\s*\[\s*" + re.escape(header) + r"\s*\]")
        count = -1
        for n, line in enumerate(self.lines, start=1):
            if pattern.match(line):
                count += 1
                if index is None or count == index:
                    return n
        return None

    def line(self, header: str | None, index: int | None, key: str | None) -> int | None:
        start = 1 if header is None else self.header_line(header, index)
        if start is None:
            return None
        if key is None:
            return start
        key_re = re.compile(r"^\s*" + re.escape(key) + r"\s*=")
        for n in range(start, len(self.lines) + 1):
            line = self.lines[n - 1]
            if n > start and line.lstrip().startswith("["):
                break
            if key_re.match(line):
                return n
        return start


class _Builder:
    def __init__(self, text: str) -> None:
        self.loc = _Locator(text)
        self.issues: list[SchemeIssue] = []

    def err(self, code: str, path: str, message: str, header: str | None, index: int | None,
            key: str | None) -> None:
        self.issues.append(SchemeIssue(code, path, message, self.loc.line(header, index, key)))

    def get(self, table: Mapping[str, Any], key: str, kind: type | tuple[type, ...], path: str,
            header: str | None, index: int | None, *, required: bool = True, default: Any = None) -> Any:
        if key not in table:
            if required:
                self.err("SCHEME_INVALID", f"{path}.{key}", "missing required key", header, index, None)
            return default
        value = table[key]
        if isinstance(value, bool) and kind is not bool:
            ok = False
        else:
            ok = isinstance(value, kind)
        if not ok:
            want = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            self.err("SCHEME_INVALID", f"{path}.{key}", f"expected {want}, got {type(value).__name__}",
                     header, index, key)
            return default
        if isinstance(value, int) and not isinstance(value, bool) and kind in ((int, float), float):
            return float(value)
        return value

    def array(self, doc: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
        items = doc.get(key)
        if items is None:
            self.err("SCHEME_INVALID", key, f"missing [[{key}]] entries", None, None, None)
            return []
        if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
            self.err("SCHEME_INVALID", key, f"[[{key}]] must be an array of tables", None, None, None)
            return []
        return items


def load_scheme_text(text: str) -> Scheme:
    """Parse and validate a scheme from TOML text (pure). Raises :class:`SchemeError` listing every
    problem found (with line numbers where they can be located)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise SchemeError([SchemeIssue("SCHEME_INVALID", "<toml>", f"TOML syntax error: {exc}",
                                       int(m.group(1)) if m else None)]) from exc
    b = _Builder(text)
    num = (int, float)

    version = b.get(doc, "version", str, "", None, None)
    title = b.get(doc, "title", str, "", None, None, required=False, default="")
    weights_note = b.get(doc, "weights_note", str, "", None, None, required=False, default="")

    # raw fields
    raw_fields: list[RawField] = []
    for k, t in enumerate(b.array(doc, "raw_fields")):
        path = f"raw_fields[{k}]"
        h = "raw_fields"
        fid = b.get(t, "id", str, path, h, k)
        kind = b.get(t, "kind", str, path, h, k)
        if kind is not None and kind not in FIELD_KINDS:
            b.err("SCHEME_INVALID", f"{path}.kind", f"kind must be one of {FIELD_KINDS}", h, k, "kind")
        source = b.get(t, "source", str, path, h, k, required=False, default="reported")
        if source is not None and source not in FIELD_SOURCES:
            b.err("SCHEME_INVALID", f"{path}.source", f"source must be one of {FIELD_SOURCES}", h, k, "source")
        lo = b.get(t, "min", num, path, h, k, required=False, default=0.0)
        hi = b.get(t, "max", num, path, h, k, required=False, default=None)
        if lo is not None and hi is not None and hi < lo:
            b.err("SCHEME_INVALID", f"{path}.max", "max is below min", h, k, "max")
        rf = RawField(
            id=fid or "",
            name_zh=b.get(t, "name_zh", str, path, h, k) or "",
            name_en=b.get(t, "name_en", str, path, h, k) or "",
            unit=b.get(t, "unit", str, path, h, k) or "",
            kind=kind or "count",
            min=lo if lo is not None else 0.0,
            max=hi,
            help_zh=b.get(t, "help_zh", str, path, h, k, required=False, default="") or "",
            help_en=b.get(t, "help_en", str, path, h, k, required=False, default="") or "",
            dimension=b.get(t, "dimension", str, path, h, k, required=False, default=None),
            source=source if source in FIELD_SOURCES else "reported",
            part_of=b.get(t, "part_of", str, path, h, k, required=False, default=None),
        )
        if fid and fid in {f.id for f in raw_fields}:
            b.err("SCHEME_INVALID", f"{path}.id", f"duplicate raw field id {fid!r}", h, k, "id")
        raw_fields.append(rf)
    field_ids = {f.id for f in raw_fields}
    for k, spec in enumerate(raw_fields):
        if spec.part_of is not None and (spec.part_of not in field_ids or spec.part_of == spec.id):
            b.err("UNKNOWN_FIELD", f"raw_fields[{k}].part_of",
                  f"part_of must name another raw field, got {spec.part_of!r}", "raw_fields", k, "part_of")

    # constraints
    constraints: list[Constraint] = []
    for k, t in enumerate(doc.get("constraints", []) or []):
        path, h = f"constraints[{k}]", "constraints"
        left = b.get(t, "left", str, path, h, k)
        op = b.get(t, "op", str, path, h, k)
        right = b.get(t, "right", (str, int, float), path, h, k)
        if left is not None and left not in field_ids:
            b.err("UNKNOWN_FIELD", f"{path}.left", f"unknown raw field {left!r}", h, k, "left")
        if isinstance(right, str) and right not in field_ids:
            b.err("UNKNOWN_FIELD", f"{path}.right", f"unknown raw field {right!r}", h, k, "right")
        if op is not None and op not in CONSTRAINT_OPS:
            b.err("SCHEME_INVALID", f"{path}.op", f"op must be one of {CONSTRAINT_OPS}", h, k, "op")
        constraints.append(Constraint(
            left=left or "", op=op or "<=",
            right=float(right) if isinstance(right, int | float) else (right or ""),
            message_zh=b.get(t, "message_zh", str, path, h, k) or "",
            message_en=b.get(t, "message_en", str, path, h, k) or "",
        ))

    # dimensions
    dimensions: list[Dimension] = []
    for k, t in enumerate(b.array(doc, "dimensions")):
        path, h = f"dimensions[{k}]", "dimensions"
        did = b.get(t, "id", str, path, h, k)
        w = b.get(t, "weight", num, path, h, k)
        if w is not None and w < 0:
            b.err("SCHEME_INVALID", f"{path}.weight", "weight must be ≥ 0", h, k, "weight")
        if did and did in {d.id for d in dimensions}:
            b.err("SCHEME_INVALID", f"{path}.id", f"duplicate dimension id {did!r}", h, k, "id")
        dimensions.append(Dimension(did or "", b.get(t, "name_zh", str, path, h, k) or "",
                                    b.get(t, "name_en", str, path, h, k) or "", w if w is not None else 0.0))
    if dimensions:
        total = sum(d.weight for d in dimensions)
        if abs(total - 1.0) > WEIGHT_TOL:
            b.err("WEIGHTS_DO_NOT_SUM", "dimensions.weight",
                  f"dimension weights sum to {total:.12g}, not 1", "dimensions", 0, "weight")
    dim_ids = {d.id for d in dimensions}

    # indicators
    indicators: list[Indicator] = []
    for k, t in enumerate(b.array(doc, "indicators")):
        path, h = f"indicators[{k}]", "indicators"
        iid = b.get(t, "id", str, path, h, k) or ""
        path = f"indicators[{k}]({iid})" if iid else path
        dim = b.get(t, "dimension", str, path, h, k)
        if dim is not None and dim not in dim_ids:
            b.err("SCHEME_INVALID", f"{path}.dimension", f"unknown dimension {dim!r}", h, k, "dimension")
        text_f = b.get(t, "formula", str, path, h, k)
        formula: Formula | None = None
        if text_f is not None:
            try:
                formula = parse_formula(text_f)
            except FormulaSyntaxError as exc:
                b.err("SCHEME_INVALID", f"{path}.formula", f"formula syntax: {exc}", h, k, "formula")
            if formula is not None:
                for f in formula.fields:
                    if f not in field_ids:
                        b.err("UNKNOWN_FIELD", f"{path}.formula", f"unknown raw field {f!r} in formula",
                              h, k, "formula")
        direction = b.get(t, "direction", str, path, h, k)
        if direction is not None and direction not in ("benefit", "cost"):
            b.err("SCHEME_INVALID", f"{path}.direction", "direction must be benefit or cost", h, k, "direction")
        w = b.get(t, "weight", num, path, h, k)
        if w is not None and w < 0:
            b.err("SCHEME_INVALID", f"{path}.weight", "weight must be ≥ 0", h, k, "weight")
        thr = b.get(t, "threshold", num, path, h, k)
        if thr is not None and not thr > 0:
            b.err("SCHEME_INVALID", f"{path}.threshold", "threshold must be > 0", h, k, "threshold")
        basis = b.get(t, "basis", str, path, h, k)
        if basis is not None and not basis.strip():
            b.err("SCHEME_INVALID", f"{path}.basis", "every indicator must cite its basis", h, k, "basis")
        lever = b.get(t, "lever", str, path, h, k, required=False, default=None)
        if lever is None and formula is not None and formula.fields:
            lever = formula.fields[0]
        if lever is not None and formula is not None and lever not in formula.fields:
            b.err("SCHEME_INVALID", f"{path}.lever", f"lever {lever!r} is not used by the formula", h, k, "lever")
        effort = b.get(t, "effort", num, path, h, k, required=False, default=1.0)
        if effort is not None and not effort > 0:
            b.err("SCHEME_INVALID", f"{path}.effort", "effort must be > 0", h, k, "effort")
        zero_rule = b.get(t, "zero_denominator", str, path, h, k, required=False, default="error")
        if zero_rule is not None and zero_rule not in ZERO_DENOMINATOR_RULES:
            b.err("SCHEME_INVALID", f"{path}.zero_denominator",
                  f"zero_denominator must be one of {ZERO_DENOMINATOR_RULES}", h, k, "zero_denominator")
        if iid and iid in {i.id for i in indicators}:
            b.err("SCHEME_INVALID", f"{path}.id", f"duplicate indicator id {iid!r}", h, k, "id")
        if iid and iid in field_ids and formula is not None and formula.text.strip() != iid:
            b.err("SCHEME_INVALID", f"{path}.id", "an indicator id equal to a raw field id must be that field",
                  h, k, "id")
        if formula is not None:
            indicators.append(Indicator(
                id=iid, name_zh=b.get(t, "name_zh", str, path, h, k) or "",
                name_en=b.get(t, "name_en", str, path, h, k) or "", dimension=dim or "",
                formula=formula, direction=direction or "benefit", unit=b.get(t, "unit", str, path, h, k) or "",
                weight=w if w is not None else 0.0, threshold=thr if thr is not None else 1.0,
                basis=basis or "", lever=lever or "", effort=effort if effort is not None else 1.0,
                zero_denominator=zero_rule if zero_rule in ZERO_DENOMINATOR_RULES else "error",
            ))
    for d in dimensions:
        members = [i for i in indicators if i.dimension == d.id]
        if not members:
            b.err("SCHEME_INVALID", f"dimensions({d.id})", "dimension has no indicators", "dimensions",
                  [x.id for x in dimensions].index(d.id), "id")
            continue
        total = sum(i.weight for i in members)
        if abs(total - 1.0) > WEIGHT_TOL:
            first = [i.id for i in indicators].index(members[0].id)
            b.err("WEIGHTS_DO_NOT_SUM", f"indicators[dimension={d.id}].weight",
                  f"indicator weights in dimension {d.id!r} sum to {total:.12g}, not 1",
                  "indicators", first, "weight")

    # tiers
    tiers_doc = doc.get("tiers")
    tiers: list[TierRule] = []
    na_rule = "fail"
    insufficient = TierRule("insufficient_data", "数据不足", "Insufficient data", None, None)
    if not isinstance(tiers_doc, dict):
        b.err("SCHEME_INVALID", "tiers", "missing [tiers] table", None, None, None)
    else:
        rules = tiers_doc.get("rules")
        if not isinstance(rules, list) or not rules:
            b.err("SCHEME_INVALID", "tiers.rules", "missing [[tiers.rules]] entries", "tiers", None, None)
            rules = []
        for k, t in enumerate(rules):
            path, h = f"tiers.rules[{k}]", "tiers.rules"
            mc = b.get(t, "min_composite", num, path, h, k, required=False, default=None)
            md = b.get(t, "min_dimension", num, path, h, k, required=False, default=None)
            for key, v in (("min_composite", mc), ("min_dimension", md)):
                if v is not None and not 0 <= v <= 100:
                    b.err("SCHEME_INVALID", f"{path}.{key}", "must be within 0–100", h, k, key)
            tiers.append(TierRule(b.get(t, "id", str, path, h, k) or "", b.get(t, "name_zh", str, path, h, k) or "",
                                  b.get(t, "name_en", str, path, h, k) or "", mc, md))
        if tiers and (tiers[-1].min_composite is not None or tiers[-1].min_dimension is not None):
            b.err("SCHEME_INVALID", f"tiers.rules[{len(tiers) - 1}]",
                  "the last tier rule must have no conditions (it is the fallback)", "tiers.rules",
                  len(tiers) - 1, None)
        na_rule = tiers_doc.get("not_applicable_dimension", "fail")
        if na_rule not in NOT_APPLICABLE_DIMENSION_RULES:
            b.err("SCHEME_INVALID", "tiers.not_applicable_dimension",
                  f"must be one of {NOT_APPLICABLE_DIMENSION_RULES}", "tiers", None, "not_applicable_dimension")
            na_rule = "fail"
        ins = tiers_doc.get("insufficient_data")
        if isinstance(ins, dict):
            insufficient = TierRule("insufficient_data", str(ins.get("name_zh", "数据不足")),
                                    str(ins.get("name_en", "Insufficient data")), None, None)

    # missing-data policy
    mdoc = doc.get("missing")
    policy = MissingPolicy("impute", IMPUTE_RULES, 0.25)
    if not isinstance(mdoc, dict):
        b.err("SCHEME_INVALID", "missing", "missing [missing] table", None, None, None)
    else:
        p = b.get(mdoc, "policy", str, "missing", "missing", None)
        if p is not None and p not in MISSING_POLICIES:
            b.err("SCHEME_INVALID", "missing.policy", f"policy must be one of {MISSING_POLICIES}",
                  "missing", None, "policy")
        rules_l = b.get(mdoc, "impute_rules", list, "missing", "missing", None, required=False,
                        default=list(IMPUTE_RULES))
        for r in rules_l or []:
            if r not in IMPUTE_RULES:
                b.err("SCHEME_INVALID", "missing.impute_rules", f"unknown rule {r!r}; use {IMPUTE_RULES}",
                      "missing", None, "impute_rules")
        share = b.get(mdoc, "max_imputed_weight_share", num, "missing", "missing", None)
        if share is not None and not 0 <= share <= 1:
            b.err("SCHEME_INVALID", "missing.max_imputed_weight_share", "must be within [0, 1]",
                  "missing", None, "max_imputed_weight_share")
        decay = b.get(mdoc, "carry_forward_decay", num, "missing", "missing", None, required=False, default=1.0)
        if decay is not None and not 0 < decay <= 1:
            b.err("SCHEME_INVALID", "missing.carry_forward_decay", "must be within (0, 1]", "missing", None,
                  "carry_forward_decay")
        legacy = b.get(mdoc, "peer_median_in_headline", bool, "missing", "missing", None, required=False,
                       default=False)
        policy = MissingPolicy(p or "impute", tuple(rules_l or ()), share if share is not None else 0.25,
                               decay if decay is not None and 0 < decay <= 1 else 1.0, bool(legacy))

    method = doc.get("method", {})
    if not isinstance(method, dict):
        b.err("SCHEME_INVALID", "method", "[method] must be a table", None, None, None)
        method = {}
    variant = method.get("entropy_variant", "minmax_sum")
    if variant not in ENTROPY_VARIANTS:
        b.err("SCHEME_INVALID", "method.entropy_variant", f"entropy_variant must be one of {ENTROPY_VARIANTS}",
              "method", None, "entropy_variant")

    # gates (official minimums, checked before a tier is granted)
    gates: list[Gate] = []
    tier_ids = {t.id for t in tiers}
    for k, t in enumerate(doc.get("gates", []) or []):
        path, h = f"gates[{k}]", "gates"
        gid = b.get(t, "id", str, path, h, k) or ""
        raw_conditions = t.get("any_of") if "any_of" in t else [t]
        conditions: list[GateCondition] = []
        for c, ct in enumerate(raw_conditions if isinstance(raw_conditions, list) else []):
            cpath = f"{path}.any_of[{c}]" if "any_of" in t else path
            cond = _gate_condition(b, ct, cpath, h, k, field_ids)
            if cond is not None:
                conditions.append(cond)
        if not conditions:
            b.err("SCHEME_INVALID", f"{path}.formula", "a gate needs a formula and a min (or any_of)", h, k, None)
        gtiers = b.get(t, "tiers", list, path, h, k) or []
        for tid in gtiers:
            if tid not in tier_ids:
                b.err("SCHEME_INVALID", f"{path}.tiers", f"unknown tier {tid!r}", h, k, "tiers")
        gbasis = b.get(t, "basis", str, path, h, k)
        if gbasis is not None and not gbasis.strip():
            b.err("SCHEME_INVALID", f"{path}.basis", "every gate must cite the document that sets it", h, k,
                  "basis")
        gates.append(Gate(gid, b.get(t, "name_zh", str, path, h, k) or "", b.get(t, "name_en", str, path, h, k)
                          or "", tuple(conditions), tuple(str(x) for x in gtiers), gbasis or ""))

    dea = _parse_dea(b, doc, field_ids, {i.id for i in indicators})

    if b.issues:
        raise SchemeError(b.issues)
    return Scheme(version=version, title=title, raw_fields=tuple(raw_fields), constraints=tuple(constraints),
                  dimensions=tuple(dimensions), indicators=tuple(indicators), tiers=tuple(tiers),
                  insufficient_data=insufficient, missing=policy, method=dict(method), weights_note=weights_note,
                  gates=tuple(gates), not_applicable_dimension=na_rule, dea=dea)


def _gate_condition(b: _Builder, t: Mapping[str, Any], path: str, h: str, k: int,
                    field_ids: set[str]) -> GateCondition | None:
    text = b.get(t, "formula", str, path, h, k)
    formula: Formula | None = None
    if text is not None:
        try:
            formula = parse_formula(text)
        except FormulaSyntaxError as exc:
            b.err("SCHEME_INVALID", f"{path}.formula", f"formula syntax: {exc}", h, k, "formula")
        if formula is not None:
            for f in formula.fields:
                if f not in field_ids:
                    b.err("UNKNOWN_FIELD", f"{path}.formula", f"unknown raw field {f!r} in formula", h, k, "formula")
    minimum = b.get(t, "min", (int, float), path, h, k)
    lever = b.get(t, "lever", str, path, h, k, required=False, default=None)
    if lever is None and formula is not None and formula.fields:
        lever = formula.fields[0]
    if lever is not None and formula is not None and lever not in formula.fields:
        b.err("SCHEME_INVALID", f"{path}.lever", f"lever {lever!r} is not used by the formula", h, k, "lever")
    effort = b.get(t, "effort", (int, float), path, h, k, required=False, default=1.0)
    if effort is not None and not effort > 0:
        b.err("SCHEME_INVALID", f"{path}.effort", "effort must be > 0", h, k, "effort")
    if formula is None or minimum is None:
        return None
    return GateCondition(formula, float(minimum), lever or "", float(effort) if effort else 1.0)


def load_scheme(path: str | Path) -> Scheme:
    """Read and validate a scheme TOML file (the only file reading in the package besides the default)."""
    return load_scheme_text(Path(path).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def default_scheme() -> Scheme:
    """The shipped default scheme (``evaluation/schemes/default.toml``), parsed once."""
    return load_scheme(_DEFAULT_PATH)


@lru_cache(maxsize=1)
def shipped_schemes() -> Mapping[str, Scheme]:
    """Every scheme shipped in ``evaluation/schemes/`` by version: the default and the earlier versions
    kept so that rankings published under them can be re-computed exactly."""
    out: dict[str, Scheme] = {}
    for path in sorted(_DEFAULT_PATH.parent.glob("*.toml")):
        loaded = default_scheme() if path == _DEFAULT_PATH else load_scheme(path)
        if loaded.version in out:
            raise SchemeError([SchemeIssue("SCHEME_INVALID", "version",
                                           f"two shipped schemes claim version {loaded.version!r}")])
        out[loaded.version] = loaded
    return out


def scheme_summary(scheme: Scheme) -> Sequence[dict[str, Any]]:
    """Plain rows describing the indicators (for docs/UI)."""
    return [{"id": i.id, "dimension": i.dimension, "formula": i.formula.text, "direction": i.direction,
             "weight": i.weight, "threshold": i.threshold, "unit": i.unit, "basis": i.basis} for i in scheme.indicators]


def _parse_dea(b: _Builder, doc: Mapping[str, Any], field_ids: set[str], indicator_ids: set[str]) -> DeaSpec | None:
    """The optional ``[dea]`` table: ``inputs`` and ``outputs`` (non-empty lists of raw field or indicator
    ids, no id on both sides), ``model`` (ccr/bcc) and ``orientation`` (input/output)."""
    t = doc.get("dea")
    if t is None:
        return None
    if not isinstance(t, dict):
        b.err("SCHEME_INVALID", "dea", "[dea] must be a table", None, None, None)
        return None
    sides: dict[str, tuple[str, ...]] = {}
    for key in ("inputs", "outputs"):
        ids = b.get(t, key, list, "dea", "dea", None)
        if ids is None:
            continue
        if not ids or not all(isinstance(i, str) for i in ids):
            b.err("SCHEME_INVALID", f"dea.{key}", "must be a non-empty list of raw field or indicator ids",
                  "dea", None, key)
            continue
        for i in ids:
            if i not in field_ids and i not in indicator_ids:
                b.err("UNKNOWN_FIELD", f"dea.{key}", f"{i!r} is neither a raw field nor an indicator", "dea", None, key)
        if len(set(ids)) != len(ids):
            b.err("SCHEME_INVALID", f"dea.{key}", "an id is listed twice", "dea", None, key)
        sides[key] = tuple(ids)
    both = set(sides.get("inputs", ())) & set(sides.get("outputs", ()))
    if both:
        b.err("SCHEME_INVALID", "dea.outputs", f"{sorted(both)} cannot be both input and output", "dea", None, "outputs")
    model = b.get(t, "model", str, "dea", "dea", None, required=False, default="bcc")
    if model is not None and model not in DEA_MODELS:
        b.err("SCHEME_INVALID", "dea.model", f"model must be one of {DEA_MODELS}", "dea", None, "model")
    orientation = b.get(t, "orientation", str, "dea", "dea", None, required=False, default="input")
    if orientation is not None and orientation not in DEA_ORIENTATIONS:
        b.err("SCHEME_INVALID", "dea.orientation", f"orientation must be one of {DEA_ORIENTATIONS}", "dea", None,
              "orientation")
    unknown = set(t) - {"inputs", "outputs", "model", "orientation"}
    if unknown:
        b.err("SCHEME_INVALID", "dea", f"unknown key(s) {sorted(unknown)}", "dea", None, None)
    if len(sides) < 2:
        return None
    return DeaSpec(inputs=sides["inputs"], outputs=sides["outputs"], model=model or "bcc",
                   orientation=orientation or "input")
