"""Findings 5, 6 and 12: health that tells the truth, a coded "database unavailable" on every transport
while the database is down, the embedded database supervised and restarted on the same port and storage
(other app processes reconnect by themselves), and its files readable by the owner only."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import threading
import time

import httpx
import pytest
import websockets

from backend.embedded_db import EmbeddedDatabase
from backend.users.models import Role
from tests.conftest import LiveServer
from tests.edge.conftest import _make_user
from tests.submissions.helpers import token_for

DEADLINE = 90.0


def _serve(settings) -> LiveServer:
    server = LiveServer(settings)
    original = server.server.startup

    async def startup(*args, **kwargs):
        server._loop = asyncio.get_running_loop()
        await original(*args, **kwargs)

    server.server.startup = startup
    server.start()
    return server


async def _until(check, deadline: float = DEADLINE):
    """Poll ``check`` (async, returns a value or None) until it returns something, within ``deadline`` s."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = await check()
        if value is not None:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError("condition not met in time")


@pytest.fixture
def own_database(tmp_path):
    server = EmbeddedDatabase(storage_path=str(tmp_path / "ext"))
    server.start()
    yield server
    server.stop()


async def test_readiness_fails_while_the_database_is_wedged_or_gone_and_recovers(settings, own_database, tmp_path):
    app_server = _serve(settings.model_copy(update={"mongodb_uri": own_database.uri}))
    try:
        async with httpx.AsyncClient(base_url=app_server.http_url, timeout=30) as http:
            assert (await http.get("/readyz")).status_code == 200
            os.kill(own_database.process.pid, signal.SIGSTOP)  # wedged: the port accepts, nothing answers
            try:
                started = time.monotonic()
                wedged = await http.get("/readyz")
                assert wedged.status_code == 503 and wedged.json()["reason"] == "timeout"
                assert time.monotonic() - started < 10
                assert (await http.get("/healthz")).status_code == 503
                assert (await http.get("/livez")).status_code == 200
            finally:
                os.kill(own_database.process.pid, signal.SIGCONT)
            assert (await _until(lambda: _status(http, "/readyz", 200))) == 200

            port = own_database.port
            own_database.stop()
            gone = await http.get("/readyz")
            assert gone.status_code == 503 and gone.json()["database"] == "down"
            answer = await http.post("/graphql", json={"query": '{ ranking(quarter: "2025Q3") { quarter } }'},
                                     headers={"Authorization": f"Bearer {_token_of_nobody()}"})
            assert answer.status_code == 503
            assert answer.json()["errors"][0]["extensions"]["code"] == "DATABASE_UNAVAILABLE"
            assert answer.json()["errors"][0]["extensions"]["message_zh"]
            again = EmbeddedDatabase(storage_path=own_database.storage_path, port=port)
            again.start()
            try:
                assert (await _until(lambda: _status(http, "/readyz", 200))) == 200
            finally:
                again.stop()
    finally:
        app_server.stop()


def _token_of_nobody() -> str:
    from types import SimpleNamespace

    return token_for(SimpleNamespace(id="u-nobody", role=Role.evaluator))


async def _status(http: httpx.AsyncClient, path: str, wanted: int) -> int | None:
    response = await http.get(path)
    return response.status_code if response.status_code == wanted else None


async def test_the_app_restarts_its_killed_database_on_the_same_port_and_says_so_meanwhile(settings, tmp_path):
    owner = _serve(settings.model_copy(update={"mongodb_uri": None, "var_dir": tmp_path / "var"}))
    other = None
    try:
        embedded = owner.app.state.embedded_db
        port, pid = embedded.port, embedded.process.pid
        user = owner.run_coroutine(_make_user(owner.state, "eve", Role.evaluator))
        token = token_for(user)
        # A second app process using the owner's database (as `incubench` commands and extra workers do).
        other = _serve(settings.model_copy(update={"mongodb_uri": embedded.uri}))
        me = {"query": "{ me { id } }"}
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(timeout=30) as http:
            assert (await http.post(f"{other.http_url}/graphql", json=me, headers=headers)).json()["data"]["me"]

            # Hold the restart until the outage has been observed (it is otherwise quicker than a request).
            supervisor = owner.app.state.edge.supervisor
            gate = threading.Event()
            restart = supervisor._restart

            async def gated_restart():
                await asyncio.to_thread(gate.wait, DEADLINE)
                await restart()

            supervisor._restart = gated_restart
            os.kill(pid, signal.SIGKILL)
            seen: set[tuple[int, str]] = set()

            async def coded_while_down():
                response = await http.post(f"{owner.http_url}/graphql", json=me, headers=headers)
                body = response.json()
                if "errors" in body:
                    seen.add((response.status_code, body["errors"][0]["extensions"]["code"]))
                    if supervisor.down:
                        gate.set()
                    return None
                return body if owner.app.state.edge.supervisor.restarts >= 1 else None

            await _until(coded_while_down)
            assert seen and seen <= {(503, "DATABASE_UNAVAILABLE")}, seen
            assert embedded.port == port and embedded.process.pid != pid
            assert owner.app.state.edge.supervisor.restarts == 1
            # The other process reconnects on its own (same address).
            assert (await _until(lambda: _me(http, other.http_url, headers)))["id"] == user.id
            assert (await http.get(f"{owner.http_url}/readyz")).status_code == 200
    finally:
        if other is not None:
            other.stop()
        owner.stop()


async def _me(http: httpx.AsyncClient, base: str, headers: dict) -> dict | None:
    response = await http.post(f"{base}/graphql", json={"query": "{ me { id } }"}, headers=headers)
    body = response.json()
    return body["data"]["me"] if response.status_code == 200 and "errors" not in body else None


async def test_signing_in_on_a_socket_answers_database_unavailable_while_it_is_down(settings, own_database):
    app_server = _serve(settings.model_copy(update={"mongodb_uri": own_database.uri}))
    try:
        user = app_server.run_coroutine(_make_user(app_server.state, "sam", Role.evaluator))
        async with websockets.connect(f"{app_server.ws_url}/ws/v1") as socket:
            own_database.stop()
            await socket.send(json.dumps({"action": "auth", "id": "a", "token": token_for(user)}))
            frame = await asyncio.wait_for(_error_frame(socket), DEADLINE)
            assert frame["code"] == "server.database_unavailable" and frame["message_zh"]
    finally:
        app_server.stop()


async def _error_frame(socket, code: str = "server.database_unavailable") -> dict:
    while True:
        frame = json.loads(await socket.recv())
        if frame["type"] == "error" and frame["code"] == code:
            return frame


async def test_the_embedded_database_files_are_the_owners_alone(settings, tmp_path):
    server = _serve(settings.model_copy(update={"mongodb_uri": None, "var_dir": tmp_path / "var"}))
    try:
        server.run_coroutine(_make_user(server.state, "ann", Role.evaluator))
    finally:
        server.stop()
    storage = tmp_path / "var" / "db"
    paths = [storage, *storage.rglob("*"), tmp_path / "var" / "secantusd.log"]
    assert len(paths) > 3
    for path in paths:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, (path, oct(path.stat().st_mode))
