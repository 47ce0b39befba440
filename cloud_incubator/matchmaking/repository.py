"""Every database access of matchmaking, with the indexes its queries use."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from backend.db import Document, durable, find_in, register_indexes
from backend.startups.models import StartupProfile
from cloud_incubator.matchmaking.models import Cooperation, Counterpart, Match, Message, Session

COUNTERPARTS = "mm_counterparts"
INTERESTS = "mm_interests"
MATCHES = "mm_matches"
MESSAGES = "mm_messages"
SESSIONS = "mm_sessions"
COOPERATIONS = "mm_cooperations"
LEADS = "leads"       # written by the roadshow rooms (investors' "interested" signals during pitches)
USERS = "users"
STARTUPS = "startups"  # the startups domain's profiles (its repository declares the indexes we use)

register_indexes(
    COUNTERPARTS,
    IndexModel([("kind", ASCENDING), ("_id", ASCENDING)], name="kind_order"),
    IndexModel([("user_id", ASCENDING)], unique=True, name="user_unique",
               partialFilterExpression={"user_id": {"$type": "string"}}),
    # the partial index above is not planned for a plain {user_id: …} lookup on the embedded server
    IndexModel([("user_id", ASCENDING)], name="user"),
    IndexModel([("created_by", ASCENDING)], name="created_by"),
)
register_indexes(
    INTERESTS,
    IndexModel([("startup_id", ASCENDING), ("counterpart_id", ASCENDING), ("side", ASCENDING)], unique=True,
               name="pair_side_unique"),
    IndexModel([("counterpart_id", ASCENDING), ("decision", ASCENDING)], name="counterpart_decision"),
)
register_indexes(
    MATCHES,
    IndexModel([("startup_id", ASCENDING), ("counterpart_id", ASCENDING)], unique=True, name="pair_unique"),
    # keyset pages: (field, created_at, _id) newest first, also for the ties at one created_at
    IndexModel([("startup_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)], name="startup_created_id"),
    IndexModel([("counterpart_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
               name="counterpart_created_id"),
    IndexModel([("incubator_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
               name="incubator_created_id"),
    IndexModel([("created_at", DESCENDING), ("_id", DESCENDING)], name="created_id"),
)
register_indexes(MESSAGES, IndexModel([("match_id", ASCENDING), ("at", DESCENDING), ("_id", DESCENDING)],
                                      name="match_at"))
register_indexes(
    SESSIONS,
    IndexModel([("party_ids", ASCENDING), ("created_at", DESCENDING)], name="party_created"),
    IndexModel([("organiser_user_id", ASCENDING), ("created_at", DESCENDING)], name="organiser_created"),
    IndexModel([("created_at", DESCENDING)], name="created"),
)
register_indexes(
    COOPERATIONS,
    IndexModel([("quarter", ASCENDING), ("incubator_id", ASCENDING)], name="quarter_incubator"),
    IndexModel([("match_id", ASCENDING), ("type", ASCENDING)], name="match_type"),
)
# Our reads of the roadshow leads: by startup and by investor (the roadshow module declares its own).
register_indexes(
    LEADS,
    IndexModel([("startup_id", ASCENDING), ("investor_user_id", ASCENDING), ("at", DESCENDING)],
               name="mm_startup_investor_at"),
    IndexModel([("investor_user_id", ASCENDING), ("at", DESCENDING)], name="mm_investor_at"),
)


def _split_in(query: dict[str, Any]) -> list[dict[str, Any]]:
    """``{f: {"$in": [a, b]}, …}`` → ``[{f: a, …}, {f: b, …}]``: the embedded server uses no index for an
    ``$in`` next to a sort or range, but does for each equality."""
    for field_name, value in query.items():
        if isinstance(value, dict) and set(value) == {"$in"}:
            return [{**query, field_name: item} for item in dict.fromkeys(value["$in"])]
    return [query]


async def _keyset(collection: Any, query: dict[str, Any], key: str, before: tuple[datetime, str] | None,
                  limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` documents of ``query`` newest first by (``key``, _id), strictly before ``before``:
    the ties at ``before``'s time, then the older ones; two index-backed queries instead of an ``$or``."""
    order = [(key, DESCENDING), ("_id", DESCENDING)]
    if before is None:
        return [d async for d in collection.find(query).sort(order).limit(limit)]
    ties = [d async for d in collection.find({**query, key: before[0], "_id": {"$lt": before[1]}})
            .sort([("_id", DESCENDING)]).limit(limit)]
    older = [d async for d in collection.find({**query, key: {"$lt": before[0]}}).sort(order)
             .limit(limit - len(ties))] if len(ties) < limit else []
    return ties + older


def _store(values: dict[str, Any]) -> dict[str, Any]:
    """Dates as ISO strings (BSON has no date-only type)."""
    return {k: v.isoformat() if isinstance(v, date) and not isinstance(v, datetime) else v
            for k, v in values.items()}


class MatchmakingRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.counterparts = durable(db, COUNTERPARTS)
        self.interests = durable(db, INTERESTS)
        self.matches = durable(db, MATCHES)
        self.messages = durable(db, MESSAGES)
        self.sessions = durable(db, SESSIONS)
        self.cooperations = durable(db, COOPERATIONS)
        self.leads = db[LEADS]
        self.users = db[USERS]
        self.durable_users = durable(db, USERS)
        self.startups = durable(db, STARTUPS)

    # -- counterparts ----------------------------------------------------------------------------
    async def insert_counterpart(self, document: dict[str, Any]) -> Counterpart:
        await self.counterparts.insert_one(_store(document))
        return Counterpart.model_validate(document)

    async def update_counterpart(self, counterpart_id: str, changes: dict[str, Any]) -> Counterpart | None:
        found = await self.counterparts.find_one_and_update({"_id": counterpart_id}, {"$set": _store(changes)},
                                                            return_document=ReturnDocument.AFTER)
        return Counterpart.model_validate(found) if found else None

    async def counterparts_by_ids(self, ids: Sequence[str]) -> list[Counterpart | None]:
        found = {d["_id"]: Counterpart.model_validate(d)
                 async for d in find_in(self.counterparts, "_id", ids)}
        return [found.get(i) for i in ids]

    async def counterpart_of_user(self, user_id: str) -> Counterpart | None:
        found = await self.counterparts.find_one({"user_id": user_id})
        return Counterpart.model_validate(found) if found else None

    async def counterparts_created_by(self, user_id: str) -> list[str]:
        return [d["_id"] async for d in self.counterparts.find({"created_by": user_id}, {"_id": 1})]

    async def all_counterpart_documents(self, kind: str | None = None) -> list[dict[str, Any]]:
        query = {"kind": kind} if kind else {}  # every counterpart has a kind: all of them, in kind order
        return [d async for d in self.counterparts.find(query).sort([("kind", ASCENDING), ("_id", ASCENDING)])]

    async def page_counterparts(self, kind: str | None, after_id: str | None, limit: int) -> list[Counterpart]:
        query: dict[str, Any] = {"kind": kind} if kind else {}
        if after_id:
            query["_id"] = {"$gt": after_id}
        cursor = self.counterparts.find(query).sort("_id", ASCENDING).limit(limit)
        return [Counterpart.model_validate(d) async for d in cursor]

    # -- interests, declines, roadshow leads ------------------------------------------------------
    async def set_decision(self, startup_id: str, counterpart_id: str, side: str, decision: str, user_id: str,
                           at: datetime) -> None:
        """Upsert one side's decision atomically (unique per pair and side)."""
        try:
            await self.interests.update_one(
                {"startup_id": startup_id, "counterpart_id": counterpart_id, "side": side},
                {"$set": {"decision": decision, "by_user_id": user_id, "at": at}}, upsert=True)
        except DuplicateKeyError:  # two concurrent first decisions: the other upsert inserted; update it
            await self.interests.update_one(
                {"startup_id": startup_id, "counterpart_id": counterpart_id, "side": side},
                {"$set": {"decision": decision, "by_user_id": user_id, "at": at}})

    async def decisions_of_pair(self, startup_id: str, counterpart_id: str) -> dict[str, dict[str, Any]]:
        cursor = self.interests.find({"startup_id": startup_id, "counterpart_id": counterpart_id})
        return {d["side"]: d async for d in cursor}

    async def decisions(self, *, startup_ids: Sequence[str] | None = None,
                        counterpart_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Decisions touching these startups (or these counterparts)."""
        if startup_ids is not None:
            return [d async for d in find_in(self.interests, "startup_id", startup_ids)]
        return [d async for d in find_in(self.interests, "counterpart_id", counterpart_ids or [])]

    async def leads_for(self, *, startup_ids: Sequence[str] | None = None,
                        investor_user_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        projection = {"startup_id": 1, "investor_user_id": 1, "at": 1, "roadshow_id": 1}
        if startup_ids is not None:
            return [d async for d in find_in(self.leads, "startup_id", startup_ids, projection=projection)]
        return [d async for d in find_in(self.leads, "investor_user_id", investor_user_ids or [],
                                         projection=projection)]

    # -- startup profiles (edits conditional on the incubator the editor's rights were checked on) ----
    async def update_startup_in(self, startup_id: str, incubator_id: str | None, changes: dict[str, Any]
                                ) -> StartupProfile | None:
        """Apply ``changes`` only while the startup is still in ``incubator_id``; None otherwise."""
        found = await self.startups.find_one_and_update({"_id": startup_id, "incubator_id": incubator_id},
                                                        {"$set": changes}, return_document=ReturnDocument.AFTER)
        return StartupProfile.model_validate(found) if found else None

    async def follow_startup(self, startup_id: str, incubator_id: str | None) -> None:
        """After a move: the startup's accounts and its matches belong to its new incubator (signed
        cooperations keep the incubator they were signed in)."""
        await self.durable_users.update_many({"startup_id": startup_id}, {"$set": {"incubator_id": incubator_id}})
        await self.matches.update_many({"startup_id": startup_id}, {"$set": {"incubator_id": incubator_id}})

    async def user_ids_of_startup(self, startup_id: str) -> list[str]:
        return [d["_id"] async for d in self.users.find({"startup_id": startup_id}, {"_id": 1})]

    # -- matches and negotiation -------------------------------------------------------------------
    async def insert_match(self, document: dict[str, Any]) -> bool:
        """True if this call created the match (the unique pair index refuses a second one)."""
        try:
            await self.matches.insert_one(document)
        except DuplicateKeyError:
            return False
        return True

    async def match(self, match_id: str) -> Match | None:
        found = await self.matches.find_one({"_id": match_id})
        return Match.model_validate(found) if found else None

    async def match_of_pair(self, startup_id: str, counterpart_id: str) -> Match | None:
        found = await self.matches.find_one({"startup_id": startup_id, "counterpart_id": counterpart_id})
        return Match.model_validate(found) if found else None

    async def matches_page(self, query: dict[str, Any], before: tuple[datetime, str] | None,
                           limit: int) -> list[Match]:
        """Newest first, after the keyset ``before``. A ``{field: {"$in": [...]}}`` runs once per value."""
        queries = _split_in(query)
        rows: list[dict[str, Any]] = []
        for one in queries:
            rows += await _keyset(self.matches, one, "created_at", before, limit)
        rows.sort(key=lambda d: (d["created_at"], d["_id"]), reverse=True)
        return [Match.model_validate(d) for d in rows[:limit]]

    async def insert_message(self, document: dict[str, Any]) -> Message:
        await self.messages.insert_one(document)
        return Message.model_validate(document)

    async def messages_before(self, match_id: str, before: tuple[datetime, str] | None, limit: int) -> list[Message]:
        rows = await _keyset(self.messages, {"match_id": match_id}, "at", before, limit)
        return [Message.model_validate(d) for d in rows]

    # -- sessions ----------------------------------------------------------------------------------
    async def insert_session(self, document: dict[str, Any]) -> Session:
        await self.sessions.insert_one(document)
        return Session.model_validate(document)

    async def session(self, session_id: str) -> Session | None:
        found = await self.sessions.find_one({"_id": session_id})
        return Session.model_validate(found) if found else None

    async def replace_meetings(self, session_id: str, version: int, meetings: list[dict[str, Any]],
                               extra: dict[str, Any]) -> Session | None:
        """Optimistic concurrency: only if nobody changed the schedule since ``version``."""
        found = await self.sessions.find_one_and_update(
            {"_id": session_id, "version": version},
            {"$set": {"meetings": meetings, **extra}, "$inc": {"version": 1}},
            return_document=ReturnDocument.AFTER)
        return Session.model_validate(found) if found else None

    async def sessions_of_parties(self, party_ids: Sequence[str], limit: int = 50) -> list[Session]:
        cursor = self.sessions.find({"party_ids": {"$in": list(party_ids)}}).sort("created_at", DESCENDING)
        return [Session.model_validate(d) async for d in cursor.limit(limit)]

    async def sessions_page(self, organiser: str | None, limit: int) -> list[Session]:
        query = {"organiser_user_id": organiser} if organiser else {}
        cursor = self.sessions.find(query).sort("created_at", DESCENDING).limit(limit)
        return [Session.model_validate(d) async for d in cursor]

    # -- cooperations ------------------------------------------------------------------------------
    async def insert_cooperation(self, document: dict[str, Any]) -> Cooperation:
        await self.cooperations.insert_one(_store(document))
        return Cooperation.model_validate(document)

    async def cooperations_in_quarters(self, incubator_ids: Sequence[str], quarters: Sequence[str]
                                       ) -> list[dict[str, Any]]:
        # By quarter (index quarter_incubator), the incubators picked here: the embedded server plans no
        # index for two $in conditions at once.
        wanted = set(incubator_ids)
        cursor = self.cooperations.find({"quarter": {"$in": list(quarters)}}, {"incubator_id": 1, "quarter": 1, "type": 1})
        return [d async for d in cursor if d.get("incubator_id") in wanted]

    async def cooperations_of_match(self, match_id: str) -> list[Cooperation]:
        return [Cooperation.model_validate(d) async for d in self.cooperations.find({"match_id": match_id})]
