"""Every database access for quarterly metrics: revisions, heads, reporting windows, input stamps."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from backend.db import Document, durable, find_in, register_indexes
from backend.submissions.models import Head, ReportingWindow, Revision

REVISIONS = "metric_revisions"
HEADS = "metric_heads"
WINDOWS = "reporting_windows"
STAMPS = "metric_stamps"
IMPORTS = "metric_imports"

# Revisions of a bulk import carry ``pending_import: <import id>`` until the import commits: readers skip them
# and nobody else may adopt them, so a failed import can delete exactly its own revisions. (``None`` also
# matches a missing field; the embedded server uses an index only when it covers every field of the filter.)
NOT_PENDING: dict[str, Any] = {"pending_import": None}
PENDING: dict[str, Any] = {"pending_import": {"$gt": ""}}

register_indexes(
    REVISIONS,
    # The database refuses a second revision N of the same (incubator, quarter): optimistic concurrency.
    IndexModel([("incubator_id", ASCENDING), ("quarter", ASCENDING), ("revision", ASCENDING)],
               unique=True, name="incubator_quarter_revision"),
    # A retried submission with the same key stores exactly once (keys are namespaced per incubator;
    # revisions without a client key get "auto:<id>").
    IndexModel([("idempotency_key", ASCENDING)], unique=True, name="idempotency_key_unique"),
    IndexModel([("incubator_id", ASCENDING), ("quarter", ASCENDING), ("pending_import", ASCENDING),
                ("revision", ASCENDING)], name="incubator_quarter_pending_revision"),
    IndexModel([("pending_import", ASCENDING)], name="pending_import"),
)
register_indexes(
    HEADS,
    IndexModel([("quarter", ASCENDING), ("incubator_id", ASCENDING)], name="quarter_incubator"),
    IndexModel([("incubator_id", ASCENDING), ("quarter", ASCENDING)], name="incubator_quarter"),
)


def head_id(incubator_id: str, quarter: str) -> str:
    return f"{incubator_id}|{quarter}"


class SubmissionRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.db = db
        self.revisions = durable(db, REVISIONS)
        self.heads = durable(db, HEADS)
        self.windows = durable(db, WINDOWS)
        self.stamps = durable(db, STAMPS)
        self.imports = durable(db, IMPORTS)

    # ----- revisions --------------------------------------------------------------------------------
    async def insert_revision(self, document: dict[str, Any], session: AsyncClientSession | None = None) -> None:
        await self.revisions.insert_one(document, session=session)

    async def revision_by_key(self, key: str) -> Revision | None:
        found = await self.revisions.find_one({"idempotency_key": key})
        return Revision.model_validate(found) if found and not found.get("pending_import") else None

    async def revision(self, incubator_id: str, quarter: str, number: int) -> Revision | None:
        found = await self.revisions.find_one({"incubator_id": incubator_id, "quarter": quarter, "revision": number,
                                               **NOT_PENDING})
        return Revision.model_validate(found) if found else None

    async def revisions_page(self, incubator_id: str, quarter: str, before: int | None, limit: int) -> list[Revision]:
        query: dict[str, Any] = {"incubator_id": incubator_id, "quarter": quarter, **NOT_PENDING}
        if before is not None:
            query["revision"] = {"$lt": before}
        cursor = self.revisions.find(query).sort("revision", DESCENDING).limit(limit)
        return [Revision.model_validate(d) async for d in cursor]

    # ----- bulk imports: all or nothing without touching anyone else's writes ----------------------------
    async def begin_import(self, import_id: str, user_id: str, rows: int, lease: timedelta) -> None:
        now = datetime.now(UTC)
        await self.imports.insert_one({"_id": import_id, "state": "pending", "user_id": user_id, "rows": rows,
                                       "started_at": now, "expires_at": now + lease})

    async def settle_import(self, import_id: str, state: str, *, only_expired: bool = False) -> str | None:
        """Move a pending import to ``committed`` or ``aborted`` (the one atomic decision of an import; with
        ``only_expired`` only once its lease ran out). Returns the import's state afterwards (None: unknown)."""
        query: dict[str, Any] = {"_id": import_id, "state": "pending"}
        if only_expired:
            query["expires_at"] = {"$lt": datetime.now(UTC)}
        found = await self.imports.find_one_and_update(query, {"$set": {"state": state,
                                                                        "settled_at": datetime.now(UTC)}},
                                                       return_document=ReturnDocument.AFTER)
        if found is None:
            found = await self.imports.find_one({"_id": import_id})
        return None if found is None else str(found["state"])

    async def pending_imports_of(self, incubator_id: str, quarter: str) -> list[str]:
        cursor = self.revisions.find({"incubator_id": incubator_id, "quarter": quarter, **PENDING},
                                     {"pending_import": 1})
        return sorted({str(d["pending_import"]) async for d in cursor})

    async def pending_revisions(self, import_id: str) -> list[dict[str, Any]]:
        return [d async for d in self.revisions.find({"pending_import": import_id})]

    async def publish_import(self, import_id: str) -> None:
        """Make a committed import's revisions visible."""
        await self.revisions.update_many({"pending_import": import_id}, {"$unset": {"pending_import": ""}})

    async def discard_import(self, import_id: str) -> None:
        """Delete an aborted import's revisions: only those still marked with its id, nobody else's."""
        await self.revisions.delete_many({"pending_import": import_id})

    # ----- heads ------------------------------------------------------------------------------------
    async def head(self, incubator_id: str, quarter: str) -> Head | None:
        found = await self.heads.find_one({"_id": head_id(incubator_id, quarter)})
        return Head.model_validate(found) if found else None

    async def advance_head(self, revision: dict[str, Any]) -> None:
        """Move the head forward to ``revision`` (monotonic: an older revision never overwrites a newer)."""
        now = datetime.now(UTC)
        values: dict[str, Any] = {"incubator_id": revision["incubator_id"], "quarter": revision["quarter"],
                                  "revision": revision["revision"], "status": revision["status"],
                                  "metrics": revision["metrics"], "updated_at": now}
        if revision["status"] == "submitted":
            values.update(submitted_revision=revision["revision"], submitted_metrics=revision["metrics"],
                          submitted_at=revision["created_at"])
        hid = head_id(revision["incubator_id"], revision["quarter"])
        try:
            await self.heads.update_one({"_id": hid, "revision": {"$lt": revision["revision"]}},
                                        {"$set": values}, upsert=True)
        except DuplicateKeyError:
            pass  # a newer revision already moved the head

    async def heads_for_quarters(self, quarters: Sequence[str], submitted_only: bool = True) -> list[Head]:
        query: dict[str, Any] = {"quarter": {"$in": list(quarters)}}
        return [h for h in [Head.model_validate(d) async for d in self.heads.find(query)]
                if not submitted_only or h.submitted_revision is not None]

    async def submitted_for_quarters(self, quarters: Sequence[str]) -> list[dict[str, Any]]:
        """(incubator_id, quarter, submitted_metrics) of every submitted head of these quarters, as stored (a
        ranking reads thousands: no model per head)."""
        cursor = self.heads.find({"quarter": {"$in": list(quarters)}},
                                 {"_id": 0, "incubator_id": 1, "quarter": 1, "submitted_metrics": 1})
        return [d async for d in cursor if d.get("submitted_metrics") is not None]

    async def heads_for_incubators(self, incubator_ids: Sequence[str], quarters: Sequence[str]) -> list[Head]:
        ids = [head_id(i, q) for i in incubator_ids for q in quarters]  # point lookups (two $in use no index)
        return [Head.model_validate(d) async for d in find_in(self.heads, "_id", ids)]

    # ----- reporting windows ------------------------------------------------------------------------
    async def window(self, quarter: str) -> ReportingWindow | None:
        found = await self.windows.find_one({"_id": quarter})
        return ReportingWindow.model_validate(found) if found else None

    async def set_window(self, quarter: str, update: dict[str, Any]) -> ReportingWindow:
        found = await self.windows.find_one_and_update({"_id": quarter}, update, upsert=True,
                                                       return_document=ReturnDocument.AFTER)
        return ReportingWindow.model_validate(found)

    # ----- input stamps (score-cache invalidation) --------------------------------------------------
    async def bump_stamp(self, quarter: str) -> None:
        await self.stamps.update_one({"_id": quarter}, {"$inc": {"stamp": 1}}, upsert=True)

    async def stamps_for(self, quarters: Sequence[str]) -> dict[str, int]:
        found = {d["_id"]: int(d["stamp"]) async for d in self.stamps.find({"_id": {"$in": list(quarters)}})}
        return {q: found.get(q, 0) for q in quarters}
