"""Managers submit quarterly metrics: validation per field, drafts, revisions, concurrency, idempotency."""

from __future__ import annotations

import asyncio

from tests.conftest import error_codes
from tests.submissions.helpers import BASE_METRICS, metrics, submit_input


def by_field(result):
    return {e["extensions"]["field"]: e["extensions"] for e in result["errors"]}


async def stored_revisions(gql, park, quarter="2025Q3", incubator=None):
    result = await gql.op("MetricsRevisions", {"incubatorId": incubator or park.incubator, "quarter": quarter},
                          token=park.tokens["admin"])
    return result["data"]["metricsRevisions"]["nodes"]


async def test_manager_submits_final_metrics_for_own_incubator(gql, park):
    result = await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.incubator)},
                          token=park.tokens["manager"])
    assert "errors" not in result, result
    revision = result["data"]["submitQuarterlyMetrics"]["revision"]
    assert revision["revision"] == 1 and revision["status"] == "SUBMITTED" and revision["authorName"] == "manager"
    values = {m["field"]: m["value"] for m in revision["metrics"]}
    assert values["financedTenants"] == 12 and values["financingAmount"] == 6000.0
    assert len(values) == len(BASE_METRICS)
    current = await gql.op("QuarterlyMetrics", {"incubatorId": park.incubator, "quarter": "2025Q3"},
                           token=park.tokens["manager"])
    head = current["data"]["quarterlyMetrics"]
    assert head["revision"] == 1 and head["submittedRevision"] == 1 and head["status"] == "SUBMITTED"


async def test_each_bad_field_gets_its_own_error_and_nothing_is_stored(gql, park):
    body = submit_input(park.incubator, overrides={"financed_tenants": 70, "financing_amount": -5.0,
                                                   "mentors": 2.5, "graduated_tenants": 61})
    body["metrics"].append({"field": "noSuchField", "value": 1})
    result = await gql.op("SubmitQuarterlyMetrics", {"input": body}, token=park.tokens["manager"])
    assert set(error_codes(result)) == {"BAD_USER_INPUT"}
    issues = by_field(result)
    assert set(issues) == {"metrics.financedTenants", "metrics.financingAmount", "metrics.mentors",
                           "metrics.graduatedTenants", f"metrics[{len(BASE_METRICS)}].field"}
    assert issues["metrics.financedTenants"]["message_zh"] == "获得融资的企业数不能超过在孵企业数。"
    assert issues["metrics.financedTenants"]["message_en"] == "Financed tenants cannot exceed tenants."
    assert "negative" in issues["metrics.financingAmount"]["message_en"]
    assert "不能为负数" in issues["metrics.financingAmount"]["message_zh"]
    assert "whole number" in issues["metrics.mentors"]["message_en"]
    assert await stored_revisions(gql, park) == []
    current = await gql.op("QuarterlyMetrics", {"incubatorId": park.incubator, "quarter": "2025Q3"},
                           token=park.tokens["admin"])
    assert current["data"]["quarterlyMetrics"] is None


async def test_final_submission_needs_every_field_but_a_draft_does_not(gql, park):
    partial = [m for m in metrics() if m["field"] not in ("mentors", "staff")]
    body = {"incubatorId": park.incubator, "quarter": "2025Q3", "metrics": partial, "final": True}
    result = await gql.op("SubmitQuarterlyMetrics", {"input": body}, token=park.tokens["manager"])
    assert set(by_field(result)) == {"metrics.mentors", "metrics.staff"}
    # null is an explicit "not reported" and is accepted; so is a partial draft
    body["metrics"] = [*partial, {"field": "mentors", "value": None}, {"field": "staff", "value": None}]
    assert "errors" not in await gql.op("SubmitQuarterlyMetrics", {"input": body}, token=park.tokens["manager"])
    draft = {"incubatorId": park.incubator, "quarter": "2025Q2", "metrics": partial[:3], "final": False}
    saved = await gql.op("SubmitQuarterlyMetrics", {"input": draft}, token=park.tokens["manager"])
    assert saved["data"]["submitQuarterlyMetrics"]["revision"]["status"] == "DRAFT"


async def test_a_draft_is_still_checked_for_consistency(gql, park):
    draft = {"incubatorId": park.incubator, "quarter": "2025Q3", "final": False,
             "metrics": [{"field": "tenants", "value": 10}, {"field": "financed_tenants", "value": 11}]}
    result = await gql.op("SubmitQuarterlyMetrics", {"input": draft}, token=park.tokens["manager"])
    assert list(by_field(result)) == ["metrics.financedTenants"]


async def test_quarter_format_future_and_founding_date_are_checked(gql, park):
    for quarter in ("2025-Q3", "2025Q5", "25Q1"):
        result = await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.incubator, quarter)},
                              token=park.tokens["manager"])
        assert list(by_field(result)) == ["quarter"], quarter
    future = await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.incubator, "2027Q1")},
                          token=park.tokens["manager"])
    assert "has not started" in by_field(future)["quarter"]["message_en"]
    # Beta was founded on 2024-05-20: 2024Q1 ended before, 2024Q2 contains the founding date.
    early = await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.other, "2024Q1")},
                         token=park.tokens["othermanager"])
    assert "founded" in by_field(early)["quarter"]["message_en"]
    ok = await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.other, "2024Q2")},
                      token=park.tokens["othermanager"])
    assert "errors" not in ok, ok


async def test_current_quarter_can_be_reported(gql, park):
    from backend.core.clock import ParkCalendar, SystemClock

    result = await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.incubator, ParkCalendar(SystemClock()).current_quarter())},
                          token=park.tokens["manager"])
    assert "errors" not in result, result


async def test_amendments_make_revisions_with_an_audit_trail(gql, park):
    draft = {"incubatorId": park.incubator, "quarter": "2025Q3", "final": False,
             "metrics": [{"field": "tenants", "value": 50}, {"field": "mentors", "value": 10}]}
    first = await gql.op("SubmitQuarterlyMetrics", {"input": draft}, token=park.tokens["manager"])
    assert first["data"]["submitQuarterlyMetrics"]["revision"]["changedFields"] == ["mentors", "tenants"]
    final = submit_input(park.incubator, baseRevision=1)
    second = await gql.op("SubmitQuarterlyMetrics", {"input": final}, token=park.tokens["manager"])
    rev2 = second["data"]["submitQuarterlyMetrics"]["revision"]
    assert rev2["revision"] == 2 and rev2["status"] == "SUBMITTED"
    assert "tenants" in rev2["changedFields"] and "financedTenants" in rev2["changedFields"]
    amend = submit_input(park.incubator, baseRevision=2, overrides={"financed_tenants": 13})
    third = await gql.op("SubmitQuarterlyMetrics", {"input": amend}, token=park.tokens["admin"])
    rev3 = third["data"]["submitQuarterlyMetrics"]["revision"]
    assert rev3["changedFields"] == ["financedTenants"] and rev3["authorName"] == "admin"
    trail = await gql.op("MetricsRevisions", {"incubatorId": park.incubator, "quarter": "2025Q3", "first": 2},
                         token=park.tokens["evaluator"])
    page = trail["data"]["metricsRevisions"]
    assert [n["revision"] for n in page["nodes"]] == [3, 2] and page["hasNextPage"]
    rest = await gql.op("MetricsRevisions", {"incubatorId": park.incubator, "quarter": "2025Q3", "first": 2,
                                             "after": page["endCursor"]}, token=park.tokens["evaluator"])
    assert [n["revision"] for n in rest["data"]["metricsRevisions"]["nodes"]] == [1]
    assert not rest["data"]["metricsRevisions"]["hasNextPage"]
    # every revision keeps its own values
    old = {m["field"]: m["value"] for m in page["nodes"][1]["metrics"]}
    assert old["financedTenants"] == 12


async def test_stale_revision_gets_conflict_and_is_not_stored(gql, park):
    await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.incubator)}, token=park.tokens["manager"])
    await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.incubator, baseRevision=1,
                                                                   overrides={"mentors": 19})},
                 token=park.tokens["manager"])
    stale = await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.incubator, baseRevision=1,
                                                                           overrides={"mentors": 30})},
                         token=park.tokens["manager"])
    assert error_codes(stale) == ["CONFLICT"]
    assert stale["errors"][0]["extensions"]["currentRevision"] == 2
    unnamed = await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.incubator)},
                           token=park.tokens["manager"])
    assert error_codes(unnamed) == ["CONFLICT"]
    revisions = await stored_revisions(gql, park)
    assert [r["revision"] for r in revisions] == [2, 1]
    assert {m["field"]: m["value"] for m in revisions[0]["metrics"]}["mentors"] == 19


async def test_concurrent_amendments_of_one_revision_store_exactly_one(gql, park):
    await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.incubator)}, token=park.tokens["manager"])
    results = await asyncio.gather(*[
        gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.incubator, baseRevision=1,
                                                                 overrides={"mentors": 20 + k})},
               token=park.tokens["manager"]) for k in range(6)])
    winners = [r for r in results if "errors" not in r]
    assert len(winners) == 1
    assert all(error_codes(r) == ["CONFLICT"] for r in results if "errors" in r)
    assert [r["revision"] for r in await stored_revisions(gql, park)] == [2, 1]


async def test_idempotency_key_stores_a_retried_submission_once(gql, park):
    body = submit_input(park.incubator, idempotencyKey="form-7f3a")
    first = await gql.op("SubmitQuarterlyMetrics", {"input": body}, token=park.tokens["manager"])
    again = await gql.op("SubmitQuarterlyMetrics", {"input": body}, token=park.tokens["manager"])
    assert first["data"]["submitQuarterlyMetrics"]["replayed"] is False
    assert again["data"]["submitQuarterlyMetrics"]["replayed"] is True
    assert again["data"]["submitQuarterlyMetrics"]["revision"]["id"] == \
        first["data"]["submitQuarterlyMetrics"]["revision"]["id"]
    assert len(await stored_revisions(gql, park)) == 1


async def test_concurrent_double_clicks_with_one_key_store_once(gql, park):
    body = submit_input(park.incubator, idempotencyKey="double-click")
    results = await asyncio.gather(*[gql.op("SubmitQuarterlyMetrics", {"input": body}, token=park.tokens["manager"])
                                     for _ in range(5)])
    assert all("errors" not in r for r in results), results
    assert len({r["data"]["submitQuarterlyMetrics"]["revision"]["id"] for r in results}) == 1
    assert len(await stored_revisions(gql, park)) == 1


async def test_idempotency_key_reused_for_another_quarter_is_a_conflict(gql, park):
    await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.incubator, idempotencyKey="k1")},
                 token=park.tokens["manager"])
    other = await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.incubator, "2025Q2",
                                                                          idempotencyKey="k1")},
                         token=park.tokens["manager"])
    assert error_codes(other) == ["CONFLICT"]
    assert await stored_revisions(gql, park, "2025Q2") == []


async def test_raw_fields_describe_the_form(gql, park):
    result = await gql.op("RawFields", token=park.tokens["startup"])
    fields = {f["id"]: f for f in result["data"]["rawFields"]}
    assert len(fields) == len(BASE_METRICS)
    financed = fields["financedTenants"]
    assert financed["snakeId"] == "financed_tenants" and financed["unit"] == "家" and financed["integer"]
    assert financed["dimension"] == "investment" and financed["nameZh"] == "获得融资的在孵企业数"


async def test_a_denominator_of_zero_is_refused_including_over_four_quarters(gql, park):
    zero = await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.incubator, overrides={
        "tenants": 0, "new_tenants": 0, "graduated_tenants": 0, "tenants_with_patent_filings": 0,
        "financed_tenants": 0, "tenants_in_large_firm_supply_chains": 0, "high_tech_tenants": 0,
        "specialised_tenants": 0})}, token=park.tokens["manager"])
    assert list(by_field(zero)) == ["metrics.tenants"]
    assert "cannot be 0" in by_field(zero)["metrics.tenants"]["message_en"]
    # total income 0 in three earlier quarters: a fourth zero makes the trailing-year share undefined
    for quarter in ("2024Q4", "2025Q1", "2025Q2"):
        stored = await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(
            park.incubator, quarter, overrides={"total_income": 0, "non_rent_income": 0})}, token=park.tokens["manager"])
        assert "errors" not in stored, stored
    fourth = await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(
        park.incubator, "2025Q3", overrides={"total_income": 0, "non_rent_income": 0})}, token=park.tokens["manager"])
    assert "metrics.totalIncome" in by_field(fourth)
    assert "four quarters" in by_field(fourth)["metrics.totalIncome"]["message_en"]
    assert await stored_revisions(gql, park) == []


async def test_an_interrupted_write_heals_on_the_next_conflict(gql, park, state):
    """A revision stored without its head update (a crash between the two writes): the next amendment gets
    CONFLICT naming the real latest revision, and the one after that, naming it, goes through."""
    await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.incubator)}, token=park.tokens["manager"])
    stored = await state.db["metric_revisions"].find_one({"incubator_id": park.incubator, "quarter": "2025Q3"})
    orphan = {**stored, "_id": "orphan", "revision": 2, "idempotency_key": "auto:orphan"}
    await state.db["metric_revisions"].insert_one(orphan)  # head still says revision 1
    stale = await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.incubator, baseRevision=1)},
                         token=park.tokens["manager"])
    assert error_codes(stale) == ["CONFLICT"] and stale["errors"][0]["extensions"]["currentRevision"] == 2
    ok = await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.incubator, baseRevision=2)},
                      token=park.tokens["manager"])
    assert ok["data"]["submitQuarterlyMetrics"]["revision"]["revision"] == 3
