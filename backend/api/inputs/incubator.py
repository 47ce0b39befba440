from __future__ import annotations

from datetime import date

import strawberry

from backend.api.types.incubator import Accreditation, IncubatorKind, Industry, SubArea


@strawberry.input
class CreateIncubatorInput:
    name_zh: str
    name_en: str
    kind: IncubatorKind  # type: ignore[valid-type]
    accreditation: Accreditation  # type: ignore[valid-type]
    sub_area: SubArea  # type: ignore[valid-type]
    industries: list[Industry]  # type: ignore[valid-type]
    founded_on: date
    floor_area: float
    operator: str


@strawberry.input(description="Only the fields given change. Managers may change names, industries, floor area and operator.")
class UpdateIncubatorInput:
    name_zh: str | None = None
    name_en: str | None = None
    kind: IncubatorKind | None = None  # type: ignore[valid-type]
    accreditation: Accreditation | None = None  # type: ignore[valid-type]
    sub_area: SubArea | None = None  # type: ignore[valid-type]
    industries: list[Industry] | None = None  # type: ignore[valid-type]
    founded_on: date | None = None
    floor_area: float | None = None
    operator: str | None = None


@strawberry.input
class IncubatorFilterInput:
    sub_area: SubArea | None = None  # type: ignore[valid-type]
    kind: IncubatorKind | None = None  # type: ignore[valid-type]
    accreditation: Accreditation | None = None  # type: ignore[valid-type]
    industry: Industry | None = None  # type: ignore[valid-type]
