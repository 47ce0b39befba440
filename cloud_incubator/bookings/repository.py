"""Every database access of IP-workstation bookings, and the indexes those queries use.

Integrity lives in the database:
- ``ip_bookings``: a partial unique index on (advisor_id, start) over active bookings (booked, held,
  no-show; a cancelled booking drops ``active``) — the second claim of a slot fails with E11000.
  A second one on (startup_id, start) backs the ledger for equal starts.
- ``ip_ledgers``: one document per startup holding its open bookings' time spans and per-workstation
  open counts; a booking is admitted by ONE conditional update whose filter says "no held span overlaps
  and the open count at this workstation is under the limit" (and the no-show counter is unchanged).
- ``ip_waitlist``: unique (advisor_id, start, seq) and a partial unique (advisor_id, start, startup_id)
  over waiting entries; promotion claims an entry with one conditional update (waiting → promoting).
- ``ip_schedules``: one document per advisor, replaced by version (optimistic concurrency), so two
  overlapping availability rules cannot both be written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from backend.db import Document, durable, find_in, register_indexes
from cloud_incubator.bookings.models import (
    Attachment,
    Booking,
    Schedule,
    WaitEntry,
    WaitStatus,
    Workstation,
)

WORKSTATIONS = "ip_workstations"
SCHEDULES = "ip_schedules"
BOOKINGS = "ip_bookings"
LEDGERS = "ip_ledgers"
WAITLIST = "ip_waitlist"
COUNTERS = "ip_waitlist_counters"
ATTACHMENTS = "ip_attachments"

ACTIVE = {"active": True}

# The embedded server uses an index only when every filtered field is in it, equalities before the one range,
# and never for ``$in`` together with a range: such queries run once per value (``_each``).

register_indexes(
    WORKSTATIONS,
    IndexModel([("incubator_id", ASCENDING), ("name_en", ASCENDING)], unique=True, name="incubator_name"),
    IndexModel([("advisor_ids", ASCENDING)], name="advisor"),
    IndexModel([("topics", ASCENDING)], name="topic"),
    IndexModel([("incubator_id", ASCENDING), ("advisor_ids", ASCENDING)], name="incubator_advisor"),
    IndexModel([("incubator_id", ASCENDING), ("topics", ASCENDING)], name="incubator_topic"),
)
register_indexes(
    BOOKINGS,
    IndexModel([("advisor_id", ASCENDING), ("start", ASCENDING)], unique=True, name="one_active_per_slot",
               partialFilterExpression=ACTIVE),
    IndexModel([("startup_id", ASCENDING), ("start", ASCENDING)], unique=True, name="startup_one_active_per_start",
               partialFilterExpression=ACTIVE),
    IndexModel([("advisor_id", ASCENDING), ("start", ASCENDING), ("_id", ASCENDING)], name="advisor_start"),
    IndexModel([("startup_id", ASCENDING), ("start", ASCENDING), ("_id", ASCENDING)], name="startup_start"),
    IndexModel([("workstation_id", ASCENDING), ("start", ASCENDING)], name="workstation_start"),
    IndexModel([("incubator_id", ASCENDING), ("start", ASCENDING)], name="incubator_start"),
    IndexModel([("status", ASCENDING), ("start", ASCENDING)], name="status_start"),
    IndexModel([("advisor_id", ASCENDING), ("active", ASCENDING), ("start", ASCENDING), ("_id", ASCENDING)],
               name="advisor_active_start"),
    IndexModel([("advisor_id", ASCENDING), ("status", ASCENDING), ("start", ASCENDING), ("_id", ASCENDING)],
               name="advisor_status_start"),
)
register_indexes(
    WAITLIST,
    IndexModel([("advisor_id", ASCENDING), ("start", ASCENDING), ("seq", ASCENDING)], unique=True, name="slot_seq"),
    IndexModel([("advisor_id", ASCENDING), ("start", ASCENDING), ("startup_id", ASCENDING)], unique=True,
               name="one_wait_per_startup", partialFilterExpression={"status": "waiting"}),
    IndexModel([("advisor_id", ASCENDING), ("start", ASCENDING), ("status", ASCENDING), ("seq", ASCENDING)],
               name="slot_status_seq"),
    IndexModel([("startup_id", ASCENDING), ("status", ASCENDING)], name="startup_status"),
    IndexModel([("advisor_id", ASCENDING), ("status", ASCENDING), ("start", ASCENDING), ("seq", ASCENDING)],
               name="advisor_status_start_seq"),
)
register_indexes(ATTACHMENTS, IndexModel([("booking_id", ASCENDING)], name="booking"),
                 # attachments_of sorts by upload time within the booking
                 IndexModel([("booking_id", ASCENDING), ("created_at", ASCENDING)], name="booking_created"))


async def _each(query: Callable[[Any], Awaitable[list[dict[str, Any]]]], keys: Sequence[Any]) -> list[dict[str, Any]]:
    """Run ``query`` once per distinct key, concurrently; the rows of all."""
    parts = await asyncio.gather(*(query(k) for k in dict.fromkeys(keys)))
    return [row for part in parts for row in part]


class BookingRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.workstations = durable(db, WORKSTATIONS)
        self.schedules = durable(db, SCHEDULES)
        self.bookings = durable(db, BOOKINGS)
        self.ledgers = durable(db, LEDGERS)
        self.waitlist = durable(db, WAITLIST)
        self.counters = durable(db, COUNTERS)
        self.attachments = durable(db, ATTACHMENTS)

    # --- workstations -------------------------------------------------------------------------
    async def insert_workstation(self, document: dict[str, Any]) -> Workstation:
        await self.workstations.insert_one(document)
        return Workstation.model_validate(document)

    async def update_workstation(self, workstation_id: str, changes: dict[str, Any]
                                 ) -> tuple[Workstation, Workstation] | None:
        """Apply ``changes``; answers (before, after) of this very write (so a caller knows exactly which
        advisors its write removed, whatever concurrent updates did), None if there is no such workstation."""
        document = await self.workstations.find_one_and_update({"_id": workstation_id}, {"$set": changes},
                                                               return_document=ReturnDocument.BEFORE)
        if document is None:
            return None
        return Workstation.model_validate(document), Workstation.model_validate({**document, **changes})

    async def workstations_by_ids(self, ids: Sequence[str]) -> list[Workstation | None]:
        found = {d["_id"]: Workstation.model_validate(d)
                 async for d in find_in(self.workstations, "_id", ids)}
        return [found.get(i) for i in ids]

    async def workstation(self, workstation_id: str) -> Workstation | None:
        return (await self.workstations_by_ids([workstation_id]))[0]

    async def find_workstations(self, incubator_id: str | None = None, topic: str | None = None,
                                advisor_id: str | None = None) -> list[Workstation]:
        query: dict[str, Any] = {}
        if incubator_id:
            query["incubator_id"] = incubator_id
        if topic:
            query["topics"] = topic
        if advisor_id:
            query["advisor_ids"] = advisor_id
        sort = [("incubator_id", ASCENDING), ("name_en", ASCENDING)]
        return [Workstation.model_validate(d) async for d in self.workstations.find(query).sort(sort).limit(500)]

    # --- schedules ------------------------------------------------------------------------------
    async def schedules_of(self, advisor_ids: Sequence[str]) -> dict[str, Schedule]:
        found = {d["_id"]: Schedule.model_validate(d)
                 async for d in find_in(self.schedules, "_id", advisor_ids)}
        return {a: found.get(a) or Schedule(_id=a) for a in advisor_ids}

    async def replace_schedule(self, schedule: Schedule, expected_version: int) -> bool:
        """Write the schedule only if nobody changed it since ``expected_version`` was read."""
        body = schedule.model_dump(mode="json", by_alias=True, exclude={"advisor_id", "version"})
        body["version"] = expected_version + 1
        if expected_version == 0:   # the first schedule: a plain insert, so two first writers cannot both win
            try:
                await self.schedules.insert_one({"_id": schedule.advisor_id, **body})
            except DuplicateKeyError:
                return False
            return True
        result = await self.schedules.update_one({"_id": schedule.advisor_id, "version": expected_version},
                                                 {"$set": body})
        return result.modified_count == 1

    # --- ledger (per startup) ---------------------------------------------------------------------
    async def ledger(self, startup_id: str) -> dict[str, Any]:
        """The startup's ledger, created empty on first use."""
        found = await self.ledgers.find_one({"_id": startup_id})
        if found is not None:
            return found
        try:
            document = await self.ledgers.find_one_and_update(
                {"_id": startup_id}, {"$setOnInsert": {"holds": [], "open": {}, "no_shows": [], "marks": 0}},
                upsert=True, return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:   # a concurrent first use created it
            document = None
        if document is None:
            document = await self.ledgers.find_one({"_id": startup_id})
        return document or {}

    async def try_hold(self, startup_id: str, hold: dict[str, Any], *, marks: int, limit: int | None,
                       ignore_booking: str | None = None) -> bool:
        """Add a held span if none of the startup's other spans overlaps it and (when ``limit`` is given)
        its open count at that workstation is below ``limit`` — one conditional update."""
        overlap: dict[str, Any] = {"start": {"$lt": hold["end"]}, "end": {"$gt": hold["start"]}}
        if ignore_booking is not None:
            overlap["booking_id"] = {"$ne": ignore_booking}
        query: dict[str, Any] = {"_id": startup_id, "marks": marks,
                                 "holds": {"$not": {"$elemMatch": overlap}}}
        update: dict[str, Any] = {"$push": {"holds": hold}}
        if limit is not None:
            key = f"open.{hold['workstation_id']}"
            query["$or"] = [{key: {"$exists": False}}, {key: {"$lt": limit}}]
            update["$inc"] = {key: 1}
        result = await self.ledgers.update_one(query, update)
        return result.modified_count == 1

    async def release_hold(self, startup_id: str, hold_id: str, workstation_id: str, *, count: bool,
                           no_show_at: datetime | None = None) -> None:
        """Drop a held span (and its open count) once: the filter requires the span to be there."""
        update: dict[str, Any] = {"$pull": {"holds": {"hold_id": hold_id}}}
        if count:
            update["$inc"] = {f"open.{workstation_id}": -1}
        await self.ledgers.update_one({"_id": startup_id, "holds.hold_id": hold_id}, update)
        if no_show_at is not None:
            # recorded whatever happened to the span; ``marks`` invalidates concurrent limit checks
            await self.ledgers.update_one({"_id": startup_id}, {
                "$push": {"no_shows": {"workstation_id": workstation_id, "at": no_show_at}}, "$inc": {"marks": 1}},
                upsert=True)

    # --- bookings ---------------------------------------------------------------------------------
    async def insert_booking(self, document: dict[str, Any]) -> Booking:
        """Raises DuplicateKeyError when the slot (or the startup's start time) is already held."""
        await self.bookings.insert_one(document)
        return Booking.model_validate(document)

    async def booking(self, booking_id: str) -> Booking | None:
        document = await self.bookings.find_one({"_id": booking_id})
        return Booking.model_validate(document) if document else None

    async def transition(self, booking_id: str, expected: dict[str, Any], changes: dict[str, Any],
                         unset_active: bool = False) -> Booking | None:
        """Conditional update: only if the booking still matches ``expected`` (status, sequence)."""
        update: dict[str, Any] = {"$set": changes}
        if unset_active:
            update["$unset"] = {"active": ""}
        document = await self.bookings.find_one_and_update({"_id": booking_id, **expected}, update,
                                                           return_document=ReturnDocument.AFTER)
        return Booking.model_validate(document) if document else None

    async def active_starts(self, advisor_ids: Sequence[str], start: datetime, end: datetime) -> set[tuple[str, datetime]]:
        async def one(advisor_id: str) -> list[dict[str, Any]]:
            cursor = self.bookings.find({"advisor_id": advisor_id, "start": {"$gte": start, "$lt": end}, "active": True},
                                        {"advisor_id": 1, "start": 1})
            return [d async for d in cursor]

        return {(d["advisor_id"], d["start"]) for d in await _each(one, advisor_ids)}

    async def active_at(self, advisor_id: str, start: datetime) -> Booking | None:
        document = await self.bookings.find_one({"advisor_id": advisor_id, "start": start, "active": True})
        return Booking.model_validate(document) if document else None

    async def open_of_advisor(self, advisor_id: str, after: datetime, before: datetime | None) -> list[Booking]:
        """The advisor's still-booked consultations starting in (after, before) (no upper bound when None)."""
        span: dict[str, Any] = {"$gt": after}
        if before is not None:
            span["$lt"] = before
        cursor = self.bookings.find({"advisor_id": advisor_id, "start": span, "status": "booked"}).sort(
            [("start", ASCENDING), ("_id", ASCENDING)])
        return [Booking.model_validate(d) async for d in cursor]

    async def withdraw_booking(self, booking_id: str) -> bool:
        """Delete a booking that was never confirmed to anyone, only if nothing changed it since its insert."""
        result = await self.bookings.delete_one({"_id": booking_id, "status": "booked", "sequence": 0})
        return result.deleted_count == 1

    async def of_advisor(self, advisor_id: str, start: datetime, end: datetime,
                         include_cancelled: bool = False) -> list[Booking]:
        query: dict[str, Any] = {"advisor_id": advisor_id, "start": {"$gte": start, "$lt": end}}
        if not include_cancelled:
            query["active"] = True
        cursor = self.bookings.find(query).sort([("start", ASCENDING), ("_id", ASCENDING)]).limit(2000)
        return [Booking.model_validate(d) async for d in cursor]

    async def of_startup(self, startup_id: str, start: datetime, end: datetime) -> list[Booking]:
        cursor = self.bookings.find({"startup_id": startup_id, "start": {"$gte": start, "$lt": end}}).sort(
            [("start", ASCENDING), ("_id", ASCENDING)]).limit(500)
        return [Booking.model_validate(d) async for d in cursor]

    async def of_incubator(self, incubator_id: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        cursor = self.bookings.find({"incubator_id": incubator_id, "start": {"$gte": start, "$lt": end}},
                                    {"workstation_id": 1, "startup_id": 1, "status": 1, "topic": 1})
        return [d async for d in cursor]

    async def attended_between(self, incubator_ids: Sequence[str], start: datetime, end: datetime
                               ) -> list[dict[str, Any]]:
        """Consultations marked held or no-show of these incubators starting in [start, end). One query per
        status (index status_start), incubators picked here: the round trips stay two however many
        incubators a ranking has."""
        wanted = set(incubator_ids)
        out: list[dict[str, Any]] = []
        for status in ("held", "no_show"):
            cursor = self.bookings.find({"status": status, "start": {"$gte": start, "$lt": end}},
                                        {"incubator_id": 1, "start": 1, "status": 1, "topic": 1})
            out += [d async for d in cursor if d.get("incubator_id") in wanted]
        return out

    # --- waitlist -----------------------------------------------------------------------------------
    async def next_seq(self, advisor_id: str, start: datetime) -> int:
        """The slot's next waitlist number: an atomic ``$inc`` on the slot's counter document.

        The counter is created by a plain insert (a duplicate means another request created it), never
        by a racing upsert: the embedded server can apply a racing upsert yet answer null, and a retry
        would then skip a number."""
        key = {"_id": f"{advisor_id}|{start.isoformat()}"}
        for _ in range(3):
            document = await self.counters.find_one_and_update(key, {"$inc": {"seq": 1}},
                                                               return_document=ReturnDocument.AFTER)
            if document is not None:
                return int(document["seq"])
            try:
                await self.counters.insert_one({**key, "seq": 0})
            except DuplicateKeyError:
                pass
        raise RuntimeError("waitlist counter could not be incremented")

    async def insert_wait(self, document: dict[str, Any]) -> WaitEntry:
        await self.waitlist.insert_one(document)
        return WaitEntry.model_validate(document)

    async def claim_first_waiting(self, advisor_id: str, start: datetime) -> WaitEntry | None:
        document = await self.waitlist.find_one_and_update(
            {"advisor_id": advisor_id, "start": start, "status": WaitStatus.waiting.value},
            {"$set": {"status": WaitStatus.promoting.value}}, sort=[("seq", ASCENDING)],
            return_document=ReturnDocument.AFTER)
        return WaitEntry.model_validate(document) if document else None

    async def set_wait_status(self, entry_id: str, expected: WaitStatus, status: WaitStatus,
                              **fields: Any) -> bool:
        result = await self.waitlist.update_one({"_id": entry_id, "status": expected.value},
                                                {"$set": {"status": status.value, **fields}})
        return result.modified_count == 1

    async def waiting(self, advisor_id: str, start: datetime) -> list[WaitEntry]:
        cursor = self.waitlist.find({"advisor_id": advisor_id, "start": start, "status": WaitStatus.waiting.value}
                                    ).sort("seq", ASCENDING)
        return [WaitEntry.model_validate(d) async for d in cursor]

    async def waiting_counts(self, advisor_ids: Sequence[str], start: datetime, end: datetime) -> dict[tuple[str, datetime], int]:
        counts: dict[tuple[str, datetime], int] = {}

        async def one(advisor_id: str) -> list[dict[str, Any]]:
            cursor = self.waitlist.find({"advisor_id": advisor_id, "start": {"$gte": start, "$lt": end},
                                         "status": WaitStatus.waiting.value}, {"advisor_id": 1, "start": 1})
            return [d async for d in cursor]

        for d in await _each(one, advisor_ids):
            key = (d["advisor_id"], d["start"])
            counts[key] = counts.get(key, 0) + 1
        return counts

    async def waiting_of_advisor(self, advisor_id: str, after: datetime, before: datetime | None) -> list[WaitEntry]:
        span: dict[str, Any] = {"$gt": after}
        if before is not None:
            span["$lt"] = before
        cursor = self.waitlist.find({"advisor_id": advisor_id, "start": span, "status": WaitStatus.waiting.value}
                                    ).sort([("start", ASCENDING), ("seq", ASCENDING)])
        return [WaitEntry.model_validate(d) async for d in cursor]

    async def wait_entry(self, entry_id: str) -> WaitEntry | None:
        document = await self.waitlist.find_one({"_id": entry_id})
        return WaitEntry.model_validate(document) if document else None

    async def waits_of_startup(self, startup_id: str) -> list[WaitEntry]:
        cursor = self.waitlist.find({"startup_id": startup_id, "status": WaitStatus.waiting.value}).limit(500)
        return [WaitEntry.model_validate(d) async for d in cursor]

    # --- attachments ----------------------------------------------------------------------------------
    async def insert_attachment(self, document: dict[str, Any]) -> Attachment:
        await self.attachments.insert_one(document)
        return Attachment.model_validate(document)

    async def attachments_of(self, booking_id: str) -> list[Attachment]:
        cursor = self.attachments.find({"booking_id": booking_id}, {"data": 0}).sort("created_at", ASCENDING)
        return [Attachment.model_validate(d) async for d in cursor]

    async def attachment_data(self, attachment_id: str) -> dict[str, Any] | None:
        return await self.attachments.find_one({"_id": attachment_id})

    async def count_attachments(self, booking_id: str) -> int:
        return await self.attachments.count_documents({"booking_id": booking_id})

    async def reserve_attachment(self, booking_id: str, limit: int) -> str:
        """Take one of the booking's ``limit`` attachment places: ONE conditional ``$inc`` of the booking's
        ``attachment_count`` (only while it is below ``limit`` and the booking is open). Answers "ok",
        "full" or "closed". A booking stored before the counter existed gets it set once from its stored
        attachments (only the first setter wins; uploads need the counter, so none slips in between)."""
        for _ in range(2):
            found = await self.bookings.find_one_and_update(
                {"_id": booking_id, "status": "booked", "attachment_count": {"$lt": limit}},
                {"$inc": {"attachment_count": 1}}, projection={"_id": 1})
            if found is not None:
                return "ok"
            current = await self.bookings.find_one({"_id": booking_id}, {"status": 1, "attachment_count": 1})
            if current is None or current.get("status") != "booked":
                return "closed"
            if "attachment_count" in current:
                return "full"
            stored = await self.count_attachments(booking_id)
            await self.bookings.update_one({"_id": booking_id, "attachment_count": {"$exists": False}},
                                           {"$set": {"attachment_count": stored}})
        return "full"

    async def release_attachment(self, booking_id: str) -> None:
        """Give a reserved place back (its insert failed)."""
        await self.bookings.update_one({"_id": booking_id, "attachment_count": {"$gt": 0}},
                                       {"$inc": {"attachment_count": -1}})

