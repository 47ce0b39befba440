"""Run every benchmark, each in its own process, and report every result (``make bench``; ``--quick`` for the
short run ``make test`` ends with). Exits non-zero when a script fails or, in full mode, misses a target."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
BENCHMARKS = ["bench_evaluation", "bench_ranking", "bench_requests", "bench_submissions", "bench_matchmaking",
              "bench_bookings", "bench_guards", "bench_rooms", "bench_plan", "bench_robustness", "bench_dea"]


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    names = [a for a in argv if not a.startswith("--")] or BENCHMARKS
    outcomes: list[tuple[str, str, float]] = []
    for name in names:
        if not (BENCH / f"{name}.py").exists():
            outcomes.append((name, "skipped (not in this tree)", 0.0))
            continue
        print(f"\n######## {name}{' --quick' if quick else ''}", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", f"bench.{name}", *(["--quick"] if quick else [])],
                               cwd=BENCH.parent)
        verdict = "ok" if code == 0 else ("failed" if quick else "target missed or failed") + f" (exit {code})"
        outcomes.append((name, verdict, time.perf_counter() - started))
    print("\n######## summary" + (" (quick: scripts run and report; targets judged in full mode)" if quick else ""))
    for name, verdict, seconds in outcomes:
        print(f"{name:<20} {verdict:<36} {seconds:6.1f} s")
    return 1 if any(v not in ("ok",) and not v.startswith("skipped") for _, v, _ in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
