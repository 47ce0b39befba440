"""Every database access for the incubator registry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from backend.db import Document, durable, find_in, register_indexes
from backend.incubators.models import Incubator, IncubatorFilter

COLLECTION = "incubators"
register_indexes(
    COLLECTION,
    IndexModel([("sort_key", ASCENDING)], unique=True, name="sort_key"),
    IndexModel([("sub_area", ASCENDING), ("sort_key", ASCENDING)], name="sub_area_sort"),
    IndexModel([("kind", ASCENDING), ("sort_key", ASCENDING)], name="kind_sort"),
    IndexModel([("accreditation", ASCENDING), ("sort_key", ASCENDING)], name="accreditation_sort"),
    IndexModel([("industries", ASCENDING), ("sort_key", ASCENDING)], name="industry_sort"),
    IndexModel([("name_en", ASCENDING)], unique=True, name="name_en_unique"),
)


def _to_storage(values: dict[str, Any]) -> dict[str, Any]:
    stored = dict(values)
    if isinstance(stored.get("founded_on"), date) and not isinstance(stored["founded_on"], datetime):
        stored["founded_on"] = stored["founded_on"].isoformat()
    return stored


def _from_storage(document: dict[str, Any]) -> Incubator:
    return Incubator.model_validate(document)


def _holds(stored: Any, wanted: Any) -> bool:
    """Mongo equality semantics for one condition: a list field holds ``wanted`` when it contains it."""
    return wanted in stored if isinstance(stored, list) else stored == wanted


class IncubatorRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = durable(db, COLLECTION)

    async def insert(self, document: dict[str, Any]) -> Incubator:
        stored = _to_storage(document)
        stored["sort_key"] = f"{stored['name_en'].lower()}\x00{stored['_id']}"
        await self._collection.insert_one(stored)
        return _from_storage(stored)

    async def update(self, incubator_id: str, changes: dict[str, Any]) -> Incubator | None:
        stored = _to_storage(changes)
        if "name_en" in stored:
            stored["sort_key"] = f"{stored['name_en'].lower()}\x00{incubator_id}"
        document = await self._collection.find_one_and_update(
            {"_id": incubator_id}, {"$set": stored}, return_document=ReturnDocument.AFTER)
        return _from_storage(document) if document else None

    async def by_ids(self, ids: Sequence[str]) -> list[Incubator | None]:
        found = {d["_id"]: _from_storage(d) async for d in find_in(self._collection, "_id", ids)}
        return [found.get(i) for i in ids]

    async def page(self, filters: IncubatorFilter, after_sort_key: str | None, limit: int) -> list[Incubator]:
        conditions: dict[str, Any] = {}
        if filters.sub_area:
            conditions["sub_area"] = filters.sub_area.value
        if filters.kind:
            conditions["kind"] = filters.kind.value
        if filters.accreditation:
            conditions["accreditation"] = filters.accreditation.value
        if filters.industry:
            conditions["industries"] = filters.industry.value
        # The embedded server plans an index only for a filter its fields cover: the first condition goes
        # through its (field, sort_key) index, any others are checked on the documents it yields.
        query = dict(list(conditions.items())[:1])
        rest = list(conditions.items())[1:]
        if after_sort_key is not None:
            query["sort_key"] = {"$gt": after_sort_key}
        cursor = self._collection.find(query).sort("sort_key", ASCENDING)
        if not rest:
            cursor = cursor.limit(limit)
        out: list[Incubator] = []
        async for document in cursor:
            if all(_holds(document.get(field), value) for field, value in rest):
                out.append(_from_storage(document))
                if len(out) == limit:
                    break
        return out

    async def all(self) -> list[Incubator]:
        cursor = self._collection.find({}).sort("sort_key", ASCENDING)
        return [_from_storage(d) async for d in cursor]

    async def count(self) -> int:
        return await self._collection.estimated_document_count()
