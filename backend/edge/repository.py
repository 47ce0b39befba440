"""Request counters shared by every app process: one document per key and fixed window, expired by TTL."""

from __future__ import annotations

from datetime import UTC, datetime

from pymongo import IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from backend.db import Document, register_indexes

COUNTERS = "edge_counters"
HEALTH = "edge_health"

register_indexes(COUNTERS, IndexModel([("expires_at", 1)], expireAfterSeconds=0, name="expires_at_ttl"),
                 IndexModel([("group", 1)], name="group", sparse=True))


class CounterRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.counters = db[COUNTERS]
        self.health = db[HEALTH]

    async def hit(self, key: str, window_seconds: int, now: float, amount: int = 1, group: str | None = None) -> int:
        """Add ``amount`` to ``key``'s count in the current window; the count after it. ``group`` tags the
        document (``clear_group`` forgets every key of a group)."""
        start = int(now // window_seconds) * window_seconds
        created: dict[str, object] = {"expires_at": datetime.fromtimestamp(start + 2 * window_seconds, UTC)}
        if group is not None:
            created["group"] = group
        update = {"$inc": {"n": amount}, "$setOnInsert": created}
        for _ in range(3):
            try:
                document = await self.counters.find_one_and_update(
                    {"_id": f"{key}|{start}"}, update, upsert=True, return_document=ReturnDocument.AFTER,
                    projection={"n": 1})
            except DuplicateKeyError:  # another request created the window's document at the same moment
                continue
            if document is not None:  # (the embedded server may answer None to the losing upsert of a race)
                return int(document["n"])  # type: ignore[call-overload]
        raise RuntimeError(f"counter {key} could not be updated")

    async def count(self, key: str, window_seconds: int, now: float) -> int:
        start = int(now // window_seconds) * window_seconds
        document = await self.counters.find_one({"_id": f"{key}|{start}"}, projection={"n": 1})
        return int(document["n"]) if document else 0  # type: ignore[call-overload]

    async def clear(self, key: str, window_seconds: int, now: float) -> None:
        start = int(now // window_seconds) * window_seconds
        await self.counters.delete_one({"_id": f"{key}|{start}"})

    async def clear_group(self, group: str) -> None:
        await self.counters.delete_many({"group": group})

    async def round_trip(self, process: str, now: datetime) -> None:
        """A write and a read of this process's health document (readiness)."""
        await self.health.update_one({"_id": process}, {"$set": {"at": now}}, upsert=True)
        if await self.health.find_one({"_id": process}, projection={"at": 1}) is None:
            raise RuntimeError("health document not readable after writing it")
