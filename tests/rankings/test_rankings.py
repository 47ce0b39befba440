"""Rankings, scorecards, compare, change explanation, publishing and the score cache over GraphQL."""

from __future__ import annotations

import pytest

from backend.rankings.service import ranking_service
from backend.submissions.service import scheme
from evaluation import evaluate
from tests.conftest import error_codes
from tests.rankings.conftest import scaled, submit

ROLES = ("admin", "evaluator", "manager", "othermanager", "startup", "investor", "advisor")


def ids(page):
    return [e["incubatorId"] for e in page["entries"]]


async def test_live_ranking_orders_by_composite_with_rank_change(gql, ranked):
    park = ranked.park
    result = await gql.op("Ranking", {"quarter": "2025Q3"}, token=park.tokens["evaluator"])
    page = result["data"]["ranking"]
    assert page["source"] == "LIVE" and page["totalCount"] == 3
    # Alpha reported 1.5x Beta's activity and Gamma 0.5x on the same tenant base: strictly better each step.
    assert ids(page) == [park.incubator, park.other, ranked.third]
    assert [e["rank"] for e in page["entries"]] == [1, 2, 3]
    # In 2025Q2 the order was reversed: Alpha rose 2 places, Gamma fell 2.
    assert [e["rankChange"] for e in page["entries"]] == [2, 0, -2]
    assert [e["previousRank"] for e in page["entries"]] == [3, 2, 1]
    first = page["entries"][0]
    assert first["nameEn"] == "Alpha Incubator" and first["tierNameZh"]
    assert first["rankLow"] <= first["rank"] <= first["rankHigh"]
    for entry in page["entries"]:
        assert all(entry[d] is not None for d in ("techConversion", "investment", "mentoring", "supplyChain",
                                                  "globalServices"))


async def test_ranking_pages_and_ranks_by_dimension(gql, ranked):
    park = ranked.park
    first = await gql.op("Ranking", {"quarter": "2025Q3", "first": 2}, token=park.tokens["admin"])
    page = first["data"]["ranking"]
    assert len(page["entries"]) == 2 and page["hasNextPage"]
    rest = await gql.op("Ranking", {"quarter": "2025Q3", "first": 2, "after": page["endCursor"]},
                        token=park.tokens["admin"])
    assert ids(rest["data"]["ranking"]) == [ranked.third] and not rest["data"]["ranking"]["hasNextPage"]
    by_dim = await gql.op("Ranking", {"quarter": "2025Q3", "dimension": "investment"}, token=park.tokens["admin"])
    entries = by_dim["data"]["ranking"]["entries"]
    scores = [e["investment"] for e in entries]
    assert scores == sorted(scores, reverse=True)
    # Alpha dominates Beta dominates Gamma on every reported activity: every method agrees on the order
    for method in ("GEOMETRIC", "TOPSIS"):
        other = await gql.op("Ranking", {"quarter": "2025Q3", "method": method}, token=park.tokens["admin"])
        assert other["data"]["ranking"]["method"] == method
        assert ids(other["data"]["ranking"]) == [park.incubator, park.other, ranked.third], method
    bad = await gql.op("Ranking", {"quarter": "2025Q3", "dimension": "charm", "scheme": "1999.9"},
                       token=park.tokens["admin"])
    assert {e["extensions"]["field"] for e in bad["errors"]} == {"dimension", "scheme"}


async def test_scorecard_shows_hand_computed_indicator_contribution_and_gap(gql, ranked, state):
    """Beta (factor 1.0): financed_tenants 12 of 60 tenants → share 0.2 = threshold 0.2 → normalised 100.
    Gamma (factor 0.5): 6 of 60 → 0.1 → target normalisation min(0.1/0.2, 1)·100 = 50; global weight =
    investment 0.25 × indicator 0.3 = 0.075; contribution = 0.075 × 50 = 3.75 points."""
    park = ranked.park
    result = await gql.op("IncubatorScorecard", {"incubatorId": ranked.third, "quarter": "2025Q3"},
                          token=park.tokens["evaluator"])
    card = result["data"]["incubatorScorecard"]
    share = next(i for i in card["indicators"] if i["indicatorId"] == "financed_tenant_share")
    assert share["raw"] == pytest.approx(0.1) and share["normalized"] == pytest.approx(50.0)
    assert share["weight"] == pytest.approx(0.075) and share["contribution"] == pytest.approx(3.75)
    assert share["threshold"] == 0.2
    total = sum(i["contribution"] for i in card["indicators"] if i["contribution"] is not None)
    assert total == pytest.approx(card["composite"])
    assert card["rank"] == 3 and card["total"] == 3
    assert card["tiered"] and {g["gateId"] for g in card["gates"]} == {"non_rent_income_share", "tenant_financing"}
    assert all("131号" in g["basis"] and g["status"] in ("passed", "failed") for g in card["gates"])
    gap = card["gap"]
    assert gap is not None and gap["quarter"] == "2025Q3" and gap["reachable"], gap
    steps = gap["steps"]
    ratios = [s["pointsPerEffort"] for s in steps]
    assert steps and ratios == sorted(ratios, reverse=True)
    assert all(s["messageEn"].startswith("In 2025Q3") and s["messageZh"].startswith("2025Q3") for s in steps)
    # applying the plan in the what-if reaches exactly the tier it claims
    applied = await gql.op("WhatIf", {"incubatorId": ranked.third, "quarter": "2025Q3",
                                      "changes": [{"field": s["lever"], "value": s["change"]} for s in steps]},
                           token=park.tokens["evaluator"])
    assert applied["data"]["whatIf"]["tierAfter"] == gap["reachesTier"] == gap["targetTier"]
    assert applied["data"]["whatIf"]["compositeAfter"] == pytest.approx(gap["compositeAfter"])
    order = ["benchmark", "near_benchmark", "developing", "needs_improvement"]
    next_tier = order[order.index(card["tier"]) - 1]
    if next_tier == "benchmark":
        assert card["nextTierGap"] is None
    else:
        nxt = card["nextTierGap"]
        assert nxt["targetTier"] == next_tier and nxt["reachable"] and nxt["totalEffort"] <= gap["totalEffort"]


async def test_what_if_adds_the_hand_computed_points(gql, ranked):
    """Gamma + 6 financed tenants: share 0.1 → 0.2, normalised 50 → 100: +0.075 × 50 = +3.75 points."""
    park = ranked.park
    result = await gql.op("WhatIf", {"incubatorId": ranked.third, "quarter": "2025Q3",
                                     "changes": [{"field": "financedTenants", "value": 6}]},
                          token=park.tokens["admin"])
    outcome = result["data"]["whatIf"]
    assert outcome["compositeAfter"] - outcome["compositeBefore"] == pytest.approx(3.75)
    bad = await gql.op("WhatIf", {"incubatorId": ranked.third, "quarter": "2025Q3",
                                  "changes": [{"field": "financedTenants", "value": 100}]},
                       token=park.tokens["admin"])
    assert error_codes(bad) == ["BAD_USER_INPUT"]


async def test_score_cache_recomputes_only_when_an_input_changes(gql, ranked, state):
    park = ranked.park
    service = ranking_service(state)
    await gql.op("Ranking", {"quarter": "2025Q3"}, token=park.tokens["evaluator"])
    computed = service.computations
    for _ in range(3):
        await gql.op("Ranking", {"quarter": "2025Q3"}, token=park.tokens["evaluator"])
    assert service.computations == computed
    # an amendment of a draft does not change submitted inputs
    await gql.op("SubmitQuarterlyMetrics", {"input": {"incubatorId": ranked.third, "quarter": "2025Q3",
                                                      "metrics": [], "final": False, "baseRevision": 1}},
                 token=park.tokens["admin"])
    await gql.op("Ranking", {"quarter": "2025Q3"}, token=park.tokens["evaluator"])
    assert service.computations == computed
    # Gamma now reports 2x activity: it jumps to first place and only 2025Q3 is recomputed
    await submit(state, ranked.users["admin"], ranked.third, "2025Q3", scaled(2.0), base=2)
    after = await gql.op("Ranking", {"quarter": "2025Q3"}, token=park.tokens["evaluator"])
    assert ids(after["data"]["ranking"])[0] == ranked.third
    assert service.computations == computed + 1



LATE = dict.fromkeys(("financing_amount", "tech_conversion_value", "tenant_rd_spend"))


async def test_rank_change_follows_an_amendment_of_the_previous_quarters_inputs(gql, ranked, state):
    """2025Q3's rank change compares with 2025Q2's ranks, and 2025Q2's scores read 2024Q2 (an indicator Alpha did
    not report in 2025Q2 is imputed from 2025Q1's, whose trailing four quarters start in 2024Q2). So a late
    2024Q2 submission must refresh the cached 2025Q3 ranking, whose previous ranks stay 2025Q2's current ranks."""
    park = ranked.park
    service = ranking_service(state)
    await submit(state, ranked.users["admin"], park.incubator, "2025Q2", scaled(0.5, **LATE), base=1)
    await gql.op("Ranking", {"quarter": "2025Q3"}, token=park.tokens["evaluator"])
    computed = service.computations
    await submit(state, ranked.users["admin"], park.incubator, "2024Q2", scaled(1.0))
    now = (await gql.op("Ranking", {"quarter": "2025Q3"}, token=park.tokens["evaluator"]))["data"]["ranking"]
    assert service.computations > computed
    card = (await gql.op("IncubatorScorecard", {"incubatorId": park.incubator, "quarter": "2025Q2"},
                         token=park.tokens["evaluator"]))["data"]["incubatorScorecard"]
    status = {i["indicatorId"]: i["status"] for i in card["indicators"]}
    assert status["financing_per_tenant"] == "imputed:previous_quarter"  # 2024Q2 now reaches 2025Q2
    before = (await gql.op("Ranking", {"quarter": "2025Q2"}, token=park.tokens["evaluator"]))["data"]["ranking"]
    assert {e["incubatorId"]: e["previousRank"] for e in now["entries"]} == \
        {e["incubatorId"]: e["rank"] for e in before["entries"]}

async def test_published_snapshot_is_immutable_reproducible_and_versioned(gql, ranked, state):
    park = ranked.park
    before = await gql.op("Ranking", {"quarter": "2025Q3"}, token=park.tokens["evaluator"])
    published = await gql.op("PublishRanking", {"quarter": "2025Q3"}, token=park.tokens["evaluator"])
    assert published["data"]["publishRanking"]["version"] == 1
    await submit(state, ranked.users["admin"], ranked.third, "2025Q3", scaled(2.0), base=1)
    seen = await gql.op("Ranking", {"quarter": "2025Q3"}, token=park.tokens["investor"])
    page = seen["data"]["ranking"]
    assert page["source"] == "PUBLISHED" and page["version"] == 1
    assert [(e["incubatorId"], e["composite"]) for e in page["entries"]] == \
        [(e["incubatorId"], e["composite"]) for e in before["data"]["ranking"]["entries"]]
    # the snapshot's stored inputs reproduce its outputs exactly
    document = await state.db["ranking_snapshots"].find_one({"quarter": "2025Q3", "version": 1})
    replay = evaluate(document["inputs"], scheme(), "2025Q3")
    assert {r["incubator_id"]: r["composite"] for r in replay.ranking()} == \
        {r["incubator_id"]: r["composite"] for r in document["outputs"]}
    # a later publication is a new version; both are kept
    await gql.op("PublishRanking", {"quarter": "2025Q3"}, token=park.tokens["admin"])
    latest = await gql.op("Ranking", {"quarter": "2025Q3"}, token=park.tokens["startup"])
    assert latest["data"]["ranking"]["version"] == 2 and ids(latest["data"]["ranking"])[0] == ranked.third
    old = await gql.op("Ranking", {"quarter": "2025Q3", "version": 1}, token=park.tokens["startup"])
    assert ids(old["data"]["ranking"])[0] == park.incubator
    versions = await gql.op("PublishedRankings", {"quarter": "2025Q3"}, token=park.tokens["manager"])
    assert [v["version"] for v in versions["data"]["publishedRankings"]] == [1, 2]
    first_page = await gql.op("PublishedRankings", {"quarter": "2025Q3", "first": 1}, token=park.tokens["manager"])
    assert [v["version"] for v in first_page["data"]["publishedRankings"]] == [1]
    next_page = await gql.op("PublishedRankings", {"quarter": "2025Q3", "first": 1, "afterVersion": 1},
                             token=park.tokens["manager"])
    assert [v["version"] for v in next_page["data"]["publishedRankings"]] == [2]


async def test_compare_and_explain_change(gql, ranked):
    park = ranked.park
    result = await gql.op("Compare", {"incubatorIds": [park.incubator, ranked.third],
                                      "quarters": ["2025Q2", "2025Q3"]}, token=park.tokens["evaluator"])
    series = {s["incubatorId"]: [p["rank"] for p in s["points"]] for s in result["data"]["compare"]}
    assert series == {park.incubator: [3, 1], ranked.third: [1, 3]}
    explained = await gql.op("ExplainChange", {"fromQuarter": "2025Q2", "toQuarter": "2025Q3"},
                             token=park.tokens["evaluator"])
    nodes = {n["incubatorId"]: n for n in explained["data"]["explainChange"]["nodes"]}
    alpha = nodes[park.incubator]
    assert alpha["rankBefore"] == 3 and alpha["rankAfter"] == 1 and alpha["delta"] > 0
    assert alpha["delta"] == pytest.approx(alpha["compositeAfter"] - alpha["compositeBefore"])
    effects = alpha["indicatorEffects"]
    assert effects and abs(effects[0]["effect"]) >= abs(effects[-1]["effect"])
    assert sum(e["effect"] for e in effects) + alpha["interaction"] + alpha["peerEffect"] == \
        pytest.approx(alpha["delta"], abs=1e-6)
    # Beta's values did not change between the quarters (factor 1.0 both times)
    assert nodes[park.other]["delta"] == pytest.approx(0, abs=1e-9)



async def test_compare_bad_input_names_the_field_at_fault(gql, ranked):
    park = ranked.park
    for incubator_ids, quarters, fields in (([], ["2025Q3"], ["incubatorIds"]),
                                            ([park.incubator], [], ["quarters"]),
                                            ([], [], ["incubatorIds", "quarters"])):
        for role in ("evaluator", "manager"):
            result = await gql.op("Compare", {"incubatorIds": incubator_ids, "quarters": quarters},
                                  token=park.tokens[role])
            assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in result["errors"]] == \
                [("BAD_USER_INPUT", f) for f in fields], (role, incubator_ids, quarters)

async def test_chart_returns_plotly_figures(gql, ranked):
    park = ranked.park
    for kind in ("RANKING_BARS", "RANK_INTERVALS", "DIMENSION_HEATMAP"):
        figure = (await gql.op("Chart", {"kind": kind, "quarter": "2025Q3", "lang": "en"},
                               token=park.tokens["evaluator"]))["data"]["chart"]
        assert figure["data"] and "layout" in figure, kind
    radar = await gql.op("Chart", {"kind": "RADAR", "quarter": "2025Q3", "incubatorId": park.incubator},
                         token=park.tokens["manager"])
    assert radar["data"]["chart"]["data"][0]["type"] == "scatterpolar"
    trends = await gql.op("Chart", {"kind": "RANK_TRENDS", "incubatorIds": [park.incubator],
                                    "quarters": ["2025Q2", "2025Q3"]}, token=park.tokens["manager"])
    assert trends["data"]["chart"]["data"][0]["y"] == [3, 1]


async def test_ranking_round_trips_do_not_grow_with_incubators(gql, people, state, command_counter):
    """A ranking of 100 incubators (with each incubator's record through the DataLoader) costs the same number
    of database commands as one of 10."""
    from backend.users.models import Role
    from tests.submissions.helpers import token_for

    admin = await people.make("admin", Role.admin)
    token = token_for(admin)
    created = []
    database = state.settings.database_name

    async def grow_to(n: int) -> int:
        while len(created) < n:
            inc = await people.incubator(f"Incubator {len(created):03d}")
            created.append(inc)
            await submit(state, admin, inc, "2025Q3", scaled(0.5 + (len(created) % 7) / 5))
        await gql.op("RankingWithIncubators", {"quarter": "2025Q3", "first": n}, token=token)  # fill the cache
        before = command_counter.counts.get(database, 0)
        result = await gql.op("RankingWithIncubators", {"quarter": "2025Q3", "first": n}, token=token)
        assert len(result["data"]["ranking"]["entries"]) == n
        assert all(e["incubator"]["nameEn"] for e in result["data"]["ranking"]["entries"])
        return command_counter.counts.get(database, 0) - before

    small = await grow_to(10)
    large = await grow_to(100)
    assert small == large <= 5  # (one of them: the request's rate-limit count, shared by app processes)
    # and uncached, after a change, still a constant number
    await submit(state, admin, created[0], "2025Q3", scaled(2.0), base=1)
    before = command_counter.counts.get(database, 0)
    await gql.op("RankingWithIncubators", {"quarter": "2025Q3", "first": 100}, token=token)
    assert command_counter.counts.get(database, 0) - before <= 10


async def test_not_published_yet_is_not_found_for_non_staff(gql, ranked):
    park = ranked.park
    for role in ("manager", "startup", "investor"):
        result = await gql.op("Ranking", {"quarter": "2025Q3"}, token=park.tokens[role])
        assert error_codes(result) == ["NOT_FOUND"], role
        live = await gql.op("Ranking", {"quarter": "2025Q3", "source": "LIVE"}, token=park.tokens[role])
        assert error_codes(live) == ["FORBIDDEN"], role


ALLOWED = {
    "PublishRanking": {"admin", "evaluator"},
    "IncubatorScorecard": {"admin", "evaluator", "manager"},
    "WhatIf": {"admin", "evaluator", "manager"},
    "Compare": {"admin", "evaluator", "manager"},
    "ExplainChange": {"admin", "evaluator", "manager"},
    "RadarChart": {"admin", "evaluator", "manager"},
    "IntervalChart": {"admin", "evaluator"},
    "BarsChart": set(ROLES),  # staff chart live scores, everyone else the published version
    "LiveRanking": {"admin", "evaluator"},
    "PublishedRanking": set(ROLES),
    "PublishedRankings": set(ROLES),
}


def call(name, ranked):
    park = ranked.park
    own = {"incubatorId": park.incubator, "quarter": "2025Q3"}
    return {
        "PublishRanking": ("PublishRanking", {"quarter": "2025Q3"}),
        "IncubatorScorecard": ("IncubatorScorecard", own),
        "WhatIf": ("WhatIf", {**own, "changes": [{"field": "mentors", "value": 1}]}),
        "Compare": ("Compare", {"incubatorIds": [park.incubator], "quarters": ["2025Q3"]}),
        "ExplainChange": ("ExplainChange", {"fromQuarter": "2025Q2", "toQuarter": "2025Q3",
                                            "incubatorIds": [park.incubator]}),
        "RadarChart": ("Chart", {"kind": "RADAR", **own}),
        "IntervalChart": ("Chart", {"kind": "RANK_INTERVALS", "quarter": "2025Q3"}),
        "BarsChart": ("Chart", {"kind": "RANKING_BARS", "quarter": "2025Q3"}),
        "LiveRanking": ("Ranking", {"quarter": "2025Q3", "source": "LIVE"}),
        "PublishedRanking": ("Ranking", {"quarter": "2025Q3", "source": "PUBLISHED"}),
        "PublishedRankings": ("PublishedRankings", {"quarter": "2025Q3"}),
    }[name]


async def test_permissions_for_each_role_on_each_ranking_operation(gql, ranked):
    park = ranked.park
    await gql.op("PublishRanking", {"quarter": "2025Q3"}, token=park.tokens["admin"])
    for name, allowed in ALLOWED.items():
        operation, variables = call(name, ranked)
        for role in ROLES:
            result = await gql.op(operation, variables, token=park.tokens[role])
            if role in allowed:
                assert "errors" not in result, (name, role, result)
            else:
                assert error_codes(result) == ["FORBIDDEN"], (name, role, result)
        assert error_codes(await gql.op(operation, variables)) == ["UNAUTHENTICATED"], name
    # a manager asking about another incubator is refused everywhere
    other = {"incubatorId": park.other, "quarter": "2025Q3"}
    for operation, variables in (("IncubatorScorecard", other),
                                 ("WhatIf", {**other, "changes": [{"field": "mentors", "value": 1}]}),
                                 ("Compare", {"incubatorIds": [park.other], "quarters": ["2025Q3"]}),
                                 ("Chart", {"kind": "RADAR", **other})):
        assert error_codes(await gql.op(operation, variables, token=park.tokens["manager"])) == ["FORBIDDEN"]


async def test_an_unscoreable_stored_quarter_is_left_out_not_fatal(gql, ranked, state):
    """Metrics stored before the zero-denominator check (here written straight to the heads) leave that
    incubator out of the quarter's ranking; the others are still ranked."""
    park = ranked.park
    await state.db["metric_heads"].update_one({"_id": f"{ranked.third}|2025Q3"},
                                              {"$set": {"submitted_metrics.tenants": 0.0}})
    await state.db["metric_stamps"].update_one({"_id": "2025Q3"}, {"$inc": {"stamp": 1}})
    result = await gql.op("Ranking", {"quarter": "2025Q3"}, token=park.tokens["evaluator"])
    assert ids(result["data"]["ranking"]) == [park.incubator, park.other]


async def test_live_ranking_shows_an_incubators_new_name_after_a_rename(gql, ranked):
    park = ranked.park
    before = await gql.op("Ranking", {"quarter": "2025Q3"}, token=park.tokens["evaluator"])
    assert "Alpha Incubator" in [e["nameEn"] for e in before["data"]["ranking"]["entries"]]
    renamed = await gql.op("UpdateIncubator", {"incubatorId": park.incubator, "input": {"nameEn": "Alpha Renamed"}},
                           token=park.tokens["manager"])
    assert "errors" not in renamed, renamed
    after = await gql.op("Ranking", {"quarter": "2025Q3"}, token=park.tokens["evaluator"])
    names = [e["nameEn"] for e in after["data"]["ranking"]["entries"]]
    assert "Alpha Renamed" in names and "Alpha Incubator" not in names
