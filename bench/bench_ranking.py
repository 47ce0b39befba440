"""The ``ranking`` query for 500 incubators, served from the score cache, against plain FastAPI JSON endpoints
returning the same rows — all measured in the same run, in-process (httpx ASGI transport, so "server-side":
request parsing, resolution and JSON encoding, no network).

Run: .venv/bin/python -m bench.bench_ranking [--incubators 500] [--runs 200]

Baselines (same rows, same fields):
  A. a FastAPI endpoint with a Pydantic ``response_model`` (the usual way to write one);
  B. a FastAPI endpoint returning bytes pre-serialised with orjson (the fastest plain endpoint).
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx
import orjson
from asgi_lifespan import LifespanManager
from fastapi import Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from backend.app import create_app
from backend.core.settings import Settings
from backend.rankings.service import ranking_service
from backend.security import hash_password_sync, issue_token
from backend.state import AppState
from backend.submissions.repository import head_id
from backend.users.models import NewUser, Role
from evaluation import default_scheme
from evaluation.synthetic import quarters_until, synthetic_metrics

QUARTER = "2026Q2"
QUERY = """query BenchRanking($quarter: String!, $first: Int!) {
  ranking(quarter: $quarter, first: $first) {
    totalCount
    entries { rank incubatorId nameZh nameEn composite techConversion investment mentoring supplyChain
              globalServices tier tierNameZh tierNameEn rankChange rankLow rankHigh }
  }
}"""
FIELDS = ("rank", "incubator_id", "name_zh", "name_en", "composite", "tech_conversion", "investment", "mentoring",
          "supply_chain", "global_services", "tier", "tier_zh", "tier_en", "rank_change", "rank_low", "rank_high")


class Row(BaseModel):
    rank: int
    incubatorId: str
    nameZh: str
    nameEn: str
    composite: float | None
    techConversion: float | None
    investment: float | None
    mentoring: float | None
    supplyChain: float | None
    globalServices: float | None
    tier: str
    tierNameZh: str
    tierNameEn: str
    rankChange: int | None
    rankLow: int | None
    rankHigh: int | None


class Page(BaseModel):
    totalCount: int
    entries: list[Row]


def plain_rows(rows: list[dict]) -> list[dict]:
    return [{"rank": r["rank"], "incubatorId": r["incubator_id"], "nameZh": r["name_zh"], "nameEn": r["name_en"],
             "composite": r["composite"], "techConversion": r["dimensions"]["tech_conversion"],
             "investment": r["dimensions"]["investment"], "mentoring": r["dimensions"]["mentoring"],
             "supplyChain": r["dimensions"]["supply_chain"], "globalServices": r["dimensions"]["global_services"],
             "tier": r["tier"], "tierNameZh": r["tier_zh"], "tierNameEn": r["tier_en"],
             "rankChange": r["rank_change"], "rankLow": r["rank_low"], "rankHigh": r["rank_high"]} for r in rows]


REPORTED = {f.id for f in default_scheme().reported_fields}


async def seed(state: AppState, n: int) -> None:
    quarters = quarters_until(QUARTER, 6)
    data = synthetic_metrics(n, quarters, seed=7)
    now = datetime.now(UTC)
    incubators, revisions, heads = [], [], []
    for k, (inc, per_quarter) in enumerate(sorted(data.items())):
        incubators.append({"_id": inc, "name_zh": f"基准孵化器{k:04d}", "name_en": f"Bench Incubator {k:04d}",
                           "kind": "incubator", "accreditation": "municipal", "sub_area": "desheng",
                           "industries": ["fintech"], "founded_on": "2010-01-01", "floor_area": 10000.0,
                           "operator": "bench", "created_at": now, "updated_at": now,
                           "sort_key": f"bench incubator {k:04d}\x00{inc}"})
        for quarter, all_values in per_quarter.items():
            values = {f: v for f, v in all_values.items() if f in REPORTED}  # the platform counts its own
            document = {"_id": secrets.token_hex(12), "incubator_id": inc, "quarter": quarter, "revision": 1,
                        "status": "submitted", "metrics": values, "changed_fields": sorted(values),
                        "author_id": "bench", "author_name": "bench", "created_at": now, "scheme_version": "bench",
                        "source": "bench", "idempotency_key": f"bench:{inc}:{quarter}"}
            revisions.append(document)
            heads.append({"_id": head_id(inc, quarter), "incubator_id": inc, "quarter": quarter, "revision": 1,
                          "status": "submitted", "metrics": values, "submitted_revision": 1,
                          "submitted_metrics": values, "submitted_at": now, "updated_at": now})
    await state.db["incubators"].insert_many(incubators)
    await state.db["metric_revisions"].insert_many(revisions)
    await state.db["metric_heads"].insert_many(heads)
    for quarter in quarters:
        await state.db["metric_stamps"].update_one({"_id": quarter}, {"$inc": {"stamp": 1}}, upsert=True)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def main(n: int, runs: int) -> int:
    with TemporaryDirectory() as tmp:
        settings = Settings(env="test", database_name="bench_ranking", jwt_secret="bench-" + "x" * 40,
                            var_dir=Path(tmp) / "var", log_level="WARNING")
        app = create_app(settings)

        @app.get("/bench/ranking-pydantic", response_model=Page, response_class=JSONResponse)
        async def plain_pydantic(request: Request) -> Page:
            evaluated = await ranking_service(request.app.state.incubench).evaluated(QUARTER)
            rows = plain_rows(evaluated.rows)
            return Page(totalCount=len(rows), entries=[Row(**r) for r in rows])

        @app.get("/bench/ranking-orjson")
        async def plain_orjson(request: Request) -> Response:
            evaluated = await ranking_service(request.app.state.incubench).evaluated(QUARTER)
            rows = plain_rows(evaluated.rows)
            return Response(orjson.dumps({"totalCount": len(rows), "entries": rows}), media_type="application/json")

        for _ in range(2):  # ahead of the static-files mount at "/"
            app.router.routes.insert(0, app.router.routes.pop())

        async with LifespanManager(app, startup_timeout=120, shutdown_timeout=60):
            state: AppState = app.state.incubench
            started = time.perf_counter()
            await seed(state, n)
            evaluator = await state.user_service.create_user(
                NewUser(username="bench-evaluator", display_name="evaluator", role=Role.evaluator, password="x" * 12),
                password_hash=hash_password_sync("x" * 12))
            token, _ = issue_token(evaluator.id, "evaluator", settings.resolved_jwt_secret(), timedelta(hours=1))
            print(f"seeded {n} incubators × 6 quarters in {time.perf_counter() - started:.1f} s")
            service = ranking_service(state)
            started = time.perf_counter()
            await service.evaluated(QUARTER)
            print(f"first (uncached) evaluation incl. previous quarters and robustness: "
                  f"{(time.perf_counter() - started) * 1000:.0f} ms ({service.computations} quarters computed)")
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
            headers = {"Authorization": f"Bearer {token}"}
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                async def graphql(c: httpx.AsyncClient) -> None:
                    r = await c.post("/graphql", json={"query": QUERY, "variables": {"quarter": QUARTER, "first": n}},
                                     headers=headers)
                    body = r.json()
                    assert "errors" not in body and len(body["data"]["ranking"]["entries"]) == n, body

                async def pydantic_call(c: httpx.AsyncClient) -> None:
                    r = await c.get("/bench/ranking-pydantic")
                    assert len(r.json()["entries"]) == n

                async def orjson_call(c: httpx.AsyncClient) -> None:
                    r = await c.get("/bench/ranking-orjson")
                    assert len(r.json()["entries"]) == n

                # same data? compare the GraphQL rows with the plain endpoint's
                g = (await client.post("/graphql", json={"query": QUERY, "variables": {"quarter": QUARTER, "first": n}},
                                       headers=headers)).json()["data"]["ranking"]
                p = (await client.get("/bench/ranking-orjson")).json()
                if g != p:
                    diff = [(a, b) for a, b in zip(g["entries"], p["entries"], strict=True) if a != b][:1]
                    raise AssertionError(f"GraphQL and plain endpoints disagree: {diff}")
                computations = service.computations
                # interleaved (one request of each in turn), so all three see the same machine load
                calls = {"graphql": graphql, "pydantic": pydantic_call, "orjson": orjson_call}
                results: dict[str, list[float]] = {name: [] for name in calls}
                for call in calls.values():
                    for _ in range(5):
                        await call(client)
                for _ in range(runs):
                    for name, call in calls.items():
                        start = time.perf_counter()
                        await call(client)
                        results[name].append((time.perf_counter() - start) * 1000)
                assert service.computations == computations, "served from cache"
        print(f"\n== ranking of {n} incubators (16 fields each), from cache, {runs} requests each (interleaved), in-process ASGI")
        for name, label in (("graphql", "GraphQL ranking query"),
                            ("pydantic", "plain FastAPI, Pydantic response_model"),
                            ("orjson", "plain FastAPI, orjson bytes")):
            s = results[name]
            print(f"{label:40s} p50 {statistics.median(s):7.2f} ms  p90 {pct(s, 90):7.2f} ms  "
                  f"p99 {pct(s, 99):7.2f} ms")
        g50 = statistics.median(results["graphql"])
        for name in ("pydantic", "orjson"):
            print(f"ratio GraphQL / {name}: {g50 / statistics.median(results[name]):.2f}x")
        ok = g50 <= 50 and g50 / statistics.median(results["pydantic"]) <= 5
        print("targets (p50 ≤ 50 ms; ≤ 5× the plain endpoint):", "met" if ok else "NOT met")
        return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--incubators", type=int, default=500)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.incubators, args.runs)))
