"""Every query the app makes must use an index: the embedded server scans collections in Python without one.

A command listener sees every database command of the test session. For each new query shape (collection,
filter with its values blanked, sort) it asks the server to explain the equivalent ``find`` on the same
database, whose indexes were created at start-up, and remembers the shapes that would scan the whole
collection. A filterless read without sort (a deliberate full read) is not a query and is not checked.

Every query is also checked for the size of its ``$in`` lists: the embedded server compares each candidate
with the whole list, so a query may send at most ``MAX_IN`` values in one ``$in`` (``backend.db.find_in``
batches them).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from pymongo import MongoClient, monitoring

from backend.db import MAX_IN

FILTER_KEYS = {"find": "filter", "findAndModify": "query", "count": "query", "distinct": "query"}


def query_shape(value: Any) -> Any:
    """The filter with its values blanked: operators and field names kept, ``$in`` lists collapsed."""
    if isinstance(value, dict):
        return tuple(sorted((key, query_shape(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        shapes = {query_shape(item) for item in value}
        return ("list", tuple(sorted(shapes, key=repr)))
    return type(value).__name__


def queries(command_name: str, command: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(collection, filter, sort) of each query a command runs."""
    collection = command.get(command_name)
    if not isinstance(collection, str):
        return
    if command_name in FILTER_KEYS:
        yield collection, command.get(FILTER_KEYS[command_name]) or {}, command.get("sort") or {}
    elif command_name == "update":
        for update in command.get("updates", []):
            yield collection, update.get("q") or {}, {}
    elif command_name == "delete":
        for delete in command.get("deletes", []):
            yield collection, delete.get("q") or {}, {}
    elif command_name == "aggregate":
        stages = command.get("pipeline") or []
        if stages and "$changeStream" in stages[0]:
            return
        match = stages[0].get("$match", {}) if stages else {}
        sort = next((s["$sort"] for s in stages[1:2] if "$sort" in s), {})
        yield collection, match, sort


def largest_in(value: Any) -> int:
    """The length of the longest ``$in`` list anywhere in a filter."""
    if isinstance(value, dict):
        own = len(value["$in"]) if isinstance(value.get("$in"), list | tuple) else 0
        return max([own, *(largest_in(item) for item in value.values())])
    if isinstance(value, list | tuple):
        return max((largest_in(item) for item in value), default=0)
    return 0


def _id_point_lookup(filter_: dict[str, Any]) -> bool:
    value = filter_.get("_id")
    if value is None:
        return False
    if isinstance(value, dict):
        return set(value) <= {"$eq", "$in"}
    return True


class QueryPlanChecker(monitoring.CommandListener):
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: set[tuple[Any, ...]] = set()
        self.unindexed: dict[tuple[Any, ...], str] = {}
        self.large_in: dict[tuple[Any, ...], str] = {}
        self.clients: dict[tuple[str, int], MongoClient[dict[str, Any]]] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.database_name in ("admin", "local", "config"):
            return
        for collection, filter_, sort in queries(event.command_name, dict(event.command)):
            if not filter_ and not sort:
                continue
            longest = largest_in(filter_)
            if longest > MAX_IN:
                with self.lock:
                    self.large_in[(collection, query_shape(filter_))] = (
                        f"{collection}: {event.command_name} with {longest} values in one $in (at most {MAX_IN})")
            if _id_point_lookup(filter_):
                continue  # the documents table is keyed by _id: a point lookup, whatever else the filter says
            if not filter_ and list(sort) == ["_id"]:
                continue  # a deliberate full read, in the documents table's own (_id) order
            key = (collection, query_shape(filter_), tuple(sort))
            with self.lock:
                if key in self.seen:
                    continue
                self.seen.add(key)
            plan = self._plan(event, collection, filter_, sort)
            if "COLLSCAN" in plan:
                with self.lock:
                    self.unindexed[key] = f"{collection}: {event.command_name} filter={filter_!r} sort={sort!r}"

    def _plan(self, event: monitoring.CommandStartedEvent, collection: str, filter_: dict[str, Any],
              sort: dict[str, Any]) -> str:
        address = event.connection_id
        with self.lock:
            client = self.clients.get(address)
            if client is None:
                client = self.clients[address] = MongoClient(
                    host=address[0], port=address[1], directConnection=True, serverSelectionTimeoutMS=5000)
        find: dict[str, Any] = {"find": collection, "filter": filter_}
        if sort:
            find["sort"] = sort
        try:
            explained = client[event.database_name].command("explain", find, verbosity="queryPlanner")
        except Exception as error:  # a plan we cannot get is reported, not hidden
            return f"COLLSCAN? explain failed: {error}"
        return repr(explained.get("queryPlanner", {}).get("winningPlan", {}))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
