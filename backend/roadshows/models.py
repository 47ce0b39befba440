from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class RoadshowStatus(StrEnum):
    scheduled = "scheduled"
    live = "live"
    ended = "ended"
    cancelled = "cancelled"    # called off before it started


class Audience(StrEnum):
    """Who may enter the room (moderators, presenters and admins always may)."""

    registered = "registered"      # every signed-in user of the park
    investors = "investors"        # investors and park staff
    invited = "invited"            # only the invited accounts


class Phase(StrEnum):
    waiting = "waiting"    # live, no pitch started yet
    pitch = "pitch"
    qa = "qa"
    done = "done"          # after the last Q&A


class AgendaItem(BaseModel):
    startup_id: str
    pitch_minutes: int
    qa_minutes: int
    stream_url: str | None = None
    title: str = ""


class Roadshow(BaseModel):
    id: str = Field(alias="_id")
    title_zh: str
    title_en: str
    starts_at: datetime
    industry_focus: list[str] = Field(default_factory=list)
    agenda: list[AgendaItem]
    moderator_ids: list[str]
    audience: Audience
    invited_user_ids: list[str] = Field(default_factory=list)
    organiser_id: str
    incubator_id: str | None = None
    status: RoadshowStatus = RoadshowStatus.scheduled
    pitch_index: int = -1
    phase: Phase = Phase.waiting
    phase_started_at: datetime | None = None
    phase_ends_at: datetime | None = None
    slides: dict[str, int] = Field(default_factory=dict)   # pitch index (str) → current slide page
    pitch_times: list[dict[str, Any]] = Field(default_factory=list)  # [{index, started_at}] in order
    reactions: dict[str, dict[str, int]] = Field(default_factory=dict)  # pitch index → kind → total
    started_at: datetime | None = None
    ended_at: datetime | None = None
    cancelled_at: datetime | None = None
    created_at: datetime
    updated_at: datetime

    model_config = {"populate_by_name": True}

    def startup_ids(self) -> list[str]:
        return [item.startup_id for item in self.agenda]


class SlideFile(BaseModel):
    file_id: str
    name: str
    content_type: str
    size: int


class SlideDeck(BaseModel):
    id: str = Field(alias="_id")
    roadshow_id: str
    pitch_index: int
    kind: str                      # "pdf" or "images"
    files: list[SlideFile]
    pages: int
    uploaded_by: str
    uploaded_at: datetime

    model_config = {"populate_by_name": True}
