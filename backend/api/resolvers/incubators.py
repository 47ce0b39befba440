from __future__ import annotations

import dataclasses

import strawberry
from strawberry import Info

from backend.api.inputs.incubator import CreateIncubatorInput, IncubatorFilterInput, UpdateIncubatorInput
from backend.api.permissions import AdminOrOwnManager, IsAuthenticated, roles
from backend.api.types.incubator import Incubator, IncubatorConnection
from backend.core.errors import Forbidden, NotFound
from backend.incubators.models import IncubatorFilter
from backend.incubators.service import MANAGER_EDITABLE
from backend.users.models import Role


def _plain(value: object) -> object:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return getattr(value, "value", value)


def _values(payload: object) -> dict[str, object]:
    return {f.name: _plain(getattr(payload, f.name)) for f in dataclasses.fields(payload)}  # type: ignore[arg-type]


@strawberry.type
class IncubatorQueries:
    @strawberry.field(permission_classes=[IsAuthenticated])
    async def incubator(self, info: Info, id: strawberry.ID) -> Incubator:
        found = await info.context.loaders.incubator.load(str(id))
        if found is None:
            raise NotFound("No incubator has this id.", "不存在此编号的孵化器。", field="id")
        return Incubator.from_model(found)

    @strawberry.field(permission_classes=[IsAuthenticated], description="Incubators by name, filtered, paginated.")
    async def incubators(self, info: Info, filter: IncubatorFilterInput | None = None, first: int = 50,
                         after: str | None = None) -> IncubatorConnection:
        filters = IncubatorFilter.model_validate(_values(filter)) if filter else IncubatorFilter()
        rows, end_cursor, has_next = await info.context.state.incubator_service.page(filters, first, after)
        return IncubatorConnection(nodes=[Incubator.from_model(r) for r in rows], end_cursor=end_cursor,
                                   has_next_page=has_next)


@strawberry.type
class IncubatorMutations:
    @strawberry.mutation(permission_classes=[roles(Role.admin)])
    async def create_incubator(self, info: Info, input: CreateIncubatorInput) -> Incubator:
        return Incubator.from_model(await info.context.state.incubator_service.create(_values(input)))

    @strawberry.mutation(permission_classes=[AdminOrOwnManager],
                         description="Admins update any incubator; a manager updates their own (names, industries, area, operator).")
    async def update_incubator(self, info: Info, incubator_id: strawberry.ID, input: UpdateIncubatorInput) -> Incubator:
        changes = {k: v for k, v in _values(input).items() if v is not None}
        user = info.context.require_user()
        if user.role is Role.manager and (forbidden := sorted(set(changes) - MANAGER_EDITABLE)):
            raise Forbidden(f"Managers cannot change: {', '.join(forbidden)}.",
                            f"管理员不能修改：{', '.join(forbidden)}。", field=forbidden[0])
        return Incubator.from_model(await info.context.state.incubator_service.update(str(incubator_id), changes))
