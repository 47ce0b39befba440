"""incubench evaluation engine: score, rank and tier incubators on the five benchmark dimensions.

A pure library (numpy/scipy; no I/O except reading scheme TOML files in :mod:`evaluation.scheme`).

Typical use::

    from evaluation import default_scheme, evaluate, gap_to_benchmark, robustness

    scheme = default_scheme()
    result = evaluate(metrics, scheme, "2025Q3")          # headline: target + scheme weights + arithmetic
    result.ranking()                                       # plain rows in rank order
    result.scorecard("inc-0001")                          # per-indicator rows
    gap_to_benchmark(result, "inc-0001").plan            # least-effort plan to benchmark status
    what_if(result, "inc-0001", {"financed_tenants": 3})  # new score and tier
    robustness(result, draws=1000, seed=1)                 # median rank and 5–95 % interval
    explain_change(result_q2, result_q3)                   # what moved each score

``metrics`` is ``{incubator_id: {quarter: {raw_field: float | None}}}`` (None = not reported) or a
:class:`QuarterData` (which also carries not-applicable fields). Every error is an
:class:`EvaluationError` with ``code``, ``incubator_id`` and ``field``. See docs/scoring.md.
"""

from .engine import (
    EvaluationResult,
    MatrixScores,
    MethodSpec,
    QuarterData,
    evaluate,
    evaluate_matrix,
    parse_quarter,
    shift_quarter,
)
from .errors import EvaluationError, InputError, MethodError, SchemeError, SchemeIssue
from .explain import ChangeExplanation, explain_change
from .gap import GapReport, Plan, PlanStep, WhatIfResult, gap_to_benchmark, plan_to_tier, what_if
from .missing import STATUS_LABELS
from .ranking import competition_rank
from .robustness import RobustnessResult, robustness, robustness_arrays
from .scheme import (
    DIMENSION_IDS,
    NOT_TIERED,
    Constraint,
    Dimension,
    Gate,
    Indicator,
    MissingPolicy,
    RawField,
    Scheme,
    TierRule,
    default_scheme,
    load_scheme,
    load_scheme_text,
    shipped_schemes,
)

__all__ = [
    "DIMENSION_IDS",
    "NOT_TIERED",
    "STATUS_LABELS",
    "ChangeExplanation",
    "Constraint",
    "Dimension",
    "EvaluationError",
    "EvaluationResult",
    "GapReport",
    "Gate",
    "Indicator",
    "InputError",
    "MatrixScores",
    "MethodError",
    "MethodSpec",
    "MissingPolicy",
    "Plan",
    "PlanStep",
    "QuarterData",
    "RawField",
    "RobustnessResult",
    "Scheme",
    "SchemeError",
    "SchemeIssue",
    "TierRule",
    "WhatIfResult",
    "competition_rank",
    "default_scheme",
    "evaluate",
    "evaluate_matrix",
    "explain_change",
    "gap_to_benchmark",
    "load_scheme",
    "load_scheme_text",
    "parse_quarter",
    "plan_to_tier",
    "robustness",
    "robustness_arrays",
    "shift_quarter",
    "shipped_schemes",
    "what_if",
]
