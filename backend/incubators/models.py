from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class IncubatorKind(StrEnum):
    incubator = "incubator"
    maker_space = "maker_space"
    accelerator = "accelerator"


class Accreditation(StrEnum):
    national = "national"
    municipal = "municipal"
    district = "district"
    none = "none"


class SubArea(StrEnum):
    desheng = "desheng"
    beizhan = "beizhan"
    guangan = "guangan"


class Industry(StrEnum):
    """The "1+3" industries: fintech, plus digital industry, R&D design, culture-tech."""

    fintech = "fintech"
    digital = "digital"
    rd_design = "rd_design"
    culture_tech = "culture_tech"
    other = "other"


class Incubator(BaseModel):
    id: str = Field(alias="_id")
    name_zh: str
    name_en: str
    kind: IncubatorKind
    accreditation: Accreditation
    sub_area: SubArea
    industries: list[Industry]
    founded_on: date
    floor_area: float
    operator: str
    created_at: datetime
    updated_at: datetime

    model_config = {"populate_by_name": True}


class IncubatorFilter(BaseModel):
    sub_area: SubArea | None = None
    kind: IncubatorKind | None = None
    accreditation: Accreditation | None = None
    industry: Industry | None = None
