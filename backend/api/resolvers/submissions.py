from __future__ import annotations

import strawberry
from strawberry import Info

from backend.api.inputs.submissions import SubmitQuarterlyMetricsInput
from backend.api.permissions import AdminOrOwnManager, IsAuthenticated, OwnIncubator, roles
from backend.api.types.submissions import (
    MetricsRevision,
    MissingSubmission,
    MissingSubmissionConnection,
    QuarterlyMetrics,
    RawField,
    ReportingWindow,
    RevisionConnection,
    SubmitResult,
)
from backend.core.errors import BadUserInput
from backend.pagination import check_page_size, decode_cursor, encode_cursor
from backend.submissions.models import camel
from backend.submissions.service import SaveRequest, scheme, submission_service
from backend.users.models import Role

STAFF = roles(Role.admin, Role.evaluator)


def offset_from(after: str | None) -> int:
    raw = decode_cursor(after)
    if raw is None:
        return 0
    if not raw.isdigit():
        raise BadUserInput.single("after", "The cursor is not valid: use one returned by this query.",
                                  "游标无效：请使用本查询返回的游标。")
    return int(raw)


def raw_fields(reported: bool = True) -> list[RawField]:
    return [RawField(id=camel(f.id), snake_id=f.id, name_zh=f.name_zh, name_en=f.name_en, unit=f.unit, kind=f.kind,
                     min=f.min, max=f.max, help_zh=f.help_zh, help_en=f.help_en, dimension=f.dimension,
                     integer=f.integer) for f in scheme().raw_fields if f.reported is reported]


@strawberry.type
class SubmissionQueries:
    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="The raw fields a manager reports, in form order (names, units, help, dimension).")
    def raw_fields(self) -> list[RawField]:
        return raw_fields()

    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="Fields the scheme scores that incubench counts itself from its records "
                                  "(IP-workstation consultations, cooperations signed on the platform); "
                                  "never reported in a submission.")
    def platform_fields(self) -> list[RawField]:
        return raw_fields(reported=False)

    @strawberry.field(permission_classes=[OwnIncubator],
                      description="The latest revision (draft or submitted) of an incubator's quarter, or null.")
    async def quarterly_metrics(self, info: Info, incubator_id: strawberry.ID, quarter: str) -> QuarterlyMetrics | None:
        service = submission_service(info.context.state)
        service._check_quarter(quarter)
        head = await service.current(str(incubator_id), quarter)
        return QuarterlyMetrics.from_model(head) if head else None

    @strawberry.field(permission_classes=[OwnIncubator],
                      description="The audit trail: every revision, newest first (who, when, which fields changed).")
    async def metrics_revisions(self, info: Info, incubator_id: strawberry.ID, quarter: str, first: int = 20,
                                after: str | None = None) -> RevisionConnection:
        check_page_size(first)
        service = submission_service(info.context.state)
        service._check_quarter(quarter)
        before = offset_from(after) if after else None
        rows, has_next = await service.revisions(str(incubator_id), quarter, first, before)
        return RevisionConnection(nodes=[MetricsRevision.from_model(r) for r in rows],
                                  end_cursor=encode_cursor(str(rows[-1].revision)) if rows else None,
                                  has_next_page=has_next)

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def reporting_window(self, info: Info, quarter: str) -> ReportingWindow:
        return ReportingWindow.from_model(quarter, await submission_service(info.context.state).window(quarter))

    @strawberry.field(permission_classes=[STAFF],
                      description="Reminders: incubators that have not made their final submission for a quarter.")
    async def missing_submissions(self, info: Info, quarter: str, first: int = 50,
                                  after: str | None = None) -> MissingSubmissionConnection:
        check_page_size(first)
        start = offset_from(after)
        rows = await submission_service(info.context.state).missing(quarter)
        page = rows[start:start + first]
        return MissingSubmissionConnection(
            quarter=quarter, total_count=len(rows),
            nodes=[MissingSubmission(incubator_id=strawberry.ID(i.id), name_zh=i.name_zh, name_en=i.name_en,
                                     draft_revision=h.revision if h else None) for i, h in page],
            end_cursor=encode_cursor(str(start + len(page))) if page else None,
            has_next_page=start + first < len(rows))


@strawberry.type
class SubmissionMutations:
    @strawberry.mutation(permission_classes=[AdminOrOwnManager],
                         description="Save a draft or the final submission of a quarter's metrics as a new revision.")
    async def submit_quarterly_metrics(self, info: Info, input: SubmitQuarterlyMetricsInput) -> SubmitResult:
        user = info.context.require_user()
        request = SaveRequest(incubator_id=str(input.incubator_id), quarter=input.quarter,
                              metrics=[(m.field, m.value) for m in input.metrics], final=input.final,
                              base_revision=input.base_revision, idempotency_key=input.idempotency_key)
        outcome = await submission_service(info.context.state).save(user, request)
        return SubmitResult(revision=MetricsRevision.from_model(outcome.revision), replayed=outcome.replayed)

    @strawberry.mutation(permission_classes=[STAFF], description="Open a quarter's reporting window for everyone.")
    async def open_reporting_window(self, info: Info, quarter: str) -> ReportingWindow:
        window = await submission_service(info.context.state).open_window(info.context.require_user(), quarter)
        return ReportingWindow.from_model(quarter, window)

    @strawberry.mutation(permission_classes=[STAFF],
                         description="Close a quarter's window (or, with incubatorId, withdraw that incubator's reopening).")
    async def close_reporting_window(self, info: Info, quarter: str,
                                     incubator_id: strawberry.ID | None = None) -> ReportingWindow:
        window = await submission_service(info.context.state).close_window(
            info.context.require_user(), quarter, str(incubator_id) if incubator_id else None)
        return ReportingWindow.from_model(quarter, window)

    @strawberry.mutation(permission_classes=[STAFF],
                         description="Let one incubator amend a quarter whose window is closed.")
    async def reopen_reporting_window(self, info: Info, quarter: str, incubator_id: strawberry.ID) -> ReportingWindow:
        window = await submission_service(info.context.state).reopen_for(info.context.require_user(), quarter,
                                                                         str(incubator_id))
        return ReportingWindow.from_model(quarter, window)
