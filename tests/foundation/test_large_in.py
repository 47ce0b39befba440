"""No query sends a long ``$in``: lookups by many ids go in batches (``backend.db.find_in``), and the
query-plan check every test query goes through refuses a longer list."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient, monitoring

from backend.db import MAX_IN, find_in
from tests.query_plans import QueryPlanChecker, largest_in


class Finds(monitoring.CommandListener):
    def __init__(self) -> None:
        self.filters: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find":
            self.filters.append(dict(event.command["filter"]))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def test_largest_in_finds_lists_at_any_depth():
    assert largest_in({"a": 1}) == 0
    assert largest_in({"_id": {"$in": list(range(7))}}) == 7
    assert largest_in({"$or": [{"a": {"$in": [1, 2]}}, {"b": {"$in": list(range(60))}}]}) == 60


async def test_lookups_by_many_ids_go_in_batches(settings):
    finds = Finds()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongodb_uri, event_listeners=[finds])
    try:
        collection = client[settings.database_name]["batched"]
        await collection.insert_many([{"_id": f"id{k:04d}", "k": k} for k in range(130)])
        wanted = [f"id{k:04d}" for k in range(129, -1, -1)] + ["missing", "id0001"]
        found = [d["_id"] async for d in find_in(collection, "_id", wanted)]
        assert sorted(found) == sorted(f"id{k:04d}" for k in range(130))  # each once, none missing
        assert len(finds.filters) == 3 and max(largest_in(f) for f in finds.filters) <= MAX_IN
    finally:
        await client.drop_database(settings.database_name)
        await client.close()


def test_the_query_plan_check_reports_a_long_in(settings, embedded_server):
    """Fed the command events a driver would emit (not sent: the session's own check would report them)."""
    host, port = embedded_server.uri.split("//")[1].split("/")[0].split(":")
    checker = QueryPlanChecker()

    def find(values: int) -> monitoring.CommandStartedEvent:
        command = {"find": "batched", "filter": {"_id": {"$in": [str(k) for k in range(values)]}}}
        return monitoring.CommandStartedEvent(command, settings.database_name, 1, (host, int(port)), 1)

    try:
        checker.started(find(MAX_IN))
        assert checker.large_in == {}
        checker.started(find(MAX_IN + 1))
        assert [f"with {MAX_IN + 1} values" in v for v in checker.large_in.values()] == [True]
    finally:
        checker.close()
