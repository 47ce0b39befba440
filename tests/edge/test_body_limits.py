"""Findings 1 and 3: body limits per route, enforced from Content-Length and while the body streams in,
before anything is parsed or spooled; uploads need a valid token before a byte of the body is read."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import httpx
import orjson

from backend.edge.guard import GRAPHQL_ANONYMOUS_BYTES, GRAPHQL_SIGNED_IN_BYTES, MAX_VARIABLE_VALUES
from backend.users.models import Role


def _coded(response: httpx.Response, code: str) -> dict:
    body = response.json()
    extensions = body["errors"][0]["extensions"] if "errors" in body else body["error"]
    assert extensions["code"] == code, body
    assert extensions["message_zh"] and extensions["message_en"]
    return extensions


def _big_login(size: int) -> bytes:
    """A sign-in request whose variables hold a list of ``size`` bytes (the variables are the attack)."""
    padding = list(range(size // 6))
    return orjson.dumps({"query": "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }",
                         "variables": {"u": "nobody", "p": "x", "junk": padding}})


async def test_a_6_mb_anonymous_graphql_request_is_refused_at_once_and_others_stay_fast(live_server, probe):
    body = _big_login(6 * 1024 * 1024)
    assert len(body) > 6 * 1024 * 1024 > GRAPHQL_ANONYMOUS_BYTES

    async def attack() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=live_server.http_url, timeout=60) as http:
            return await asyncio.gather(*[http.post("/graphql", content=body,
                                                    headers={"content-type": "application/json"})
                                          for _ in range(4)])

    for response in await probe.run_during(attack):
        assert response.status_code == 413
        assert _coded(response, "PAYLOAD_TOO_LARGE")["limit"] == GRAPHQL_ANONYMOUS_BYTES
    probe.assert_fast()


async def test_a_chunked_body_without_length_is_cut_off_at_the_limit(live_server, make_live_user):
    """No Content-Length: the limit is enforced while the chunks arrive; the 413 comes back after the first
    2 MiB although the client has not finished (it never will)."""
    _, token = make_live_user("mia", Role.evaluator)
    reader, writer = await asyncio.open_connection("127.0.0.1", live_server.port)
    writer.write((f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{live_server.port}\r\n"
                  f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n").encode())
    chunk = b" " * (2 * 1024 * 1024)
    writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
    await writer.drain()
    head = await asyncio.wait_for(reader.read(65536), 30)
    writer.close()
    assert b" 413 " in head.partition(b"\r\n")[0], head
    body = orjson.loads(head.split(b"\r\n\r\n", 1)[1])
    assert body["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert body["errors"][0]["extensions"]["limit"] == GRAPHQL_SIGNED_IN_BYTES


async def test_variables_with_too_many_values_are_refused_before_graphql_sees_them(live_server, make_live_user, probe):
    _, token = make_live_user("max", Role.evaluator)
    body = orjson.dumps({"query": "{ me { id } }", "variables": {"ids": [1] * (MAX_VARIABLE_VALUES + 1)}})
    assert len(body) < GRAPHQL_SIGNED_IN_BYTES

    async def attack() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=live_server.http_url, timeout=60) as http:
            return await asyncio.gather(*[http.post("/graphql", content=body, headers={
                "content-type": "application/json", "Authorization": f"Bearer {token}"}) for _ in range(8)])

    for response in await probe.run_during(attack):
        assert response.status_code == 413
        assert _coded(response, "PAYLOAD_TOO_LARGE")["field"] == "variables"
    probe.assert_fast()


def _spooled_bytes() -> int:
    return sum(p.stat().st_size for p in Path(tempfile.gettempdir()).iterdir() if p.is_file()
               and p.name.startswith("tmp"))


async def test_an_upload_without_a_token_is_refused_before_its_body_is_read(live_server, probe):
    """Headers announcing 1 GB, then the first MiB: the 401 comes back at once; nothing was spooled."""
    before = _spooled_bytes()

    async def attack() -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", live_server.port)
        boundary = "xyz"
        writer.write((f"POST /api/submissions/import HTTP/1.1\r\nHost: 127.0.0.1:{live_server.port}\r\n"
                      f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                      f"Content-Length: {1024 ** 3}\r\n\r\n--{boundary}\r\n"
                      'Content-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n').encode())
        writer.write(b"x" * (1024 * 1024))
        await writer.drain()
        started = time.monotonic()
        head = await asyncio.wait_for(reader.read(4096), 30)
        assert time.monotonic() - started < 30
        writer.close()
        return head

    head = await probe.run_during(attack)
    status_line, _, rest = head.partition(b"\r\n")
    assert b" 401 " in status_line, head
    body = rest.split(b"\r\n\r\n", 1)[1]
    assert orjson.loads(body)["error"]["code"] == "UNAUTHENTICATED"
    assert _spooled_bytes() - before < 1024 * 1024
    probe.assert_fast()


async def test_an_upload_over_its_route_limit_is_refused_from_its_declared_length(live_server, make_live_user):
    _, token = make_live_user("ada", Role.admin)
    async with httpx.AsyncClient(base_url=live_server.http_url, timeout=60) as http:
        response = await http.post("/api/submissions/import", headers={"Authorization": f"Bearer {token}"},
                                   files={"file": ("big.csv", b"x" * (6 * 1024 * 1024), "text/csv")})
    assert response.status_code == 413
    _coded(response, "PAYLOAD_TOO_LARGE")


async def test_a_json_body_to_another_route_is_bounded_too(live_server):
    async with httpx.AsyncClient(base_url=live_server.http_url, timeout=60) as http:
        response = await http.post("/api/export/ranking.csv", content=b"x" * (1024 * 1024))
    assert response.status_code == 413
    _coded(response, "PAYLOAD_TOO_LARGE")
