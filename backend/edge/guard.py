"""``EdgeGuard``: the ASGI middleware every request passes before any route parses it.

In order: the Host allow-list (HTTP and websockets); a coded 503 while the supervised database is down;
request rate limits per user (valid token) or per address (no token), counted in MongoDB so every app
process shares them; the body limit of the route, from ``Content-Length`` and again while the body streams
in (the route never sees more); on upload routes a valid token before a byte of the body is read; on
``POST /graphql`` the JSON envelope checked (an object with the right member types, a bounded number of
variable values) before Strawberry reads it; and plain-text refusals of the GraphQL view turned into the
coded JSON shape (``backend/edge/responses.py``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import orjson

from backend.edge.responses import send_error
from backend.errors import (
    AppError,
    BadRequest,
    DatabaseUnavailable,
    PayloadTooLarge,
    RateLimited,
    Unauthenticated,
)
from backend.security import bearer_token, decode_token

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

KIB = 1024
MIB = 1024 * KIB
MULTIPART_OVERHEAD = 64 * KIB  # form boundaries and headers around the file(s)
GRAPHQL_SIGNED_IN_BYTES = 1 * MIB  # a quarterly form with every field is ~10 KiB
GRAPHQL_ANONYMOUS_BYTES = 16 * KIB  # signing in, nothing more
DEFAULT_BODY_BYTES = 64 * KIB
MAX_VARIABLE_VALUES = 20_000  # JSON values (scalars, list items, members) in a request's variables


@dataclass(frozen=True)
class UploadRoute:
    pattern: re.Pattern[str]
    max_bytes: int


def upload_routes() -> tuple[UploadRoute, ...]:
    """POST routes that take a file: the token is checked before the body is read."""
    from backend.roadshows.slides import MAX_TOTAL_BYTES as SLIDES_BYTES
    from backend.submissions.tabular import MAX_IMPORT_BYTES
    from cloud_incubator.bookings.http import MAX_ATTACHMENT_BYTES

    return (
        UploadRoute(re.compile(r"^/api/submissions/import$"), MAX_IMPORT_BYTES + MULTIPART_OVERHEAD),
        UploadRoute(re.compile(r"^/api/bookings/[^/]+/attachments$"), MAX_ATTACHMENT_BYTES + MULTIPART_OVERHEAD),
        UploadRoute(re.compile(r"^/api/roadshows/[^/]+/pitches/[^/]+/slides$"), SLIDES_BYTES + MULTIPART_OVERHEAD),
    )


class _BodyTooLarge(Exception):
    pass


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def host_allowed(host_header: str | None, allowed: list[str]) -> bool:
    """``Host`` (without port) is one of ``allowed`` (``*`` allows any; ``.example.org`` its subdomains)."""
    if "*" in allowed:
        return True
    if not host_header:
        return False
    host = host_header.strip().lower()
    host = host[1:host.index("]")] if host.startswith("[") and "]" in host else host.rsplit(":", 1)[0]
    for entry in allowed:
        entry = entry.lower().strip("[]")
        if host == entry or (entry.startswith(".") and host.endswith(entry)):
            return True
    return False


def count_json_values(value: Any, limit: int) -> int:
    """How many JSON values ``value`` holds (stops counting past ``limit``)."""
    count = 0
    stack = [value]
    while stack and count <= limit:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def check_graphql_envelope(body: bytes) -> None:
    """The body of ``POST /graphql``: a JSON object with a string ``query``, an object (or null)
    ``variables`` and ``extensions``, a string (or null) ``operationName``; raises ``BadRequest``."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise BadRequest("The request body is not valid JSON.", "请求体不是有效的 JSON。", reason="NOT_JSON") from error
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object with a 'query'.",
                         "请求体须为包含 “query” 的 JSON 对象。", reason="NOT_AN_OBJECT")
    checks = (("query", str, True), ("operationName", str, False), ("variables", dict, False),
              ("extensions", dict, False))
    for name, kind, required in checks:
        value = data.get(name)
        if value is None and not required:
            continue
        if not isinstance(value, kind):
            kind_en = "a string" if kind is str else "an object"
            kind_zh = "字符串" if kind is str else "对象"
            raise BadRequest(f"'{name}' must be {kind_en}.", f"“{name}” 须为{kind_zh}。", field=name,
                             reason="BAD_ENVELOPE")
    if count_json_values(data.get("variables"), MAX_VARIABLE_VALUES) > MAX_VARIABLE_VALUES:
        raise PayloadTooLarge(f"The variables hold more than {MAX_VARIABLE_VALUES} values.",
                              f"变量中的值超过 {MAX_VARIABLE_VALUES} 个。", field="variables", limit=MAX_VARIABLE_VALUES)


class EdgeGuard:
    def __init__(self, app: ASGIApp, allowed_hosts: list[str], jwt_secret: Callable[[], str]) -> None:
        self.app = app
        self.allowed_hosts = allowed_hosts
        self.jwt_secret = jwt_secret
        self.uploads = upload_routes()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if not host_allowed(_header(scope, b"host"), self.allowed_hosts):
            if kind == "websocket":
                await send({"type": "websocket.close", "code": 4403, "reason": "host.forbidden"})
                return
            await send_error(send, BadRequest("This host name is not served here.", "此主机名不在服务范围内。",
                                              reason="HOST_NOT_ALLOWED"), scope["path"])
            return
        if kind == "websocket":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._http(scope, receive, tracked, path)
        except AppError as error:
            if started:  # raised after the route began answering: nothing coherent can be sent now
                raise
            await send_error(send, error, path, _retry_after(error))

    async def _http(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        is_api = path == "/graphql" or path.startswith("/graphql/") or path.startswith("/api/")
        if not is_api:
            await self.app(scope, receive, send)
            return
        edge = getattr(scope["app"].state, "edge", None)
        if edge is not None and edge.database_down:
            raise DatabaseUnavailable()
        user_id = self._token_subject(scope)
        if edge is not None:
            await edge.limits.check_request(user_id, edge.client_address(scope))
        method = scope["method"]
        upload = next((u for u in self.uploads if u.pattern.match(path)), None) if method == "POST" else None
        if upload is not None and user_id is None:
            raise Unauthenticated(reason="TOKEN_REQUIRED")
        if upload is not None:
            limit = upload.max_bytes
        elif path.rstrip("/") == "/graphql":
            limit = GRAPHQL_SIGNED_IN_BYTES if user_id is not None else GRAPHQL_ANONYMOUS_BYTES
        else:
            limit = DEFAULT_BODY_BYTES
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            raise _too_large(limit)
        if method == "POST" and path.rstrip("/") == "/graphql":
            body = await _read_body(receive, limit)
            content_type = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
            if content_type != "application/json":
                raise BadRequest("Send GraphQL requests as application/json.", "GraphQL 请求须为 application/json。",
                                 reason="UNSUPPORTED_MEDIA_TYPE")
            check_graphql_envelope(body)
            await self.app(scope, _replay(body), _coded_refusals(send, path))
            return
        await self._streamed(scope, receive, send, path, limit)

    async def _streamed(self, scope: Scope, receive: Receive, send: Send, path: str, limit: int) -> None:
        """Count the body as it streams in; past the limit the route's reads fail and its answer is replaced."""
        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise _BodyTooLarge()
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _BodyTooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # the route's own answer to a failed read (400/500) is replaced by the 413 below
            started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except _BodyTooLarge:
            pass
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            raise _too_large(limit)

    def _token_subject(self, scope: Scope) -> str | None:
        """The user id of a valid bearer token (signature and expiry only; the route checks the account)."""
        try:
            token = bearer_token(_header(scope, b"authorization"))
            return decode_token(token, self.jwt_secret()).user_id if token else None
        except Unauthenticated:
            return None


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The request body is larger than {limit} bytes.", f"请求体超过 {limit} 字节。",
                           limit=limit)


def _retry_after(error: AppError) -> list[tuple[bytes, bytes]]:
    seconds = error.details.get("retryAfter") if isinstance(error, RateLimited) else None
    return [(b"retry-after", str(int(seconds)).encode())] if seconds else []


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise BadRequest("The client went away.", "客户端已断开。", reason="DISCONNECTED")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


def _coded_refusals(send: Send, path: str) -> Send:
    """The GraphQL view refuses some requests in plain text: answer those in the coded JSON shape."""
    held: Message | None = None

    async def wrapped(message: Message) -> None:
        nonlocal held
        if message["type"] == "http.response.start":
            headers = dict((bytes(k).lower(), bytes(v)) for k, v in message.get("headers", ()))
            if message["status"] >= 400 and headers.get(b"content-type", b"").startswith(b"text/plain"):
                held = message
                return
            await send(message)
            return
        if held is not None and message["type"] == "http.response.body":
            text = bytes(message.get("body", b"")).decode("utf-8", "replace")[:300]
            status = int(held["status"])
            error = BadRequest(text or "Bad request.", "请求无法处理：" + (text or "格式错误。"), reason="REFUSED")
            held = None
            await send_error(_with_status(send, status), error, path)
            return
        await send(message)

    return wrapped


def _with_status(send: Send, status: int) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "status": status}
        await send(message)
    return wrapped
