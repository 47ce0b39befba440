"""Action registry: ``@action("room.join", JoinPayload)`` registers a handler of /ws/v1 frames."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

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
    extras: dict[str, Any] = field(default_factory=dict)
    answered: bool = False

    def reply(self, data: dict[str, Any]) -> None:
        """Send the ok frame now (before frames the handler queues next); the return value is then ignored."""
        from cloud_incubator.protocol import ok_frame

        self.connection.send(ok_frame(self.frame_id, data))
        self.answered = True


Handler = Callable[[ActionContext, Any], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True)
class ActionSpec:
    name: str
    payload: type[BaseModel]
    handler: Handler
    errors: str | None = None  # namespace of the domain's own error codes (``booking`` → ``booking.slot_taken``)


ACTIONS: dict[str, ActionSpec] = {}


def action(name: str, payload: type[BaseModel], errors: str | None = None) -> Callable[[Handler], Handler]:
    """Register ``async def handler(ctx, payload) -> dict | None`` for frames with ``action == name``."""
    def register(handler: Handler) -> Handler:
        if name in ACTIONS and ACTIONS[name].handler is not handler:
            existing = ACTIONS[name].handler
            if (existing.__module__, existing.__qualname__) != (handler.__module__, handler.__qualname__):
                raise ValueError(f"action {name!r} is already registered by {existing.__module__}")
        ACTIONS[name] = ActionSpec(name, payload, handler, errors)
        return handler
    return register


def load_action_modules() -> None:
    """Import every ``cloud_incubator.<area>.actions`` module so its actions register."""
    import importlib
    import pkgutil

    import cloud_incubator

    for module in pkgutil.walk_packages(cloud_incubator.__path__, "cloud_incubator."):
        if module.name.endswith(".actions"):
            importlib.import_module(module.name)
