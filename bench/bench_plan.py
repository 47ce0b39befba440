"""Least-effort plans for a whole cohort. Run: ``.venv/bin/python -m bench.bench_plan [--incubators 500]``.

Plans every incubator of a synthetic cohort (default scheme 2026.2, five quarters so ``ttm`` is defined)
to benchmark status with :func:`evaluation.plan_to_tier` (one exact MILP per incubator, HiGHS via
:func:`scipy.optimize.milp`, then the plan re-scored by the engine), and, as the baseline in the same
run, the one headline evaluation of the cohort every plan starts from. Target: all plans ≤ 1 s.
Exits 1 when the target is missed.
"""

from __future__ import annotations

import statistics
import sys
import time

from bench.common import Targets, arguments
from evaluation import default_scheme, evaluate, plan_to_tier
from evaluation.synthetic import quarters_until, synthetic_metrics

TARGET_SECONDS = 1.0


def main(argv: list[str] | None = None) -> int:
    ap = arguments(__doc__)
    ap.add_argument("--incubators", type=int, default=500)
    ap.add_argument("--target", default="benchmark", help="tier to plan for ('next' = the next tier up)")
    args = ap.parse_args(argv)
    if args.quick:
        args.incubators = 20
    targets = Targets(args.quick)
    scheme = default_scheme()
    data = synthetic_metrics(args.incubators, quarters_until("2025Q3", 5), seed=2026)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        result = evaluate(data, scheme, "2025Q3")
        times.append(time.perf_counter() - t0)
    t_eval = statistics.median(times)
    target = None if args.target == "next" else args.target
    t0 = time.perf_counter()
    plans = [plan_to_tier(result, inc, target) for inc in result.incubator_ids]
    t_plan = time.perf_counter() - t0
    needed = [p for p in plans if p.reason != "already there"]
    reached = [p for p in needed if p.reachable]
    steps = [len(p.steps) for p in reached]
    print(f"== plans to {args.target} for {args.incubators} incubators (scheme {scheme.version})")
    print(f"baseline: one headline evaluation of the cohort: median {t_eval * 1000:.0f} ms")
    print(f"plans: {len(needed)} needed, {len(reached)} reachable, {len(needed) - len(reached)} out of reach; "
          f"steps per plan median {statistics.median(steps) if steps else 0:.0f}, max {max(steps, default=0)}")
    print(f"all plans: {t_plan:.2f} s ({t_plan / max(len(needed), 1) * 1000:.1f} ms per plan needed); "
          f"ratio to the evaluation: {t_plan / t_eval:.0f}x")
    targets.check(f"plans for {args.incubators} incubators ≤ {TARGET_SECONDS:g} s", t_plan <= TARGET_SECONDS,
                  f"{t_plan:.2f} s")
    return targets.exit_code()


if __name__ == "__main__":
    sys.exit(main())
