"""50 concurrent managers submitting quarterly metrics over GraphQL (HTTP to `incubench run`, on-disk database).

Run: .venv/bin/python -m bench.bench_submissions [--quick] [--managers 50] [--quarters 8]
(The app starts its embedded database on disk with sync-on-commit, as ``make run``.)

Each manager submits its own incubator's quarters one after another (final submissions with an
idempotencyKey); every third submission is also sent twice more at once (a double click) and once again
afterwards (a retry after a lost response). Then each manager amends its last quarter three times, naming
the revision it edits. Checked afterwards in the database: exactly one revision per (incubator, quarter)
from the first phase, no lost amendment, replays returned the stored revision. Baseline in the same run:
the same 50 clients doing one durable ``insert_one`` per request (the least work a stored submission costs).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from backend.app import create_app
from backend.db import durable
from backend.security import hash_password_sync, issue_token
from backend.settings import Settings
from backend.users.models import NewUser, Role
from bench.common import Targets, arguments, on_disk_database, served_app
from evaluation import shift_quarter
from tests.submissions.helpers import BASE_METRICS

MUTATION = (Path(__file__).resolve().parents[1] / "graphql" / "operations" / "SubmitQuarterlyMetrics.graphql").read_text()
BASE: dict[str, float | None] = dict(BASE_METRICS)  # the consistent quarter the submission tests use


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def body(incubator: str, quarter: str, mentors: float, key: str | None, base: int | None = None) -> dict[str, Any]:
    metrics = [{"field": k, "value": (mentors if k == "mentors" else v)} for k, v in BASE.items()]
    payload: dict[str, Any] = {"incubatorId": incubator, "quarter": quarter, "metrics": metrics, "final": True}
    if key:
        payload["idempotencyKey"] = key
    if base is not None:
        payload["baseRevision"] = base
    return {"query": MUTATION, "variables": {"input": payload}, "operationName": "SubmitQuarterlyMetrics"}


async def main(managers: int, quarters: int) -> int:
    quarter_list = [shift_quarter("2026Q3", -k) for k in range(quarters)][::-1]
    with TemporaryDirectory() as tmp, on_disk_database() as uri:
        settings = Settings(env="test", mongodb_uri=uri, database_name="bench_submissions",
                            jwt_secret="bench-" + "x" * 40, var_dir=Path(tmp) / "var", log_level="WARNING")
        app = create_app(settings)
        async with LifespanManager(app, startup_timeout=120, shutdown_timeout=60):
            state = app.state.incubench
            password = hash_password_sync("bench-password")
            tokens, incubators = [], []
            for k in range(managers):
                incubator = (await state.incubator_service.create({
                    "name_zh": f"基准{k}", "name_en": f"Bench {k:03d}", "kind": "incubator", "accreditation": "municipal",
                    "sub_area": "desheng", "industries": ["fintech"], "founded_on": date(2015, 1, 1),
                    "floor_area": 12000.0, "operator": "bench"})).id
                user = await state.user_service.create_user(NewUser(
                    username=f"bench-mgr{k:03d}", display_name=f"m{k}", role=Role.manager, password="x" * 12,
                    incubator_id=incubator), password_hash=password)
                tokens.append(issue_token(user.id, "manager", settings.resolved_jwt_secret(), timedelta(hours=1))[0])
                incubators.append(incubator)
            latencies: list[float] = []
            replay_mismatch = 0
            # The requests go over HTTP to `incubench run` on the same database (this process only seeds and
            # checks the stored result).
            with served_app(uri, settings.database_name, settings.resolved_jwt_secret()) as (port, _):
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=300) as http:
                    async def post(payload: dict[str, Any], token: str) -> dict[str, Any]:
                        start = time.perf_counter()
                        response = await http.post("/graphql", json=payload, headers={"Authorization": f"Bearer {token}"})
                        latencies.append((time.perf_counter() - start) * 1000)
                        result = response.json()
                        if "errors" in result:
                            raise RuntimeError(result["errors"])
                        return result["data"]["submitQuarterlyMetrics"]

                    async def manager(k: int) -> None:
                        nonlocal replay_mismatch
                        for n, quarter in enumerate(quarter_list):
                            payload = body(incubators[k], quarter, 18 + n, f"m{k}-{quarter}")
                            first = await post(payload, tokens[k])
                            if n % 3 == 0:
                                again = await asyncio.gather(post(payload, tokens[k]), post(payload, tokens[k]))
                                later = await post(payload, tokens[k])
                                ids = {first["revision"]["id"], later["revision"]["id"],
                                       *[a["revision"]["id"] for a in again]}
                                replay_mismatch += len(ids) - 1

                    async def amend(k: int) -> None:
                        for n in range(3):
                            await post(body(incubators[k], quarter_list[-1], 40 + n, None, base=1 + n), tokens[k])

                    started = time.perf_counter()
                    await asyncio.gather(*[manager(k) for k in range(managers)])
                    phase1 = time.perf_counter() - started
                    requests1 = len(latencies)
                    lat1 = list(latencies)
                    latencies.clear()
                    started = time.perf_counter()
                    await asyncio.gather(*[amend(k) for k in range(managers)])
                    phase2 = time.perf_counter() - started
            revisions = state.db["metric_revisions"]
            stored = await revisions.count_documents({})
            per_key: dict[tuple[str, str], list[int]] = {}
            async for d in revisions.find({}, {"incubator_id": 1, "quarter": 1, "revision": 1}):
                per_key.setdefault((d["incubator_id"], d["quarter"]), []).append(d["revision"])
            expected = managers * quarters + managers * 3
            duplicates = sum(1 for (inc, q), revs in per_key.items() if q != quarter_list[-1] and revs != [1])
            heads = {h["incubator_id"]: h async for h in state.db["metric_heads"].find({"quarter": quarter_list[-1]})}
            lost = sum(1 for inc in incubators if heads[inc]["revision"] != 4 or heads[inc]["metrics"]["mentors"] != 42)
            # baseline: the same clients, one durable insert per request
            probe = durable(state.db, "bench_probe")
            base_lat: list[float] = []

            async def baseline(k: int) -> None:
                for n in range(requests1 // managers):
                    start = time.perf_counter()
                    await probe.insert_one({"k": k, "n": n, "metrics": BASE})
                    base_lat.append((time.perf_counter() - start) * 1000)

            started = time.perf_counter()
            await asyncio.gather(*[baseline(k) for k in range(managers)])
            base_time = time.perf_counter() - started
        print(f"== {managers} concurrent managers × {quarters} quarters, GraphQL over HTTP, on-disk database")
        print(f"phase 1: {requests1} requests ({managers * quarters} distinct submissions + retries/double clicks) "
              f"in {phase1:.2f} s → {requests1 / phase1:.0f} req/s, {managers * quarters / phase1:.0f} stored/s; "
              f"p50 {statistics.median(lat1):.1f} ms, p95 {pct(lat1, 95):.1f} ms")
        print(f"phase 2: {managers * 3} amendments naming their revision in {phase2:.2f} s → "
              f"{managers * 3 / phase2:.0f} req/s; p50 {statistics.median(latencies):.1f} ms")
        print(f"baseline: {len(base_lat)} durable insert_one by {managers} clients in {base_time:.2f} s → "
              f"{len(base_lat) / base_time:.0f} inserts/s; p50 {statistics.median(base_lat):.1f} ms")
        print(f"GraphQL submission throughput / baseline insert throughput: "
              f"{(requests1 / phase1) / (len(base_lat) / base_time):.2f}")
        print(f"revisions stored {stored} (expected {expected}); duplicated submissions {duplicates}; "
              f"lost amendments {lost}; replays that returned another revision {replay_mismatch}")
        ok = stored == expected and duplicates == 0 and lost == 0 and replay_mismatch == 0
        targets.check("no lost or duplicated submission", ok, f"{stored}/{expected} stored, {duplicates} duplicated, "
                                                              f"{lost} lost, {replay_mismatch} replay mismatches")
        return targets.exit_code()


if __name__ == "__main__":
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--managers", type=int, default=50)
    parser.add_argument("--quarters", type=int, default=8)
    args = parser.parse_args()
    targets = Targets(args.quick)
    managers, quarters = (10, 2) if args.quick else (args.managers, args.quarters)
    sys.exit(asyncio.run(main(managers, quarters)))
