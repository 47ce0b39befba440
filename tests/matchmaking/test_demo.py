"""The matchmaking demo seeder on top of the demo park."""

from __future__ import annotations

from backend.demo.seed import SEEDERS, DemoContext, _import_feature_seeders
from cloud_incubator.matchmaking.service import park_date, quarter_of, service, signed_cooperation_counts


async def test_demo_seeder_adds_profiles_calls_a_match_and_a_session(state, gql):
    _import_feature_seeders()
    seeders = dict(SEEDERS)
    context = DemoContext(state)
    await seeders["registry"](context)
    await seeders["matchmaking"](context)
    mm = service(state)
    startups = await state.startups.all_documents()
    assert len(startups) >= 60
    assert all(s.get("stage") for s in startups)
    kinds = [c["kind"] for c in await mm.repo.all_counterpart_documents()]
    assert kinds.count("investor") == 20 and kinds.count("firm_call") == 8 and kinds.count("provider") >= 1
    token = await gql.login("startup01", "incubench-demo")
    recs = await gql.op("Recommendations", {"partyId": "demo-startup-01", "first": 5}, token=token)
    nodes = recs["data"]["recommendations"]["nodes"]
    assert len(nodes) == 5 and nodes[0]["reasons"]
    matches = await gql.op("Matches", token=token)
    match = matches["data"]["matches"]["nodes"][0]
    assert match["counterpart"]["nameEn"] == "Xicheng Innovation Fund"
    assert match["cooperations"][0]["type"] == "INVESTMENT"
    schedule = await gql.op("MySchedule", token=await gql.login("investor01", "incubench-demo"))
    assert schedule["data"]["mySchedule"][0]["meetings"]
    from datetime import UTC, datetime

    incubator_id = next(s["incubator_id"] for s in startups if s["_id"] == "demo-startup-01")
    quarter = quarter_of(park_date(datetime.now(UTC)))
    counts = await signed_cooperation_counts(state, [incubator_id], [quarter])
    assert counts[incubator_id][quarter]["platform_investment_deals"] == 1.0
