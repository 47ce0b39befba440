"""The /ws/v1 envelope: client frames, server frames, error codes and close codes (docs/protocol.md)."""

from __future__ import annotations

import struct
from datetime import UTC, datetime
from typing import Any

import orjson

# Error codes of the socket layer itself; feature actions add their own dotted codes (room.full, ...).
FRAME_NOT_JSON = "frame.not_json"
FRAME_TOO_LARGE = "frame.too_large"
FRAME_INVALID = "frame.invalid"          # not an object, missing/ill-typed "action" or "id"
ACTION_UNKNOWN = "action.unknown"
PAYLOAD_INVALID = "payload.invalid"      # the action's payload failed validation (details.issues)
AUTH_REQUIRED = "auth.required"          # an action before a successful "auth"
AUTH_INVALID = "auth.invalid"            # bad or expired token (the socket is then closed 4401)
AUTH_ALREADY = "auth.already"
RATE_LIMITED = "rate.limited"            # too many frames; persisting floods are disconnected (4429)
FORBIDDEN = "forbidden"
NOT_FOUND = "not_found"
INTERNAL = "internal"
DATABASE_UNAVAILABLE = "server.database_unavailable"  # the database does not answer: retry shortly
FRAME_BINARY = "frame.binary"            # binary frames are not part of the protocol (closes 1003)

ERROR_CODES: dict[str, str] = {
    FRAME_NOT_JSON: "The frame is not valid JSON text.",
    FRAME_TOO_LARGE: "The frame exceeds the size limit.",
    FRAME_INVALID: "The frame is not an object with a string 'action' (and a string 'id').",
    ACTION_UNKNOWN: "No such action.",
    PAYLOAD_INVALID: "The payload does not match the action's schema.",
    AUTH_REQUIRED: "Send the 'auth' frame first.",
    AUTH_INVALID: "The token is invalid or expired.",
    AUTH_ALREADY: "This socket is already authenticated.",
    RATE_LIMITED: "Too many frames: slow down.",
    FORBIDDEN: "You are not allowed to do this.",
    NOT_FOUND: "Not found.",
    INTERNAL: "Unexpected server error.",
    DATABASE_UNAVAILABLE: "The database is unavailable: try again in a moment.",
    FRAME_BINARY: "Binary frames are not accepted: send JSON text frames.",
}
ERROR_CODES_ZH: dict[str, str] = {
    FRAME_NOT_JSON: "消息帧不是有效的 JSON 文本。",
    FRAME_TOO_LARGE: "消息帧超过大小上限。",
    FRAME_INVALID: "消息帧须为包含字符串 “action”（及字符串 “id”）的对象。",
    ACTION_UNKNOWN: "没有这个操作。",
    PAYLOAD_INVALID: "payload 不符合该操作的格式。",
    AUTH_REQUIRED: "请先发送 “auth” 帧。",
    AUTH_INVALID: "令牌无效或已过期。",
    AUTH_ALREADY: "此连接已认证。",
    RATE_LIMITED: "消息过于频繁，请放慢速度。",
    FORBIDDEN: "您没有执行此操作的权限。",
    NOT_FOUND: "未找到。",
    INTERNAL: "服务器内部错误。",
    DATABASE_UNAVAILABLE: "数据库暂时不可用，请稍后重试。",
    FRAME_BINARY: "不接受二进制帧，请发送 JSON 文本帧。",
}

# Close codes (the 4000-4999 range is the application's).
CLOSE_AUTH = 4401            # no valid auth frame in time, an invalid token; later: expired or account disabled
CLOSE_ORIGIN = 4403          # Origin not allowed
CLOSE_HEARTBEAT = 4408       # no frame from the client within the heartbeat timeout
CLOSE_SLOW = 4409            # the send queue filled up: the client is not reading fast enough
CLOSE_FLOOD = 4429           # kept flooding after rate.limited errors
CLOSE_SHUTDOWN = 1001
CLOSE_UNSUPPORTED = 1003     # a binary frame: the protocol is JSON text only

CLOSE_CODES: dict[int, str] = {
    CLOSE_AUTH: "auth.timeout / auth.invalid / auth.expired / auth.revoked",
    CLOSE_ORIGIN: "origin.forbidden",
    CLOSE_HEARTBEAT: "heartbeat.timeout",
    CLOSE_SLOW: "slow.consumer",
    CLOSE_FLOOD: "rate.flood",
    CLOSE_SHUTDOWN: "server going away",
    CLOSE_UNSUPPORTED: "frame.binary",
}


class ProtocolError(Exception):
    """Raised by an action handler: becomes an error frame with ``code`` (the socket stays open)."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


def _default(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"not serialisable: {type(value).__name__}")


def dumps(frame: dict[str, Any]) -> str:
    """Serialise a frame once (orjson); the same string is sent to every recipient."""
    return orjson.dumps(frame, default=_default, option=orjson.OPT_UTC_Z).decode()


def wire_text(frame: str) -> bytes:
    """The complete WebSocket text frame (RFC 6455, unfragmented, unmasked as servers send) for ``frame``:
    built once per event and written as is to every member's transport."""
    payload = frame.encode()
    size = len(payload)
    if size < 126:
        header = bytes((0x81, size))
    elif size < 65536:
        header = struct.pack("!BBH", 0x81, 126, size)
    else:
        header = struct.pack("!BBQ", 0x81, 127, size)
    return header + payload


def ok_frame(frame_id: str | None, data: dict[str, Any] | None) -> str:
    return dumps({"type": "ok", "id": frame_id, "data": data if data is not None else {}})


def error_frame(frame_id: str | None, code: str, message: str | None = None, *, message_zh: str | None = None,
                **details: Any) -> str:
    """``message`` (English, also as ``message_en``) and ``message_zh``: the code's Chinese text unless given."""
    english = message or ERROR_CODES.get(code, code)
    body: dict[str, Any] = {"type": "error", "id": frame_id, "code": code, "message": english,
                            "message_en": english, "message_zh": message_zh or ERROR_CODES_ZH.get(code, english)}
    if details:
        body["details"] = details
    return dumps(body)


def event_frame(topic: str, event: str, data: dict[str, Any], seq: int | None = None,
                at: datetime | None = None) -> str:
    body: dict[str, Any] = {"type": "event", "topic": topic, "event": event, "data": data,
                            "at": at or datetime.now(UTC)}
    if seq is not None:
        body["seq"] = seq
    return dumps(body)


def parse_client_frame(raw: str | bytes, limit: int) -> tuple[dict[str, Any] | None, str | None, str | None]:
    """(frame, error_code, frame_id): validates size (in bytes, as sent), JSON and the envelope's shape."""
    if len(raw) > limit or (isinstance(raw, str) and len(raw) * 4 > limit and len(raw.encode()) > limit):
        return None, FRAME_TOO_LARGE, None
    try:
        frame = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None, FRAME_NOT_JSON, None
    if not isinstance(frame, dict):
        return None, FRAME_INVALID, None
    frame_id = frame.get("id")
    if frame_id is not None and (isinstance(frame_id, bool) or not isinstance(frame_id, str | int)):
        return None, FRAME_INVALID, None
    frame_id = str(frame_id) if frame_id is not None else None
    if not isinstance(frame.get("action"), str) or not frame["action"]:
        return None, FRAME_INVALID, frame_id
    payload = frame.get("payload")
    if payload is None:
        frame["payload"] = {}
    elif not isinstance(payload, dict):
        return None, FRAME_INVALID, frame_id
    return frame, None, frame_id
