"""Roadshow room fan-out on loopback, one chat message every 50 ms for 30 s: 1,000 clients in one room with a
CPU hog (one busy core) beside the server, then 2,000 clients on a quiet machine.

Measures, for the incubench app (``incubench run``, memory broadcaster, on-disk database with sync-on-commit)
and, in the first round, for a bare ``websockets`` broadcast server driven by the same clients: that every
client receives every message in order, the delivery latency (sender's clock → receiver's clock, same machine)
p50/p99, and the server's RSS with the clients connected. Clients run in several processes.

Targets: p99 ≤ 250 ms at 1,000 clients with the hog and at 2,000 clients quiet, every message in order.

    .venv/bin/python -m bench.bench_rooms             # full: 1,000 (hog) + baseline, 2,000 (quiet), 30 s each
    .venv/bin/python -m bench.bench_rooms --quick     # 50 clients (hog) and the baseline, 2 s each
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "bench-secret-" + "y" * 40
INTERVAL = 0.05


# -- the baseline: a bare websockets broadcast server --------------------------------------------

def baseline_server(port: int) -> None:
    import logging

    import uvloop
    from websockets.asyncio.server import broadcast, serve

    logging.getLogger("websockets").setLevel(logging.CRITICAL)

    members: set[Any] = set()
    seq = 0

    async def handler(ws: Any) -> None:
        nonlocal seq
        await ws.recv()  # the join frame
        members.add(ws)
        await ws.send('{"type":"ok","id":"join"}')
        try:
            async for raw in ws:
                frame = orjson.loads(raw)
                seq += 1
                payload = {"type": "event", "topic": "room:bench", "event": "chat.message", "seq": seq,
                           "data": {"text": frame["payload"]["text"]}}
                broadcast(members, orjson.dumps(payload).decode())
        finally:
            members.discard(ws)

    async def main() -> None:
        async with serve(handler, "127.0.0.1", port, compression=None, max_queue=64):
            await asyncio.Future()

    uvloop.run(main())


# -- clients ---------------------------------------------------------------------------------------
# Receivers use a minimal WebSocket client on asyncio.Protocol (unmasked server frames are cheap to
# parse): the measuring side must not eat the CPU the servers need. The sender uses ``websockets``.

class RawClient(asyncio.Protocol):
    def __init__(self, on_text: Any) -> None:
        self.buffer = bytearray()
        self.handshaken = asyncio.get_running_loop().create_future()
        self.upgraded = False
        self.on_text = on_text
        self.transport: Any = None
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if b" 101 " not in buffer[:end].split(b"\r\n", 1)[0]:
                self.handshaken.set_exception(RuntimeError(bytes(buffer[:end]).decode(errors="replace")))
                return
            del buffer[:end + 4]
            self.upgraded = True
            self.handshaken.set_result(None)
        position = 0
        size = len(buffer)
        while size - position >= 2:
            opcode = buffer[position] & 0x0F
            length = buffer[position + 1] & 0x7F
            header = 2
            if length == 126:
                if size - position < 4:
                    break
                length = int.from_bytes(buffer[position + 2:position + 4], "big")
                header = 4
            elif length == 127:
                if size - position < 10:
                    break
                length = int.from_bytes(buffer[position + 2:position + 10], "big")
                header = 10
            if size - position < header + length:
                break
            payload = bytes(buffer[position + header:position + header + length])
            position += header + length
            if opcode == 1:
                self.on_text(payload)
            elif opcode == 9:
                self.send(payload, opcode=10)
        del buffer[:position]

    def send(self, payload: bytes, opcode: int = 1) -> None:
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        size = len(payload)
        if size < 126:
            header = bytes((0x80 | opcode, 0x80 | size))
        else:
            header = bytes((0x80 | opcode, 0x80 | 126)) + size.to_bytes(2, "big")
        self.transport.write(header + mask + masked)


async def _open_raw(host: str, port: int, path: str, on_text: Any) -> RawClient:
    import base64

    loop = asyncio.get_running_loop()
    _, client = await loop.create_connection(lambda: RawClient(on_text), host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    client.transport.write((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                            ).encode())
    await asyncio.wait_for(client.handshaken, 60)
    return client


class Receiver:
    """One measured member: answers, then chat.message frames (number, sender's timestamp)."""

    def __init__(self, total: int, latencies: list[float]) -> None:
        self.total = total
        self.latencies = latencies
        self.expected = 0
        self.ordered = True
        self.answers: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.done = asyncio.get_running_loop().create_future()
        self.client: RawClient | None = None

    def on_text(self, payload: bytes) -> None:
        now = time.time()
        if b'"chat.message"' in payload:
            frame = orjson.loads(payload)
            number_text, sent_at = frame["data"]["text"].split(" ", 1)
            number = int(number_text)
            if number != self.expected:
                self.ordered = False
            self.expected = number + 1
            self.latencies.append(now - float(sent_at))
            if self.expected >= self.total and not self.done.done():
                self.done.set_result(None)
            return
        if b'"id"' in payload:
            frame = orjson.loads(payload)
            waiter = self.answers.pop(str(frame.get("id")), None)
            if waiter is not None and not waiter.done():
                waiter.set_result(frame)

    async def request(self, frame_id: str, body: dict[str, Any]) -> None:
        assert self.client is not None
        waiter = asyncio.get_running_loop().create_future()
        self.answers[frame_id] = waiter
        self.client.send(orjson.dumps({"id": frame_id, **body}))
        answer = await asyncio.wait_for(waiter, 120)
        if answer.get("type") != "ok":
            raise RuntimeError(f"refused: {answer}")


async def _open(url: str, mode: str, token: str, room: str, receiver: Receiver | None = None) -> Any:
    if receiver is not None:
        from urllib.parse import urlparse

        target = urlparse(url)
        receiver.client = await _open_raw(target.hostname or "127.0.0.1", target.port or 80, target.path or "/",
                                          receiver.on_text)
        if mode == "app":
            await receiver.request("a", {"action": "auth", "token": token})
            await receiver.request("j", {"action": "room.join", "payload": {"room_id": room}})
        else:
            await receiver.request("join", {"action": "join"})
        return receiver
    from websockets.asyncio.client import connect

    ws = await connect(url, compression=None, open_timeout=60, max_queue=256, ping_interval=None)
    if mode == "app":
        await ws.send(orjson.dumps({"id": "a", "action": "auth", "token": token}).decode())
        await _until_answer(ws, "a")
        await ws.send(orjson.dumps({"id": "j", "action": "room.join", "payload": {"room_id": room}}).decode())
        await _until_answer(ws, "j")
    else:
        await ws.send('{"id":"join","action":"join"}')
        await _until_answer(ws, "join")
    return ws


async def _until_answer(ws: Any, frame_id: str) -> None:
    while True:
        frame = orjson.loads(await ws.recv())
        if frame.get("id") == frame_id:
            if frame["type"] != "ok":
                raise RuntimeError(f"refused: {frame}")
            return


async def _client_main(url: str, mode: str, tokens: list[str], room: str, total: int, ready: Any, go: Any,
                       results: Any) -> None:
    limit = asyncio.Semaphore(25)
    latencies: list[float] = []
    receivers = [Receiver(total, latencies) for _ in tokens]

    async def opened(receiver: Receiver, token: str) -> None:
        async with limit:
            await _open(url, mode, token, room, receiver)

    outcomes = await asyncio.gather(*(opened(r, t) for r, t in zip(receivers, tokens, strict=True)),
                                    return_exceptions=True)
    failed = [o for o in outcomes if isinstance(o, BaseException)]
    if failed:  # reported, and counted as clients that received nothing
        print(f"{len(failed)} clients could not join: {failed[0]!r}", file=sys.stderr, flush=True)
    ready.put(len(receivers))
    cpu_start = time.process_time()
    await asyncio.wait([r.done for r in receivers], timeout=total * INTERVAL + 90)
    cpu = time.process_time() - cpu_start
    complete = [r for r in receivers if r.done.done()]
    results.put({"cpu_us_per_frame": cpu / max(1, len(latencies)) * 1e6, "clients": len(receivers),
                 "complete": len(complete), "received": len(latencies),
                 "in_order": sum(1 for r in complete if r.ordered), "latencies": latencies})
    for r in receivers:
        if r.client is not None and r.client.transport is not None and not r.client.transport.is_closing():
            with contextlib.suppress(Exception):
                r.client.send((1000).to_bytes(2, "big"), opcode=8)
    await asyncio.sleep(1)
    for r in receivers:
        if r.client is not None and r.client.transport is not None:
            r.client.transport.close()


def client_process(url: str, mode: str, tokens: list[str], room: str, total: int, ready: Any, go: Any,
                   results: Any) -> None:
    import uvloop

    uvloop.run(_client_main(url, mode, tokens, room, total, ready, go, results))


async def _sender(url: str, mode: str, token: str, room: str, total: int) -> None:
    ws = await _open(url, mode, token, room)

    errors: list[str] = []
    sent_at: dict[str, float] = {}
    answer_ms: list[float] = []

    async def drain() -> None:
        with contextlib.suppress(Exception):
            async for raw in ws:
                if '"type":"error"' in raw:
                    errors.append(raw)
                elif '"type":"ok"' in raw:
                    frame_id = orjson.loads(raw).get("id")
                    if frame_id in sent_at:
                        answer_ms.append((time.perf_counter() - sent_at.pop(frame_id)) * 1000)

    drainer = asyncio.create_task(drain())
    loop = asyncio.get_running_loop()
    start = loop.time()
    for n in range(total):
        await asyncio.sleep(max(0.0, start + n * INTERVAL - loop.time()))
        text = f"{n} {time.time():.6f}"
        sent_at[str(n)] = time.perf_counter()
        await ws.send(orjson.dumps({"id": str(n), "action": "chat.send",
                                    "payload": {"room_id": room, "text": text}}).decode())
    # Wait for every answer (the server may still be working through the sender's frames).
    for _ in range(600):  # up to 60 s
        if not sent_at and len(answer_ms) + len(errors) >= total:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(1)
    drainer.cancel()
    await ws.close()
    if errors:
        print(f"sender got {len(errors)} errors, first: {errors[0]}", flush=True)
    if answer_ms:
        q = statistics.quantiles(answer_ms, n=100)
        print(f"  sender's chat.send → ok (stored, numbered, fanned out): p50 {q[49]:.1f} ms, p99 {q[98]:.1f} ms",
              flush=True)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_round(mode: str, url: str, server_pid: int, tokens: list[str], sender_token: str, room: str,
              clients: int, seconds: float, workers: int, label: str) -> dict[str, Any]:
    total = int(seconds / INTERVAL)
    ctx = mp.get_context("spawn")
    ready, go, results = ctx.Queue(), ctx.Event(), ctx.Queue()
    idle_rss = rss_mib(server_pid)
    shares = [[tokens[i % len(tokens)] for i in range(w, clients, workers)] for w in range(workers)]
    # By module path, so spawned children find it also when this file runs under runpy (make bench).
    target = importlib.import_module("bench.bench_rooms").client_process
    processes = [ctx.Process(target=target, args=(url, mode, share, room, total, ready, go, results))
                 for share in shares]
    started = time.monotonic()
    for process in processes:
        process.start()
    connected = sum(ready.get(timeout=300) for _ in processes)
    connect_seconds = time.monotonic() - started
    loaded_rss = rss_mib(server_pid)
    cpu_before = cpu_seconds(server_pid)
    asyncio.run(_sender(url, mode, sender_token, room, total))
    parts = [results.get(timeout=total * INTERVAL + 120) for _ in processes]
    server_cpu = cpu_seconds(server_pid) - cpu_before
    for process in processes:
        process.join(30)
    latencies = sorted(x for p in parts for x in p["latencies"])
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 100 else [float("nan")] * 99
    return {"mode": label, "clients": connected, "messages": total, "connect_s": connect_seconds,
            "received": sum(p["received"] for p in parts), "expected": connected * total,
            "complete": sum(p["complete"] for p in parts), "in_order": sum(p["in_order"] for p in parts),
            "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000, "max_ms": latencies[-1] * 1000 if latencies else 0,
            "idle_rss": idle_rss, "loaded_rss": loaded_rss,
            "client_cpu_us": statistics.mean(p["cpu_us_per_frame"] for p in parts),
            "server_cpu_us": server_cpu / max(1, sum(p["received"] for p in parts)) * 1e6}


# -- setting up the app ----------------------------------------------------------------------------

async def prepare(uri: str, database: str, viewers: int) -> tuple[list[str], str, str]:
    from backend.app import create_app
    from backend.core.settings import Settings
    from backend.roadshows.service import roadshow_service
    from backend.security import hash_password_sync, issue_token
    from backend.users.models import NewUser, Role

    settings = Settings(env="test", mongodb_uri=uri, database_name=database, jwt_secret=SECRET, log_level="WARNING",
                        var_dir=Path(tempfile.mkdtemp()) / "var")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        state = app.state.incubench
        password_hash = hash_password_sync("bench-password")
        incubator = await state.incubator_service.create({
            "name_zh": "基准孵化器", "name_en": "Bench Incubator", "kind": "incubator", "accreditation": "municipal",
            "sub_area": "desheng", "industries": ["fintech"], "founded_on": datetime(2015, 1, 1).date(),
            "floor_area": 1000.0, "operator": "基准"})
        host = await state.user_service.create_user(NewUser(
            username="bench-host", display_name="Bench Host", role=Role.manager, password="bench-password",
            incubator_id=incubator.id), password_hash=password_hash)
        await state.startups.insert({"_id": "bench-startup", "name_zh": "基准", "name_en": "Bench",
                                     "incubator_id": incubator.id})
        tokens = []
        for n in range(viewers):
            user = await state.user_service.create_user(NewUser(
                username=f"bench-viewer-{n:03d}", display_name=f"Viewer {n}", role=Role.investor,
                password="bench-password", organisation=f"Fund {n % 7}"), password_hash=password_hash)
            tokens.append(issue_token(user.id, "investor", SECRET, timedelta(hours=2))[0])
        roadshow = await roadshow_service(state).schedule(host, {
            "title_zh": "基准路演", "title_en": "Bench roadshow", "starts_at": datetime.now(UTC) + timedelta(hours=1),
            "agenda": [{"startup_id": "bench-startup", "pitch_minutes": 30, "qa_minutes": 5}],
            "audience": "registered"})
        host_token = issue_token(host.id, "manager", SECRET, timedelta(hours=2))[0]
        return tokens, host_token, roadshow.id


def wait_port(port: int, timeout: float = 60) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port}")


def report(result: dict[str, Any]) -> str:
    return (f"{result['mode']:<16} clients {result['clients']:>5}  messages {result['messages']:>4}  "
            f"received {result['received']:>7}/{result['expected']:<7} in order on {result['in_order']} clients  "
            f"p50 {result['p50_ms']:6.1f} ms  p99 {result['p99_ms']:6.1f} ms  max {result['max_ms']:6.1f} ms  "
            f"server RSS idle {result['idle_rss']:.0f} MiB → with clients {result['loaded_rss']:.0f} MiB  "
            f"(connect {result['connect_s']:.1f} s; server CPU {result['server_cpu_us']:.0f} µs per delivered frame, client CPU {result['client_cpu_us']:.0f} µs/frame)")


def app_round(uri: str, args: Any, clients: int, seconds: float, hog: bool) -> dict[str, Any]:
    from bench.common import cpu_hog, served_app

    name = f"bench_{uuid.uuid4().hex[:8]}"
    tokens, host_token, room = asyncio.run(prepare(uri, name, args.viewers))
    with served_app(uri, name, SECRET, INCUBENCH_BROADCAST="memory", INCUBENCH_WS_FRAMES_PER_SECOND="1000",
                    INCUBENCH_WS_FRAME_BURST="1000") as (port, server), cpu_hog(hog):
        result = run_round("app", f"ws://127.0.0.1:{port}/ws/v1", server.pid, tokens, host_token, room, clients,
                           seconds, args.workers)
    result["hog"] = hog
    print(report(result) + ("  [CPU hog beside the server]" if hog else ""), flush=True)
    return result


def baseline_round(args: Any, clients: int, seconds: float, hog: bool) -> dict[str, Any]:
    from bench.common import cpu_hog, free_port, wait_port

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "bench.bench_rooms", "--baseline-server", str(port)], cwd=ROOT)
    try:
        wait_port(port, process=server)
        with cpu_hog(hog):
            result = run_round("baseline", f"ws://127.0.0.1:{port}", server.pid, ["-"], "-", "bench", clients,
                               seconds, args.workers)
    finally:
        server.terminate()
        server.wait(30)
    result["hog"] = hog
    print(report(result) + ("  [CPU hog beside the server]" if hog else ""), flush=True)
    return result


def complete(result: dict[str, Any]) -> bool:
    return bool(result["received"] == result["expected"] and result["in_order"] == result["clients"])


def main() -> int:
    from bench.common import Targets, arguments, on_disk_database

    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--large", type=int, default=2000, help="clients of the quiet-machine round")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--viewers", type=int, default=50, help="distinct accounts behind the clients")
    parser.add_argument("--baseline-server", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_server:
        baseline_server(args.baseline_server)
        return 0
    targets = Targets(args.quick)
    clients, large, seconds = (50, 100, 2.0) if args.quick else (args.clients, args.large, args.seconds)
    if args.quick:
        args.viewers, args.workers = 10, 2
    with on_disk_database() as uri:
        print(f"== {clients} clients, one message every {INTERVAL * 1000:.0f} ms for {seconds:.0f} s, one busy core "
              "beside the server; the same clients against a bare websockets server", flush=True)
        busy = app_round(uri, args, clients, seconds, hog=True)
        base = baseline_round(args, clients, seconds, hog=True)
        print(f"p50 ratio incubench/websockets: {busy['p50_ms'] / base['p50_ms']:.2f}x; "
              f"p99 ratio: {busy['p99_ms'] / base['p99_ms']:.2f}x", flush=True)
        quiet = None
        if not args.quick:  # (quick mode: the first round shows the script works; this one takes as long again)
            print(f"\n== {large} clients on a quiet machine", flush=True)
            quiet = app_round(uri, args, large, seconds, hog=False)
    targets.check(f"{clients} clients with a CPU hog: p99 ≤ 250 ms, every message in order",
                  busy["p99_ms"] <= 250 and complete(busy), f"p99 {busy['p99_ms']:.0f} ms, "
                  f"{busy['received']}/{busy['expected']} received, in order on {busy['in_order']}/{busy['clients']}")
    if quiet is not None:
        targets.check(f"{large} clients, quiet: p99 ≤ 250 ms, every message in order",
                      quiet["p99_ms"] <= 250 and complete(quiet), f"p99 {quiet['p99_ms']:.0f} ms, {quiet['received']}/"
                      f"{quiet['expected']} received, in order on {quiet['in_order']}/{quiet['clients']}")
    return targets.exit_code()


if __name__ == "__main__":
    sys.exit(main())
