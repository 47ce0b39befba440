"""Fan-out of events to subscribed sockets, in this process or across processes.

``publish(state, topic, event, data)`` delivers an event frame to every connection subscribed to
``topic``; ``publish_logged`` also stores it in the event collection with the topic's next ``seq``
(room logs). Two broadcasters behind one interface, chosen by ``INCUBENCH_BROADCAST``:

- ``memory``: one process; frames go straight to the local hub.
- ``mongo``: every event is inserted into ``ws_events``; each process follows the collection with a
  change stream and delivers what it reads to its own sockets (store first, then broadcast).

A frame is serialised once per process and the same string is queued to every member (never an
``await send`` per member here: each connection's writer task drains its own bounded queue).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from pymongo.errors import BulkWriteError, PyMongoError

from cloud_incubator.protocol import event_frame, wire_text
from cloud_incubator.store import EventStore, event_key

if TYPE_CHECKING:
    from backend.state import AppState

log = logging.getLogger(__name__)
EPHEMERAL_KEEP_SECONDS = 300


class Subscriber(Protocol):
    def push(self, frame: str, topic: str | None = None, seq: int | None = None,
             wire: bytes | None = None) -> None: ...


class Hub:
    """This process's subscriptions: topic → connections."""

    def __init__(self) -> None:
        self.topics: dict[str, dict[int, Subscriber]] = defaultdict(dict)
        # event name → callbacks run in every process after local delivery (cache invalidation, kicks)
        self.listeners: dict[str, list[Callable[[str, dict[str, Any]], None]]] = defaultdict(list)

    def listen(self, event: str, callback: Callable[[str, dict[str, Any]], None]) -> None:
        if callback not in self.listeners[event]:
            self.listeners[event].append(callback)

    def notify(self, topic: str, event: str, data: dict[str, Any]) -> None:
        for callback in self.listeners.get(event, ()):
            try:
                callback(topic, data)
            except Exception:
                log.exception("listener for %s failed", event)

    def subscribe(self, topic: str, connection: Subscriber) -> None:
        self.topics[topic][id(connection)] = connection

    def unsubscribe(self, topic: str, connection: Subscriber) -> None:
        members = self.topics.get(topic)
        if members is not None:
            members.pop(id(connection), None)
            if not members:
                del self.topics[topic]

    def members(self, topic: str) -> list[Subscriber]:
        return list(self.topics.get(topic, {}).values())

    def deliver(self, topic: str, frame: str, seq: int | None = None) -> int:
        members = self.topics.get(topic)
        if not members:
            return 0
        wire = wire_text(frame)  # the wire bytes, built once for every member
        for connection in list(members.values()):
            connection.push(frame, topic, seq, wire)
        return len(members)


class TopicLog:
    """One topic's log writer. ``publish_logged`` numbers an event at once (the next ``seq``, no lock held
    across I/O); a committer task stores the numbered events in batches (one insert for whatever arrived while
    the previous batch was being written: a group commit) and hands each batch on in ``seq`` order."""

    def __init__(self) -> None:
        self.next_seq: int | None = None
        self.numbering = asyncio.Lock()  # only while the log's current end is read
        self.pending: list[tuple[dict[str, Any], asyncio.Future[int]]] = []
        self.committer: asyncio.Task[None] | None = None

    def renumber(self, documents: list[dict[str, Any]], start: int) -> None:
        """Give ``documents`` and every event still pending the numbers from ``start`` on, in their order."""
        seq = start
        for document in [*documents, *(d for d, _ in self.pending)]:
            document["seq"], document["_id"] = seq, event_key(document["topic"], seq)
            seq += 1
        self.next_seq = seq


MAX_BATCH = 500


class Broadcaster:
    """Interface: ``publish`` (not stored) and ``publish_logged`` (stored with the next seq)."""

    kind = "abstract"

    def __init__(self, state: AppState) -> None:
        self.state = state
        self.hub = Hub()
        self.store = EventStore(state.db)
        self.origin = uuid.uuid4().hex[:12]
        self._logs: dict[str, TopicLog] = {}
        # Last seq of each topic that is stored and handed on (a join's snapshot names it: every event at or
        # below it is in the log, every later one reaches the joining socket).
        self._last_seq: dict[str, int] = {}

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        for log_ in self._logs.values():
            if log_.committer is not None and not log_.committer.done():
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await log_.committer

    async def publish(self, topic: str, event: str, data: dict[str, Any]) -> None:
        raise NotImplementedError

    async def publish_logged(self, topic: str, event: str, data: dict[str, Any],
                             extra: dict[str, Any] | None = None) -> int:
        """Store the event with the topic's next seq, then deliver it; returns the seq. Events of one topic
        are stored and delivered in the order of their calls; a call returns once its event is stored."""
        log_ = self._logs.get(topic)
        if log_ is None:
            log_ = self._logs[topic] = TopicLog()
        if log_.next_seq is None:
            async with log_.numbering:
                if log_.next_seq is None:
                    log_.next_seq = await self.store.last_seq(topic) + 1
        seq = log_.next_seq
        log_.next_seq = seq + 1
        document = {"_id": event_key(topic, seq), "topic": topic, "seq": seq, "event": event, "data": data,
                    "at": datetime.now(UTC), "origin": self.origin, **(extra or {})}
        stored: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        log_.pending.append((document, stored))
        if log_.committer is None or log_.committer.done():
            log_.committer = asyncio.get_running_loop().create_task(self._commit(topic, log_),
                                                                    name=f"log-commit {topic}")
        return await asyncio.shield(stored)

    async def _commit(self, topic: str, log_: TopicLog) -> None:
        while log_.pending:
            batch, log_.pending = log_.pending[:MAX_BATCH], log_.pending[MAX_BATCH:]
            documents = [document for document, _ in batch]
            try:
                await self._insert(topic, log_, documents)
            except Exception as error:
                # Not stored: these callers get the error, and the events after them take their numbers.
                log_.renumber([], documents[0]["seq"])
                for _, stored in batch:
                    if not stored.done():
                        stored.set_exception(error)
                continue
            for document, stored in batch:
                self._last_seq[topic] = document["seq"]
                self.stored(document)
                if not stored.done():
                    stored.set_result(int(document["seq"]))

    async def _insert(self, topic: str, log_: TopicLog, documents: list[dict[str, Any]]) -> None:
        while documents:
            try:
                await self.store.insert_many(documents)
                return
            except BulkWriteError as error:
                details = error.details or {}
                if any(e.get("code") != 11000 for e in details.get("writeErrors", [])):
                    raise
                # Another process numbered some of these: go on after the log's current end.
                documents = documents[int(details.get("nInserted", 0)):]
                log_.renumber(documents, await self.store.last_seq(topic) + 1)

    def stored(self, document: dict[str, Any]) -> None:
        """A logged event is in the log (called in seq order)."""


class MemoryBroadcaster(Broadcaster):
    kind = "memory"

    async def publish(self, topic: str, event: str, data: dict[str, Any]) -> None:
        self.hub.deliver(topic, event_frame(topic, event, data))
        self.hub.notify(topic, event, data)

    def stored(self, document: dict[str, Any]) -> None:
        topic, data = document["topic"], document["data"]
        self.hub.deliver(topic, event_frame(topic, document["event"], data, document["seq"], document["at"]),
                         document["seq"])
        self.hub.notify(topic, document["event"], data)


class MongoBroadcaster(Broadcaster):
    """Every process watches ``ws_events`` (a change stream) and delivers inserts to its local hub."""

    kind = "mongo"

    def __init__(self, state: AppState) -> None:
        super().__init__(state)
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._resume_token: Any = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._follow(), name="ws-change-stream")
        self._sweeper = asyncio.create_task(self._sweep(), name="ws-event-sweeper")
        await asyncio.wait_for(self._ready.wait(), 30)

    async def stop(self) -> None:
        await super().stop()
        for task in (self._task, getattr(self, "_sweeper", None)):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _sweep(self) -> None:
        """Events that are not logged only travel through the collection: delete them after a while."""
        while True:
            await asyncio.sleep(EPHEMERAL_KEEP_SECONDS / 5)
            try:
                await self.store.delete_ephemeral_before(datetime.now(UTC) - timedelta(seconds=EPHEMERAL_KEEP_SECONDS))
            except PyMongoError as error:
                log.warning("could not sweep transient events: %s", error)

    async def publish(self, topic: str, event: str, data: dict[str, Any]) -> None:
        await self.store.insert({"_id": f"~{uuid.uuid4().hex}", "topic": topic, "event": event, "data": data,
                                 "at": datetime.now(UTC), "origin": self.origin, "ephemeral": True})

    async def _follow(self) -> None:
        pipeline = [{"$match": {"operationType": "insert"}}]
        while True:
            try:
                options: dict[str, Any] = {"full_document": "default"}
                if self._resume_token is not None:
                    options["resume_after"] = self._resume_token
                async with await self.store.collection.watch(pipeline, **options) as stream:
                    self._ready.set()
                    async for change in stream:
                        self._resume_token = stream.resume_token
                        doc = change.get("fullDocument")
                        if doc:
                            self._deliver(doc)
            except asyncio.CancelledError:
                raise
            except PyMongoError as error:
                log.warning("change stream interrupted (%s); resuming", error)
                await asyncio.sleep(0.5)

    def _deliver(self, doc: dict[str, Any]) -> None:
        seq = doc.get("seq")
        data = doc.get("data") or {}
        self.hub.deliver(doc["topic"], event_frame(doc["topic"], doc["event"], data, seq, doc.get("at")), seq)
        self.hub.notify(doc["topic"], doc["event"], data)


def make_broadcaster(state: AppState) -> Broadcaster:
    kind = getattr(state.settings, "broadcast", "memory")
    return MongoBroadcaster(state) if kind == "mongo" else MemoryBroadcaster(state)


def broadcaster(state: AppState) -> Broadcaster:
    found = state.extras.get("broadcaster")
    if found is None:
        raise RuntimeError("the broadcaster is not started (cloud_incubator.gateway start-up hook)")
    return found  # type: ignore[no-any-return]


async def publish(state: AppState, topic: str, event: str, data: dict[str, Any]) -> None:
    """Deliver ``{"type":"event","event":event,"topic":topic,"data":data}`` to every subscriber, all processes."""
    await broadcaster(state).publish(topic, event, data)


async def publish_logged(state: AppState, topic: str, event: str, data: dict[str, Any],
                         extra: dict[str, Any] | None = None) -> int:
    """Store the event in the topic's log with the next ``seq``, then deliver it; returns the seq."""
    return await broadcaster(state).publish_logged(topic, event, data, extra)


async def start_broadcaster(state: AppState) -> None:
    if "broadcaster" in state.extras:
        return
    instance = make_broadcaster(state)
    await instance.start()
    state.extras["broadcaster"] = instance


async def stop_broadcaster(state: AppState) -> None:
    instance = state.extras.pop("broadcaster", None)
    if instance is not None:
        await instance.stop()
