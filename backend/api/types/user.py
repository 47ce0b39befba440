from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import Info

from backend.users.models import Role as RoleModel
from backend.users.models import User as UserModel

if TYPE_CHECKING:
    from backend.api.types.incubator import Incubator

Role = strawberry.enum(Enum("Role", {r.name.upper(): r.value for r in RoleModel}), description="What a user may do.")


@strawberry.type(description="A signed-in person: park staff, an incubator manager, a startup, an investor or an IP advisor.")
class User:
    id: strawberry.ID
    username: str
    display_name: str
    role: Role  # type: ignore[valid-type]
    organisation: str
    incubator_id: strawberry.ID | None
    startup_id: strawberry.ID | None
    created_at: datetime
    active: bool = strawberry.field(description="False: disabled by an admin (cannot sign in; tokens refused)")

    @strawberry.field(description="The incubator a manager is bound to.")
    async def incubator(self, info: Info) -> Annotated[Incubator, strawberry.lazy("backend.api.types.incubator")] | None:
        from backend.api.types.incubator import Incubator

        if not self.incubator_id:
            return None
        found = await info.context.loaders.incubator.load(str(self.incubator_id))
        return Incubator.from_model(found) if found else None

    @classmethod
    def from_model(cls, user: UserModel) -> User:
        return cls(id=strawberry.ID(user.id), username=user.username, display_name=user.display_name,
                   role=Role(user.role.value), organisation=user.organisation,
                   incubator_id=strawberry.ID(user.incubator_id) if user.incubator_id else None,
                   startup_id=strawberry.ID(user.startup_id) if user.startup_id else None,
                   created_at=user.created_at, active=user.active)


@strawberry.type
class AuthPayload:
    token: str
    expires_at: datetime
    user: User


@strawberry.type
class UserConnection:
    nodes: list[User]
    end_cursor: str | None
    has_next_page: bool
