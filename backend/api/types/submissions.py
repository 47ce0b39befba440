from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from backend.submissions import models
from backend.submissions.models import camel

SubmissionStatus = strawberry.enum(Enum("SubmissionStatus", {"DRAFT": "draft", "SUBMITTED": "submitted"}))
WindowState = strawberry.enum(Enum("WindowState", {"OPEN": "open", "CLOSED": "closed"}))


@strawberry.type(description="A raw field managers report each quarter (from the evaluation scheme).")
class RawField:
    id: str = strawberry.field(description="camelCase id used in MetricValueInput.field and error paths")
    snake_id: str
    name_zh: str
    name_en: str
    unit: str
    kind: str
    min: float
    max: float | None
    help_zh: str
    help_en: str
    dimension: str | None
    integer: bool


@strawberry.type
class MetricValue:
    field: str
    value: float | None


def metric_values(metrics: dict[str, float | None]) -> list[MetricValue]:
    return [MetricValue(field=camel(k), value=v) for k, v in metrics.items()]


@strawberry.type(description="One stored revision of a quarter's metrics: who, when, what changed.")
class MetricsRevision:
    id: strawberry.ID
    incubator_id: strawberry.ID
    quarter: str
    revision: int
    status: SubmissionStatus  # type: ignore[valid-type]
    metrics: list[MetricValue]
    changed_fields: list[str]
    author_id: strawberry.ID
    author_name: str
    created_at: datetime
    scheme_version: str
    source: str

    @classmethod
    def from_model(cls, r: models.Revision) -> MetricsRevision:
        return cls(id=strawberry.ID(r.id), incubator_id=strawberry.ID(r.incubator_id), quarter=r.quarter,
                   revision=r.revision, status=SubmissionStatus(r.status.value), metrics=metric_values(r.metrics),
                   changed_fields=[camel(f) for f in r.changed_fields], author_id=strawberry.ID(r.author_id),
                   author_name=r.author_name, created_at=r.created_at, scheme_version=r.scheme_version,
                   source=r.source)


@strawberry.type
class SubmitResult:
    revision: MetricsRevision
    replayed: bool = strawberry.field(description="True when this was a retry of an already stored submission")


@strawberry.type(description="The latest revision of an incubator's quarter and its latest submitted one.")
class QuarterlyMetrics:
    incubator_id: strawberry.ID
    quarter: str
    revision: int
    status: SubmissionStatus  # type: ignore[valid-type]
    metrics: list[MetricValue]
    submitted_revision: int | None
    submitted_metrics: list[MetricValue] | None
    submitted_at: datetime | None
    updated_at: datetime

    @classmethod
    def from_model(cls, h: models.Head) -> QuarterlyMetrics:
        return cls(incubator_id=strawberry.ID(h.incubator_id), quarter=h.quarter, revision=h.revision,
                   status=SubmissionStatus(h.status.value), metrics=metric_values(h.metrics),
                   submitted_revision=h.submitted_revision,
                   submitted_metrics=metric_values(h.submitted_metrics) if h.submitted_metrics is not None else None,
                   submitted_at=h.submitted_at, updated_at=h.updated_at)


@strawberry.type
class RevisionConnection:
    nodes: list[MetricsRevision]
    end_cursor: str | None
    has_next_page: bool


@strawberry.type
class ReportingWindow:
    quarter: str
    state: WindowState  # type: ignore[valid-type]
    reopened_for: list[strawberry.ID]
    updated_by: strawberry.ID | None
    updated_at: datetime | None

    @classmethod
    def from_model(cls, quarter: str, w: models.ReportingWindow | None) -> ReportingWindow:
        if w is None:  # never set: open
            return cls(quarter=quarter, state=WindowState("open"), reopened_for=[], updated_by=None, updated_at=None)
        return cls(quarter=w.quarter, state=WindowState(w.state.value),
                   reopened_for=[strawberry.ID(i) for i in w.reopened_for], updated_by=strawberry.ID(w.updated_by),
                   updated_at=w.updated_at)


@strawberry.type(description="An incubator that has not made its final submission for a quarter.")
class MissingSubmission:
    incubator_id: strawberry.ID
    name_zh: str
    name_en: str
    draft_revision: int | None


@strawberry.type
class MissingSubmissionConnection:
    quarter: str
    total_count: int
    nodes: list[MissingSubmission]
    end_cursor: str | None
    has_next_page: bool
