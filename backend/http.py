"""Shared pieces of the plain HTTP routes (exports, imports, uploads, .ics): the caller, error bodies and
the request id."""

from __future__ import annotations

import uuid

import orjson
from fastapi import Request, Response
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.core.errors import AppError, Unauthenticated, http_body
from backend.security import bearer_token
from backend.state import AppState
from backend.users.models import User


async def request_user(request: Request) -> tuple[AppState, User]:
    """The app state and the user of the request's bearer token (Unauthenticated without a valid one)."""
    state: AppState = request.app.state.incubench
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        raise Unauthenticated()
    return state, await state.user_service.user_from_token(token)


def error_response(error: AppError) -> Response:
    """The JSON response of an application error (backend/core/errors.py ``http_body``)."""
    return Response(orjson.dumps(http_body(error)), status_code=error.http_status, media_type="application/json")


class RequestIdMiddleware:
    """Pure ASGI: gives each HTTP request an id (the caller's ``X-Request-ID`` or a new one), kept in
    ``request.state.request_id`` for logs and masked GraphQL errors, and echoed in the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = (Headers(scope=scope).get("x-request-id") or uuid.uuid4().hex[:12])[:64]
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        await self.app(scope, receive, send_with_id)
