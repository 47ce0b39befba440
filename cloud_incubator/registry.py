"""Socket actions: ``ActionSpec("room.join", JoinPayload, handler)`` describes one handler of /ws/v1 frames.

Each domain's ``actions.py`` lists its specs in a tuple; the composition root (``backend/app.py``) joins
them into the app's one action table with :func:`action_table`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from cloud_incubator.protocol import ok_frame

if TYPE_CHECKING:
    from backend.state import AppState
    from backend.users.models import User
    from cloud_incubator.gateway import Connection


@dataclass
class ActionContext:
    state: AppState
    user: User
    connection: Connection
    frame_id: str | None = None
    answered: bool = False

    def reply(self, data: dict[str, Any]) -> None:
        """Send the ok frame now (before frames the handler queues next); the return value is then ignored."""
        self.connection.send(ok_frame(self.frame_id, data))
        self.answered = True


Handler = Callable[[ActionContext, Any], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True)
class ActionSpec:
    name: str
    payload: type[BaseModel]
    handler: Handler
    errors: str | None = None  # namespace of the domain's own error codes (``booking`` → ``booking.slot_taken``)


def action_table(*groups: Iterable[ActionSpec]) -> Mapping[str, ActionSpec]:
    """One table of every action, by name; a name given twice is a wiring mistake."""
    table: dict[str, ActionSpec] = {}
    for group in groups:
        for spec in group:
            if spec.name in table:
                raise ValueError(f"socket action {spec.name!r} is registered twice")
            table[spec.name] = spec
    return table
