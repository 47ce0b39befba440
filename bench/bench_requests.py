"""Every small request: the cheapest authenticated query, ``{ me { id } }``, over HTTP on loopback to
``incubench run`` (its own process, on-disk database with sync-on-commit), against an anchor measured in the
same run: a minimal FastAPI + Strawberry app with parser and validation caches answering the same query (no
authentication, no database). The load comes from keep-alive connections of a raw HTTP/1.1 client (cheap, so
the client does not cap either server); the two servers are measured in turn, twice, A B A B.

Target: incubench ≥ 0.9× the anchor's requests per second.

Run: .venv/bin/python -m bench.bench_requests [--quick] [--seconds 8] [--connections 8]
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from datetime import timedelta

import orjson
import strawberry

from bench.common import Targets, arguments, on_disk_database, python_server, served_app

SECRET = "bench-secret-" + "m" * 40
QUERY = orjson.dumps({"query": "{ me { id } }"})


async def prepare(uri: str, database: str) -> str:
    import tempfile
    from pathlib import Path

    from backend.app import create_app
    from backend.security import hash_password_sync, issue_token
    from backend.settings import Settings
    from backend.users.models import NewUser, Role

    settings = Settings(env="test", mongodb_uri=uri, database_name=database, jwt_secret=SECRET, log_level="WARNING",
                        var_dir=Path(tempfile.mkdtemp()) / "var")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        user = await app.state.incubench.user_service.create_user(
            NewUser(username="bench-reader", display_name="reader", role=Role.evaluator, password="x" * 12),
            password_hash=hash_password_sync("x" * 12))
        return issue_token(user.id, "evaluator", SECRET, timedelta(hours=2))[0]


def request_bytes(port: int, token: str | None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n{auth}"
            f"Content-Length: {len(QUERY)}\r\n\r\n").encode() + QUERY


async def load(port: int, token: str | None, seconds: float, connections: int) -> float:
    """Requests per second over ``connections`` keep-alive connections for ``seconds``."""
    request = request_bytes(port, token)
    done = 0
    deadline = time.perf_counter() + seconds

    async def one() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                assert head.startswith(b"HTTP/1.1 200"), head[:80]
                length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:"))
                body = await reader.readexactly(length)
                assert b'"id"' in body and b"errors" not in body, body[:200]
                done += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(connections)))
    return done / (time.perf_counter() - started)


@strawberry.type
class Me:
    id: strawberry.ID


@strawberry.type
class Query:
    @strawberry.field
    def me(self) -> Me:
        return Me(id=strawberry.ID("anchor"))


def serve(port: int) -> None:
    """The anchor: Strawberry with parser and validation caches, ``me`` answered from memory."""
    import uvicorn
    from fastapi import FastAPI
    from strawberry.extensions import ParserCache, ValidationCache
    from strawberry.fastapi import GraphQLRouter

    schema = strawberry.Schema(query=Query, extensions=[lambda: ParserCache(maxsize=512),
                                                        lambda: ValidationCache(maxsize=512)])
    app = FastAPI()
    app.include_router(GraphQLRouter(schema), prefix="/graphql")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", proxy_headers=False)


def main() -> int:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--serve", type=int, default=None, help="(internal) serve the anchor on this port")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return 0
    seconds, passes = (0.75, 1) if args.quick else (args.seconds, 2)
    targets = Targets(args.quick)
    with on_disk_database() as uri:
        database = f"bench_{uuid.uuid4().hex[:8]}"
        token = asyncio.run(prepare(uri, database))
        with served_app(uri, database, SECRET) as (app_port, _), python_server("bench.bench_requests") as anchor:
            for port, bearer in ((app_port, token), (anchor, None)):  # warm-up
                asyncio.run(load(port, bearer, 0.5, args.connections))
            rates: dict[str, list[float]] = {"incubench": [], "anchor": []}
            for _ in range(passes):
                rates["incubench"].append(asyncio.run(load(app_port, token, seconds, args.connections)))
                rates["anchor"].append(asyncio.run(load(anchor, None, seconds, args.connections)))
    ours, base = sum(rates["incubench"]) / passes, sum(rates["anchor"]) / passes
    print(f"== {{ me {{ id }} }}, {args.connections} keep-alive connections, {passes} × {seconds:.2f} s each, "
          "servers in turn")
    print(f"incubench (token checked, account held briefly): {ours:7.0f} req/s  "
          f"({', '.join(f'{r:.0f}' for r in rates['incubench'])})")
    print(f"anchor: Strawberry + parser/validation caches:   {base:7.0f} req/s  "
          f"({', '.join(f'{r:.0f}' for r in rates['anchor'])})")
    targets.check("{ me { id } } ≥ 0.9× the cached Strawberry anchor", ours >= 0.9 * base, f"{ours / base:.2f}×")
    return targets.exit_code()


if __name__ == "__main__":
    sys.exit(main())
