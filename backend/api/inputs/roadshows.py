from __future__ import annotations

from datetime import datetime

import strawberry

from backend.api.types.roadshows import RoadshowAudience


@strawberry.input
class AgendaItemInput:
    startup_id: strawberry.ID
    pitch_minutes: int
    qa_minutes: int
    stream_url: str | None = strawberry.field(default=None, description="Optional external live-stream link")


@strawberry.input
class ScheduleRoadshowInput:
    title_zh: str
    title_en: str
    starts_at: datetime
    agenda: list[AgendaItemInput]
    audience: RoadshowAudience  # type: ignore[valid-type]
    industry_focus: list[str] = strawberry.field(default_factory=list)
    moderator_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    invited_user_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input(description="Only the fields given change; only while the roadshow is scheduled.")
class UpdateRoadshowInput:
    title_zh: str | None = None
    title_en: str | None = None
    starts_at: datetime | None = None
    agenda: list[AgendaItemInput] | None = None
    audience: RoadshowAudience | None = None  # type: ignore[valid-type]
    industry_focus: list[str] | None = None
    moderator_ids: list[strawberry.ID] | None = None
    invited_user_ids: list[strawberry.ID] | None = None
