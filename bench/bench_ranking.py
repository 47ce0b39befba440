"""The dashboard's ranking query as the page sends it (graphql/operations/DashboardRanking.graphql), over HTTP on
loopback to ``incubench run`` (its own process, on-disk database with sync-on-commit), against a plain FastAPI
endpoint returning the same JSON document (its own process), measured in the same run, requests interleaved.

For each size (500 and 2,000 incubators; ``--quick``: 100), six quarters of synthetic submitted metrics:
  1. the first load of a fresh server (nothing computed yet);
  2. warm loads, p50/p90/p99, against the plain endpoint;
  3. the first load after a change (one incubator's metrics revised, as a submission does), three times.

The operation's page is its first 500 rows (what the page asks for), of ``totalCount`` incubators.

Targets: warm p50 ≤ 3× the plain endpoint at 500 and ≤ 100 ms at 2,000; first load after a change ≤ 1 s at
500 and ≤ 3 s at 2,000.

Run: .venv/bin/python -m bench.bench_ranking [--quick] [--sizes 500 2000] [--runs 100]
"""

from __future__ import annotations

import asyncio
import json
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.common import ROOT, Targets, arguments, on_disk_database, python_server, served_app, summary

QUARTER = "2026Q2"
SECRET = "bench-secret-" + "r" * 40
OPERATION = (ROOT / "graphql" / "operations" / "DashboardRanking.graphql").read_text(encoding="utf-8")


async def prepare(uri: str, database: str, n: int) -> str:
    """Indexes (the app's start-up), an evaluator, ``n`` incubators with six quarters of submitted metrics."""
    from backend.app import create_app
    from backend.security import hash_password_sync, issue_token
    from backend.settings import Settings
    from backend.submissions.repository import head_id
    from backend.users.models import NewUser, Role
    from evaluation import default_scheme
    from evaluation.synthetic import quarters_until, synthetic_metrics

    settings = Settings(env="test", mongodb_uri=uri, database_name=database, jwt_secret=SECRET, log_level="WARNING",
                        var_dir=Path(tempfile.mkdtemp()) / "var")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        state = app.state.incubench
        reported = {f.id for f in default_scheme().reported_fields}
        quarters = quarters_until(QUARTER, 6)
        now = datetime.now(UTC)
        incubators, revisions, heads = [], [], []
        for k, (inc, per_quarter) in enumerate(sorted(synthetic_metrics(n, quarters, seed=7).items())):
            incubators.append({"_id": inc, "name_zh": f"基准孵化器{k:04d}", "name_en": f"Bench Incubator {k:04d}",
                               "kind": "incubator", "accreditation": "municipal",
                               "sub_area": ("desheng", "beizhan", "guangan")[k % 3], "industries": ["fintech"],
                               "founded_on": "2010-01-01", "floor_area": 10000.0, "operator": "bench",
                               "created_at": now, "updated_at": now, "sort_key": f"bench incubator {k:04d}\x00{inc}"})
            for quarter, all_values in per_quarter.items():
                values = {f: v for f, v in all_values.items() if f in reported}  # the platform counts its own
                revisions.append({"_id": secrets.token_hex(12), "incubator_id": inc, "quarter": quarter,
                                  "revision": 1, "status": "submitted", "metrics": values,
                                  "changed_fields": sorted(values), "author_id": "bench", "author_name": "bench",
                                  "created_at": now, "scheme_version": "bench", "source": "bench",
                                  "idempotency_key": f"bench:{inc}:{quarter}"})
                heads.append({"_id": head_id(inc, quarter), "incubator_id": inc, "quarter": quarter, "revision": 1,
                              "status": "submitted", "metrics": values, "submitted_revision": 1,
                              "submitted_metrics": values, "submitted_at": now, "updated_at": now})
        await state.db["incubators"].insert_many(incubators)
        await state.db["metric_revisions"].insert_many(revisions)
        await state.db["metric_heads"].insert_many(heads)
        for quarter in quarters:
            await state.db["metric_stamps"].update_one({"_id": quarter}, {"$inc": {"stamp": 1}}, upsert=True)
        evaluator = await state.user_service.create_user(
            NewUser(username="bench-evaluator", display_name="evaluator", role=Role.evaluator, password="x" * 12),
            password_hash=hash_password_sync("x" * 12))
        return issue_token(evaluator.id, "evaluator", SECRET, timedelta(hours=2))[0]


async def revise_one(uri: str, database: str, round_: int) -> None:
    """What a manager's new revision does to what the ranking reads: a changed head and a new stamp."""
    from pymongo import AsyncMongoClient

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri)
    try:
        db = client[database]
        head = await db["metric_heads"].find_one({"quarter": QUARTER, "_id": {"$gte": ""}})
        assert head is not None
        field = sorted(k for k, v in head["submitted_metrics"].items() if isinstance(v, int | float) and v > 0)[0]
        value = round(head["submitted_metrics"][field] * 1.05) + 1 + round_  # counts stay whole numbers
        await db["metric_heads"].update_one({"_id": head["_id"]}, {"$set": {f"submitted_metrics.{field}": value}})
        await db["metric_stamps"].update_one({"_id": QUARTER}, {"$inc": {"stamp": 1}}, upsert=True)
    finally:
        await client.close()


def serve(port: int, payload_path: str) -> None:
    """The baseline: a plain FastAPI endpoint returning the same JSON document (a dict, FastAPI's default)."""
    import uvicorn
    from fastapi import FastAPI

    document = json.loads(Path(payload_path).read_text(encoding="utf-8"))
    app = FastAPI()

    @app.get("/ranking")
    async def ranking() -> dict[str, Any]:
        return document

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def one_size(n: int, runs: int, targets: Targets, quick: bool) -> None:
    with on_disk_database() as uri:
        database = f"bench_{uuid.uuid4().hex[:8]}"
        started = time.perf_counter()
        token = asyncio.run(prepare(uri, database, n))
        print(f"\n== {n} incubators × 6 quarters (seeded in {time.perf_counter() - started:.1f} s)", flush=True)
        body = {"query": OPERATION, "operationName": "DashboardRanking", "variables": {"quarter": QUARTER}}
        headers = {"Authorization": f"Bearer {token}"}
        with served_app(uri, database, SECRET) as (port, _), httpx.Client(timeout=300) as http:
            url = f"http://127.0.0.1:{port}/graphql"

            def dashboard() -> dict[str, Any]:
                response = http.post(url, json=body, headers=headers)
                data = response.json()
                assert response.status_code == 200 and "errors" not in data, data
                # the page's first page: 500 rows (the operation's default `first`) of n
                assert len(data["data"]["ranking"]["rows"]) == min(n, 500) and data["data"]["ranking"]["totalCount"] == n
                return data  # type: ignore[no-any-return]

            t0 = time.perf_counter()
            document = dashboard()
            cold = time.perf_counter() - t0
            print(f"first load of a fresh server (scores {QUARTER}, robustness, previous quarter's ranks): "
                  f"{cold * 1000:.0f} ms", flush=True)
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as out:
                json.dump(document, out, ensure_ascii=False)
            with python_server("bench.bench_ranking", "--payload", out.name) as plain_port:
                plain_url = f"http://127.0.0.1:{plain_port}/ranking"
                plain = http.get(plain_url).json()
                assert plain == document, "the plain endpoint must return the same document"
                size = len(json.dumps(document, ensure_ascii=False).encode())
                times: dict[str, list[float]] = {"graphql": [], "plain": []}
                for _ in range(3):
                    dashboard()
                    http.get(plain_url)
                for _ in range(runs):
                    t0 = time.perf_counter()
                    dashboard()
                    times["graphql"].append((time.perf_counter() - t0) * 1000)
                    t0 = time.perf_counter()
                    assert http.get(plain_url).json()["data"]["ranking"]["totalCount"] == n
                    times["plain"].append((time.perf_counter() - t0) * 1000)
            print(f"warm, {runs} requests each, interleaved, {size / 1024:.0f} KiB JSON:")
            print(f"  DashboardRanking (GraphQL, the page's operation)  {summary(times['graphql'])}")
            print(f"  baseline: plain FastAPI endpoint, same JSON       {summary(times['plain'])}")
            g50, p50 = statistics.median(times["graphql"]), statistics.median(times["plain"])
            print(f"  ratio p50 GraphQL / plain: {g50 / p50:.2f}×", flush=True)
            after_change = []
            for round_ in range(3):
                asyncio.run(revise_one(uri, database, round_))
                t0 = time.perf_counter()
                dashboard()
                after_change.append(time.perf_counter() - t0)
            print(f"first load after a change (3 times): {', '.join(f'{s * 1000:.0f} ms' for s in after_change)}",
                  flush=True)
        size_label = f"{n} incubators"
        if n == 500 or quick:
            targets.check(f"warm p50 ≤ 3× plain ({size_label})", g50 <= 3 * p50, f"{g50 / p50:.2f}× ({g50:.0f} ms)")
            targets.check(f"first load after a change ≤ 1 s ({size_label})", max(after_change) <= 1,
                          f"max {max(after_change) * 1000:.0f} ms")
        if n >= 2000:
            targets.check(f"warm p50 ≤ 100 ms ({size_label})", g50 <= 100, f"{g50:.0f} ms ({g50 / p50:.2f}× plain)")
            targets.check(f"first load after a change ≤ 3 s ({size_label})", max(after_change) <= 3,
                          f"max {max(after_change) * 1000:.0f} ms")


def main() -> int:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--serve", type=int, default=None, help=argparse_suppress())
    parser.add_argument("--payload", default=None, help=argparse_suppress())
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.payload)
        return 0
    targets = Targets(args.quick)
    sizes, runs = ([100], 20) if args.quick else (args.sizes, args.runs)
    for n in sizes:
        one_size(n, runs, targets, args.quick)
    return targets.exit_code()


def argparse_suppress() -> str:
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    sys.exit(main())
