"""Efficiency view: Data Envelopment Analysis (DEA), envelopment form, solved with HiGHS.

Models (Cooper, Seiford & Tone, *Data Envelopment Analysis*, 2nd ed., 2007, ch. 3–5):

- **CCR** (Charnes, Cooper & Rhodes 1978): constant returns to scale.
- **BCC** (Banker, Charnes & Cooper 1984): variable returns to scale (adds ``Σλ = 1``).

Orientations: **input** (``min θ``: how far all inputs could shrink radially, outputs kept) and **output**
(``max η``: how far all outputs could grow radially, inputs kept; efficiency is reported as ``1/η``).

Each DMU is solved in two phases (CST 2007, ch. 3): phase 1 finds the radial score; phase 2 fixes it and
maximises the sum of the input and output slacks, each divided by its column's mean (CST's plain sum
depends on the units: with staff in persons and funds in yuan the funds slack would decide alone).
Targets are then
``x̂ = θx − s⁻, ŷ = y + s⁺`` (input) or ``x̂ = x − s⁻, ŷ = ηy + s⁺`` (output); the reference peers are the
DMUs with ``λ > 0``. A DMU is efficient when its score is 1 and every slack is 0.

Returns to scale follow Färe, Grosskopf & Lovell (1985), as in Coelli's DEAP 2.1 (CEPA WP 96/08):
scale efficiency ``SE = CCR/BCC``; ``SE = 1`` is constant; otherwise the non-increasing-returns model
(``Σλ ≤ 1``) decides: equal to BCC is decreasing, else increasing. The NIRS score equals the CCR score
exactly when some CCR optimum has ``Σλ ≤ 1``, so the NIRS programme is solved only when the CCR ``λ``
found sums above 1.

Speed (every step exact, nothing approximated):

- data columns are scaled to mean 1 for the programmes (radial scores and ``λ`` are unit-free; slacks
  are scaled back);
- each programme is solved over a *restricted* set of reference DMUs, grown by column generation: the
  duals price every DMU left out, and any with a negative reduced cost is added and the programme
  re-solved, so the optimum is the optimum over all DMUs;
- phase 2 is skipped when every input and output row has a non-zero dual in phase 1 (complementary
  slackness: every optimal solution then has zero slacks);
- a CCR-efficient DMU is BCC-efficient in both orientations, with itself as its only peer.

Pure numpy/scipy; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csc_array

from ._types import BoolArray, FloatArray, IntArray
from .errors import EvaluationError, InputError, MethodError
from .scheme import DEA_MODELS, DEA_ORIENTATIONS

if TYPE_CHECKING:
    from .scheme import DeaSpec

__all__ = [
    "MAX_DMUS",
    "MAX_FACTORS",
    "MODELS",
    "ORIENTATIONS",
    "RETURNS_TO_SCALE",
    "DeaResult",
    "DeaSteps",
    "ScaleResult",
    "ccr_output_from_input",
    "dea",
    "dea_from_values",
    "dea_scale",
    "dea_views",
    "validate_dea_data",
]

MODELS = DEA_MODELS
ORIENTATIONS = DEA_ORIENTATIONS
RETURNS_TO_SCALE = ("increasing", "constant", "decreasing")
MAX_DMUS = 5000
MAX_FACTORS = 20
EFFICIENCY_TOL = 1e-6
_PRICE_TOL = 1e-9
_DUAL_TOL = 1e-9
_COLUMNS_PER_ROUND = 8
_BATCH = 50
_SEED_DIRECTIONS = 64
_FACE_TOL = 1e-8
# block-diagonal programmes gain nothing from presolve; it only costs time
_HIGHS_OPTIONS = {"presolve": False}


@dataclass(frozen=True)
class DeaSteps:
    """Intermediate steps of one model and orientation.

    ``radial``: phase-1 score per DMU (θ for input, η ≥ 1 for output). ``max_slack_solved``: True where
    the phase-2 programme was solved (False: the phase-1 duals proved every slack is 0, or the DMU is
    CCR-efficient). ``reference_set``: DMU indices the restricted programmes ended up using.
    ``lp_solves``: DMU programmes solved (phases 1 and 2; one re-solved after the reference set grew
    counts again)."""

    radial: FloatArray
    max_slack_solved: BoolArray
    reference_set: IntArray
    lp_solves: int


@dataclass(frozen=True)
class DeaResult:
    """Scores, slacks, peers and targets of one model (``ccr``/``bcc``) and orientation."""

    model: str
    orientation: str
    dmu_ids: tuple[str, ...]
    input_names: tuple[str, ...]
    output_names: tuple[str, ...]
    inputs: FloatArray
    outputs: FloatArray
    efficiency: FloatArray
    input_slacks: FloatArray
    output_slacks: FloatArray
    peer_index: tuple[IntArray, ...]
    peer_lambda: tuple[FloatArray, ...]
    steps: DeaSteps

    @property
    def input_targets(self) -> FloatArray:
        """Inputs on the frontier: ``θx − s⁻`` (input orientation) or ``x − s⁻`` (output)."""
        scale = self.steps.radial[:, None] if self.orientation == "input" else 1.0
        return np.maximum(self.inputs * scale - self.input_slacks, 0.0)

    @property
    def output_targets(self) -> FloatArray:
        """Outputs on the frontier: ``y + s⁺`` (input orientation) or ``ηy + s⁺`` (output)."""
        scale = self.steps.radial[:, None] if self.orientation == "output" else 1.0
        return self.outputs * scale + self.output_slacks

    @property
    def input_savings(self) -> FloatArray:
        """How much of each input could be saved (``x − x̂ ≥ 0``)."""
        return np.maximum(self.inputs - self.input_targets, 0.0)

    @property
    def output_gains(self) -> FloatArray:
        """How much each output could be raised (``ŷ − y ≥ 0``)."""
        return np.maximum(self.output_targets - self.outputs, 0.0)

    @property
    def lambda_sums(self) -> FloatArray:
        return np.array([float(w.sum()) for w in self.peer_lambda])

    def efficient(self) -> BoolArray:
        """Pareto–Koopmans efficient: score 1 and no slack (relative tolerance 1e-6)."""
        full = self.efficiency >= 1.0 - EFFICIENCY_TOL
        no_in = (self.input_slacks <= EFFICIENCY_TOL * self.inputs).all(axis=1)
        no_out = (self.output_slacks <= EFFICIENCY_TOL * self.outputs).all(axis=1)
        return np.asarray(full & no_in & no_out, dtype=np.bool_)

    def index(self, dmu: int | str) -> int:
        if isinstance(dmu, str):
            try:
                return self.dmu_ids.index(dmu)
            except ValueError:
                raise InputError("UNKNOWN_INCUBATOR", f"unknown DMU {dmu!r}", incubator_id=dmu) from None
        if not 0 <= dmu < len(self.dmu_ids):
            raise InputError("UNKNOWN_INCUBATOR", f"DMU index {dmu} out of range")
        return dmu

    def peers(self, dmu: int | str) -> list[tuple[str, float]]:
        """Reference peers of ``dmu`` with their λ, largest first."""
        k = self.index(dmu)
        pairs = [(self.dmu_ids[int(j)], float(w)) for j, w in zip(self.peer_index[k], self.peer_lambda[k], strict=True)]
        return sorted(pairs, key=lambda p: -p[1])

    def lambda_matrix(self) -> FloatArray:
        """Dense ``n × n`` matrix of λ (row = evaluated DMU, column = peer)."""
        n = len(self.dmu_ids)
        out = np.zeros((n, n))
        for k in range(n):
            out[k, self.peer_index[k]] = self.peer_lambda[k]
        return out

    def rows(self) -> list[dict[str, Any]]:
        """Plain rows (one per DMU) for display and export."""
        eff = self.efficient()
        xt, yt = self.input_targets, self.output_targets
        return [{
            "dmu": d, "efficiency": float(self.efficiency[k]), "efficient": bool(eff[k]),
            "peers": self.peers(k),
            "input_slacks": dict(zip(self.input_names, self.input_slacks[k].tolist(), strict=True)),
            "output_slacks": dict(zip(self.output_names, self.output_slacks[k].tolist(), strict=True)),
            "input_targets": dict(zip(self.input_names, xt[k].tolist(), strict=True)),
            "output_targets": dict(zip(self.output_names, yt[k].tolist(), strict=True)),
        } for k, d in enumerate(self.dmu_ids)]


@dataclass(frozen=True)
class ScaleResult:
    """CCR and BCC in one orientation, with scale efficiency and returns to scale per DMU.

    ``nirs_efficiency``: the non-increasing-returns score used to tell increasing from decreasing
    returns (equal to the CCR score where no programme was needed, NaN where scale efficiency is 1);
    ``nirs_solved``: where that programme was actually solved."""

    orientation: str
    ccr: DeaResult
    bcc: DeaResult
    scale_efficiency: FloatArray
    returns_to_scale: tuple[str, ...]
    nirs_efficiency: FloatArray
    nirs_solved: BoolArray


# ----- validation -----------------------------------------------------------------------------------


def _names(given: Sequence[str] | None, count: int, prefix: str, what: str) -> tuple[str, ...]:
    if given is None:
        return tuple(f"{prefix}{k + 1}" for k in range(count))
    names = tuple(str(g) for g in given)
    if len(names) != count:
        raise InputError("BAD_SHAPE", f"{len(names)} {what} for {count} columns/rows", field=what)
    if len(set(names)) != len(names):
        raise InputError("DUPLICATE_ID", f"{what} must be unique", field=what)
    return names


def _matrix(data: object, what: str) -> FloatArray:
    try:
        arr = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError("INVALID_TYPE", f"{what} must be a numeric matrix: {exc}", field=what) from None
    if arr.ndim != 2:
        raise InputError("BAD_SHAPE", f"{what} must be a 2-D matrix (DMUs × {what}), got {arr.ndim}-D", field=what)
    return arr


def validate_dea_data(
    inputs: object,
    outputs: object,
    dmu_ids: Sequence[str] | None = None,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
) -> tuple[FloatArray, FloatArray, tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Check shapes, size limits, finiteness and strict positivity; return clean arrays and names.

    Errors (:class:`InputError`): ``BAD_SHAPE``, ``TOO_LARGE`` (more than :data:`MAX_DMUS` DMUs or
    :data:`MAX_FACTORS` inputs + outputs), ``NOT_FINITE``, ``NON_POSITIVE_VALUE`` (the radial models need
    every input and output > 0), ``DUPLICATE_ID``, ``INVALID_TYPE``."""
    x = _matrix(inputs, "inputs")
    y = _matrix(outputs, "outputs")
    if x.shape[0] != y.shape[0]:
        raise InputError("BAD_SHAPE", f"inputs have {x.shape[0]} DMUs, outputs {y.shape[0]}", field="outputs")
    n, m, s = x.shape[0], x.shape[1], y.shape[1]
    if n < 1 or m < 1 or s < 1:
        raise InputError("BAD_SHAPE", f"need ≥ 1 DMU, ≥ 1 input and ≥ 1 output; got {n}, {m}, {s}")
    if n > MAX_DMUS or m + s > MAX_FACTORS:
        raise InputError("TOO_LARGE", f"at most {MAX_DMUS} DMUs and {MAX_FACTORS} inputs + outputs; "
                                      f"got {n} DMUs, {m + s} factors")
    ids = _names(dmu_ids, n, "", "dmu_ids")
    in_names = _names(input_names, m, "x", "input_names")
    out_names = _names(output_names, s, "y", "output_names")
    for arr, names in ((x, in_names), (y, out_names)):
        bad = ~np.isfinite(arr)
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise InputError("NOT_FINITE", f"{names[j]} of {ids[i]} is {arr[i, j]}", incubator_id=ids[i], field=names[j])
        bad = arr <= 0
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise InputError("NON_POSITIVE_VALUE", f"DEA needs every input and output > 0; {names[j]} of "
                             f"{ids[i]} is {arr[i, j]:g}", incubator_id=ids[i], field=names[j])
    return x, y, ids, in_names, out_names


def _check_method(model: str, orientation: str) -> None:
    if model not in MODELS:
        raise MethodError("UNKNOWN_METHOD", f"DEA model must be one of {MODELS}, got {model!r}", field="model")
    if orientation not in ORIENTATIONS:
        raise MethodError("UNKNOWN_METHOD", f"DEA orientation must be one of {ORIENTATIONS}, got {orientation!r}",
                          field="orientation")


# ----- restricted programmes with column generation ----------------------------------------------------


class _Columns:
    """The growing reference set shared by the programmes of one data set."""

    def __init__(self, xs: FloatArray, ys: FloatArray) -> None:
        """Seeded with DMUs that maximise an output/input ratio under strictly positive weights (each
        is CCR-efficient, so on every frontier) and with the smallest input and largest output of each
        kind (on the BCC frontier); column generation adds whatever else is needed."""
        n = xs.shape[0]
        self.member = np.zeros(n, dtype=np.bool_)
        self.solves = 0
        rng = np.random.default_rng(0)
        u = rng.random((_SEED_DIRECTIONS, ys.shape[1])) + 0.05
        v = rng.random((_SEED_DIRECTIONS, xs.shape[1])) + 0.05
        ratios = (ys @ u.T) / (xs @ v.T)
        self.member[np.argmax(ratios, axis=0)] = True
        self.member[np.argmin(xs, axis=0)] = True
        self.member[np.argmax(ys, axis=0)] = True

    def with_dmu(self, o: int) -> IntArray:
        cols = self.member.copy()
        cols[o] = True
        return np.flatnonzero(cols)


@dataclass(frozen=True)
class _Programme:
    """One DMU's programme over ``[z, λ]``: minimise ``c·z`` subject to ``[extra_ub, lam_ub] ≤ b_ub``,
    ``[extra_eq, lam_eq] = b_eq``, bounds on ``z``, ``λ ≥ 0`` (``lam_*`` shared by every DMU)."""

    dmu: int
    c: FloatArray
    extra_ub: FloatArray
    extra_eq: FloatArray
    b_ub: FloatArray
    b_eq: FloatArray
    bounds: FloatArray  # (k, 2), np.inf for no upper bound
    start: IntArray | None = None  # λ columns to start from (None: the shared reference set)


@dataclass(frozen=True)
class _Solution:
    z: FloatArray
    cols: IntArray
    lam: FloatArray
    duals_ub: FloatArray
    face: IntArray  # DMUs with zero reduced cost: the only ones any optimal solution can use


def _block_diag(blocks: list[FloatArray]) -> Any:
    """CSC matrix with the dense ``blocks`` on its diagonal (their zeros left out)."""
    data, rows, per_col = [], [], []
    offset = 0
    for b in blocks:
        nz = b.T != 0  # column by column
        data.append(b.T[nz])
        rows.append(np.nonzero(nz)[1] + offset)
        per_col.append(nz.sum(axis=1))
        offset += b.shape[0]
    counts = np.concatenate(per_col)
    indptr = np.concatenate([[0], np.cumsum(counts)])
    return csc_array((np.concatenate(data), np.concatenate(rows), indptr), shape=(offset, counts.size))


def _solve_all(cols_state: _Columns, programmes: Sequence[_Programme], lam_ub: FloatArray,
               lam_eq: FloatArray) -> list[_Solution]:
    """Solve every programme with λ restricted to the reference set plus the DMU itself, many DMUs per
    HiGHS call (independent blocks of one block-diagonal programme, so each block's optimum is its own
    DMU's optimum). After each call every DMU left out is priced with the block's duals; a block with a
    negative reduced cost gets those DMUs added to the reference set and is solved again. A call HiGHS
    cannot solve is split into one call per DMU."""
    out: list[_Solution | None] = [None] * len(programmes)
    pending = list(range(len(programmes)))
    p, q = lam_ub.shape[0], lam_eq.shape[0]
    cols = [pr.start if pr.start is not None else cols_state.with_dmu(pr.dmu) for pr in programmes]
    while pending:
        retry: list[int] = []
        chunks = [pending[start:start + _BATCH] for start in range(0, len(pending), _BATCH)]
        while chunks:
            chunk = chunks.pop()
            colsets = [cols[i] for i in chunk]
            ub_blocks = [np.hstack([programmes[i].extra_ub, lam_ub[:, cs]]) for i, cs in zip(chunk, colsets, strict=True)]
            eq_blocks = [np.hstack([programmes[i].extra_eq, lam_eq[:, cs]]) for i, cs in zip(chunk, colsets, strict=True)]
            c = np.concatenate([np.concatenate([programmes[i].c, np.zeros(cs.size)])
                                for i, cs in zip(chunk, colsets, strict=True)])
            bounds = np.zeros((c.size, 2))
            bounds[:, 1] = np.inf
            offset = 0
            for i, cs in zip(chunk, colsets, strict=True):
                k = programmes[i].c.size
                bounds[offset:offset + k] = programmes[i].bounds
                offset += k + cs.size
            res = linprog(
                c,
                A_ub=_block_diag(ub_blocks) if p else None,
                b_ub=np.concatenate([programmes[i].b_ub for i in chunk]) if p else None,
                A_eq=_block_diag(eq_blocks) if q else None,
                b_eq=np.concatenate([programmes[i].b_eq for i in chunk]) if q else None,
                bounds=bounds, method="highs", options=_HIGHS_OPTIONS)
            cols_state.solves += len(chunk)
            if res.status != 0:
                if len(chunk) > 1:  # find the DMU HiGHS cannot solve, and solve the others
                    chunks.extend([i] for i in chunk)
                    continue
                raise EvaluationError("SOLVER_FAILED", f"HiGHS could not solve the DEA programme of DMU "
                                                       f"{programmes[chunk[0]].dmu}: {res.message}")
            x = np.asarray(res.x)
            y_ub_all = np.asarray(res.ineqlin.marginals) if p else np.zeros(0)
            y_eq_all = np.asarray(res.eqlin.marginals) if q else np.zeros(0)
            offset = 0
            for b, (i, cs) in enumerate(zip(chunk, colsets, strict=True)):
                k = programmes[i].c.size
                width = k + cs.size
                xb = x[offset:offset + width]
                offset += width
                y_ub = y_ub_all[b * p:(b + 1) * p]
                y_eq = y_eq_all[b * q:(b + 1) * q]
                reduced = -(lam_ub.T @ y_ub + lam_eq.T @ y_eq)
                face = np.flatnonzero(reduced <= _FACE_TOL)
                reduced[cs] = 0.0
                worst = np.flatnonzero(reduced < -_PRICE_TOL)
                if worst.size > _COLUMNS_PER_ROUND:
                    worst = worst[np.argsort(reduced[worst])[:_COLUMNS_PER_ROUND]]
                if worst.size:
                    cols_state.member[worst] = True
                    cols[i] = np.union1d(cs, worst)
                    retry.append(i)
                else:
                    out[i] = _Solution(xb[:k], cs, np.maximum(xb[k:], 0.0), y_ub, face)
        pending = retry
    return [s for s in out if s is not None]


@dataclass
class _Data:
    x: FloatArray
    y: FloatArray
    xs: FloatArray  # scaled to column mean 1
    ys: FloatArray
    x_mean: FloatArray
    y_mean: FloatArray

    @classmethod
    def of(cls, x: FloatArray, y: FloatArray) -> _Data:
        xm, ym = x.mean(axis=0), y.mean(axis=0)
        return cls(x, y, x / xm, y / ym, xm, ym)


def _phase1(d: _Data, dmus: Sequence[int], model: str, orientation: str, cols: _Columns,
            nirs: bool = False) -> list[_Solution]:
    """Radial programmes: ``z = [θ]`` (input) or ``[η]`` (output); ``duals_ub`` starts with the input then
    the output rows."""
    m, s, n = d.xs.shape[1], d.ys.shape[1], d.xs.shape[0]
    lam_ub = np.vstack([d.xs.T, -d.ys.T, np.ones((1, n))]) if nirs else np.vstack([d.xs.T, -d.ys.T])
    lam_eq = np.ones((1, n)) if model == "bcc" else np.zeros((0, n))
    extra_eq = np.zeros((lam_eq.shape[0], 1))
    b_eq = np.ones(lam_eq.shape[0])
    tail = np.ones(1) if nirs else np.zeros(0)
    progs = []
    for o in dmus:
        if orientation == "input":
            extra_ub = np.concatenate([-d.xs[o], np.zeros(s)])
            b_ub = np.concatenate([np.zeros(m), -d.ys[o], tail])
            c, bounds = np.array([1.0]), np.array([[0.0, 1.0]])
        else:
            extra_ub = np.concatenate([np.zeros(m), d.ys[o]])
            b_ub = np.concatenate([d.xs[o], np.zeros(s), tail])
            c, bounds = np.array([-1.0]), np.array([[1.0, np.inf]])
        extra_ub = np.append(extra_ub, np.zeros(tail.size))[:, None]
        progs.append(_Programme(o, c, extra_ub, extra_eq, b_ub, b_eq, bounds))
    return _solve_all(cols, progs, lam_ub, lam_eq)


def _phase2(d: _Data, dmus: Sequence[int], faces: Sequence[IntArray], radial: FloatArray, model: str,
            orientation: str, cols: _Columns) -> list[_Solution]:
    """Max-slack programmes with the radial score fixed: ``z = [s⁻, s⁺]`` in scaled units."""
    m, s, n = d.xs.shape[1], d.ys.shape[1], d.xs.shape[0]
    lam_eq = np.vstack([d.xs.T, d.ys.T])
    extra_eq = np.zeros((m + s, m + s))
    extra_eq[:m, :m] = np.eye(m)
    extra_eq[m:, m:] = -np.eye(s)
    if model == "bcc":
        lam_eq = np.vstack([lam_eq, np.ones((1, n))])
        extra_eq = np.vstack([extra_eq, np.zeros((1, m + s))])
    tail = np.ones(1) if model == "bcc" else np.zeros(0)
    c = -np.ones(m + s)  # maximise Σ s/mean: slacks relative to each column's mean level (unit-free)
    bounds = np.column_stack([np.zeros(m + s), np.full(m + s, np.inf)])
    progs = []
    for o, face in zip(dmus, faces, strict=True):
        if orientation == "input":
            b_eq = np.concatenate([radial[o] * d.xs[o], d.ys[o], tail])
        else:
            b_eq = np.concatenate([d.xs[o], radial[o] * d.ys[o], tail])
        progs.append(_Programme(o, c, np.zeros((0, m + s)), extra_eq, np.zeros(0), b_eq, bounds,
                                start=np.union1d(face, [o])))
    return _solve_all(cols, progs, np.zeros((0, n)), lam_eq)


def _solve_model(d: _Data, model: str, orientation: str, ids: tuple[str, ...], in_names: tuple[str, ...],
                 out_names: tuple[str, ...], cols: _Columns, ccr_efficient: BoolArray | None) -> DeaResult:
    n, m, s = d.x.shape[0], d.x.shape[1], d.y.shape[1]
    start = cols.solves
    radial = np.ones(n)
    slack_in, slack_out = np.zeros((n, m)), np.zeros((n, s))
    phase2 = np.zeros(n, dtype=np.bool_)
    peer_cols: list[IntArray] = [np.array([o], dtype=np.intp) for o in range(n)]
    peer_lam: list[FloatArray] = [np.ones(1) for _ in range(n)]
    todo = [o for o in range(n) if ccr_efficient is None or not ccr_efficient[o]]
    faces: dict[int, IntArray] = {}
    for o, sol in zip(todo, _phase1(d, todo, model, orientation, cols), strict=True):
        faces[o] = sol.face
        radial[o] = sol.z[0]
        peer_cols[o], peer_lam[o] = sol.cols, sol.lam
        # every dual non-zero: complementary slackness makes every optimal slack 0 (no phase 2)
        phase2[o] = not bool(np.all(np.abs(sol.duals_ub[: m + s]) > _DUAL_TOL))
    radial = np.maximum(radial, 1.0) if orientation == "output" else np.minimum(radial, 1.0)
    second = np.flatnonzero(phase2).tolist()
    phase2_solutions = _phase2(d, second, [faces[o] for o in second], radial, model, orientation, cols)
    for o, sol in zip(second, phase2_solutions, strict=True):
        z = np.maximum(sol.z, 0.0)
        slack_in[o], slack_out[o] = z[:m] * d.x_mean, z[m:] * d.y_mean
        peer_cols[o], peer_lam[o] = sol.cols, sol.lam
    keep = [lam > 1e-10 for lam in peer_lam]
    efficiency = radial if orientation == "input" else 1.0 / radial
    steps = DeaSteps(radial=radial, max_slack_solved=phase2, reference_set=np.flatnonzero(cols.member),
                     lp_solves=cols.solves - start)
    return DeaResult(model=model, orientation=orientation, dmu_ids=ids, input_names=in_names,
                     output_names=out_names, inputs=d.x, outputs=d.y, efficiency=efficiency,
                     input_slacks=slack_in, output_slacks=slack_out,
                     peer_index=tuple(c[k].astype(np.intp) for c, k in zip(peer_cols, keep, strict=True)),
                     peer_lambda=tuple(lam[k] for lam, k in zip(peer_lam, keep, strict=True)), steps=steps)


# ----- public API -----------------------------------------------------------------------------------


def dea(
    inputs: object,
    outputs: object,
    *,
    model: str = "ccr",
    orientation: str = "input",
    dmu_ids: Sequence[str] | None = None,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
) -> DeaResult:
    """One DEA model: ``inputs`` is DMUs × inputs, ``outputs`` DMUs × outputs (all > 0)."""
    _check_method(model, orientation)
    x, y, ids, in_names, out_names = validate_dea_data(inputs, outputs, dmu_ids, input_names, output_names)
    d = _Data.of(x, y)
    return _solve_model(d, model, orientation, ids, in_names, out_names, _Columns(d.xs, d.ys), None)


def ccr_output_from_input(ccr_input: DeaResult) -> DeaResult:
    """The output-oriented CCR solution read off the input-oriented one (CST 2007, ch. 3):
    ``η* = 1/θ*``, ``μ* = λ*/θ*``, ``t⁻ = s⁻/θ*``, ``t⁺ = s⁺/θ*``. Dividing every constraint of the
    input-oriented phase 2 by θ* maps its feasible set one-to-one onto the output-oriented one and
    scales its objective by 1/θ*, so max-slack solutions map to max-slack solutions as well."""
    if ccr_input.model != "ccr" or ccr_input.orientation != "input":
        raise MethodError("UNKNOWN_METHOD", "needs an input-oriented CCR result", field="model")
    theta = ccr_input.steps.radial
    steps = DeaSteps(radial=1.0 / theta, max_slack_solved=ccr_input.steps.max_slack_solved,
                     reference_set=ccr_input.steps.reference_set, lp_solves=0)
    return replace(ccr_input, orientation="output", input_slacks=ccr_input.input_slacks / theta[:, None],
                   output_slacks=ccr_input.output_slacks / theta[:, None],
                   peer_lambda=tuple(w / t for w, t in zip(ccr_input.peer_lambda, theta, strict=True)),
                   steps=steps)


def _scale(d: _Data, orientation: str, ids: tuple[str, ...], in_names: tuple[str, ...],
           out_names: tuple[str, ...], cols: _Columns, ccr: DeaResult | None = None) -> ScaleResult:
    if ccr is None:
        ccr = _solve_model(d, "ccr", orientation, ids, in_names, out_names, cols, None)
    bcc = _solve_model(d, "bcc", orientation, ids, in_names, out_names, cols, ccr.efficient())
    se = ccr.efficiency / bcc.efficiency
    n = se.size
    nirs = np.full(n, np.nan)
    sums = ccr.lambda_sums
    varying = np.abs(se - 1.0) > EFFICIENCY_TOL
    # a CCR optimum with Σλ ≤ 1 is NIRS-feasible, so the NIRS score is the CCR score there
    nirs[varying] = ccr.efficiency[varying]
    solved = varying & (sums > 1.0 + EFFICIENCY_TOL)
    ask = np.flatnonzero(solved).tolist()
    for o, sol in zip(ask, _phase1(d, ask, "ccr", orientation, cols, nirs=True), strict=True):
        nirs[o] = sol.z[0] if orientation == "input" else 1.0 / sol.z[0]
    decreasing = np.abs(nirs - bcc.efficiency) <= EFFICIENCY_TOL * np.maximum(1.0, bcc.efficiency)
    rts = ["constant" if not varying[o] else "decreasing" if decreasing[o] else "increasing" for o in range(n)]
    return ScaleResult(orientation=orientation, ccr=ccr, bcc=bcc, scale_efficiency=se,
                       returns_to_scale=tuple(rts), nirs_efficiency=nirs, nirs_solved=solved)


def dea_scale(
    inputs: object,
    outputs: object,
    *,
    orientation: str = "input",
    dmu_ids: Sequence[str] | None = None,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
) -> ScaleResult:
    """CCR and BCC in one orientation, scale efficiency (CCR/BCC) and returns to scale."""
    _check_method("ccr", orientation)
    x, y, ids, in_names, out_names = validate_dea_data(inputs, outputs, dmu_ids, input_names, output_names)
    d = _Data.of(x, y)
    return _scale(d, orientation, ids, in_names, out_names, _Columns(d.xs, d.ys))


def dea_views(
    inputs: object,
    outputs: object,
    *,
    dmu_ids: Sequence[str] | None = None,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
) -> Mapping[str, ScaleResult]:
    """Both models in both orientations (``{"input": ..., "output": ...}``), sharing the reference set;
    the output-oriented CCR result is read off the input-oriented one (:func:`ccr_output_from_input`)."""
    x, y, ids, in_names, out_names = validate_dea_data(inputs, outputs, dmu_ids, input_names, output_names)
    d = _Data.of(x, y)
    cols = _Columns(d.xs, d.ys)
    by_input = _scale(d, "input", ids, in_names, out_names, cols)
    by_output = _scale(d, "output", ids, in_names, out_names, cols, ccr_output_from_input(by_input.ccr))
    return {"input": by_input, "output": by_output}


def dea_from_values(values: Mapping[str, Mapping[str, float | None]], spec: DeaSpec) -> Mapping[str, ScaleResult]:
    """The scheme's efficiency view: ``values`` maps each incubator id to its raw field and indicator
    values (ids as in ``spec.inputs``/``spec.outputs``); returns :func:`dea_views` for them.

    A missing value raises ``MISSING_VALUE`` (DEA has no sound way to impute it: the caller leaves the
    incubator out or fixes the data), a non-number ``INVALID_TYPE``."""
    if not values:
        raise InputError("NO_DATA", "no incubator to compare")
    ids = list(values)
    columns = (*spec.inputs, *spec.outputs)
    matrix = np.empty((len(ids), len(columns)))
    for i, dmu in enumerate(ids):
        row = values[dmu]
        for j, key in enumerate(columns):
            v = row.get(key)
            if v is None:
                raise InputError("MISSING_VALUE", f"{key} of {dmu} is missing", incubator_id=dmu, field=key)
            if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
                raise InputError("INVALID_TYPE", f"{key} of {dmu} must be a number", incubator_id=dmu, field=key)
            matrix[i, j] = float(v)
    m = len(spec.inputs)
    return dea_views(matrix[:, :m], matrix[:, m:], dmu_ids=ids, input_names=spec.inputs, output_names=spec.outputs)
