"""Reporting windows, reminders, and who may do what on each submission operation."""

from __future__ import annotations

import pytest

from tests.conftest import error_codes
from tests.submissions.helpers import submit_input

ALL_ROLES = ("admin", "evaluator", "manager", "othermanager", "startup", "investor", "advisor")


async def test_closed_window_blocks_manager_until_reopened_for_that_incubator(gql, park):
    assert "errors" not in await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.incubator)},
                                        token=park.tokens["manager"])
    closed = await gql.op("CloseReportingWindow", {"quarter": "2025Q3"}, token=park.tokens["evaluator"])
    assert closed["data"]["closeReportingWindow"]["state"] == "CLOSED"
    amend = {"input": submit_input(park.incubator, baseRevision=1, overrides={"mentors": 25})}
    refused = await gql.op("SubmitQuarterlyMetrics", amend, token=park.tokens["manager"])
    assert error_codes(refused) == ["FORBIDDEN"]
    assert refused["errors"][0]["extensions"]["reason"] == "WINDOW_CLOSED"
    other = await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.other)},
                         token=park.tokens["othermanager"])
    assert error_codes(other) == ["FORBIDDEN"]
    reopened = await gql.op("ReopenReportingWindow", {"quarter": "2025Q3", "incubatorId": park.incubator},
                            token=park.tokens["evaluator"])
    assert reopened["data"]["reopenReportingWindow"]["reopenedFor"] == [park.incubator]
    ok = await gql.op("SubmitQuarterlyMetrics", amend, token=park.tokens["manager"])
    assert ok["data"]["submitQuarterlyMetrics"]["revision"]["revision"] == 2
    # still closed for the other incubator
    assert error_codes(await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.other)},
                                    token=park.tokens["othermanager"])) == ["FORBIDDEN"]
    # withdrawing the reopening blocks again; opening for all lets everyone in
    await gql.op("CloseReportingWindow", {"quarter": "2025Q3", "incubatorId": park.incubator},
                 token=park.tokens["evaluator"])
    again = {"input": submit_input(park.incubator, baseRevision=2, overrides={"mentors": 26})}
    assert error_codes(await gql.op("SubmitQuarterlyMetrics", again, token=park.tokens["manager"])) == ["FORBIDDEN"]
    await gql.op("OpenReportingWindow", {"quarter": "2025Q3"}, token=park.tokens["evaluator"])
    assert "errors" not in await gql.op("SubmitQuarterlyMetrics", again, token=park.tokens["manager"])
    window = await gql.op("ReportingWindow", {"quarter": "2025Q3"}, token=park.tokens["investor"])
    assert window["data"]["reportingWindow"]["state"] == "OPEN"


async def test_reminders_list_incubators_without_a_final_submission(gql, park):
    await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.incubator, "2024Q3", final=False)},
                 token=park.tokens["manager"])
    result = await gql.op("MissingSubmissions", {"quarter": "2024Q3"}, token=park.tokens["evaluator"])
    missing = result["data"]["missingSubmissions"]
    assert missing["totalCount"] == 2
    drafts = {n["incubatorId"]: n["draftRevision"] for n in missing["nodes"]}
    assert drafts == {park.incubator: 1, park.other: None}
    await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.incubator, "2024Q3", baseRevision=1)},
                 token=park.tokens["manager"])
    after = await gql.op("MissingSubmissions", {"quarter": "2024Q3"}, token=park.tokens["evaluator"])
    assert [n["incubatorId"] for n in after["data"]["missingSubmissions"]["nodes"]] == [park.other]
    # Beta did not exist yet in 2024Q1: nobody is reminded about it
    early = await gql.op("MissingSubmissions", {"quarter": "2024Q1"}, token=park.tokens["admin"])
    assert [n["incubatorId"] for n in early["data"]["missingSubmissions"]["nodes"]] == [park.incubator]


EXPECTED = {
    # operation: roles allowed (others FORBIDDEN)
    "SubmitQuarterlyMetrics": {"admin", "manager"},
    "QuarterlyMetrics": {"admin", "evaluator", "manager"},
    "MetricsRevisions": {"admin", "evaluator", "manager"},
    "MissingSubmissions": {"admin", "evaluator"},
    "OpenReportingWindow": {"admin", "evaluator"},
    "CloseReportingWindow": {"admin", "evaluator"},
    "ReopenReportingWindow": {"admin", "evaluator"},
    "ReportingWindow": set(ALL_ROLES),
    "RawFields": set(ALL_ROLES),
}


def variables(name: str, park, role: str = "admin") -> dict:
    if name == "SubmitQuarterlyMetrics":  # a quarter per role, so each allowed writer makes a first revision
        return {"input": submit_input(park.incubator, f"2024Q{ALL_ROLES.index(role) % 4 + 1}", final=False)}
    if name in ("QuarterlyMetrics", "MetricsRevisions", "ReopenReportingWindow"):
        return {"incubatorId": park.incubator, "quarter": "2025Q1"}
    if name == "RawFields":
        return {}
    return {"quarter": "2025Q1"}


@pytest.mark.parametrize("operation", sorted(EXPECTED))
async def test_permissions_for_each_role(gql, park, operation):
    for role in ALL_ROLES:
        result = await gql.op(operation, variables(operation, park, role), token=park.tokens[role])
        if role in EXPECTED[operation]:
            assert "errors" not in result, (operation, role, result)
        else:
            assert error_codes(result) == ["FORBIDDEN"], (operation, role, result)
    assert error_codes(await gql.op(operation, variables(operation, park))) == ["UNAUTHENTICATED"]


async def test_manager_probing_another_incubators_draft_is_forbidden(gql, park):
    await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.other, "2025Q3", final=False)},
                 token=park.tokens["othermanager"])
    for name in ("QuarterlyMetrics", "MetricsRevisions"):
        probe = await gql.op(name, {"incubatorId": park.other, "quarter": "2025Q3"}, token=park.tokens["manager"])
        assert error_codes(probe) == ["FORBIDDEN"] and not any((probe["data"] or {}).values())
    write = await gql.op("SubmitQuarterlyMetrics", {"input": submit_input(park.other, "2025Q3", baseRevision=1)},
                         token=park.tokens["manager"])
    assert error_codes(write) == ["FORBIDDEN"]


def test_a_quarter_opens_at_the_parks_midnight():
    """At 2026-12-31 16:30 UTC it is 2027-01-01 00:30 in the park: 2027Q1 has started there."""
    from datetime import UTC, datetime

    from backend.core.clock import FixedClock, ParkCalendar
    from backend.core.errors import IssueCollector
    from backend.submissions.service import validate_quarter

    calendar = ParkCalendar(FixedClock(datetime(2026, 12, 31, 16, 30, tzinfo=UTC)))
    assert calendar.current_quarter() == "2027Q1"
    started = IssueCollector()
    validate_quarter("2027Q1", None, started, today=calendar.today())
    assert not started.issues
    future = IssueCollector()
    validate_quarter("2027Q2", None, future, today=calendar.today())
    assert [i.field for i in future.issues] == ["quarter"]
