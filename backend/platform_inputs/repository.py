"""Every database access of the platform-counted evaluation inputs: one change stamp per quarter."""

from __future__ import annotations

from collections.abc import Sequence

from pymongo.asynchronous.database import AsyncDatabase

from backend.core.db import Document, durable

STAMPS = "platform_input_stamps"  # {_id: quarter, stamp: int}; read and written by _id only


class PlatformStampRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.stamps = durable(db, STAMPS)

    async def bump(self, quarter: str) -> None:
        # An atomic $inc: two changes at once give two increments, never one lost.
        await self.stamps.update_one({"_id": quarter}, {"$inc": {"stamp": 1}}, upsert=True)

    async def stamps_for(self, quarters: Sequence[str]) -> dict[str, int]:
        found = {d["_id"]: int(d["stamp"]) async for d in self.stamps.find({"_id": {"$in": list(quarters)}})}
        return {q: found.get(q, 0) for q in quarters}
