"""Every database access for published ranking snapshots (immutable: inserted, never updated)."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from backend.core.db import CollectionIndexes, Document, durable, indexes

SNAPSHOTS = "ranking_snapshots"
INDEXES: tuple[CollectionIndexes, ...] = (  # created at start-up (backend/app.py)
    indexes(
        SNAPSHOTS,
        # Two evaluators publishing at once cannot both get version N.
        IndexModel([("quarter", ASCENDING), ("version", ASCENDING)], unique=True, name="quarter_version"),
    ),
)

SUMMARY = {"inputs": 0}


class SnapshotRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.snapshots = durable(db, SNAPSHOTS)

    async def insert(self, document: dict[str, Any]) -> None:
        await self.snapshots.insert_one(document)

    async def latest(self, quarter: str, with_inputs: bool = False) -> dict[str, Any] | None:
        cursor = self.snapshots.find({"quarter": quarter}, None if with_inputs else SUMMARY)
        rows = [d async for d in cursor.sort("version", DESCENDING).limit(1)]
        return rows[0] if rows else None

    async def version(self, quarter: str, version: int, with_inputs: bool = False) -> dict[str, Any] | None:
        return await self.snapshots.find_one({"quarter": quarter, "version": version},
                                             None if with_inputs else SUMMARY)

    async def versions(self, quarter: str, after_version: int | None = None, limit: int = 0) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"quarter": quarter}
        if after_version is not None:
            query["version"] = {"$gt": after_version}
        cursor = self.snapshots.find(query, {"inputs": 0, "outputs": 0}).sort("version", ASCENDING).limit(limit)
        return [d async for d in cursor]
