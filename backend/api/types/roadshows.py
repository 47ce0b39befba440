from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from backend.roadshows import models

RoadshowStatus = strawberry.enum(Enum("RoadshowStatus", {m.name.upper(): m.value for m in models.RoadshowStatus}),
                                 description="scheduled 待开始 → live 进行中 → ended 已结束; "
                                             "scheduled → cancelled 已取消")
RoadshowAudience = strawberry.enum(Enum("RoadshowAudience", {m.name.upper(): m.value for m in models.Audience}),
                                   description="registered: every signed-in user; investors: investors and park "
                                               "staff; invited: only the invited accounts")
RoadshowPhase = strawberry.enum(Enum("RoadshowPhase", {m.name.upper(): m.value for m in models.Phase}))


@strawberry.type
class SlideDeck:
    kind: str = strawberry.field(description="pdf or images")
    pages: int
    urls: list[str]


@strawberry.type
class AgendaItem:
    index: int
    startup_id: strawberry.ID
    startup_name_zh: str
    startup_name_en: str
    pitch_minutes: int
    qa_minutes: int
    stream_url: str | None
    slides: SlideDeck | None


@strawberry.type(description="An online roadshow (路演): pitches by startups to investors and park staff.")
class Roadshow:
    id: strawberry.ID
    title_zh: str
    title_en: str
    starts_at: datetime
    industry_focus: list[str]
    agenda: list[AgendaItem]
    moderator_ids: list[strawberry.ID]
    audience: RoadshowAudience  # type: ignore[valid-type]
    invited_user_ids: list[strawberry.ID]
    organiser_id: strawberry.ID
    status: RoadshowStatus  # type: ignore[valid-type]
    pitch_index: int
    phase: RoadshowPhase  # type: ignore[valid-type]
    started_at: datetime | None
    ended_at: datetime | None
    can_moderate: bool


@strawberry.type
class TranscriptEntry:
    kind: str = strawberry.field(description="chat, question or interest")
    at: datetime
    author_name: str
    author_organisation: str
    text: str
    pitch_index: int | None
    answer: str | None
    upvotes: int


@strawberry.type
class RoadshowTranscript:
    roadshow: Roadshow
    entries: list[TranscriptEntry]


@strawberry.type
class PitchAnalytics:
    index: int
    startup_id: strawberry.ID
    viewers: int = strawberry.field(description="Distinct viewers present at some time during the pitch and its Q&A")
    peak_viewers: int
    average_viewers: float
    questions: int
    interest_count: int
    reactions: int


@strawberry.type
class RoadshowAnalytics:
    roadshow: Roadshow
    unique_viewers: int
    peak_viewers: int
    average_viewers: float = strawberry.field(description="Time-weighted average of concurrent viewers while live")
    duration_seconds: float
    questions: int
    interest_count: int
    pitches: list[PitchAnalytics]
