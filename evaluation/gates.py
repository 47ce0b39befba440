"""Gates: minimums an official document sets, checked on each incubator's own raw data before a tier
that lists them is granted (see :class:`~evaluation.scheme.Gate`).

A gate passes when any of its conditions ``formula ≥ min`` holds. A condition that cannot be computed
(a field not reported, a zero denominator) does not hold, so an unreported gate fails: a tier is never
granted on missing evidence. A condition whose fields the incubator declared not applicable is dropped;
a gate with every condition dropped is not applicable and not checked. Gates read nothing of the other
incubators, so they keep the headline's fixed goalposts.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from ._types import FloatArray
from .scheme import Gate, GateCondition, Scheme

__all__ = ["GATE_STATUS_LABELS", "condition_values", "evaluate_gates"]

PASSED, FAILED, NOT_REPORTED, NOT_APPLICABLE = range(4)
GATE_STATUS_LABELS = ("passed", "failed", "not_reported", "not_applicable")

Lookup = Callable[[str, int], FloatArray]


def condition_values(cond: GateCondition, lookup: Lookup, n: int) -> FloatArray:
    """The condition's value per incubator (NaN where it cannot be computed)."""
    vals, zero, _ = cond.formula.evaluate(lookup, n)
    return np.asarray(np.where(zero, np.nan, vals), dtype=np.float64)


def _declared(cond: GateCondition, gate: Gate, items: Collection[str]) -> bool:
    return gate.id in items or any(f in items for f in cond.formula.fields)


def evaluate_gates(scheme: Scheme, lookup: Lookup, ids: Sequence[str],
                   not_applicable: Mapping[str, Collection[str]]) -> tuple[NDArray[np.int8], FloatArray]:
    """Status (n × g, index into :data:`GATE_STATUS_LABELS`) and the value of each gate's first
    condition that holds, else its best-placed one (n × g; NaN if none computable)."""
    n, g = len(ids), len(scheme.gates)
    status = np.full((n, g), NOT_APPLICABLE, dtype=np.int8)
    shown = np.full((n, g), np.nan)
    for k, gate in enumerate(scheme.gates):
        any_applicable = np.zeros(n, dtype=bool)
        any_reported = np.zeros(n, dtype=bool)
        holds = np.zeros(n, dtype=bool)
        for cond in gate.conditions:
            applicable = np.array([not _declared(cond, gate, not_applicable.get(inc, ())) for inc in ids], dtype=bool)
            v = condition_values(cond, lookup, n)
            ok = applicable & ~np.isnan(v) & (v >= cond.min - 1e-12)
            fill = applicable & ~np.isnan(v) & (np.isnan(shown[:, k]) | ok & ~holds)
            shown[:, k] = np.where(fill, v, shown[:, k])
            holds |= ok
            any_applicable |= applicable
            any_reported |= applicable & ~np.isnan(v)
        status[:, k] = np.where(~any_applicable, NOT_APPLICABLE,
                                np.where(holds, PASSED, np.where(any_reported, FAILED, NOT_REPORTED)))
    return status, shown
