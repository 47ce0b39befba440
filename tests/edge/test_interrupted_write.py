"""Finding 12: a crash between storing a quarter's first revision and creating its head no longer hides
the stored metrics: the head is repaired on read."""

from __future__ import annotations

from tests.submissions.helpers import make_park, submit_input


async def test_a_first_revision_without_its_head_is_shown_and_the_head_repaired(gql, people, state):
    park = await make_park(gql, people)
    stored = await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.incubator)},
                          token=park.tokens["manager"])
    assert "errors" not in stored, stored
    # The crash: the revision is stored, the head never written.
    removed = await state.db["metric_heads"].delete_many({"incubator_id": park.incubator, "quarter": "2025Q3"})
    assert removed.deleted_count == 1
    read = await gql.op("QuarterlyMetrics", {"incubatorId": park.incubator, "quarter": "2025Q3"},
                        token=park.tokens["manager"])
    assert read["data"]["quarterlyMetrics"]["revision"] == 1, read
    assert await state.db["metric_heads"].count_documents({"incubator_id": park.incubator, "quarter": "2025Q3"}) == 1
