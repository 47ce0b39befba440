"""The one error vocabulary: application errors with machine-readable codes, and one mapper per transport.

A domain raises an ``AppError`` subclass. GraphQL puts ``extensions`` in ``errors[].extensions``
(``backend/api/errors.py``), plain HTTP answers ``http_body`` with ``http_status``, and ``/ws/v1`` sends an
error frame from ``socket_error``. Database outages become ``DatabaseUnavailable`` in all three.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from pymongo.errors import ConnectionFailure


@dataclass(frozen=True)
class FieldIssue:
    """One problem with one input field, in both UI languages."""

    field: str
    message_en: str
    message_zh: str
    code: str = "BAD_USER_INPUT"

    def as_extensions(self) -> dict[str, Any]:
        return {"code": self.code, "field": self.field, "message_zh": self.message_zh,
                "message_en": self.message_en}


class AppError(Exception):
    """Base of every error a user may see. ``code`` goes to ``extensions.code``."""

    code: ClassVar[str] = "INTERNAL"
    http_status: ClassVar[int] = 500

    def __init__(self, message_en: str, message_zh: str | None = None, *, field: str | None = None,
                 socket_code: str | None = None, **details: Any) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh or message_en
        self.field = field
        self.socket_code = socket_code  # a dotted /ws/v1 code (``room.not_live``) when the generic one says too little
        self.details = details

    @property
    def extensions(self) -> dict[str, Any]:
        ext: dict[str, Any] = {"code": self.code, "message_zh": self.message_zh, "message_en": self.message_en}
        if self.field is not None:
            ext["field"] = self.field
        ext.update(self.details)
        return ext


class Unauthenticated(AppError):
    code = "UNAUTHENTICATED"
    http_status = 401

    def __init__(self, message_en: str = "Sign in first.", message_zh: str = "请先登录。", **kw: Any) -> None:
        super().__init__(message_en, message_zh, **kw)


class Forbidden(AppError):
    code = "FORBIDDEN"
    http_status = 403

    def __init__(self, message_en: str = "You are not allowed to do this.",
                 message_zh: str = "您没有执行此操作的权限。", **kw: Any) -> None:
        super().__init__(message_en, message_zh, **kw)


class NotFound(AppError):
    code = "NOT_FOUND"
    http_status = 404


class Conflict(AppError):
    code = "CONFLICT"
    http_status = 409


class RateLimited(AppError):
    code = "RATE_LIMITED"
    http_status = 429


class DatabaseUnavailable(AppError):
    """The database cannot be reached (or did not answer in time): nothing was read or changed; try again."""

    code = "DATABASE_UNAVAILABLE"
    http_status = 503

    def __init__(self, message_en: str = "The database is unavailable: try again in a moment.",
                 message_zh: str = "数据库暂时不可用，请稍后重试。", **kw: Any) -> None:
        super().__init__(message_en, message_zh, **kw)


class BadUserInput(AppError):
    """One or more invalid input fields; each becomes its own GraphQL error."""

    code = "BAD_USER_INPUT"
    http_status = 400

    def __init__(self, issues: list[FieldIssue]) -> None:
        if not issues:
            raise ValueError("BadUserInput needs at least one issue")
        first = issues[0]
        super().__init__(first.message_en, first.message_zh, field=first.field)
        self.issues = issues

    @classmethod
    def single(cls, field: str, message_en: str, message_zh: str) -> BadUserInput:
        return cls([FieldIssue(field, message_en, message_zh)])


class IssueCollector:
    """Gathers field issues so a validator reports every bad field at once."""

    def __init__(self) -> None:
        self.issues: list[FieldIssue] = []

    def add(self, field: str, message_en: str, message_zh: str) -> None:
        self.issues.append(FieldIssue(field, message_en, message_zh))

    def raise_if_any(self) -> None:
        if self.issues:
            raise BadUserInput(self.issues)


class BadRequest(AppError):
    """A request the server cannot read (not JSON, wrong shape, wrong content type)."""

    code = "BAD_REQUEST"
    http_status = 400


class PayloadTooLarge(AppError):
    code = "PAYLOAD_TOO_LARGE"
    http_status = 413


class QueryTooComplex(AppError):
    """A GraphQL document whose estimated cost exceeds the limit (checked before validation)."""

    code = "QUERY_TOO_COMPLEX"
    http_status = 400


class ProtocolError(AppError):
    """A /ws/v1 action refused with its own dotted code and exact details (the socket stays open)."""

    code = "BAD_REQUEST"
    http_status = 400

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message, socket_code=code)
        self.message = message
        self.details = details  # sent as they are (``field`` included)


def as_app_error(error: BaseException) -> AppError | None:
    """The application error an exception stands for: itself, ``DatabaseUnavailable`` for a lost database
    connection or a server-selection timeout, else None (a bug: the transports mask it)."""
    if isinstance(error, AppError):
        return error
    if isinstance(error, ConnectionFailure):
        return DatabaseUnavailable()
    return None


# -- one mapper per transport -------------------------------------------------------------------------

def http_body(error: AppError) -> dict[str, Any]:
    """The JSON body of an HTTP error response (status: ``error.http_status``)."""
    body: dict[str, Any] = {"error": error.extensions}
    if isinstance(error, BadUserInput):
        body["errors"] = [issue.as_extensions() for issue in error.issues]
    return body


SOCKET_CODES = {"UNAUTHENTICATED": "auth.invalid", "FORBIDDEN": "forbidden", "NOT_FOUND": "not_found",
                "RATE_LIMITED": "rate.limited", "DATABASE_UNAVAILABLE": "server.database_unavailable"}


def socket_error(error: AppError, namespace: str | None = None) -> tuple[str, str, dict[str, Any]]:
    """(code, message, details) of the /ws/v1 error frame. ``namespace`` prefixes a domain's own codes
    (``SLOT_TAKEN`` in bookings → ``booking.slot_taken``; bad input → ``booking.bad_input``)."""
    if isinstance(error, ProtocolError):
        return error.socket_code or "bad_request", error.message, dict(error.details)
    code = error.socket_code or SOCKET_CODES.get(error.code)
    if code is None:
        local = "bad_input" if error.code == BadUserInput.code else error.code.lower()
        code = f"{namespace}.{local}" if namespace else local
    details: dict[str, Any] = {"message_zh": error.message_zh, "code_upper": error.code}
    if error.field:
        details["field"] = error.field
    if isinstance(error, BadUserInput):
        details["issues"] = [issue.as_extensions() for issue in error.issues]
    return code, error.message_en, details
