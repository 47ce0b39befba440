"""One rule decides who sees which ranking, and GraphQL and the CSV/XLSX export both follow it."""

from __future__ import annotations

import csv
import io

from tests.conftest import error_codes


async def test_export_answers_for_the_published_method_only_as_graphql_does(client, gql, ranked):
    """The 2025Q3 ranking is published with the arithmetic method. Asking for its TOPSIS version without
    naming a snapshot version is "not found" (field ``method``) in GraphQL, and now in the export too,
    instead of the arithmetic rows under a TOPSIS request."""
    admin = ranked.park.tokens["admin"]
    published = await gql.op("PublishRanking", {"quarter": "2025Q3"}, token=admin)
    assert "errors" not in published, published
    investor = ranked.park.tokens["investor"]
    graphql = await gql.op("Ranking", {"quarter": "2025Q3", "method": "TOPSIS"}, token=investor)
    assert error_codes(graphql) == ["NOT_FOUND"]
    assert graphql["errors"][0]["extensions"]["field"] == "method"
    auth = {"Authorization": f"Bearer {investor}"}
    export = await client.get("/api/export/ranking.csv", params={"quarter": "2025Q3", "method": "topsis"},
                              headers=auth)
    assert export.status_code == 404, export.text
    assert export.json()["error"]["field"] == "method"
    same = await client.get("/api/export/ranking.csv", params={"quarter": "2025Q3"}, headers=auth)
    assert same.status_code == 200
    rows = list(csv.DictReader(io.StringIO(same.content.decode("utf-8-sig"))))
    assert [r["incubator_id"] for r in rows] == [
        e["incubatorId"] for e in (await gql.op("Ranking", {"quarter": "2025Q3"}, token=investor))
        ["data"]["ranking"]["entries"]]


async def test_live_rankings_are_for_staff_in_both_transports(client, gql, ranked):
    for role, allowed in (("evaluator", True), ("investor", False), ("manager", False)):
        token = ranked.park.tokens[role]
        graphql = await gql.op("Ranking", {"quarter": "2025Q3", "source": "LIVE"}, token=token)
        export = await client.get("/api/export/ranking.csv", params={"quarter": "2025Q3", "source": "live"},
                                  headers={"Authorization": f"Bearer {token}"})
        if allowed:
            assert "errors" not in graphql and export.status_code == 200, role
        else:
            assert error_codes(graphql) == ["FORBIDDEN"] and export.status_code == 403, role
