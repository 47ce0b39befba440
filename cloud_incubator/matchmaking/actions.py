"""/ws/v1 actions of matchmaking: the one-to-one negotiation thread (线上沟通洽谈) of a match.

- ``negotiation.send`` {match_id, text} → {message}; both parties' sockets get ``negotiation.message``.
- ``negotiation.history`` {match_id, before?, limit?} → {messages (newest first), next_before}.
Errors: ``match.not_found``, ``match.forbidden``, ``negotiation.text_invalid``, ``negotiation.cursor_invalid``.
Mutual interest (GraphQL ``decideOnMatch``) notifies both parties with ``match.created`` on ``user:<id>``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from backend.core.errors import BadUserInput, Forbidden, NotFound, ProtocolError
from cloud_incubator.matchmaking.service import message_data, service
from cloud_incubator.registry import ActionContext, ActionSpec


class SendPayload(BaseModel):
    match_id: str = Field(min_length=1, max_length=64)
    text: str  # length checked by the service (negotiation.text_invalid); the frame limit bounds it


class HistoryPayload(BaseModel):
    match_id: str = Field(min_length=1, max_length=64)
    before: str | None = Field(default=None, max_length=200, description="next_before of the previous page")
    limit: int = Field(default=50, ge=1, le=200)


def _translate(error: Exception) -> ProtocolError:
    if isinstance(error, NotFound):
        return ProtocolError("match.not_found", "No match has this id.")
    if isinstance(error, Forbidden):
        return ProtocolError("match.forbidden", "Only the matched parties take part in this thread.")
    if isinstance(error, BadUserInput):
        return ProtocolError("negotiation.text_invalid", error.message_en, field="text")
    raise error


async def send(ctx: ActionContext, payload: SendPayload) -> dict[str, Any]:
    try:
        message = await service(ctx.state).send_message(ctx.user, payload.match_id, payload.text)
    except (NotFound, Forbidden, BadUserInput) as error:
        raise _translate(error) from error
    return {"message": message_data(message)}


async def history(ctx: ActionContext, payload: HistoryPayload) -> dict[str, Any]:
    before = None
    if payload.before:
        at, _, key = payload.before.partition("|")
        try:
            before = (datetime.fromisoformat(at), key)
        except ValueError as error:
            raise ProtocolError("negotiation.cursor_invalid", "Use next_before from the previous page.") from error
    try:
        rows = await service(ctx.state).history(ctx.user, payload.match_id, before, payload.limit)
    except (NotFound, Forbidden) as error:
        raise _translate(error) from error
    next_before = f"{rows[-1].at.isoformat()}|{rows[-1].id}" if len(rows) == payload.limit else None
    return {"messages": [message_data(m) for m in rows], "next_before": next_before}


# Registered by the composition root (backend/app.py).
NEGOTIATION_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("negotiation.send", SendPayload, send),
    ActionSpec("negotiation.history", HistoryPayload, history),
)
