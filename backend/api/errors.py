"""One mapping from application errors to GraphQL errors, and masking of everything unexpected."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from backend.core.errors import AppError, BadUserInput, as_app_error
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
        return [error]
    if isinstance(original, BadUserInput):
        return [GraphQLError(issue.message_en, nodes=error.nodes, path=error.path, original_error=None,
                             extensions=issue.as_extensions()) for issue in original.issues]
    known = as_app_error(original)
    if known is not None:
        if known is not original:
            log.warning("request %s at %s: %s", request_id, error.path, original)
        error.message = known.message_en
        error.extensions = known.extensions
        return [error]
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
