"""Every database access for published ranking snapshots (immutable: inserted, never updated)."""

from __future__ import annotations

from typing import Any, cast

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from backend.db import Document, durable, register_indexes

SNAPSHOTS = "ranking_snapshots"
register_indexes(
    SNAPSHOTS,
    # Two evaluators publishing at once cannot both get version N.
    IndexModel([("quarter", ASCENDING), ("version", ASCENDING)], unique=True, name="quarter_version"),
)

RANKS = "ranking_ranks"  # ranks of each computed ranking, for the next quarter's rank changes (a cache)

SUMMARY = {"inputs": 0}
HEADER = {"inputs": 0, "outputs": 0}


class SnapshotRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.snapshots = durable(db, SNAPSHOTS)

    async def insert(self, document: dict[str, Any]) -> None:
        await self.snapshots.insert_one(document)

    async def latest(self, quarter: str, with_inputs: bool = False, with_outputs: bool = True
                     ) -> dict[str, Any] | None:
        cursor = self.snapshots.find({"quarter": quarter},
                                     None if with_inputs else SUMMARY if with_outputs else HEADER)
        rows = [d async for d in cursor.sort("version", DESCENDING).limit(1)]
        return rows[0] if rows else None

    async def version(self, quarter: str, version: int, with_inputs: bool = False, with_outputs: bool = True
                      ) -> dict[str, Any] | None:
        return await self.snapshots.find_one({"quarter": quarter, "version": version},
                                             None if with_inputs else SUMMARY if with_outputs else HEADER)

    async def outputs(self, snapshot_id: str) -> list[dict[str, Any]]:
        found = await self.snapshots.find_one({"_id": snapshot_id}, {"outputs": 1})
        return list(cast(list[dict[str, Any]], found["outputs"])) if found else []

    async def versions(self, quarter: str, after_version: int | None = None, limit: int = 0) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"quarter": quarter}
        if after_version is not None:
            query["version"] = {"$gt": after_version}
        cursor = self.snapshots.find(query, {"inputs": 0, "outputs": 0}).sort("version", ASCENDING).limit(limit)
        return [d async for d in cursor]


def _stamp_list(stamps: dict[str, int]) -> list[list[Any]]:
    return [[key, value] for key, value in sorted(stamps.items())]


class RankRepository:
    """Ranks of computed rankings keyed by (quarter, scheme version, method) with the input stamps they were
    computed from: a later quarter reads its rank changes here instead of scoring this quarter again."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.ranks = db[RANKS]  # a cache: recomputed when missing, so no journaled write is needed

    @staticmethod
    def key(quarter: str, scheme_version: str, method: str) -> str:
        return f"{quarter}|{scheme_version}|{method}"

    async def get(self, key: str, stamps: dict[str, int]) -> dict[str, int] | None:
        found = await self.ranks.find_one({"_id": key})
        if found is None or found.get("stamps") != _stamp_list(stamps):
            return None
        return {str(k): int(v) for k, v in cast(dict[str, int], found["ranks"]).items()}

    async def put(self, key: str, stamps: dict[str, int], ranks: dict[str, int]) -> None:
        await self.ranks.replace_one({"_id": key}, {"_id": key, "stamps": _stamp_list(stamps), "ranks": ranks},
                                     upsert=True)
