"""What the edge guards cost: the ranking query (500 incubators) and ``{ me { id } }``, each served by the
app as built (host check, body limit, JSON envelope check, rate-limit count in MongoDB, GraphQL cost limit,
security headers) and by the same app with those guards taken out — interleaved in one run, in-process
(httpx ASGI transport), both apps on one embedded database.

Run: .venv/bin/python -m bench.bench_guards [--incubators 500] [--runs 200]
Exits 1 when a target is missed: guarded / unguarded p50 ≤ 1.15 on the ranking, ≤ 2.0 on ``{ me { id } }``
(whose whole cost is a few hundred microseconds, so the rate-limit round trip weighs most there).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from backend.api.cost import CostLimit
from backend.app import create_app
from backend.edge.guard import EdgeGuard
from backend.edge.headers import SecurityHeaders
from backend.embedded_db import EmbeddedDatabase
from backend.settings import Settings
from bench.bench_ranking import OPERATION, QUARTER, SECRET, prepare
from bench.common import pct

ME = "{ me { id } }"
TARGETS = {"ranking": 1.15, "me": 2.0}


def without_guards(app: FastAPI) -> FastAPI:
    """The same app minus the edge middleware (taken out before its first request builds the stack)."""
    app.user_middleware = [m for m in app.user_middleware if m.cls not in (EdgeGuard, SecurityHeaders)]
    return app


def _schemas(app: FastAPI) -> list[object]:
    found = []
    for route in app.router.routes:
        endpoint = getattr(route, "endpoint", None)
        owner = getattr(endpoint, "__self__", None)
        for candidate in (owner, getattr(route, "app", None)):
            schema = getattr(candidate, "schema", None)
            if schema is not None and schema not in found:
                found.append(schema)
    return found


async def main(n: int, runs: int) -> int:
    server = EmbeddedDatabase(storage_path=":memory:")
    server.start()
    try:
        with TemporaryDirectory() as tmp:
            token = await prepare(server.uri, "bench_guards", n)
            settings = Settings(env="test", mongodb_uri=server.uri, database_name="bench_guards",
                                jwt_secret=SECRET, var_dir=Path(tmp) / "var", log_level="WARNING",
                                requests_per_user=10 ** 9, requests_per_address=10 ** 9)
            guarded = create_app(settings)
            plain = without_guards(create_app(settings))
            async with AsyncExitStack() as stack:
                for app in (guarded, plain):
                    await stack.enter_async_context(LifespanManager(app, startup_timeout=120, shutdown_timeout=60))
                # The cost limit is a schema extension: take it out of the unguarded app's schema.
                for schema in _schemas(plain):
                    schema.extensions = [e for e in schema.extensions if e is not CostLimit]  # type: ignore[attr-defined]
                headers = {"Authorization": f"Bearer {token}"}
                clients = {}
                for name, app in (("guarded", guarded), ("plain", plain)):
                    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
                    clients[name] = await stack.enter_async_context(
                        httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1"))

                def call(client: httpx.AsyncClient, query: str, variables: dict) -> Callable[[], Awaitable[None]]:
                    request = {"query": query, "variables": variables}
                    if query is OPERATION:
                        request["operationName"] = "DashboardRanking"

                    async def run() -> None:
                        response = await client.post("/graphql", json=request, headers=headers)
                        body = response.json()
                        assert response.status_code == 200 and "errors" not in body, body
                    return run

                calls = {f"{kind}/{name}": call(clients[name], query, variables)
                         for kind, query, variables in (("ranking", OPERATION, {"quarter": QUARTER}),
                                                        ("me", ME, {}))
                         for name in ("guarded", "plain")}
                guarded_response = await clients["guarded"].post("/graphql", json={"query": ME}, headers=headers)
                plain_response = await clients["plain"].post("/graphql", json={"query": ME}, headers=headers)
                assert "x-content-type-options" in guarded_response.headers
                assert "x-content-type-options" not in plain_response.headers, "guards not removed"
                results: dict[str, list[float]] = {name: [] for name in calls}
                for run in calls.values():
                    for _ in range(5):
                        await run()
                for _ in range(runs):
                    for name, run in calls.items():
                        started = time.perf_counter()
                        await run()
                        results[name].append((time.perf_counter() - started) * 1000)
    finally:
        server.stop()
    print(f"\n== edge guards: {runs} requests each (interleaved), in-process ASGI, ranking of {n} incubators")
    missed = []
    for kind in ("ranking", "me"):
        for name in ("guarded", "plain"):
            s = results[f"{kind}/{name}"]
            print(f"{kind:8s} {name:8s} p50 {statistics.median(s):7.2f} ms  p90 {pct(s, 90):7.2f} ms  "
                  f"p99 {pct(s, 99):7.2f} ms")
        ratio = statistics.median(results[f"{kind}/guarded"]) / statistics.median(results[f"{kind}/plain"])
        print(f"ratio guarded / unguarded ({kind}): {ratio:.2f}x (target ≤ {TARGETS[kind]:.2f}x)")
        if ratio > TARGETS[kind]:
            missed.append(kind)
    print("targets:", "met" if not missed else "NOT met: " + ", ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    from bench.common import arguments

    parser = arguments(__doc__)
    parser.add_argument("--incubators", type=int, default=500)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    if args.quick:
        args.incubators, args.runs = 30, 10
    code = asyncio.run(main(args.incubators, args.runs))
    sys.exit(0 if args.quick else code)
