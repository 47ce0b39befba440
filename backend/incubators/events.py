"""What the registry publishes: ``incubator.changed`` after a create or update, so every app process drops
its in-memory copy of that incubator (``IncubatorDirectory.forget``)."""

from __future__ import annotations

from typing import Any

from backend.incubators.service import IncubatorService

INCUBATOR_CHANGED = "incubator.changed"
TOPIC = "incubators"


def follow_changes(service: IncubatorService, broadcaster: Any) -> None:
    """Announce this process's registry writes on the broadcaster; forget what other processes changed."""
    origin = broadcaster.origin

    async def announce(incubator_id: str) -> None:
        await broadcaster.publish(TOPIC, INCUBATOR_CHANGED, {"incubator_id": incubator_id, "origin": origin})

    def heard(topic: str, data: dict[str, Any]) -> None:
        if data.get("origin") != origin:
            service.directory.forget(str(data.get("incubator_id")))

    service.change_listeners.append(announce)
    broadcaster.hub.listen(INCUBATOR_CHANGED, heard)
