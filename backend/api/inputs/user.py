from __future__ import annotations

import strawberry

from backend.api.types.user import Role


@strawberry.input
class CreateUserInput:
    username: str
    display_name: str
    role: Role  # type: ignore[valid-type]
    password: str
    organisation: str = ""
    incubator_id: strawberry.ID | None = None
    startup_id: strawberry.ID | None = None
