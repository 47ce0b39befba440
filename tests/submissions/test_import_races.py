"""A bulk import racing single submissions of the same incubator-quarters: a failed import undoes exactly what
it wrote, and nothing another request stored (revision or head) is lost, overwritten or pointed at a ghost.

The races are made deterministic by running the competing requests from inside the import, right after it
stored its first revision (a hook on the repository's ``insert_revision``); the last test lets them race
freely and checks what must hold whatever the interleaving."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from backend.submissions.service import submission_service
from tests.conftest import error_codes
from tests.submissions.helpers import submit_input
from tests.submissions.test_import_export import csv_file, line, upload


def values(nodes):
    return {m["field"]: m["value"] for m in nodes}


async def head(gql, park, incubator, quarter="2025Q3"):
    result = await gql.op("QuarterlyMetrics", {"incubatorId": incubator, "quarter": quarter},
                          token=park.tokens["admin"])
    assert "errors" not in result, result
    return result["data"]["quarterlyMetrics"]


async def revisions(gql, park, incubator, quarter="2025Q3"):
    result = await gql.op("MetricsRevisions", {"incubatorId": incubator, "quarter": quarter},
                          token=park.tokens["admin"])
    assert "errors" not in result, result
    return result["data"]["metricsRevisions"]["nodes"]


def after_first_import_insert(state, monkeypatch, action):
    """Run ``action()`` once, right after the import stored its first revision (before the rest of the file)."""
    repository = submission_service(state).repository
    original = repository.insert_revision
    done: list[object] = []

    async def hooked(document, *args, **kwargs):
        await original(document, *args, **kwargs)
        if document.get("source") == "import" and not done:
            done.append(await action())

    monkeypatch.setattr(repository, "insert_revision", hooked)
    return done


async def test_a_failed_import_never_leaves_its_values_in_a_managers_quarter(client, gql, park, state, monkeypatch):
    """Manager stored revision 1 (mentors 18). An admin imports [Alpha 2025Q3 mentors 77, Beta 2025Q3]. After
    the import stored Alpha's revision 2, the manager amends revision 1 (mentors 19) and Beta's manager submits
    2025Q3, so the import's Beta row loses its race and the whole file is undone. Before the fix the manager's
    losing amendment "repaired" Alpha's head onto the import's revision 2, which the rollback then deleted: the
    head (what scoring reads) showed mentors 77 from a file that "stored nothing", at a revision that no longer
    existed, and the manager's own submission (revision 1) was no longer what counted."""
    first = await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.incubator)},
                         token=park.tokens["manager"])
    assert "errors" not in first, first

    async def race():
        amend = await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(
            park.incubator, baseRevision=1, overrides={"mentors": 19})}, token=park.tokens["manager"])
        beta = await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.other)},
                            token=park.tokens["othermanager"])
        return amend, beta

    done = after_first_import_insert(state, monkeypatch, race)
    response = await upload(client, park.tokens["admin"],
                            csv_file([line(park.incubator, "2025Q3", mentors=77), line(park.other, "2025Q3")]))
    assert done, "the hook did not run"
    amend, beta = done[0]
    assert response.status_code == 409 and response.json()["error"]["code"] == "CONFLICT", response.text
    assert "errors" not in beta, beta
    alpha = await head(gql, park, park.incubator)
    assert alpha["revision"] == 1 and alpha["submittedRevision"] == 1
    assert values(alpha["metrics"])["mentors"] == 18 and values(alpha["submittedMetrics"])["mentors"] == 18
    assert [r["revision"] for r in await revisions(gql, park, park.incubator)] == [1]
    beta_revisions = await revisions(gql, park, park.other)
    assert [(r["revision"], r["source"]) for r in beta_revisions] == [(1, "graphql")]
    assert (await head(gql, park, park.other))["revision"] == 1
    # the import's revision 2 was in the way, so the amendment was refused, naming the manager's revision 1
    assert error_codes(amend) == ["CONFLICT"] and amend["errors"][0]["extensions"]["currentRevision"] == 1

    # the manager retries against what the page shows and is stored right after revision 1
    retry = await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(
        park.incubator, baseRevision=alpha["revision"], overrides={"mentors": 19})}, token=park.tokens["manager"])
    assert retry["data"]["submitQuarterlyMetrics"]["revision"]["revision"] == 2, retry
    stored = await revisions(gql, park, park.incubator)
    assert [(r["revision"], values(r["metrics"])["mentors"]) for r in stored] == [(2, 19), (1, 18)]
    assert values((await head(gql, park, park.incubator))["submittedMetrics"])["mentors"] == 19


async def test_a_save_during_an_import_waits_for_it_and_then_builds_on_it(client, gql, park, state, monkeypatch):
    """While the import holds Alpha's revision 2 uncommitted, nobody sees it (audit trail, head) and a manager's
    amendment of revision 1 gets CONFLICT (reason IMPORT_IN_PROGRESS, current revision still 1), storing nothing
    under its idempotency key. After the import commits, the head is its revision 2; the amendment names 2 and
    becomes 3, and a retry with the same key replays 3."""
    await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.incubator)}, token=park.tokens["manager"])

    async def race():
        seen = [r["revision"] for r in await revisions(gql, park, park.incubator)]
        shown = (await head(gql, park, park.incubator))["revision"]
        amend = await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(
            park.incubator, baseRevision=1, idempotencyKey="amend-1", overrides={"mentors": 19})},
            token=park.tokens["manager"])
        return seen, shown, amend

    done = after_first_import_insert(state, monkeypatch, race)
    response = await upload(client, park.tokens["admin"],
                            csv_file([line(park.incubator, "2025Q3", mentors=77), line(park.other, "2025Q3")]))
    assert response.status_code == 200 and response.json()["stored"] == 2, response.text
    seen, shown, amend = done[0]
    assert seen == [1] and shown == 1
    assert error_codes(amend) == ["CONFLICT"]
    assert amend["errors"][0]["extensions"]["currentRevision"] == 1
    assert amend["errors"][0]["extensions"]["reason"] == "IMPORT_IN_PROGRESS"

    alpha = await head(gql, park, park.incubator)
    assert alpha["revision"] == 2 and values(alpha["submittedMetrics"])["mentors"] == 77
    stale = await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(
        park.incubator, baseRevision=1, idempotencyKey="amend-1", overrides={"mentors": 19})},
        token=park.tokens["manager"])
    assert error_codes(stale) == ["CONFLICT"] and stale["errors"][0]["extensions"]["currentRevision"] == 2
    body = submit_input(park.incubator, baseRevision=2, idempotencyKey="amend-1", overrides={"mentors": 19})
    ok = await gql.op("SubmitQuarterlyMetrics", {"input": body}, token=park.tokens["manager"])
    again = await gql.op("SubmitQuarterlyMetrics", {"input": body}, token=park.tokens["manager"])
    assert ok["data"]["submitQuarterlyMetrics"]["revision"]["revision"] == 3
    assert again["data"]["submitQuarterlyMetrics"]["replayed"] is True
    assert again["data"]["submitQuarterlyMetrics"]["revision"]["id"] == ok["data"]["submitQuarterlyMetrics"]["revision"]["id"]
    stored = await revisions(gql, park, park.incubator)
    assert [(r["revision"], r["source"], values(r["metrics"])["mentors"]) for r in stored] == \
        [(3, "graphql", 19), (2, "import", 77), (1, "graphql", 18)]


async def test_two_imports_of_one_quarter_at_once_store_exactly_one(client, gql, park, state, monkeypatch):
    """A second file for Alpha 2025Q3 arrives while the first is being stored: the second is refused whole
    (CONFLICT), the first is stored whole; Alpha has one revision, the first file's."""
    async def second_file():
        return await upload(client, park.tokens["admin"], csv_file([line(park.other, "2025Q2"),
                                                                    line(park.incubator, "2025Q3", mentors=55)]))

    done = after_first_import_insert(state, monkeypatch, second_file)
    first = await upload(client, park.tokens["admin"],
                         csv_file([line(park.incubator, "2025Q3", mentors=77), line(park.other, "2025Q3")]))
    assert first.status_code == 200 and first.json()["stored"] == 2, first.text
    second = done[0]
    assert second.status_code == 409 and second.json()["error"]["code"] == "CONFLICT"
    stored = await revisions(gql, park, park.incubator)
    assert [(r["revision"], values(r["metrics"])["mentors"]) for r in stored] == [(1, 77)]
    assert await revisions(gql, park, park.other, "2025Q2") == []
    assert (await head(gql, park, park.other, "2025Q2")) is None


async def leftover(state, park, import_state: str, expires_in: timedelta, mentors: float = 77) -> None:
    """What a process dying in the middle of an import leaves: its record and a pending revision 2 of Alpha."""
    now = datetime.now(UTC)
    stored = await state.db["metric_revisions"].find_one({"incubator_id": park.incubator, "quarter": "2025Q3"})
    await state.db["metric_imports"].insert_one({"_id": "dead", "state": import_state, "user_id": "x", "rows": 1,
                                                 "started_at": now - timedelta(minutes=20),
                                                 "expires_at": now + expires_in})
    await state.db["metric_revisions"].insert_one({
        **stored, "_id": "left", "revision": 2, "idempotency_key": "auto:left", "source": "import",
        "metrics": {**stored["metrics"], "mentors": mentors}, "pending_import": "dead"})


async def test_a_crashed_imports_leftovers_are_discarded_by_the_next_save(gql, park, state):
    """An import whose process died before committing (lease over): its pending revision 2 is invisible; the
    next amendment of revision 1 gets CONFLICT naming 1 and clears it; the retry is stored as revision 2."""
    await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.incubator)}, token=park.tokens["manager"])
    await leftover(state, park, "pending", timedelta(minutes=-10))
    assert [r["revision"] for r in await revisions(gql, park, park.incubator)] == [1]
    body = submit_input(park.incubator, baseRevision=1, overrides={"mentors": 19})
    first = await gql.op("SubmitQuarterlyMetrics", {"input": body}, token=park.tokens["manager"])
    assert error_codes(first) == ["CONFLICT"] and first["errors"][0]["extensions"]["currentRevision"] == 1
    assert "reason" not in first["errors"][0]["extensions"]
    retry = await gql.op("SubmitQuarterlyMetrics", {"input": body}, token=park.tokens["manager"])
    assert retry["data"]["submitQuarterlyMetrics"]["revision"]["revision"] == 2, retry
    assert (await state.db["metric_imports"].find_one({"_id": "dead"}))["state"] == "aborted"
    stored = await revisions(gql, park, park.incubator)
    assert [(r["revision"], values(r["metrics"])["mentors"]) for r in stored] == [(2, 19), (1, 18)]


async def test_a_running_import_is_not_discarded_before_its_lease_ends(gql, park, state):
    await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.incubator)}, token=park.tokens["manager"])
    await leftover(state, park, "pending", timedelta(minutes=5))
    body = submit_input(park.incubator, baseRevision=1, overrides={"mentors": 19})
    for _ in range(2):
        refused = await gql.op("SubmitQuarterlyMetrics", {"input": body}, token=park.tokens["manager"])
        assert refused["errors"][0]["extensions"]["reason"] == "IMPORT_IN_PROGRESS"
    assert await state.db["metric_revisions"].count_documents({"pending_import": "dead"}) == 1
    assert (await head(gql, park, park.incubator))["revision"] == 1


async def test_a_committed_import_cut_short_is_finished_by_the_next_save(gql, park, state):
    """The process died after the import committed but before its revisions were published: the next save's
    conflict finishes it (head → revision 2 with the file's values), and naming 2 goes through as 3."""
    await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.incubator)}, token=park.tokens["manager"])
    await leftover(state, park, "committed", timedelta(minutes=-10))
    stale = await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.incubator, baseRevision=1)},
                         token=park.tokens["manager"])
    assert error_codes(stale) == ["CONFLICT"] and stale["errors"][0]["extensions"]["currentRevision"] == 2
    alpha = await head(gql, park, park.incubator)
    assert alpha["revision"] == 2 and values(alpha["submittedMetrics"])["mentors"] == 77
    ok = await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.incubator, baseRevision=2)},
                      token=park.tokens["manager"])
    assert ok["data"]["submitQuarterlyMetrics"]["revision"]["revision"] == 3
    assert [r["revision"] for r in await revisions(gql, park, park.incubator)] == [3, 2, 1]


async def test_imports_and_saves_racing_freely_lose_nothing(client, gql, park, state):
    """No hook: each round one import of four quarter-rows runs alongside eight amendments of the same quarters
    (each naming the revision it last read). Afterwards, for every quarter: revisions are 1..n without a gap,
    the head is revision n with its values and the latest submitted one, every acknowledged save is stored
    with its values, and each import is stored whole or not at all."""
    cells = [(park.incubator, q) for q in ("2025Q1", "2025Q2", "2025Q3")] + [(park.other, "2025Q3")]
    token = {park.incubator: park.tokens["manager"], park.other: park.tokens["othermanager"]}
    acknowledged: list[tuple[str, str, int, float]] = []
    imports: list[tuple[int, int]] = []

    async def amend(incubator, quarter, mentors):
        current = await head(gql, park, incubator, quarter)
        body = submit_input(incubator, quarter, final=mentors % 2 == 0,
                            baseRevision=current["revision"] if current else 0, overrides={"mentors": mentors})
        result = await gql.op("SubmitQuarterlyMetrics", {"input": body}, token=token[incubator])
        if "errors" in result:
            assert error_codes(result) == ["CONFLICT"], result
        else:
            acknowledged.append((incubator, quarter, result["data"]["submitQuarterlyMetrics"]["revision"]["revision"],
                                 mentors))

    async def bulk(round_):
        response = await upload(client, park.tokens["admin"],
                                csv_file([line(i, q, mentors=1000 + round_) for i, q in cells]))
        assert response.status_code in (200, 409), response.text
        imports.append((1000 + round_, response.json()["stored"] if response.status_code == 200 else 0))

    for round_ in range(4):
        await asyncio.gather(bulk(round_), *[amend(*cells[k % 4], 100 * round_ + k) for k in range(8)])

    from_import: dict[float, int] = {}
    for incubator, quarter in cells:
        stored = list(reversed(await revisions(gql, park, incubator, quarter)))
        for r in stored:
            if r["source"] == "import":
                from_import[values(r["metrics"])["mentors"]] = from_import.get(values(r["metrics"])["mentors"], 0) + 1
        assert [r["revision"] for r in stored] == list(range(1, len(stored) + 1))
        current = await head(gql, park, incubator, quarter)
        if not stored:
            assert current is None
            continue
        assert current["revision"] == stored[-1]["revision"]
        assert values(current["metrics"]) == values(stored[-1]["metrics"])
        submitted = [r for r in stored if r["status"] == "SUBMITTED"]
        assert current["submittedRevision"] == (submitted[-1]["revision"] if submitted else None)
        by_number = {r["revision"]: values(r["metrics"])["mentors"] for r in stored}
        for inc, q, number, mentors in acknowledged:
            if (inc, q) == (incubator, quarter):
                assert by_number[number] == mentors
    for mentors, count in imports:
        assert from_import.get(mentors, 0) == count and count in (0, len(cells))
    assert await state.db["metric_revisions"].count_documents({"pending_import": {"$gt": ""}}) == 0
