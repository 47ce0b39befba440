"""Two app processes (``incubench run``) against one database with the change-stream broadcaster:
events published through one reach clients of the other, in the room's order."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.embedded_db import EmbeddedDatabase, free_loopback_port
from backend.roadshows.service import roadshow_service
from backend.settings import Settings
from backend.state import AppState
from backend.users.models import Role
from tests.cloud.conftest import Sockets
from tests.conftest import JWT_SECRET
from tests.waiting import PATIENCE, until

INCUBENCH = Path(sys.executable).parent / "incubench"


@pytest.fixture
def two_processes(embedded_server: EmbeddedDatabase, settings: Settings, tmp_path: Path) -> Iterator[list[str]]:
    ports = [free_loopback_port(), free_loopback_port()]
    env = {**os.environ, "INCUBENCH_MONGODB_URI": embedded_server.uri, "INCUBENCH_DATABASE_NAME": settings.database_name,
           "INCUBENCH_JWT_SECRET": JWT_SECRET, "INCUBENCH_BROADCAST": "mongo", "INCUBENCH_ENV": "test",
           "INCUBENCH_LOG_LEVEL": "WARNING", "INCUBENCH_VAR_DIR": str(tmp_path / "var")}
    processes = [subprocess.Popen([str(INCUBENCH), "run", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for port in ports]
    try:
        yield [f"127.0.0.1:{port}" for port in ports]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()


async def _wait_ready(addresses: list[str]) -> None:
    async with httpx.AsyncClient() as http:
        async def healthy(address: str) -> bool:
            try:
                return (await http.get(f"http://{address}/healthz")).status_code == 200
            except httpx.TransportError:
                return False

        for address in addresses:
            await until(lambda address=address: healthy(address), f"the app at {address} to start",
                        patience=2 * PATIENCE, poll=0.1)


async def test_chat_through_one_process_reaches_clients_of_the_other_in_order(
        two_processes: list[str], state: AppState, people: Any) -> None:
    incubator = await people.incubator("Multi Process Incubator")
    host = await people.make("mp-host", Role.manager, incubator_id=incubator)
    await state.startups.insert({"_id": "s-mp", "name_zh": "多进程", "name_en": "Multi", "incubator_id": incubator})
    viewer_one = await people.make("mp-one", Role.investor)
    viewer_two = await people.make("mp-two", Role.investor)
    service = roadshow_service(state)
    roadshow = await service.schedule(host, {
        "title_zh": "多进程路演", "title_en": "Two processes", "starts_at": datetime.now(UTC) + timedelta(hours=1),
        "agenda": [{"startup_id": "s-mp", "pitch_minutes": 5, "qa_minutes": 5}], "audience": "registered"})
    room = roadshow.id
    await _wait_ready(two_processes)
    one, two = Sockets(f"ws://{two_processes[0]}"), Sockets(f"ws://{two_processes[1]}")
    try:
        mod = await one.connect(host)                   # process 1
        same = await one.connect(viewer_one)            # process 1
        other = await two.connect(viewer_two)           # process 2
        for client in (mod, same, other):
            await client.ok("room.join", {"room_id": room})
        sent = [await mod.ok("chat.send", {"room_id": room, "text": f"message {n}"}) for n in range(20)]
        received = [await other.event("chat.message") for _ in range(20)]
        assert [r["data"]["text"] for r in received] == [f"message {n}" for n in range(20)]
        assert [r["seq"] for r in received] == [s["seq"] for s in sent]
        assert [s["seq"] for s in sent] == list(range(sent[0]["seq"], sent[0]["seq"] + 20))

        # Both processes publishing at once: one numbering, the same order everywhere.
        async def burst(client: Any, label: str, count: int) -> list[int]:
            return [(await client.ok("chat.send", {"room_id": room, "text": f"{label}{n}"}))["seq"]
                    for n in range(count)]
        seqs = await asyncio.gather(burst(mod, "a", 10), burst(other, "b", 5))
        all_seqs = sorted(seqs[0] + seqs[1])
        assert all_seqs == list(range(sent[-1]["seq"] + 1, sent[-1]["seq"] + 16))
        streams = []
        for client in (mod, same, other):
            events = [e for e in client.events if e["event"] == "chat.message"]
            while len(events) < 35:
                await client.recv()
                events = [e for e in client.events if e["event"] == "chat.message"]
            streams.append([(e["seq"], e["data"]["text"]) for e in events])
        assert streams[0] == streams[1] == streams[2]
        assert [seq for seq, _ in streams[0]] == sorted(seq for seq, _ in streams[0])
    finally:
        await one.close_all()
        await two.close_all()
        await state.client.drop_database(state.settings.database_name)
