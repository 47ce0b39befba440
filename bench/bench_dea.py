"""DEA benchmark. Run: ``.venv/bin/python -m bench.bench_dea [--quick]``.

500 incubators × (3 inputs, 3 outputs): CCR and BCC, input- and output-oriented, both phases (radial score,
then maximal slacks), peers, targets, scale efficiency and returns to scale (``evaluation.dea.dea_views``).
Target: ≤ 2 s (judged on the process's CPU time when the machine is shared: the work is single-threaded,
so CPU time is what it takes on an idle core; both are printed). Baseline in the same run: the
straightforward way, one ``linprog`` per DMU, model, orientation and phase over every DMU, plus the NIRS
programme for every scale-inefficient DMU. The script checks both give the same scores. ``--quick`` uses 100
incubators; targets are judged only in full mode.
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np
from scipy.optimize import linprog

from bench.common import Targets, arguments

TARGET_SECONDS = 2.0


def _naive_views(x: np.ndarray, y: np.ndarray) -> dict[tuple[str, str], np.ndarray]:
    """Per-DMU textbook envelopment programmes over all DMUs; returns efficiency per (model, orientation)."""
    n, m = x.shape
    s = y.shape[1]
    out: dict[tuple[str, str], np.ndarray] = {}
    for orientation in ("input", "output"):
        for model in ("ccr", "bcc", "nirs"):
            eff = np.empty(n)
            for o in range(n):
                if model == "nirs" and abs(out[("ccr", orientation)][o] - out[("bcc", orientation)][o]) <= 1e-6:
                    eff[o] = np.nan
                    continue
                if orientation == "input":
                    a_ub = np.vstack([np.column_stack([-x[o], x.T]), np.column_stack([np.zeros(s), -y.T])])
                    b_ub = np.concatenate([np.zeros(m), -y[o]])
                    c = np.r_[1.0, np.zeros(n)]
                else:
                    a_ub = np.vstack([np.column_stack([np.zeros(m), x.T]), np.column_stack([y[o], -y.T])])
                    b_ub = np.concatenate([x[o], np.zeros(s)])
                    c = np.r_[-1.0, np.zeros(n)]
                if model == "nirs":
                    a_ub = np.vstack([a_ub, np.r_[0.0, np.ones(n)]])
                    b_ub = np.append(b_ub, 1.0)
                a_eq = np.r_[0.0, np.ones(n)][None, :] if model == "bcc" else None
                b_eq = [1.0] if model == "bcc" else None
                bounds = [(None, None)] + [(0, None)] * n
                r1 = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
                score = float(r1.x[0])
                eff[o] = score if orientation == "input" else 1.0 / score
                if model == "nirs":
                    continue
                # phase 2: maximise the slack sum with the score fixed
                a2 = np.vstack([np.hstack([x.T, np.eye(m), np.zeros((m, s))]),
                                np.hstack([y.T, np.zeros((s, m)), -np.eye(s)])])
                if orientation == "input":
                    b2 = np.concatenate([score * x[o], y[o]])
                else:
                    b2 = np.concatenate([x[o], score * y[o]])
                if model == "bcc":
                    a2 = np.vstack([a2, np.r_[np.ones(n), np.zeros(m + s)]])
                    b2 = np.append(b2, 1.0)
                linprog(np.r_[np.zeros(n), -np.ones(m + s)], A_eq=a2, b_eq=b2, bounds=(0, None), method="highs")
            out[(model, orientation)] = eff
    return out


def main(argv: list[str] | None = None) -> int:
    ap = arguments(__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    targets = Targets(args.quick)

    from evaluation.dea import dea_views

    n = 100 if args.quick else 500
    rng = np.random.default_rng(2026)
    x = rng.gamma(2.0, 10.0, (n, 3)) + 1.0
    y = rng.gamma(2.0, 10.0, (n, 3)) + 1.0

    print(f"== DEA, {n} incubators × (3 inputs, 3 outputs): CCR + BCC, input + output, two phases, RTS")
    dea_views(x, y)  # warm-up (imports, first HiGHS call)
    walls, cpus = [], []
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        views = dea_views(x, y)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    ours, ours_cpu = statistics.median(walls), statistics.median(cpus)
    solves = sum(v.ccr.steps.lp_solves + v.bcc.steps.lp_solves + int(v.nirs_solved.sum()) for v in views.values())
    print(f"incubench dea_views: median wall {ours:.2f} s (min {min(walls):.2f}), median CPU {ours_cpu:.2f} s "
          f"(min {min(cpus):.2f}) over {args.repeat} runs; {solves} DMU programmes solved")

    t0, c0 = time.perf_counter(), time.process_time()
    naive = _naive_views(x, y)
    t_naive, c_naive = time.perf_counter() - t0, time.process_time() - c0
    print(f"baseline, one linprog per DMU × model × orientation × phase over all DMUs: wall {t_naive:.2f} s, "
          f"CPU {c_naive:.2f} s")
    print(f"speed-up: wall {t_naive / ours:.1f}x, CPU {c_naive / ours_cpu:.1f}x")
    if hasattr(os, "getloadavg"):
        print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

    diff = max(float(np.abs(views[o].ccr.efficiency - naive[("ccr", o)]).max()) for o in ("input", "output"))
    diff = max(diff, *(float(np.abs(views[o].bcc.efficiency - naive[("bcc", o)]).max()) for o in ("input", "output")))
    agree = all(
        views[o].returns_to_scale[k] == ("constant" if np.isnan(naive[("nirs", o)][k]) else
                                         "decreasing" if abs(naive[("nirs", o)][k] - naive[("bcc", o)][k]) <= 1e-6
                                         else "increasing")
        for o in ("input", "output") for k in range(n))
    print(f"max |score − baseline score|: {diff:.1e}; returns to scale agree: {agree}")
    # The work is single-threaded, so its CPU time is the wall time it takes on an idle core; on a shared
    # machine the wall time also counts the time spent waiting for the neighbours.
    targets.check(f"DEA of {n} incubators, both models and orientations ≤ {TARGET_SECONDS:g} s of single-core time",
                  min(ours, ours_cpu) <= TARGET_SECONDS, f"wall {ours:.2f} s, CPU {ours_cpu:.2f} s")
    targets.check("same scores and returns to scale as the per-DMU baseline", diff < 1e-6 and agree,
                  f"max difference {diff:.1e}, returns to scale agree: {agree}")
    return targets.exit_code()


if __name__ == "__main__":
    raise SystemExit(main())
