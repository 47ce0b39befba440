from __future__ import annotations

from pydantic import BaseModel, Field


class StartupProfile(BaseModel):
    """The core of a startup's profile; matchmaking adds its needs and offers."""

    id: str = Field(alias="_id")
    name_zh: str
    name_en: str
    incubator_id: str | None = None
    industry: str = "other"

    model_config = {"populate_by_name": True, "extra": "allow"}
