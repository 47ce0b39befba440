"""The demo seeder gives eight quarters whose rankings, trends and gaps look real."""

from __future__ import annotations

from backend.demo.seed import DEMO_INCUBATORS, DemoContext, seed_registry
from backend.rankings.service import ranking_service
from backend.submissions.demo import DEMO_QUARTERS, DRAFTING, LATE, seed_quarterly_metrics
from backend.submissions.service import submission_service


async def test_demo_quarters_improve_decline_miss_values_and_publish(state):
    context = DemoContext(state)
    await seed_registry(context)
    await seed_quarterly_metrics(context)
    assert DEMO_QUARTERS[0] == "2024Q4" and DEMO_QUARTERS[-1] == "2026Q3" and len(DEMO_QUARTERS) == 8
    names = {i.name_en: i.id for i in await state.incubators.all()}
    ids = [names[row[1]] for row in DEMO_INCUBATORS]
    rankings = ranking_service(state)
    first = await rankings.evaluated(DEMO_QUARTERS[3])
    last = await rankings.evaluated(DEMO_QUARTERS[-1])
    tiers_first = {r["incubator_id"]: r["tier"] for r in first.rows}
    tiers_last = {r["incubator_id"]: r["tier"] for r in last.rows}
    ranks_first = {r["incubator_id"]: r["rank"] for r in first.rows}
    ranks_last = {r["incubator_id"]: r["rank"] for r in last.rows}
    improving, declining = ids[1], ids[3]
    assert tiers_last[improving] == "benchmark" and tiers_first[improving] != "benchmark"
    assert ranks_last[declining] > ranks_first[declining]
    assert len(set(tiers_last.values())) >= 3
    assert any(r["imputed"] for r in last.rows + first.rows)
    published = await rankings.published(DEMO_QUARTERS[-1])
    assert published is not None and published["version"] == 1
    missing = {i.id for i, _ in await submission_service(state).missing(DEMO_QUARTERS[-1])}
    assert missing == {ids[LATE], ids[DRAFTING]}
    window = await submission_service(state).window(DEMO_QUARTERS[-2])
    assert window is not None and window.state.value == "closed"
