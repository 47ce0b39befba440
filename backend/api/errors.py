"""One mapping from application errors to GraphQL errors, and masking of everything unexpected."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from pymongo.errors import ConnectionFailure
from strawberry.extensions import SchemaExtension

from backend.errors import AppError, BadUserInput, DatabaseUnavailable
from graphql import GraphQLError

log = logging.getLogger("backend.graphql")

MASKED_MESSAGE = "Unexpected error. 服务器内部错误。"


def _expand(error: GraphQLError, request_id: str) -> list[GraphQLError]:
    original = error.original_error
    if original is None or (isinstance(original, GraphQLError) and not isinstance(original, AppError)):
        if original is not None and original.extensions:
            error.extensions = {**original.extensions, **(error.extensions or {})}
        if error.extensions is None or "code" not in error.extensions:
            code = "BAD_REQUEST" if error.path is None else "INTERNAL"
            error.extensions = {**(error.extensions or {}), "code": code}
            if code == "BAD_REQUEST":  # a validation rule's message (English only in graphql-core)
                error.extensions.update(message_en=error.message, message_zh="请求无效：" + error.message)
        return [error]
    if isinstance(original, BadUserInput):
        return [GraphQLError(issue.message_en, nodes=error.nodes, path=error.path, original_error=None,
                             extensions=issue.as_extensions()) for issue in original.issues]
    if isinstance(original, AppError):
        error.extensions = original.extensions
        return [error]
    if isinstance(original, ConnectionFailure):
        unavailable = DatabaseUnavailable()
        return [GraphQLError(f"{unavailable.message_en} {unavailable.message_zh}", nodes=error.nodes, path=error.path,
                             extensions=unavailable.extensions)]
    log.error("unexpected error (request %s) at %s", request_id, error.path, exc_info=original)
    return [GraphQLError(MASKED_MESSAGE, nodes=error.nodes, path=error.path,
                         extensions={"code": "INTERNAL", "requestId": request_id})]


class AppErrors(SchemaExtension):
    """Give every error an ``extensions.code``; one error per bad input field; mask the unexpected."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            if self.execution_context.pre_execution_errors:
                self.execution_context.pre_execution_errors = self._map(self.execution_context.pre_execution_errors)
            return
        result.errors = self._map(result.errors)

    def _map(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        context = self.execution_context.context
        request_id = getattr(context, "request_id", "-")
        mapped: list[GraphQLError] = []
        for error in errors:
            mapped.extend(_expand(error, request_id))
        return mapped


SUGGESTION = re.compile(r" Did you mean .*\?$")


class WithoutSuggestions(AppErrors):
    """``AppErrors`` that also drops graphql-core's "Did you mean …?" hints (they reveal the schema)."""

    def _map(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        mapped = super()._map(errors)
        for error in mapped:
            if error.path is None and SUGGESTION.search(error.message):
                error.message = SUGGESTION.sub("", error.message)
        return mapped


def code_parse_errors(errors: list[GraphQLError]) -> None:
    """Syntax errors (and the token limit) end an operation before the extensions map them: code them here."""
    for error in errors:
        if not (error.extensions or {}).get("code"):
            error.extensions = {**(error.extensions or {}), "code": "GRAPHQL_PARSE_FAILED",
                                "message_en": error.message, "message_zh": "GraphQL 查询语法错误：" + error.message}
