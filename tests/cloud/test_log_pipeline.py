"""Room logs are pipelined: an event is numbered at once, stored in a group commit with whatever arrived while
the previous insert was being written, and delivered in ``seq`` order, with no lock held across the insert."""

from __future__ import annotations

import asyncio
from typing import Any


class Recorder:
    def __init__(self) -> None:
        self.seqs: list[int | None] = []

    def push(self, frame: str, topic: str | None = None, seq: int | None = None, wire: bytes | None = None) -> None:
        self.seqs.append(seq)


async def test_events_published_during_an_insert_are_stored_together_and_delivered_in_order(state):
    broadcaster = state.broadcaster
    topic = "room:pipeline"
    member = Recorder()
    broadcaster.hub.subscribe(topic, member)
    batches: list[list[int]] = []
    gate = asyncio.Event()
    original = broadcaster.store.insert_many

    async def gated_insert(documents: list[dict[str, Any]]) -> None:
        batches.append([d["seq"] for d in documents])
        await gate.wait()  # the first insert is slow (a busy disk)
        await original(documents)

    broadcaster.store.insert_many = gated_insert
    first = asyncio.create_task(broadcaster.publish_logged(topic, "chat", {"n": 0}))
    deadline = asyncio.get_running_loop().time() + 30
    while not batches:  # until the first insert has started
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.005)
    rest = [asyncio.create_task(broadcaster.publish_logged(topic, "chat", {"n": n})) for n in range(1, 40)]
    for _ in range(100):
        await asyncio.sleep(0)
    # Numbering did not wait for the insert in flight: all 39 are queued for the next commit.
    assert broadcaster._logs[topic].next_seq == 41 and len(batches) == 1
    gate.set()
    seqs = await asyncio.gather(first, *rest)
    assert seqs == list(range(1, 41))
    assert batches == [[1], list(range(2, 41))]  # one insert for the 39 that arrived meanwhile
    assert member.seqs == list(range(1, 41))
    logged = await broadcaster.store.since(topic, 0, 1000)  # what a resume reads
    assert [(d["seq"], d["data"]["n"]) for d in logged] == [(n + 1, n) for n in range(40)]
    assert broadcaster._last_seq[topic] == 40


async def test_a_failed_insert_fails_its_callers_and_the_next_events_take_their_numbers(state):
    broadcaster = state.broadcaster
    topic = "room:pipeline-failure"
    original = broadcaster.store.insert_many
    failures = [RuntimeError("disk full")]

    async def failing_once(documents: list[dict[str, Any]]) -> None:
        if failures:
            raise failures.pop()
        await original(documents)

    broadcaster.store.insert_many = failing_once
    try:
        await broadcaster.publish_logged(topic, "chat", {"n": 0})
    except RuntimeError as error:
        assert str(error) == "disk full"
    else:
        raise AssertionError("the failed insert was not reported")
    assert await broadcaster.publish_logged(topic, "chat", {"n": 1}) == 1
    logged = await broadcaster.store.since(topic, 0, 1000)  # what a resume reads
    assert [(d["seq"], d["data"]["n"]) for d in logged] == [(1, 1)]
