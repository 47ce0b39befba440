"""Application errors with machine-readable codes, mapped once to GraphQL and HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


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
                 **details: Any) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh or message_en
        self.field = field
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


class DatabaseUnavailable(AppError):
    """The database does not answer: every transport reports this code until it is back."""

    code = "DATABASE_UNAVAILABLE"
    http_status = 503

    def __init__(self, message_en: str = "The database is unavailable: try again in a moment.",
                 message_zh: str = "数据库暂时不可用，请稍后重试。", **kw: Any) -> None:
        super().__init__(message_en, message_zh, **kw)
