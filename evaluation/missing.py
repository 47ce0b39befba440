"""Missing-data handling at indicator level.

An indicator value is *not reported* when any raw field its formula needs (including the three previous
quarters for ``ttm``) is ``None`` or absent. It is *not applicable* when the incubator declared the
indicator or one of its fields not applicable: then it is always excluded (weight redistributed within
the dimension) and does not count as missing. Otherwise the scheme's policy applies:

* ``exclude``: drop it for that incubator; its weight is redistributed within its dimension.
* ``impute``: rules in declared order — ``previous_quarter`` (the incubator's own indicator computed from
  its previous quarter's data, if computable, carried forward with the scheme's ``carry_forward_decay``:
  × decay for a benefit indicator, ÷ decay for a cost one), then ``peer_median`` (median of the values
  *reported* by the other incubators this quarter) — the latter reads other incubators, so the engine
  passes it only for cohort-relative views (never the headline, except for schemes published with
  ``peer_median_in_headline``). If no rule applies, the value is excluded.
* ``penalise``: the indicator scores 0 (normalised) for that incubator.

Every treated value is flagged with its status. The share of scheme weight that was not reported
(imputed, excluded or penalised; not-applicable excluded from the base) decides ``insufficient_data``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ._types import BoolArray, FloatArray
from .scheme import MissingPolicy

__all__ = ["STATUS_LABELS", "MissingResult", "apply_missing_policy"]

REPORTED, PREVIOUS, PEER_MEDIAN, EXCLUDED, PENALISED, NOT_APPLICABLE = range(6)
STATUS_LABELS = ("reported", "imputed:previous_quarter", "imputed:peer_median", "excluded", "penalised",
                 "not_applicable")


@dataclass(frozen=True)
class MissingResult:
    """Indicator matrix after the policy: ``values`` (NaN where excluded/penalised), ``status`` codes
    (index into :data:`STATUS_LABELS`), ``mask`` (scored), ``penalised`` and the not-reported weight share."""

    values: FloatArray
    status: NDArray[np.int8]
    mask: BoolArray
    penalised: BoolArray
    missing_weight_share: FloatArray
    insufficient: BoolArray


def apply_missing_policy(x: FloatArray, not_applicable: BoolArray, previous: FloatArray | None,
                         policy: MissingPolicy, weights: FloatArray, *, rules: Sequence[str] | None = None,
                         cost: BoolArray | None = None) -> MissingResult:
    """Apply ``policy`` to ``x`` (n × m, NaN = not reported). ``previous`` is the previous quarter's
    indicator matrix aligned to the same rows (NaN where not computable). ``rules``: the imputation
    rules allowed for this view (default: the policy's)."""
    status = np.zeros(x.shape, dtype=np.int8)
    status[not_applicable] = NOT_APPLICABLE
    missing = np.isnan(x) & ~not_applicable
    values = np.where(not_applicable, np.nan, x)
    if missing.any():
        if policy.policy == "penalise":
            status[missing] = PENALISED
        elif policy.policy == "exclude":
            status[missing] = EXCLUDED
        else:
            todo = missing.copy()
            reported = (status == REPORTED) & ~missing
            for rule in (policy.impute_rules if rules is None else rules):
                if rule == "previous_quarter" and previous is not None:
                    take = todo & ~np.isnan(previous)
                    decay = policy.carry_forward_decay
                    carried = previous if decay == 1.0 else \
                        np.where(cost[None, :] if cost is not None else False, previous / decay, previous * decay)
                    values = np.where(take, carried, values)
                    status[take] = PREVIOUS
                    todo &= ~take
                elif rule == "peer_median":
                    cols = np.flatnonzero(todo.any(axis=0))
                    for j in cols:  # loop over indicators with gaps only
                        peers = x[reported[:, j], j]
                        if peers.size:
                            rows = todo[:, j]
                            values[rows, j] = float(np.median(peers))
                            status[rows, j] = PEER_MEDIAN
                            todo[rows, j] = False
            status[todo] = EXCLUDED
    mask = (status != EXCLUDED) & (status != NOT_APPLICABLE)
    penalised = status == PENALISED
    base = np.where(not_applicable, 0.0, weights[None, :]).sum(axis=1)
    lost = np.where(missing, weights[None, :], 0.0).sum(axis=1)
    share = np.where(base > 0, lost / np.where(base > 0, base, 1.0), 1.0)
    insufficient = share > policy.max_imputed_weight_share + 1e-12
    return MissingResult(values, status, mask, penalised, np.asarray(share, dtype=np.float64), insufficient)
