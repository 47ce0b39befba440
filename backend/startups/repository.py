"""Every database access for startup profiles' core fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from backend.db import Document, durable, register_indexes
from backend.startups.models import StartupProfile

COLLECTION = "startups"
register_indexes(
    COLLECTION,
    IndexModel([("incubator_id", ASCENDING), ("name_en", ASCENDING)], name="incubator_name"),
    IndexModel([("name_en", ASCENDING)], name="name_en"),
)


class StartupRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = durable(db, COLLECTION)

    async def insert(self, document: dict[str, Any]) -> StartupProfile:
        await self._collection.insert_one(document)
        return StartupProfile.model_validate(document)

    async def by_ids(self, ids: Sequence[str]) -> list[StartupProfile | None]:
        found = {d["_id"]: StartupProfile.model_validate(d)
                 async for d in self._collection.find({"_id": {"$in": list(ids)}})}
        return [found.get(i) for i in ids]
