"""IP-workstation booking benchmarks against the embedded database (SecantusDB child process, on disk with
sync-on-commit as ``make run``).

Run: .venv/bin/python -m bench.bench_bookings [--quick]

1. Sustained throughput: 50 concurrent clients each book their own stream of free slots (distinct
   advisors, so no contention), through the service and through GraphQL (HTTP to ``incubench run``).
   Baseline in the same run: the same 50 clients doing one durable ``insert_one`` each per request
   (the least database work a booking could cost).
2. Contention: 200 startups request the same slot at once (then join its waitlist); repeated for
   several slots. Exactly one may win each round; reported: wall time per round and request latency.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx
from asgi_lifespan import LifespanManager

from backend.app import create_app
from backend.embedded_db import EmbeddedDatabase
from backend.errors import AppError
from backend.security import hash_password_sync, issue_token
from backend.settings import Settings
from backend.state import AppState
from backend.users.models import NewUser, Role, User
from bench.common import Targets, arguments, served_app
from cloud_incubator.bookings.rules import PARK_TZ, local_instant
from cloud_incubator.bookings.service import bookings

CLIENTS = 50
CONTENDERS = 200
BOOK_OPERATION = (Path(__file__).resolve().parents[1] / "graphql" / "operations" / "BookIpSlot.graphql").read_text()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def make_park(state: AppState, advisors: int, startups: int) -> tuple[str, list[User], list[User], User]:
    password = hash_password_sync("bench-password")
    admin = await state.user_service.create_user(NewUser(username="bench-admin", display_name="admin", role=Role.admin,
                                                         password="x"), password_hash=password)
    incubator = (await state.incubator_service.create({
        "name_zh": "基准孵化器", "name_en": "Bench Incubator", "kind": "incubator", "accreditation": "municipal",
        "sub_area": "desheng", "industries": ["fintech"], "founded_on": date(2015, 1, 1), "floor_area": 1000.0,
        "operator": "bench"})).id
    advisor_users = [await state.user_service.create_user(NewUser(username=f"bench-adv{i:03d}", display_name=f"adv{i}",
                                                                  role=Role.ip_advisor, password="x"),
                                                          password_hash=password) for i in range(advisors)]
    service = bookings(state)
    ws = await service.create_workstation(admin, {
        "incubator_id": incubator, "name_zh": "基准工作站", "name_en": "Bench Desk", "location": "A",
        "languages": ["zh"], "topics": ["patent_filing"], "modes": ["online"], "slot_minutes": 30,
        "cutoff_hours": 1, "booking_limit": 20, "advisor_ids": [a.id for a in advisor_users]})
    today = datetime.now(PARK_TZ).date()
    for advisor in advisor_users:
        for weekday in range(7):
            await service.add_rule(admin, ws.id, advisor.id, weekday, dtime(8), dtime(20), today, None)
    startup_users = []
    for i in range(startups):
        sid = f"bench-sp-{i:04d}"
        await state.startups.insert({"_id": sid, "name_zh": sid, "name_en": sid, "incubator_id": incubator})
        startup_users.append(await state.user_service.create_user(
            NewUser(username=f"bench-st{i:04d}", display_name=sid, role=Role.startup, password="x", startup_id=sid,
                    incubator_id=incubator), password_hash=password))
    return ws.id, advisor_users, startup_users, admin


def slot_starts(first_day: date, count: int) -> list[datetime]:
    """``count`` consecutive 30-minute slot starts from 08:00 local, day after day (24 per day)."""
    starts = []
    for n in range(count):
        day = first_day + timedelta(days=n // 24)
        minutes = 8 * 60 + 30 * (n % 24)
        starts.append(local_instant(day, dtime(minutes // 60, minutes % 60)))
    return starts


async def sustained_service(state: AppState, ws_id: str, advisors: list[User], startups: list[User],
                            per_client: int, first_day: date) -> tuple[float, list[float]]:
    service = bookings(state)
    starts = slot_starts(first_day, per_client)
    latencies: list[float] = []

    async def client(i: int) -> None:
        # each client: its own advisor, 2 startups alternating (limit 20 open bookings each)
        mine = startups[2 * i: 2 * i + 2]
        for n, start in enumerate(starts):
            t0 = time.perf_counter()
            await service.book(mine[n % 2], ws_id, advisors[i].id, start, "patent_filing", "online", "benchmark")
            latencies.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(CLIENTS)))
    return time.perf_counter() - t0, latencies


async def sustained_graphql(http: httpx.AsyncClient, state: AppState, ws_id: str, advisors: list[User],
                            startups: list[User], per_client: int, first_day: date) -> tuple[float, list[float]]:
    query = BOOK_OPERATION
    secret = state.settings.resolved_jwt_secret()
    tokens = {u.id: issue_token(u.id, u.role.value, secret, timedelta(hours=2))[0] for u in startups}
    starts = slot_starts(first_day, per_client)
    latencies: list[float] = []

    async def client(i: int) -> None:
        mine = startups[2 * i: 2 * i + 2]
        for n, start in enumerate(starts):
            user = mine[n % 2]
            body = {"query": query, "operationName": "BookIpSlot", "variables": {"input": {
                "workstationId": ws_id, "advisorId": advisors[i].id, "start": start.isoformat(),
                "topic": "patent_filing", "mode": "online", "question": "benchmark"}}}
            t0 = time.perf_counter()
            response = await http.post("/graphql", json=body, headers={"Authorization": f"Bearer {tokens[user.id]}"})
            latencies.append(time.perf_counter() - t0)
            assert "errors" not in response.json(), response.text

    t0 = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(CLIENTS)))
    return time.perf_counter() - t0, latencies


async def baseline_inserts(state: AppState, per_client: int) -> tuple[float, list[float]]:
    from backend.db import durable

    collection = durable(state.db, "bench_baseline")
    latencies: list[float] = []

    async def client(i: int) -> None:
        for n in range(per_client):
            t0 = time.perf_counter()
            await collection.insert_one({"_id": f"{i}-{n}", "advisor_id": f"a{i}", "start": datetime.now(UTC),
                                         "startup_id": f"s{i}", "status": "booked", "question": "benchmark"})
            latencies.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(CLIENTS)))
    return time.perf_counter() - t0, latencies


async def contention(state: AppState, ws_id: str, advisor: User, startups: list[User], rounds: int,
                     first_day: date) -> tuple[list[float], list[float], bool]:
    service = bookings(state)
    walls: list[float] = []
    latencies: list[float] = []
    consistent = True
    for start in slot_starts(first_day, rounds):
        async def attempt(user: User, start: datetime = start) -> str:
            t0 = time.perf_counter()
            try:
                await service.book(user, ws_id, advisor.id, start, "patent_filing", "online", "race")
                outcome = "ok"
            except AppError as error:
                outcome = error.code
                if outcome == "SLOT_TAKEN":
                    await service.join_waitlist(user, ws_id, advisor.id, start, "patent_filing", "online", "race")
            latencies.append(time.perf_counter() - t0)
            return outcome

        t0 = time.perf_counter()
        outcomes = await asyncio.gather(*(attempt(u) for u in startups))
        walls.append(time.perf_counter() - t0)
        waiting = await state.db.ip_waitlist.count_documents({"advisor_id": advisor.id, "start": start,
                                                              "status": "waiting"})
        consistent &= outcomes.count("ok") == 1 and outcomes.count("SLOT_TAKEN") == len(startups) - 1
        consistent &= waiting == len(startups) - 1
    return walls, latencies, consistent


def line(label: str, seconds: float, count: int, latencies: list[float]) -> str:
    return (f"{label:<44} {count / seconds:8.0f} req/s  ({count} in {seconds:.2f} s; "
            f"p50 {1000 * statistics.median(latencies):.1f} ms, p95 {1000 * pct(latencies, 95):.1f} ms)")


async def main(quick: bool) -> int:
    global CLIENTS, CONTENDERS
    targets = Targets(quick)
    if quick:
        CLIENTS, CONTENDERS = 10, 40
    per_client = 2 if quick else 20
    rounds = 1 if quick else 5
    with TemporaryDirectory() as tmp:
        server = EmbeddedDatabase(storage_path=str(Path(tmp) / "db"))
        await server.astart()
        try:
            settings = Settings(env="test", mongodb_uri=server.uri, database_name=f"bench_{uuid.uuid4().hex[:8]}",
                                jwt_secret="bench-secret-" + "x" * 40, var_dir=Path(tmp), log_level="WARNING")
            app = create_app(settings)
            async with LifespanManager(app, startup_timeout=60):
                state: AppState = app.state.incubench
                ws_id, advisors, startups, _ = await make_park(state, advisors=CLIENTS + 1, startups=2 * CLIENTS + CONTENDERS)
                first_day = datetime.now(PARK_TZ).date() + timedelta(days=1)
                print(f"== 1. sustained booking throughput, {CLIENTS} concurrent clients × {per_client} bookings "
                      "(embedded SecantusDB, w=majority j=true)")
                base = await baseline_inserts(state, per_client)
                svc = await sustained_service(state, ws_id, advisors, startups, per_client, first_day)
                # GraphQL round: the next days' slots, with the same clients
                for startup in startups[: 2 * CLIENTS]:
                    await state.db.ip_ledgers.update_one({"_id": startup.startup_id}, {"$set": {"open": {}}})
                # GraphQL over HTTP to `incubench run` on the same database (the user's path).
                with served_app(server.uri, settings.database_name, settings.resolved_jwt_secret()) as (port, _):
                    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=300) as http:
                        gql = await sustained_graphql(http, state, ws_id, advisors, startups, per_client,
                                                      first_day + timedelta(days=3))
                n = CLIENTS * per_client
                print(line("baseline: one durable insert_one", base[0], n, base[1]))
                print(line("bookings through the service", svc[0], n, svc[1]))
                print(line("bookings through GraphQL (HTTP, incubench run)", gql[0], n, gql[1]))
                print(f"cost of a booking vs one durable insert: service {svc[0] / base[0]:.1f}x, "
                      f"GraphQL {gql[0] / base[0]:.1f}x")
                print(f"\n== 2. contention: {CONTENDERS} startups request one slot at once (losers join the waitlist), "
                      f"{rounds} rounds")
                walls, latencies, ok = await contention(state, ws_id, advisors[CLIENTS], startups[2 * CLIENTS:],
                                                        rounds, first_day + timedelta(days=6))
                print(f"round wall time: median {1000 * statistics.median(walls):.0f} ms "
                      f"(min {1000 * min(walls):.0f}, max {1000 * max(walls):.0f}); "
                      f"{CONTENDERS / statistics.median(walls):.0f} requests/s")
                print(f"request latency (book, then join waitlist on SLOT_TAKEN): p50 "
                      f"{1000 * statistics.median(latencies):.0f} ms, p95 {1000 * pct(latencies, 95):.0f} ms")
                print(f"exactly one winner and {CONTENDERS - 1} consistent waitlist entries every round: {ok}")
                targets.check("exactly one winner, the others consistently waitlisted, every round", ok,
                              f"{rounds} rounds")
                await state.client.drop_database(settings.database_name)
        finally:
            await server.astop()
    return targets.exit_code()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(arguments(__doc__.splitlines()[0]).parse_args().quick)))
