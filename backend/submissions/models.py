"""Quarterly metrics: revisions (the audit trail), the per-(incubator, quarter) head, reporting windows."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

QUARTER_RE = re.compile(r"^(19[89][0-9]|20[0-9]{2})Q([1-4])\Z")


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


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """First and last day of a quarter such as ``2025Q3``."""
    m = QUARTER_RE.match(quarter)
    if m is None:
        raise ValueError(quarter)
    year, q = int(m.group(1)), int(m.group(2))
    start = date(year, 3 * (q - 1) + 1, 1)
    end = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)


PARK_TZ = ZoneInfo("Asia/Shanghai")


def park_today() -> date:
    """Today in the park (Asia/Shanghai): a quarter starts at the park's midnight, not UTC's."""
    return datetime.now(PARK_TZ).date()


def current_quarter(today: date | None = None) -> str:
    today = today or park_today()
    return f"{today.year}Q{(today.month - 1) // 3 + 1}"


def camel(field_id: str) -> str:
    head, *rest = field_id.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)
