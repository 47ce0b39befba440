"""Run every benchmark in turn (`make bench`); each script prints its figures and its baseline's."""

from __future__ import annotations

import runpy
import sys

BENCHMARKS = ["bench_evaluation", "bench_ranking", "bench_submissions", "bench_matchmaking", "bench_bookings", "bench_dea",
              "bench_rooms"]


def main() -> int:
    for name in sys.argv[1:] or BENCHMARKS:
        print(f"\n######## {name}", flush=True)
        runpy.run_module(f"bench.{name}", run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
