"""Evaluation-engine benchmark. Run: ``.venv/bin/python -m bench.bench_evaluation [--quick]``.

1. Full evaluation of 10,000 incubators × 40 indicators from a ready matrix (vector normalisation,
   entropy weights, TOPSIS, five dimension scores, tiers, competition ranks) vs pymcdm's TOPSIS alone on
   the same matrix, same run. Target: ≤ 20 ms and ≥ 4× faster.
2. The same from raw dicts (10,000 incubators × 5 quarters of the default scheme's raw fields → its
   indicators, headline method and the TOPSIS view), validation included.
3. Robustness: 1,000 Monte Carlo draws × 1,000 incubators. Target ≤ 1 s, peak memory < 500 MB.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

from bench.common import Targets, arguments


def _time(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000, min(times) * 1000


def main(argv: list[str] | None = None) -> int:
    ap = arguments(__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args(argv)
    targets = Targets(args.quick)
    if args.quick:
        args.repeat = 3

    from pymcdm import normalizations
    from pymcdm.methods import TOPSIS

    from evaluation import MethodSpec, default_scheme, evaluate, robustness_arrays
    from evaluation.engine import score_arrays
    from evaluation.scheme import TierRule
    from evaluation.synthetic import quarters_until, synthetic_metrics
    from evaluation.tiers import assign_tiers

    rng = np.random.default_rng(2025)
    n, m = (1_000 if args.quick else 10_000), 40
    x = rng.gamma(2.0, 10.0, size=(n, m))
    cost = np.zeros(m, dtype=bool)
    cost[::10] = True
    thresholds = np.full(m, 20.0)
    dim_idx = np.repeat(np.arange(5), m // 5).astype(np.intp)
    w = np.full(m, 1 / m)
    types = np.where(cost, -1, 1)
    spec = MethodSpec(normalization="vector", weighting="entropy", aggregation="topsis")
    rules = default_scheme().tiers

    def ours() -> None:
        r = score_arrays(x, cost, thresholds, dim_idx, 5, w, spec)
        assign_tiers(r.composite, r.dimension_scores, rules)

    topsis_vec = TOPSIS(normalizations.vector_normalization)
    topsis_default = TOPSIS()

    print(f"== 1. full evaluation, {n:,} incubators × {m} indicators (numpy {np.__version__})")
    t_ours, t_ours_min = _time(ours, args.repeat)
    t_ref, t_ref_min = _time(lambda: topsis_vec(x, w, types), max(5, args.repeat // 3))
    t_ref2, _ = _time(lambda: topsis_default(x, w, types), max(5, args.repeat // 3))
    print(f"incubench (vector + entropy + TOPSIS + 5 dims + tiers + ranks): median {t_ours:.1f} ms (min {t_ours_min:.1f})")
    print(f"pymcdm 1.4 TOPSIS(vector_normalization) alone:                  median {t_ref:.1f} ms (min {t_ref_min:.1f})")
    print(f"pymcdm 1.4 TOPSIS() default (min-max) alone:                    median {t_ref2:.1f} ms")
    print(f"speed-up vs pymcdm vector TOPSIS: {t_ref / t_ours:.1f}x; vs default: {t_ref2 / t_ours:.1f}x")
    r = score_arrays(x, cost, thresholds, dim_idx, 5, w, spec)
    ref = topsis_vec(x, w * 0 + r.weighting.weights, types)
    print(f"max |closeness - pymcdm| with the same (entropy) weights: {np.abs(r.composite / 100 - ref).max():.2e}")
    _ = TierRule

    scheme = default_scheme()
    k = len(scheme.indicators)
    print(f"\n== 2. from raw dicts (default scheme {scheme.version}: {len(scheme.raw_fields)} raw fields, "
          f"{k} indicators, 5 quarters for ttm)")
    data = synthetic_metrics(n, quarters_until("2025Q3", 5), seed=1)
    t_dict, _ = _time(lambda: evaluate(data, scheme, "2025Q3"), 3)
    t_dict_topsis, _ = _time(lambda: evaluate(data, scheme, "2025Q3", "topsis"), 3)
    print(f"evaluate(dicts) headline (validate + formulas + ttm + score + tiers): median {t_dict:.0f} ms")
    print(f"evaluate(dicts) TOPSIS view:                                        median {t_dict_topsis:.0f} ms")

    draws = 100 if args.quick else 1000
    print(f"\n== 3. robustness, {draws:,} draws × 1,000 incubators (9 method combos, Dirichlet weights)")
    xs = x[:1000, :k]
    ws = scheme.global_weights()
    cs = np.array([i.is_cost for i in scheme.indicators])
    ts = np.array([i.threshold for i in scheme.indicators])

    def mc() -> None:
        ranks, _ = robustness_arrays(xs, cs, ts, ws, draws=draws, seed=7, chunk=250)
        np.quantile(ranks, [0.05, 0.5, 0.95], axis=1, method="inverted_cdf")

    t_mc, t_mc_min = _time(mc, 5)
    tracemalloc.start()
    mc()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"robustness incl. quantiles: median {t_mc:.0f} ms (min {t_mc_min:.0f}); peak traced memory {peak / 2**20:.1f} MiB")
    print()
    targets.check("evaluation of 10,000 × 40 ≤ 20 ms", t_ours <= 20, f"{t_ours:.1f} ms at {n:,} incubators")
    targets.check("≥ 4× pymcdm's TOPSIS alone", t_ref / t_ours >= 4, f"{t_ref / t_ours:.1f}×")
    targets.check("robustness 1,000 draws × 1,000 ≤ 1 s", t_mc <= 1000, f"{t_mc:.0f} ms for {draws:,} draws")
    targets.check("robustness peak memory < 500 MiB", peak < 500 * 2**20, f"{peak / 2**20:.1f} MiB")
    return targets.exit_code()


if __name__ == "__main__":
    raise SystemExit(main())
