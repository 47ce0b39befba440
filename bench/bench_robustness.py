"""Monte Carlo rank robustness. Run: ``.venv/bin/python -m bench.bench_robustness [--draws 1000]``.

1,000 draws × 500 incubators of a synthetic cohort (default scheme, some values excluded so the
headline's within-dimension treatment of excluded weights is exercised), 9 method combinations, one
random stream per draw. Baseline in the same run: the headline evaluation the draws start from.
Checks that two chunk sizes give identical intervals. Target: ≤ 1 s. Exits 1 when missed.
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np

from bench.common import Targets, arguments
from evaluation import default_scheme, evaluate, robustness
from evaluation.synthetic import quarters_until, synthetic_metrics

TARGET_SECONDS = 1.0


def main(argv: list[str] | None = None) -> int:
    ap = arguments(__doc__)
    ap.add_argument("--incubators", type=int, default=500)
    ap.add_argument("--draws", type=int, default=1000)
    args = ap.parse_args(argv)
    if args.quick:
        args.incubators, args.draws = 50, 100
    targets = Targets(args.quick)
    scheme = default_scheme()
    data = synthetic_metrics(args.incubators, quarters_until("2025Q3", 5), seed=2026)
    rng = np.random.default_rng(1)
    for inc in rng.choice(sorted(data), size=max(1, args.incubators // 10), replace=False):
        for q in ("2025Q2", "2025Q3"):
            data[inc][q]["mentors"] = None  # not reported twice: excluded in the headline
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        result = evaluate(data, scheme, "2025Q3")
        times.append(time.perf_counter() - t0)
    t_eval = statistics.median(times)
    runs = []
    for chunk in (250, 250, 250, 64):
        t0 = time.perf_counter()
        rob = robustness(result, draws=args.draws, seed=7, chunk=chunk)
        runs.append((time.perf_counter() - t0, rob))
    t_rob = statistics.median(t for t, _ in runs[:3])
    same = all(np.array_equal(runs[0][1].p05, r.p05) and np.array_equal(runs[0][1].p95, r.p95) for _, r in runs)
    print(f"== robustness, {args.draws:,} draws × {args.incubators} incubators (scheme {scheme.version}, "
          f"{int((~result.mask).any(axis=1).sum())} with excluded values)")
    print(f"baseline: headline evaluation: median {t_eval * 1000:.0f} ms")
    print(f"robustness incl. quantiles: median {t_rob * 1000:.0f} ms (ratio to the evaluation {t_rob / t_eval:.1f}x)")
    print(f"chunk 250 and chunk 64 give identical intervals: {same}")
    targets.check(f"robustness {args.draws:,} draws × {args.incubators} ≤ {TARGET_SECONDS:g} s", t_rob <= TARGET_SECONDS,
                  f"{t_rob * 1000:.0f} ms")
    targets.check("intervals independent of the chunk size", same, str(same))
    return targets.exit_code()


if __name__ == "__main__":
    sys.exit(main())
