from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class StartupProfile(BaseModel):
    """A startup's profile: the core (name, incubator, industry) and its matchmaking fields."""

    id: str = Field(alias="_id")
    name_zh: str
    name_en: str
    incubator_id: str | None = None
    industry: str = "other"
    # Matchmaking profile (issue 6); amounts in 10k CNY (万元).
    stage: str | None = None
    founded_year: int | None = None
    team_size: int | None = None
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    needs: list[str] = Field(default_factory=list)
    ask_min: float | None = None
    ask_max: float | None = None
    supply_need: str = ""
    offers: str = ""
    updated_at: datetime | None = None

    model_config = {"populate_by_name": True, "extra": "allow"}
