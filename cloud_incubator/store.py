"""The event collection: room logs (per-topic ``seq``) and, with the mongo broadcaster, the bus itself.

A logged event's ``_id`` is ``"<topic>#<seq:012d>"``: the primary key refuses a second event with the
same sequence number, so two processes can never interleave one room's numbering.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from backend.db import Document, durable, register_indexes

EVENTS = "ws_events"
register_indexes(EVENTS, IndexModel([("topic", ASCENDING), ("seq", ASCENDING)], name="topic_seq"),
                 IndexModel([("ephemeral", ASCENDING), ("at", ASCENDING)], name="ephemeral_at"))


def event_key(topic: str, seq: int) -> str:
    return f"{topic}#{seq:012d}"


class EventStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = durable(db, EVENTS)

    async def insert(self, document: dict[str, Any]) -> None:
        await self.collection.insert_one(document)

    async def insert_many(self, documents: list[dict[str, Any]]) -> None:
        """In order, in one command (one commit): stops at the first refused document."""
        await self.collection.insert_many(documents, ordered=True)

    async def delete_ephemeral_before(self, before: datetime) -> int:
        result = await self.collection.delete_many({"ephemeral": True, "at": {"$lt": before}})
        return result.deleted_count

    async def last_seq(self, topic: str) -> int:
        doc = await self.collection.find_one({"topic": topic, "seq": {"$gte": 0}}, sort=[("seq", DESCENDING)],
                                             projection={"seq": 1})
        return int(doc["seq"]) if doc else 0

    async def since(self, topic: str, after_seq: int, limit: int) -> list[dict[str, Any]]:
        cursor = self.collection.find({"topic": topic, "seq": {"$gt": after_seq}}, sort=[("seq", ASCENDING)],
                                      limit=limit)
        return [doc async for doc in cursor]

