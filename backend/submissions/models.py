"""Quarterly metrics: revisions (the audit trail), the per-(incubator, quarter) head, reporting windows."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class SubmissionStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"


class Revision(BaseModel):
    """One stored revision of an incubator's metrics for a quarter (never changed once written)."""

    id: str = Field(alias="_id")
    incubator_id: str
    quarter: str
    revision: int
    status: SubmissionStatus
    metrics: dict[str, float | None]
    changed_fields: list[str]
    author_id: str
    author_name: str = ""
    created_at: datetime
    scheme_version: str
    source: str = "graphql"

    model_config = {"populate_by_name": True}


class Head(BaseModel):
    """Latest revision of (incubator, quarter) and its latest submitted one (what scoring reads)."""

    id: str = Field(alias="_id")
    incubator_id: str
    quarter: str
    revision: int
    status: SubmissionStatus
    metrics: dict[str, float | None]
    submitted_revision: int | None = None
    submitted_metrics: dict[str, float | None] | None = None
    submitted_at: datetime | None = None
    updated_at: datetime

    model_config = {"populate_by_name": True}


class WindowState(StrEnum):
    open = "open"
    closed = "closed"


class ReportingWindow(BaseModel):
    quarter: str = Field(alias="_id")
    state: WindowState
    reopened_for: list[str] = []
    updated_by: str
    updated_at: datetime

    model_config = {"populate_by_name": True}


def camel(field_id: str) -> str:
    head, *rest = field_id.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)
