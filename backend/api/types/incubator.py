from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry

from backend.incubators import models

IncubatorKind = strawberry.enum(Enum("IncubatorKind", {m.name.upper(): m.value for m in models.IncubatorKind}),
                                description="incubator 孵化器 / maker space 众创空间 / accelerator 加速器")
Accreditation = strawberry.enum(Enum("Accreditation", {m.name.upper(): m.value for m in models.Accreditation}),
                                description="Accreditation level: national / municipal / district / none")
SubArea = strawberry.enum(Enum("SubArea", {m.name.upper(): m.value for m in models.SubArea}),
                          description="德胜 Desheng / 北展 Beizhan / 广安 Guang'an")
Industry = strawberry.enum(Enum("Industry", {m.name.upper(): m.value for m in models.Industry}),
                           description='The "1+3" industries: fintech; digital industry, R&D design, culture-tech; other')


@strawberry.type(description="An incubator, maker space or accelerator of the Xicheng sub-park.")
class Incubator:
    id: strawberry.ID
    name_zh: str
    name_en: str
    kind: IncubatorKind  # type: ignore[valid-type]
    accreditation: Accreditation  # type: ignore[valid-type]
    sub_area: SubArea  # type: ignore[valid-type]
    industries: list[Industry]  # type: ignore[valid-type]
    founded_on: date
    floor_area: float = strawberry.field(description="Floor area in m²")
    operator: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, incubator: models.Incubator) -> Incubator:
        return cls(id=strawberry.ID(incubator.id), name_zh=incubator.name_zh, name_en=incubator.name_en,
                   kind=IncubatorKind(incubator.kind.value), accreditation=Accreditation(incubator.accreditation.value),
                   sub_area=SubArea(incubator.sub_area.value),
                   industries=[Industry(i.value) for i in incubator.industries], founded_on=incubator.founded_on,
                   floor_area=incubator.floor_area, operator=incubator.operator,
                   created_at=incubator.created_at, updated_at=incubator.updated_at)


@strawberry.type
class IncubatorConnection:
    nodes: list[Incubator]
    end_cursor: str | None
    has_next_page: bool
