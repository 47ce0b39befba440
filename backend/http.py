"""Shared pieces of the plain HTTP routes (exports, imports, uploads, .ics): the caller and error bodies."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request, Response

from backend.errors import AppError, BadUserInput, Unauthenticated
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
    """The JSON body of an application error: its extensions, and one entry per bad field."""
    body: dict[str, Any] = {"error": error.extensions}
    if isinstance(error, BadUserInput):
        body["errors"] = [issue.as_extensions() for issue in error.issues]
    return Response(orjson.dumps(body), status_code=error.http_status, media_type="application/json")
