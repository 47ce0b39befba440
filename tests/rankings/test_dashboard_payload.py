"""The dashboard's ranking query (graphql/operations/DashboardRanking.graphql, as the page sends it): what it
costs per incubator, what a first load scores, and that the registry fields it carries stay current."""

from __future__ import annotations

from collections import Counter
from typing import Any

from strawberry.extensions import SchemaExtension

from backend.api.context import Context
from backend.api.schema import build_schema
from backend.rankings.service import RankingService, ranking_service
from backend.users.models import Role
from tests.conftest import operation
from tests.rankings.conftest import scaled, submit
from tests.submissions.helpers import token_for


def resolver_counter(counts: Counter[str]) -> type[SchemaExtension]:
    class CountResolvers(SchemaExtension):
        def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
            counts[f"{info.parent_type.name}.{info.field_name}"] += 1
            return _next(root, info, *args, **kwargs)
    return CountResolvers


async def test_dashboard_ranking_resolves_flat_rows_and_constant_round_trips(gql, people, state, command_counter):
    """The page's rows come as one JSON value: the query resolves the same fields for 30 incubators as for 5
    (before: ~20 leaf fields, 5 DimensionScore objects and an Incubator per row), and a warm request costs the
    same database round trips."""
    admin = await people.make("admin", Role.admin)
    evaluator = await people.make("evaluator", Role.evaluator)
    state.user_service.sessions.ttl = 3600.0  # counted here: the ranking's round trips, not the account's
    schema = build_schema()
    counts: Counter[str] = Counter()
    schema.extensions = (*schema.extensions, resolver_counter(counts))
    document = operation("DashboardRanking")
    created: list[str] = []
    database = state.settings.database_name

    async def measure(n: int) -> tuple[Counter[str], int]:
        while len(created) < n:
            incubator = await people.incubator(f"Incubator {len(created):03d}", sub_area="beizhan")
            created.append(incubator)
            await submit(state, admin, incubator, "2025Q3", scaled(0.5 + (len(created) % 7) / 5))
        variables = {"quarter": "2025Q3"}
        warm = await gql.op("DashboardRanking", variables, token=token_for(evaluator))  # fills the caches
        assert "errors" not in warm, warm
        before = command_counter.counts.get(database, 0)
        again = await gql.op("DashboardRanking", variables, token=token_for(evaluator))
        round_trips = command_counter.counts.get(database, 0) - before
        rows = again["data"]["ranking"]["rows"]
        assert len(rows) == n and {r["subArea"] for r in rows} == {"BEIZHAN"}
        assert [r["rank"] for r in rows] == sorted(r["rank"] for r in rows)
        assert all(r["industries"] == ["FINTECH"] and r["techConversion"] is not None for r in rows)
        counts.clear()
        result = await schema.execute(document, variable_values=variables, operation_name="DashboardRanking",
                                      context_value=Context(state, evaluator))
        assert not result.errors, result.errors
        return Counter(counts), round_trips

    small, small_trips = await measure(5)
    large, large_trips = await measure(30)
    assert small_trips == large_trips <= 4
    assert large == small and large["RankingPage.rows"] == 1
    assert sum(large.values()) < 20


async def test_first_load_scores_only_its_quarter_and_reads_earlier_ranks_once_stored(gql, ranked, state):
    """Five quarters are submitted. The first load of 2025Q3 runs the engine with robustness once (2025Q3) and
    scores 2025Q2 once without robustness for the rank changes (before: every earlier quarter was ranked with
    robustness, one after another). Another process (a fresh service) reads 2025Q2's stored ranks.

    Rank changes by hand (``ranked``): 2025Q2 Gamma 1, Beta 2, Alpha 3; 2025Q3 Alpha 1, Beta 2, Gamma 3, so
    Alpha +2, Beta 0, Gamma -2."""
    park = ranked.park
    service = ranking_service(state)
    result = await gql.op("DashboardRanking", {"quarter": "2025Q3"}, token=park.tokens["evaluator"])
    changes = {r["nameEn"]: (r["previousRank"], r["rankChange"]) for r in result["data"]["ranking"]["rows"]}
    assert changes == {"Alpha Incubator": (3, 2), "Beta Incubator": (2, 0), "Gamma Incubator": (1, -2)}
    assert (service.computations, service.rank_computations) == (1, 1)

    elsewhere = RankingService(state)
    evaluated = await elsewhere.evaluated("2025Q3")
    assert evaluated is not None
    assert {r["name_en"]: r["rank_change"] for r in evaluated.rows} == {
        "Alpha Incubator": 2, "Beta Incubator": 0, "Gamma Incubator": -2}
    assert (elsewhere.computations, elsewhere.rank_computations) == (1, 0)

    # A new 2025Q2 revision makes the stored ranks stale: Alpha now first in 2025Q2 as well.
    await submit(state, ranked.users["admin"], park.incubator, "2025Q2", scaled(2.0), base=1)
    evaluated = await elsewhere.evaluated("2025Q3")
    assert evaluated is not None and evaluated.row(park.incubator)["rank_change"] == 0
    assert elsewhere.rank_computations == 1


async def test_registry_fields_follow_changes_here_and_in_other_processes(gql, ranked, state):
    """The sub-area shown on the ranking comes from the in-memory registry: an update through this process
    shows at once; an update by another process shows once its ``incubator.changed`` event arrives."""
    park = ranked.park

    async def sub_areas() -> dict[str, str]:
        result = await gql.op("DashboardRanking", {"quarter": "2025Q3"}, token=park.tokens["evaluator"])
        return {r["incubatorId"]: r["subArea"] for r in result["data"]["ranking"]["rows"]}

    assert (await sub_areas())[park.incubator] == "DESHENG"
    updated = await gql.op("UpdateIncubator", {"incubatorId": park.incubator, "input": {"subArea": "GUANGAN"}},
                           token=park.tokens["admin"])
    assert "errors" not in updated, updated
    assert (await sub_areas())[park.incubator] == "GUANGAN"

    await state.incubators.update(park.other, {"sub_area": "beizhan"})  # as another process would write it
    assert (await sub_areas())[park.other] == "DESHENG"  # not told yet
    hub = state.extras["broadcaster"].hub
    hub.notify("incubators", "incubator.changed", {"incubator_id": park.other, "origin": "another-process"})
    assert (await sub_areas())[park.other] == "BEIZHAN"
