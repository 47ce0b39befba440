"""Every database access for users."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from backend.db import Document, durable, find_in, register_indexes
from backend.errors import Conflict
from backend.users.models import User, matches_search, normalise_search, search_keys

COLLECTION = "users"
register_indexes(
    COLLECTION,
    IndexModel([("username", ASCENDING)], unique=True, name="username_unique"),
    IndexModel([("incubator_id", ASCENDING), ("role", ASCENDING)], name="incubator_role"),
    IndexModel([("role", ASCENDING), ("username", ASCENDING)], name="role_username"),
    IndexModel([("startup_id", ASCENDING)], name="startup"),
    IndexModel([("role", ASCENDING), ("active", ASCENDING)], name="role_active"),
    IndexModel([("search_keys", ASCENDING)], name="search_keys"),
)
SEARCH_READ_CAP = 2000   # accounts read for one search at most (a park has a few hundred)


def _with_search_keys(document: dict[str, Any]) -> dict[str, Any]:
    document["search_keys"] = search_keys(document["username"], document.get("display_name", ""),
                                          document.get("organisation", ""), document["role"])
    return document


class UserRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = durable(db, COLLECTION)

    async def insert(self, document: dict[str, Any]) -> User:
        try:
            await self._collection.insert_one(_with_search_keys(document))
        except DuplicateKeyError as error:
            raise Conflict(f"The username {document['username']!r} is taken.",
                           f"用户名 {document['username']!r} 已被使用。", field="username") from error
        return User.model_validate(document)

    async def by_username(self, username: str) -> User | None:
        document = await self._collection.find_one({"username": username})
        return User.model_validate(document) if document else None

    async def by_ids(self, ids: Sequence[str]) -> list[User | None]:
        found = {d["_id"]: User.model_validate(d) async for d in find_in(self._collection, "_id", ids)}
        return [found.get(i) for i in ids]

    async def list(self, role: str | None, after_username: str | None, limit: int) -> list[User]:
        query: dict[str, Any] = {}
        if role:
            query["role"] = role
        if after_username:
            query["username"] = {"$gt": after_username}
        sort_key = [("role", ASCENDING), ("username", ASCENDING)] if role else [("username", ASCENDING)]
        cursor = self._collection.find(query).sort(sort_key).limit(limit)
        return [User.model_validate(d) async for d in cursor]

    async def search(self, text: str, role: str | None, after_username: str | None, limit: int) -> list[User]:
        """Accounts whose username, display name or organisation contains ``text`` (of that role), by username."""
        needle = normalise_search(text)
        words = needle.split()
        if not words:
            return []
        prefix = f"{role or '*'}:{max(words, key=len)}"
        cursor = self._collection.find({"search_keys": {"$gte": prefix, "$lt": prefix + "\U0010ffff"}},
                                       {"search_keys": 0}).limit(SEARCH_READ_CAP)
        found = [User.model_validate(d) async for d in cursor]
        hits = sorted((u for u in found if matches_search(u, needle) and (role is None or u.role.value == role)
                       and (after_username is None or u.username > after_username)), key=lambda u: u.username)
        return hits[:limit]

    async def add_missing_search_keys(self) -> int:
        """At start-up: accounts stored before search existed get their keys (a full read, then by _id)."""
        added = 0
        async for document in self._collection.find({}, {"username": 1, "display_name": 1, "organisation": 1,
                                                         "role": 1, "search_keys": 1}):
            if "search_keys" not in document:
                keys = _with_search_keys(dict(document))["search_keys"]
                await self._collection.update_one({"_id": document["_id"]}, {"$set": {"search_keys": keys}})
                added += 1
        return added

    async def set_active(self, user_id: str, active: bool) -> User | None:
        document = await self._collection.find_one_and_update(
            {"_id": user_id}, {"$set": {"active": active}}, return_document=ReturnDocument.AFTER)
        return User.model_validate(document) if document else None

    async def set_password(self, user_id: str, password_hash: str, must_change: bool) -> User | None:
        document = await self._collection.find_one_and_update(
            {"_id": user_id}, {"$set": {"password_hash": password_hash, "must_change_password": must_change}},
            return_document=ReturnDocument.AFTER)
        return User.model_validate(document) if document else None

    async def count_active(self, role: str) -> int:
        return await self._collection.count_documents({"role": role, "active": True})

    async def count(self) -> int:
        return await self._collection.estimated_document_count()

    async def managers_of(self, incubator_id: str) -> list[User]:
        cursor = self._collection.find({"incubator_id": incubator_id, "role": "manager"})
        return [User.model_validate(d) async for d in cursor]
