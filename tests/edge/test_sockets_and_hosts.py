"""Finding 11: /ws/v1 takes text frames only (binary closes 1003), counts its frame limit in bytes, answers
in both languages; a Host allow-list refuses DNS-rebinding pairs on HTTP and sockets alike."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets

from backend.users.models import Role
from cloud_incubator import protocol as p
from cloud_incubator.config import GatewayConfig
from tests.edge.test_database_faults import _serve


async def _auth(socket, token: str) -> None:
    await socket.send(json.dumps({"action": "auth", "id": "a", "token": token}))
    assert json.loads(await socket.recv())["type"] == "ok"


async def test_a_binary_frame_closes_the_socket_with_1003_without_running_it(live_server, make_live_user, probe):
    _, token = make_live_user("bin", Role.evaluator)

    async def attack() -> tuple[dict, int | None]:
        async with websockets.connect(f"{live_server.ws_url}/ws/v1") as socket:
            await _auth(socket, token)
            await socket.send(json.dumps({"action": "ping", "id": "p"}).encode())  # a valid frame, as bytes
            frame = json.loads(await socket.recv())
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(socket.recv(), 30)
            return frame, closed.value.rcvd.code if closed.value.rcvd else None

    frame, code = await probe.run_during(attack)
    assert frame["type"] == "error" and frame["code"] == p.FRAME_BINARY and frame["message_zh"]
    assert code == p.CLOSE_UNSUPPORTED == 1003
    probe.assert_fast()


async def test_the_frame_limit_counts_bytes_not_characters(live_server, make_live_user):
    _, token = make_live_user("wide", Role.evaluator)
    limit = GatewayConfig().max_frame_bytes
    text = "汉" * (limit // 3 + 10)  # fewer characters than the limit, more bytes (3 each in UTF-8)
    assert len(text) < limit < len(text.encode())
    async with websockets.connect(f"{live_server.ws_url}/ws/v1", max_size=2 ** 20) as socket:
        await _auth(socket, token)
        await socket.send(json.dumps({"action": "ping", "id": "big", "payload": {"t": text}}, ensure_ascii=False))
        frame = json.loads(await socket.recv())
    assert frame["code"] == p.FRAME_TOO_LARGE and frame["details"]["limit"] == limit
    assert frame["message_zh"] == p.ERROR_CODES_ZH[p.FRAME_TOO_LARGE]


def test_every_socket_layer_error_code_has_both_languages():
    assert set(p.ERROR_CODES) == set(p.ERROR_CODES_ZH)
    frame = json.loads(p.error_frame("x", p.RATE_LIMITED))
    assert frame["message_en"] == p.ERROR_CODES[p.RATE_LIMITED] and frame["message_zh"] == p.ERROR_CODES_ZH[p.RATE_LIMITED]


@pytest.fixture
def host_checked(settings):
    server = _serve(settings.model_copy(update={"allowed_hosts": ["127.0.0.1", "localhost"]}))
    yield server
    server.stop()


async def test_a_dns_rebinding_host_is_refused_on_http_and_sockets(host_checked):
    port = host_checked.port
    async with httpx.AsyncClient(timeout=30) as http:
        ok = await http.get(f"{host_checked.http_url}/livez")
        assert ok.status_code == 200
        rebound = await http.post(f"{host_checked.http_url}/graphql", json={"query": "{ me { id } }"},
                                  headers={"Host": f"evil.example:{port}", "Origin": f"http://evil.example:{port}"})
        assert rebound.status_code == 400
        assert rebound.json()["errors"][0]["extensions"]["reason"] == "HOST_NOT_ALLOWED"
        page = await http.get(f"{host_checked.http_url}/index.html", headers={"Host": "evil.example"})
        assert page.status_code == 400 and page.json()["error"]["code"] == "BAD_REQUEST"
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write((f"GET /ws/v1 HTTP/1.1\r\nHost: evil.example:{port}\r\nOrigin: http://evil.example:{port}\r\n"
                  "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    await writer.drain()
    status_line = (await asyncio.wait_for(reader.readline(), 30)).decode()
    writer.close()
    assert " 403 " in status_line, status_line
    async with websockets.connect(f"ws://localhost:{port}/ws/v1", origin=f"http://localhost:{port}") as socket:
        await socket.send(json.dumps({"action": "ping", "id": "p"}))
        assert json.loads(await socket.recv())["type"] in ("pong", "error")
