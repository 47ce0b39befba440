"""Every database access for startup profiles (core fields and the matchmaking profile)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from backend.db import Document, durable, find_in, register_indexes
from backend.startups.models import StartupProfile

COLLECTION = "startups"
register_indexes(
    COLLECTION,
    IndexModel([("incubator_id", ASCENDING), ("name_en", ASCENDING)], name="incubator_name"),
    IndexModel([("name_en", ASCENDING)], name="name_en"),
    IndexModel([("incubator_id", ASCENDING), ("_id", ASCENDING)], name="incubator_id_order"),
)


class StartupRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = durable(db, COLLECTION)

    async def insert(self, document: dict[str, Any]) -> StartupProfile:
        await self._collection.insert_one(document)
        return StartupProfile.model_validate(document)

    async def by_ids(self, ids: Sequence[str]) -> list[StartupProfile | None]:
        found = {d["_id"]: StartupProfile.model_validate(d)
                 async for d in find_in(self._collection, "_id", ids)}
        return [found.get(i) for i in ids]

    async def update(self, startup_id: str, changes: dict[str, Any]) -> StartupProfile | None:
        document = await self._collection.find_one_and_update(
            {"_id": startup_id}, {"$set": changes}, return_document=ReturnDocument.AFTER)
        return StartupProfile.model_validate(document) if document else None

    async def documents(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        """Profiles as stored, for these ids."""
        return [d async for d in find_in(self._collection, "_id", ids)]

    async def all_documents(self) -> list[dict[str, Any]]:
        """Every profile as stored (matchmaking scores them all), by English name."""
        return [d async for d in self._collection.find({}).sort("name_en", ASCENDING)]

    async def page(self, incubator_id: str | None, after_id: str | None, limit: int) -> list[StartupProfile]:
        query: dict[str, Any] = {}
        if incubator_id:
            query["incubator_id"] = incubator_id
        if after_id is not None:
            query["_id"] = {"$gt": after_id}
        cursor = self._collection.find(query).sort("_id", ASCENDING).limit(limit)
        return [StartupProfile.model_validate(d) async for d in cursor]
