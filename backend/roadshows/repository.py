"""Every database access of roadshows: schedules, room state (messages, questions, participants,
attendance, presence), slide decks (GridFS) and investor leads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from gridfs import AsyncGridFSBucket
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from backend.db import Document, durable, find_in, register_indexes
from backend.roadshows.models import Roadshow, SlideDeck

ROADSHOWS = "roadshows"
ROOM_LOG = "ws_events"  # the room log (cloud_incubator.store): chat messages are its chat.message events
QUESTIONS = "room_questions"
PARTICIPANTS = "room_participants"
ATTENDANCE = "room_attendance"
PRESENCE = "room_presence"
SLIDE_DECKS = "slide_decks"
SLIDES_BUCKET = "slides"
LEADS = "leads"

register_indexes(ROADSHOWS, IndexModel([("status", ASCENDING), ("starts_at", ASCENDING)], name="status_starts"),
                 IndexModel([("starts_at", ASCENDING)], name="starts_at"),
                 IndexModel([("status", ASCENDING), ("starts_at", DESCENDING), ("_id", DESCENDING)],
                            name="status_starts_desc_id"),
                 IndexModel([("starts_at", DESCENDING), ("_id", DESCENDING)], name="starts_desc_id"),
                 # update_if's conditions ({_id, status}, + pitch_index, + phase): the embedded server uses
                 # an index only when the filter's fields are exactly its leading fields.
                 IndexModel([("_id", ASCENDING), ("status", ASCENDING), ("pitch_index", ASCENDING),
                             ("phase", ASCENDING)], name="id_status_pitch_phase"))
register_indexes(ROOM_LOG, IndexModel([("topic", ASCENDING), ("event", ASCENDING), ("seq", ASCENDING)], name="topic_event_seq"),
                 # remove_message's filter, field for field (the embedded server needs exactly these)
                 IndexModel([("topic", ASCENDING), ("data.message_id", ASCENDING), ("event", ASCENDING),
                             ("removed", ASCENDING)], name="topic_message_removed"))
register_indexes(QUESTIONS, IndexModel([("roadshow_id", ASCENDING), ("at", ASCENDING)], name="room_at"))
register_indexes(PARTICIPANTS, IndexModel([("roadshow_id", ASCENDING), ("user_id", ASCENDING)], name="room_user"))
register_indexes(ATTENDANCE, IndexModel([("roadshow_id", ASCENDING), ("joined_at", ASCENDING)], name="room_joined"),
                 IndexModel([("roadshow_id", ASCENDING), ("user_id", ASCENDING), ("left_at", ASCENDING)],
                            name="room_user_left"),
                 IndexModel([("left_at", ASCENDING), ("roadshow_id", ASCENDING)], name="open_room"),
                 IndexModel([("_id", ASCENDING), ("left_at", ASCENDING)], name="id_open"))
register_indexes(PRESENCE, IndexModel([("roadshow_id", ASCENDING), ("at", ASCENDING)], name="room_at"))
register_indexes(SLIDE_DECKS, IndexModel([("roadshow_id", ASCENDING), ("pitch_index", ASCENDING)], name="room_pitch"))
register_indexes(f"{SLIDES_BUCKET}.files", IndexModel([("filename", ASCENDING), ("uploadDate", ASCENDING)],
                                                      name="filename_upload"))
register_indexes(f"{SLIDES_BUCKET}.chunks", IndexModel([("files_id", ASCENDING), ("n", ASCENDING)], unique=True,
                                                       name="files_id_n"))
register_indexes(LEADS,
                 IndexModel([("investor_user_id", ASCENDING), ("startup_id", ASCENDING), ("roadshow_id", ASCENDING)],
                            unique=True, name="investor_startup_roadshow"),
                 IndexModel([("startup_id", ASCENDING), ("at", DESCENDING)], name="startup_at"),
                 IndexModel([("roadshow_id", ASCENDING), ("pitch_index", ASCENDING)], name="roadshow_pitch"))


class RoadshowRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.roadshows = durable(db, ROADSHOWS)
        self.log = durable(db, ROOM_LOG)
        self.questions = durable(db, QUESTIONS)
        self.participants = durable(db, PARTICIPANTS)
        self.attendance = durable(db, ATTENDANCE)
        self.presence = db[PRESENCE]
        self.decks = durable(db, SLIDE_DECKS)
        self.leads = durable(db, LEADS)
        self.bucket = AsyncGridFSBucket(db, bucket_name=SLIDES_BUCKET)

    # -- schedules -------------------------------------------------------------------------------
    async def insert(self, document: dict[str, Any]) -> Roadshow:
        await self.roadshows.insert_one(document)
        return Roadshow.model_validate(document)

    async def get(self, roadshow_id: str) -> Roadshow | None:
        doc = await self.roadshows.find_one({"_id": roadshow_id})
        return Roadshow.model_validate(doc) if doc else None

    async def by_ids(self, ids: list[str]) -> list[Roadshow | None]:
        found = {d["_id"]: Roadshow.model_validate(d) async for d in find_in(self.roadshows, "_id", ids)}
        return [found.get(i) for i in ids]

    async def listing(self, status: str | None, limit: int, before: tuple[datetime, str] | None = None
                      ) -> list[Roadshow]:
        """Newest first (by start time, then id), starting strictly before ``before`` when given."""
        query: dict[str, Any] = {"status": status} if status else {}
        order = [("starts_at", DESCENDING), ("_id", DESCENDING)]
        sort = [("status", ASCENDING), *order] if status else order
        if before is None:
            return [Roadshow.model_validate(d) async for d in self.roadshows.find(query, sort=sort, limit=limit)]
        # Two index-friendly reads instead of one $or (which the embedded server would scan): the rest of
        # the cursor's start time, then the earlier start times.
        starts_at, roadshow_id = before
        rows = [d async for d in self.roadshows.find({**query, "starts_at": starts_at, "_id": {"$lt": roadshow_id}},
                                                     sort=sort, limit=limit)]
        if len(rows) < limit:
            rows += [d async for d in self.roadshows.find({**query, "starts_at": {"$lt": starts_at}}, sort=sort,
                                                          limit=limit - len(rows))]
        return [Roadshow.model_validate(d) for d in rows]

    async def update_if(self, roadshow_id: str, condition: dict[str, Any], changes: dict[str, Any]) -> Roadshow | None:
        """Atomic conditional update: None when the condition no longer holds."""
        doc = await self.roadshows.find_one_and_update({"_id": roadshow_id, **condition}, changes,
                                                       return_document=ReturnDocument.AFTER)
        return Roadshow.model_validate(doc) if doc else None

    # -- chat (stored once, as the room log's chat.message events) ------------------------------------
    @staticmethod
    def _message(doc: dict[str, Any]) -> dict[str, Any]:
        data = doc["data"]
        author = data.get("author") or {}
        return {"_id": data["message_id"], "text": data["text"], "author": author,
                "author_name": author.get("name", ""), "author_organisation": author.get("organisation", ""),
                "pitch_index": data.get("pitch_index"), "at": data.get("at") or doc["at"], "seq": doc["seq"],
                "removed": bool(doc.get("removed"))}

    async def remove_message(self, roadshow_id: str, message_id: str, by: str, at: datetime) -> bool:
        result = await self.log.update_one(
            {"topic": f"room:{roadshow_id}", "data.message_id": message_id, "event": "chat.message",
             "removed": None}, {"$set": {"removed": True, "removed_by": by, "removed_at": at}})
        return result.modified_count == 1

    async def recent_messages(self, roadshow_id: str, limit: int) -> list[dict[str, Any]]:
        cursor = self.log.find({"topic": f"room:{roadshow_id}", "event": "chat.message"},
                               sort=[("seq", DESCENDING)], limit=limit * 2)
        rows = [self._message(d) async for d in cursor if not d.get("removed")][:limit]
        return list(reversed(rows))

    async def all_messages(self, roadshow_id: str) -> list[dict[str, Any]]:
        cursor = self.log.find({"topic": f"room:{roadshow_id}", "event": "chat.message"}, sort=[("seq", ASCENDING)])
        return [self._message(d) async for d in cursor]

    # -- questions -------------------------------------------------------------------------------
    async def add_question(self, document: dict[str, Any]) -> None:
        await self.questions.insert_one(document)

    async def question(self, roadshow_id: str, question_id: str) -> dict[str, Any] | None:
        return await self.questions.find_one({"_id": question_id, "roadshow_id": roadshow_id})

    async def upvote(self, roadshow_id: str, question_id: str, user_id: str) -> dict[str, Any] | None:
        """Adds one vote per user atomically; None if this user had already voted (or no such question)."""
        return await self.questions.find_one_and_update(
            {"_id": question_id, "roadshow_id": roadshow_id, "upvoters": {"$ne": user_id}},
            {"$push": {"upvoters": user_id}, "$inc": {"upvotes": 1}}, return_document=ReturnDocument.AFTER)

    async def set_question(self, roadshow_id: str, question_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        return await self.questions.find_one_and_update({"_id": question_id, "roadshow_id": roadshow_id},
                                                        {"$set": changes}, return_document=ReturnDocument.AFTER)

    async def hidden_question_ids(self, roadshow_id: str, ids: set[str]) -> set[str]:
        """Those of ``ids`` that moderators have hidden (by primary key)."""
        cursor = find_in(self.questions, "_id", sorted(ids), projection={"roadshow_id": 1, "hidden": 1})
        return {d["_id"] async for d in cursor if d.get("roadshow_id") == roadshow_id and d.get("hidden")}

    async def questions_of(self, roadshow_id: str) -> list[dict[str, Any]]:
        return [d async for d in self.questions.find({"roadshow_id": roadshow_id}, sort=[("at", ASCENDING)])]

    # -- participants ----------------------------------------------------------------------------
    async def participant(self, roadshow_id: str, user_id: str) -> dict[str, Any] | None:
        return await self.participants.find_one({"_id": f"{roadshow_id}:{user_id}"})

    async def touch_participant(self, roadshow_id: str, user: dict[str, Any], at: datetime) -> dict[str, Any]:
        doc = await self.participants.find_one_and_update(
            {"_id": f"{roadshow_id}:{user['user_id']}"},
            {"$setOnInsert": {"roadshow_id": roadshow_id, "user_id": user["user_id"], "muted": False,
                              "removed": False, "first_joined_at": at},
             "$set": {"name": user["name"], "organisation": user["organisation"], "role": user["role"],
                      "last_joined_at": at}},
            upsert=True, return_document=ReturnDocument.AFTER)
        return doc  # type: ignore[no-any-return]

    async def set_participant(self, roadshow_id: str, user_id: str, changes: dict[str, Any]) -> None:
        await self.participants.update_one(
            {"_id": f"{roadshow_id}:{user_id}"},
            {"$set": changes, "$setOnInsert": {"roadshow_id": roadshow_id, "user_id": user_id}}, upsert=True)

    # -- attendance (one interval per user per process) -------------------------------------------
    async def open_attendance(self, roadshow_id: str, user_id: str, origin: str, at: datetime) -> Any:
        """A new open row; returns its id (the process closes that row when the user leaves)."""
        result = await self.attendance.insert_one({"roadshow_id": roadshow_id, "user_id": user_id,
                                                   "origin": origin, "joined_at": at, "left_at": None})
        return result.inserted_id

    async def open_attendance_rows(self, roadshow_id: str | None = None, user_id: str | None = None
                                   ) -> list[dict[str, Any]]:
        """Rows without a leave time: of one roadshow (and user), or of every roadshow."""
        query: dict[str, Any] = {"left_at": None}
        if roadshow_id is not None:
            query["roadshow_id"] = roadshow_id
            if user_id is not None:
                query["user_id"] = user_id
        return [d async for d in self.attendance.find(query)]

    async def close_attendance_row(self, row_id: Any, at: datetime, reason: str) -> bool:
        """Closes one row unless something closed it meanwhile."""
        result = await self.attendance.update_one({"_id": row_id, "left_at": None},
                                                  {"$set": {"left_at": at, "closed_by": reason}})
        return result.modified_count == 1

    async def attendance_of(self, roadshow_id: str) -> list[dict[str, Any]]:
        return [d async for d in self.attendance.find({"roadshow_id": roadshow_id}, sort=[("joined_at", ASCENDING)])]

    # -- presence (each process writes who it holds; readers merge recent rows) --------------------
    async def write_presence(self, roadshow_id: str, origin: str, people: list[dict[str, Any]], at: datetime) -> None:
        await self.presence.replace_one({"_id": f"{roadshow_id}:{origin}"},
                                        {"roadshow_id": roadshow_id, "origin": origin, "people": people, "at": at},
                                        upsert=True)

    async def presence_since(self, roadshow_id: str, since: datetime) -> list[dict[str, Any]]:
        return [d async for d in self.presence.find({"roadshow_id": roadshow_id, "at": {"$gte": since}})]

    async def last_presence(self, roadshow_ids: Sequence[str]) -> dict[tuple[str, str], datetime]:
        """(roadshow, process origin) → when that process last wrote its presence row for that room."""
        cursor = find_in(self.presence, "roadshow_id", roadshow_ids,
                         projection={"roadshow_id": 1, "origin": 1, "at": 1})
        return {(d["roadshow_id"], d["origin"]): d["at"] async for d in cursor}

    # -- slides ----------------------------------------------------------------------------------
    async def deck(self, roadshow_id: str, pitch_index: int) -> SlideDeck | None:
        doc = await self.decks.find_one({"_id": f"{roadshow_id}:{pitch_index}"})
        return SlideDeck.model_validate(doc) if doc else None

    async def decks_of(self, roadshow_id: str) -> list[SlideDeck]:
        return (await self.decks_of_many([roadshow_id]))[0]

    async def decks_of_many(self, roadshow_ids: Sequence[str]) -> list[list[SlideDeck]]:
        """The decks of several roadshows in one query (a DataLoader batch), in the order asked."""
        grouped: dict[str, list[SlideDeck]] = {i: [] for i in roadshow_ids}
        cursor = find_in(self.decks, "roadshow_id", roadshow_ids,
                         sort=[("roadshow_id", ASCENDING), ("pitch_index", ASCENDING)])
        async for document in cursor:
            grouped[document["roadshow_id"]].append(SlideDeck.model_validate(document))
        return [grouped[i] for i in roadshow_ids]

    async def replace_deck(self, document: dict[str, Any]) -> SlideDeck | None:
        """Stores the new deck; returns the previous one (its files are then deleted)."""
        previous = await self.decks.find_one_and_replace({"_id": document["_id"]}, document, upsert=True)
        return SlideDeck.model_validate(previous) if previous else None

    # -- leads -----------------------------------------------------------------------------------
    async def add_lead(self, document: dict[str, Any]) -> None:
        await self.leads.insert_one(document)

    async def leads_of(self, roadshow_id: str) -> list[dict[str, Any]]:
        return [d async for d in self.leads.find({"roadshow_id": roadshow_id}, sort=[("pitch_index", ASCENDING)])]
