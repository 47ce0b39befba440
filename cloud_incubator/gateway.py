"""The ``/ws/v1`` endpoint: origin check, auth by first frame, dispatch by action, fan-out queues.

Each connection has a reader (parses, rate-limits, dispatches one frame at a time), a writer
(drains the connection's bounded queue to the socket) and a heartbeat task. Broadcasts only
``put_nowait`` into queues; a client whose queue is full is dropped (close 4409).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
import types
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, WebSocket
from pydantic import ValidationError
from pymongo.errors import ConnectionFailure
from starlette.websockets import WebSocketDisconnect, WebSocketState

from backend.errors import AppError, Unauthenticated
from backend.security import decode_token
from backend.state import AppState
from backend.users.models import User
from cloud_incubator import protocol as p
from cloud_incubator.broadcast import Broadcaster, broadcaster, start_broadcaster, stop_broadcaster
from cloud_incubator.config import GatewayConfig, gateway_config
from cloud_incubator.registry import ACTIONS, ActionContext, load_action_modules

log = logging.getLogger(__name__)
router = APIRouter()
_ids = itertools.count(1)

# Called with the connection when it closes (rooms use it for presence); registered by feature modules.
# Published on ``user:<id>`` when an admin disables the account: its sockets close in every process.
ACCOUNT_DISABLED = "account.disabled"
DISCONNECT_HOOKS: list[Callable[[Connection], Awaitable[None]]] = []


class Connection:
    """One authenticated (or authenticating) socket."""

    def __init__(self, websocket: WebSocket, state: AppState, config: GatewayConfig) -> None:
        self.id = next(_ids)
        self.websocket = websocket
        self.state = state
        self.config = config
        self.user: User | None = None
        self.authenticated = asyncio.Event()  # set by a valid auth frame: heartbeats start then
        self.token: str | None = None  # re-checked while the socket is open (expiry, disabled account)
        self.expires_at: float | None = None
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=config.send_queue)
        self.topics: set[str] = set()
        self.closed = False
        self.close_code: int | None = None
        self.close_reason = ""
        self.done = asyncio.Event()
        self.last_seen = time.monotonic()
        # Per-topic sequence floors (events at or below are skipped) and held topics (buffered while
        # a join or resume is assembling its snapshot).
        self.floors: dict[str, int] = {}
        self.held: dict[str, list[tuple[str, int | None]]] = {}
        self.extras: dict[str, Any] = {}
        self._tokens = float(config.frame_burst)
        self._refilled = time.monotonic()
        self._strikes: deque[float] = deque()
        # The raw ASGI send (Starlette's wrapper only adds state checks that /ws/v1 does itself).
        self._raw_send = getattr(websocket, "_send", None) or websocket.send
        self._transport = _sansio_transport(self._raw_send)
        self._writing = False
        self.writer: asyncio.Task[None] | None = None

    @property
    def broadcaster(self) -> Broadcaster:
        return broadcaster(self.state)

    # -- outgoing -------------------------------------------------------------------------------
    def push(self, frame: str, topic: str | None = None, seq: int | None = None,
             wire: bytes | None = None) -> None:
        if self.closed:
            return
        if topic is not None:
            held = self.held.get(topic)
            if held is not None:
                held.append((frame, seq))
                return
            if seq is not None:
                floor = self.floors.get(topic)
                if floor is not None:
                    if seq <= floor:
                        return
                    self.floors[topic] = seq
        fast = self._transport
        if fast is not None and not self._writing:
            protocol, transport = fast
            if protocol.writable.is_set() and not transport.is_closing():
                # uvicorn's sans-I/O websockets protocol: write the prebuilt frame bytes straight to the
                # transport (whole frames, one thread: nothing interleaves inside a frame).
                transport.write(wire if wire is not None else p.wire_text(frame))
                if transport.get_write_buffer_size() > self.config.max_buffer_bytes:
                    log.info("dropping slow client %s (user %s)", self.id, self.user.id if self.user else "-")
                    self.kill(p.CLOSE_SLOW, "slow.consumer")
                return
        if self._writing:
            try:
                self.queue.put_nowait(frame)
            except asyncio.QueueFull:
                log.info("dropping slow client %s (user %s)", self.id, self.user.id if self.user else "-")
                self.kill(p.CLOSE_SLOW, "slow.consumer")
            return
        # Nothing queued: run the ASGI send eagerly. It finishes without suspending unless the transport
        # is paused (the client reads slowly); only then does a writer task take over, and later frames
        # wait in the bounded queue behind it. The broadcaster never awaits a member's send.
        send = self._raw_send({"type": "websocket.send", "text": frame})
        try:
            pending = send.send(None)
        except StopIteration:
            return
        except Exception:
            self.kill(p.CLOSE_SHUTDOWN, "send.failed")
            return
        self._writing = True
        self.writer = asyncio.get_running_loop().create_task(self._write(send, pending))

    def send(self, frame: str) -> None:
        self.push(frame)

    async def _write(self, suspended: Any, pending: Any) -> None:
        """Finish a send that suspended, then drain the queue; back to eager sends when it is empty."""
        try:
            await _resume(suspended, pending)
            while not self.queue.empty():
                frame = self.queue.get_nowait()
                await self._raw_send({"type": "websocket.send", "text": frame})
                self.queue.task_done()
        except asyncio.CancelledError:
            raise
        except Exception:
            self.closed = True
            self.done.set()
        finally:
            self._writing = False

    async def flush(self) -> None:
        """Wait until everything queued has been handed to the transport."""
        while self._writing and self.writer is not None and not self.writer.done():
            await asyncio.wait({self.writer})

    def hold(self, topic: str) -> None:
        """Buffer this topic's events until ``release`` (the snapshot/resume frames go first)."""
        self.held[topic] = []

    def release(self, topic: str, floor: int) -> None:
        buffered = self.held.pop(topic, [])
        self.floors[topic] = floor
        for frame, seq in buffered:
            self.push(frame, topic, seq)

    def kill(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        self.close_code, self.close_reason = code, reason
        self._leave_all()
        self.done.set()

    # -- subscriptions ---------------------------------------------------------------------------
    async def subscribe(self, topic: str) -> None:
        if self.closed:
            return
        self.topics.add(topic)
        self.broadcaster.hub.subscribe(topic, self)

    async def unsubscribe(self, topic: str) -> None:
        self.topics.discard(topic)
        self.floors.pop(topic, None)
        self.held.pop(topic, None)
        self.broadcaster.hub.unsubscribe(topic, self)

    def _leave_all(self) -> None:
        hub = self.state.extras.get("broadcaster")
        for topic in list(self.topics):
            if hub is not None:
                hub.hub.unsubscribe(topic, self)
        self.topics.clear()

    # -- rate limiting ---------------------------------------------------------------------------
    def take_token(self) -> bool:
        now = time.monotonic()
        self._tokens = min(float(self.config.frame_burst),
                           self._tokens + (now - self._refilled) * self.config.frames_per_second)
        self._refilled = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        self._strikes.append(now)
        while self._strikes and self._strikes[0] < now - self.config.flood_window:
            self._strikes.popleft()
        return False

    @property
    def flooding(self) -> bool:
        return len(self._strikes) >= self.config.flood_strikes


def origin_allowed(websocket: WebSocket, allowed: list[str]) -> bool:
    """Browsers always send Origin: it must be the app's own (same scheme and host:port as the request,
    whatever port it serves on) or one of the configured ones. Non-browser clients send none."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    origin = origin.rstrip("/")
    host = websocket.headers.get("host")
    if host and origin == f"{'https' if websocket.url.scheme == 'wss' else 'http'}://{host}":
        return True
    return origin in {o.rstrip("/") for o in allowed} or "*" in allowed


@router.websocket("/ws/v1")
async def ws_endpoint(websocket: WebSocket) -> None:
    state: AppState = websocket.app.state.incubench
    config = gateway_config(state)
    await websocket.accept()
    if not origin_allowed(websocket, state.settings.cors_origins):
        await _close(websocket, p.CLOSE_ORIGIN, "origin.forbidden")
        return
    connection = Connection(websocket, state, config)
    reader = asyncio.create_task(_reader(connection))
    beat = asyncio.create_task(_heartbeat(connection))
    try:
        await connection.done.wait()
    finally:
        connection.closed = True
        connection._leave_all()
        for task in (reader, beat):
            task.cancel()
        writer = connection.writer
        if connection.close_code not in (None, p.CLOSE_SLOW):
            # Let the last frames (the error explaining the close) go out first.
            with contextlib.suppress(asyncio.TimeoutError, Exception):
                await asyncio.wait_for(connection.flush(), 2)
        if writer is not None:
            writer.cancel()
        for task in (reader, beat, *([writer] if writer is not None else [])):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if connection.user is not None:
            for hook in DISCONNECT_HOOKS:
                try:
                    await hook(connection)
                except Exception:
                    log.exception("disconnect hook failed")
        if connection.close_code is not None:
            await _close(websocket, connection.close_code, connection.close_reason)


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.application_state == WebSocketState.DISCONNECTED:
        return
    with contextlib.suppress(Exception):
        await asyncio.wait_for(websocket.close(code, reason), 2)


def _sansio_transport(send: Any) -> tuple[Any, Any] | None:
    """(protocol, transport) of uvicorn's websockets-sansio protocol behind an ASGI ``send`` (through
    Starlette's wrappers), or None (other servers): then every frame goes through the ASGI send.

    This reads uvicorn internals (the protocol's ``transport`` and ``writable``): pyproject.toml pins
    uvicorn to the versions it was checked with (0.50.2 to 0.55), and tests/cloud/test_gateway.py fails if
    the live server stops taking this path. Anything unexpected falls back to the ASGI send."""
    for _ in range(8):
        owner = getattr(send, "__self__", None)
        if owner is not None:
            if type(owner).__name__ == "WebSocketsSansIOProtocol" and hasattr(owner, "transport") \
                    and hasattr(owner, "writable"):
                return owner, owner.transport
            return None
        code = getattr(send, "__code__", None)
        cells = getattr(send, "__closure__", None)
        if code is None or not cells or "send" not in code.co_freevars:
            return None
        send = cells[code.co_freevars.index("send")].cell_contents
    return None


@types.coroutine
def _resume(coroutine: Any, pending: Any) -> Any:
    """Continue a coroutine that was started by hand and suspended on ``pending`` (like ``yield from``)."""
    value = pending
    while True:
        try:
            sent = yield value
        except BaseException as error:
            try:
                value = coroutine.throw(error)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                value = coroutine.send(sent)
            except StopIteration as stop:
                return stop.value


def end_session(connection: Connection, reason: str) -> None:
    """The session behind an open socket ended (token expired, account disabled): error frame, close 4401."""
    expired = reason == "TOKEN_EXPIRED"
    connection.send(p.error_frame(None, p.AUTH_INVALID, "The session has expired: sign in again." if expired
                                  else "This account no longer exists or is disabled.", reason=reason))
    connection.kill(p.CLOSE_AUTH, "auth.expired" if expired else "auth.revoked")


def _closer_of_disabled(hub: Any) -> Callable[[str, dict[str, Any]], None]:
    def on_account_disabled(topic: str, data: dict[str, Any]) -> None:
        """``account.disabled`` on ``user:<id>`` (from any process): close that user's sockets here."""
        for member in hub.members(topic):
            if isinstance(member, Connection) and member.user is not None and topic == f"user:{member.user.id}":
                end_session(member, "ACCOUNT_DISABLED")
    return on_account_disabled


def _forgetter_of_disabled(state: AppState) -> Callable[[str, dict[str, Any]], None]:
    def on_account_disabled(topic: str, data: dict[str, Any]) -> None:
        """Disabled in any process: this process's cached account goes too (the next request reads it)."""
        state.user_service.sessions.forget(str(data.get("user_id")))
    return on_account_disabled


async def _session_still_valid(connection: Connection) -> bool:
    try:
        await connection.state.user_service.user_from_token(connection.token or "")
    except Unauthenticated as error:
        end_session(connection, str(error.details.get("reason") or "ACCOUNT_DISABLED"))
        return False
    except Exception:  # a database hiccup must not sign everyone out: try again at the next check
        log.warning("session check failed for socket %s", connection.id, exc_info=True)
    return True


async def _heartbeat(connection: Connection) -> None:
    config = connection.config
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(connection.authenticated.wait(), config.auth_timeout)
        if connection.user is None:
            connection.send(p.error_frame(None, p.AUTH_REQUIRED, "No valid auth frame in time: closing."))
            connection.kill(p.CLOSE_AUTH, "auth.timeout")
            return
        now = time.monotonic()
        next_ping = now + min(config.heartbeat_interval, config.heartbeat_timeout)
        next_check = now + config.session_check_interval
        while not connection.closed:
            wake = min(next_ping, next_check)
            if connection.expires_at is not None:
                wake = min(wake, now + max(connection.expires_at - time.time(), 0.0) + 0.01)
            await asyncio.sleep(max(wake - time.monotonic(), 0.0))
            now = time.monotonic()
            if connection.expires_at is not None and time.time() >= connection.expires_at:
                end_session(connection, "TOKEN_EXPIRED")
                return
            if now >= next_check:
                next_check = now + config.session_check_interval
                if not await _session_still_valid(connection):
                    return
            if now >= next_ping:
                next_ping = now + min(config.heartbeat_interval, config.heartbeat_timeout)
                if now - connection.last_seen > config.heartbeat_timeout:
                    connection.kill(p.CLOSE_HEARTBEAT, "heartbeat.timeout")
                    return
                connection.send(p.dumps({"type": "ping", "t": time.time()}))
    except asyncio.CancelledError:
        raise


async def _reader(connection: Connection) -> None:
    websocket = connection.websocket
    limit = connection.config.max_frame_bytes
    try:
        while not connection.closed:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            connection.last_seen = time.monotonic()
            raw = message.get("text")
            if raw is None:  # binary: not part of the protocol
                connection.send(p.error_frame(None, p.FRAME_BINARY))
                connection.kill(p.CLOSE_UNSUPPORTED, "frame.binary")
                break
            if not connection.take_token():
                connection.send(p.error_frame(None, p.RATE_LIMITED))
                if connection.flooding:
                    connection.kill(p.CLOSE_FLOOD, "rate.flood")
                    break
                continue
            frame, error, frame_id = p.parse_client_frame(raw, limit)
            if error is not None:
                details = {"limit": limit} if error == p.FRAME_TOO_LARGE else {}
                connection.send(p.error_frame(frame_id, error, **details))
                continue
            assert frame is not None
            try:
                await _dispatch(connection, frame, frame_id)
            except (asyncio.CancelledError, WebSocketDisconnect):
                raise
            except ConnectionFailure:
                connection.send(p.error_frame(frame_id, p.DATABASE_UNAVAILABLE))
            except Exception:
                log.exception("frame handling failed")
                connection.send(p.error_frame(frame_id, p.INTERNAL))
    except WebSocketDisconnect:
        pass
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("socket reader failed")
    finally:
        connection.closed = True
        connection.done.set()


async def _dispatch(connection: Connection, frame: dict[str, Any], frame_id: str | None) -> None:
    name = frame["action"]
    if name == "pong":
        return
    if name == "ping":
        connection.send(p.dumps({"type": "pong", "id": frame_id, "t": time.time()}))
        return
    if name == "auth":
        await _authenticate(connection, frame, frame_id)
        return
    if connection.user is None:
        connection.send(p.error_frame(frame_id, p.AUTH_REQUIRED))
        return
    spec = ACTIONS.get(name)
    if spec is None:
        connection.send(p.error_frame(frame_id, p.ACTION_UNKNOWN, f"No action named {name!r}.", action=name))
        return
    try:
        payload = spec.payload.model_validate(frame["payload"])
    except ValidationError as error:
        issues = [{"field": ".".join(str(x) for x in e["loc"]) or "payload", "message": e["msg"],
                   "type": e["type"]} for e in error.errors(include_url=False, include_input=False)]
        connection.send(p.error_frame(frame_id, p.PAYLOAD_INVALID, issues=issues))
        return
    ctx = ActionContext(state=connection.state, user=connection.user, connection=connection, frame_id=frame_id)
    try:
        data = await spec.handler(ctx, payload)
    except p.ProtocolError as error:
        connection.send(p.error_frame(frame_id, error.code, error.message, **error.details))
        return
    except AppError as error:
        code = {"FORBIDDEN": p.FORBIDDEN, "NOT_FOUND": p.NOT_FOUND, "UNAUTHENTICATED": p.AUTH_INVALID,
                "RATE_LIMITED": p.RATE_LIMITED}.get(error.code, error.code.lower())
        connection.send(p.error_frame(frame_id, code, error.message_en, message_zh=error.message_zh))
        return
    except ConnectionFailure:
        connection.send(p.error_frame(frame_id, p.DATABASE_UNAVAILABLE))
        return
    except Exception:
        log.exception("action %s failed", name)
        connection.send(p.error_frame(frame_id, p.INTERNAL))
        return
    if not ctx.answered:
        connection.send(p.ok_frame(frame_id, data))


async def _authenticate(connection: Connection, frame: dict[str, Any], frame_id: str | None) -> None:
    if connection.user is not None:
        connection.send(p.error_frame(frame_id, p.AUTH_ALREADY))
        return
    token = frame.get("token") or frame["payload"].get("token")
    if not isinstance(token, str) or not token:
        connection.send(p.error_frame(frame_id, p.PAYLOAD_INVALID, "The auth frame needs a 'token' string.",
                                      issues=[{"field": "token", "message": "required"}]))
        return
    try:
        user = await connection.state.user_service.user_from_token(token)
    except Unauthenticated as error:
        connection.send(p.error_frame(frame_id, p.AUTH_INVALID, error.message_en, message_zh=error.message_zh,
                                      reason=error.details.get("reason")))
        connection.kill(p.CLOSE_AUTH, "auth.invalid")
        return
    connection.user = user
    connection.authenticated.set()
    connection.token = token
    connection.expires_at = decode_token(token, connection.state.settings.resolved_jwt_secret()).expires_at.timestamp()
    await connection.subscribe(f"user:{user.id}")
    connection.send(p.ok_frame(frame_id, {
        "user": {"id": user.id, "username": user.username, "display_name": user.display_name,
                 "role": user.role.value, "organisation": user.organisation},
        "heartbeat_interval": connection.config.heartbeat_interval}))


async def _on_startup(state: AppState) -> None:
    load_action_modules()
    gateway_config(state)
    await start_broadcaster(state)
    hub = broadcaster(state).hub
    hub.listen(ACCOUNT_DISABLED, _closer_of_disabled(hub))
    hub.listen(ACCOUNT_DISABLED, _forgetter_of_disabled(state))


def install(app: Any) -> None:
    """Register /ws/v1 and the broadcaster's start-up/shutdown hooks (called from backend.routes)."""
    from backend.app import SHUTDOWN_HOOKS, STARTUP_HOOKS

    app.include_router(router)
    if _on_startup not in STARTUP_HOOKS:
        STARTUP_HOOKS.append(_on_startup)
    if stop_broadcaster not in SHUTDOWN_HOOKS:
        SHUTDOWN_HOOKS.append(stop_broadcaster)
