"""Shared pieces of the plain HTTP routes (exports, imports, uploads, .ics): the caller and error bodies."""

from __future__ import annotations

import orjson
from fastapi import Request, Response

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
