from __future__ import annotations

import logging

import strawberry
from strawberry import Info

from backend.api.inputs.user import CreateUserInput
from backend.api.permissions import IsAuthenticated, roles
from backend.api.types.user import AuthPayload, Role, User, UserConnection
from backend.errors import IssueCollector
from backend.pagination import check_page_size, decode_cursor, encode_cursor
from backend.state import AppState
from backend.users.models import SEARCH_MAX, NewUser
from backend.users.models import Role as RoleModel


@strawberry.type
class UserQueries:
    @strawberry.field(permission_classes=[IsAuthenticated], description="The signed-in user.")
    async def me(self, info: Info) -> User:
        return User.from_model(info.context.require_user())

    @strawberry.field(permission_classes=[roles(RoleModel.admin)],
                      description="Accounts, by username; `search` keeps those whose username, display name or "
                                  "organisation contains it (any case, at most 50 characters).")
    async def users(self, info: Info, role: Role | None = None, first: int = 50,  # type: ignore[valid-type]
                    after: str | None = None, search: str | None = None) -> UserConnection:
        check_page_size(first)
        repo = info.context.state.users
        if search is not None and len(search) > SEARCH_MAX:
            issues = IssueCollector()
            issues.add("search", f"Search for at most {SEARCH_MAX} characters.", f"搜索内容最多 {SEARCH_MAX} 个字符。")
            issues.raise_if_any()
        if search and search.strip():
            rows = await repo.search(search, role.value if role else None, decode_cursor(after), first + 1)
        else:
            rows = await repo.list(role.value if role else None, decode_cursor(after), first + 1)
        page = rows[:first]
        return UserConnection(nodes=[User.from_model(u) for u in page],
                              end_cursor=encode_cursor(page[-1].username) if page else None,
                              has_next_page=len(rows) > first)


@strawberry.type
class UserMutations:
    @strawberry.mutation(description="Sign in; returns a signed access token (send it as 'Authorization: Bearer'). "
                                     "After an admin's password reset the answer is PASSWORD_CHANGE_REQUIRED until "
                                     "`newPassword` is given too.")
    async def login(self, info: Info, username: str, password: str, new_password: str | None = None) -> AuthPayload:
        token, expires, user = await info.context.state.user_service.login(
            username, password, info.context.client_address, new_password)
        return AuthPayload(token=token, expires_at=expires, user=User.from_model(user))

    @strawberry.mutation(permission_classes=[roles(RoleModel.admin)],
                         description="Admins forget the sign-in failures counted against an account.")
    async def unlock_account(self, info: Info, user_id: strawberry.ID) -> User:
        user = await info.context.state.user_service.unlock(info.context.require_user(), str(user_id))
        return User.from_model(user)

    @strawberry.mutation(permission_classes=[roles(RoleModel.admin)],
                         description="Admins set a temporary password; the account must choose a new one at its "
                                     "next sign-in.")
    async def reset_password(self, info: Info, user_id: strawberry.ID, temporary_password: str) -> User:
        user = await info.context.state.user_service.reset_password(info.context.require_user(), str(user_id),
                                                                    temporary_password)
        return User.from_model(user)

    @strawberry.mutation(permission_classes=[roles(RoleModel.admin)], description="Admins create accounts.")
    async def create_user(self, info: Info, input: CreateUserInput) -> User:
        user = await info.context.state.user_service.create_user(NewUser(
            username=input.username, display_name=input.display_name, role=RoleModel(input.role.value),
            password=input.password, organisation=input.organisation,
            incubator_id=str(input.incubator_id) if input.incubator_id else None,
            startup_id=str(input.startup_id) if input.startup_id else None))
        return User.from_model(user)

    @strawberry.mutation(permission_classes=[roles(RoleModel.admin)],
                         description="Admins disable (active: false) or re-enable an account. A disabled account "
                                     "cannot sign in, its tokens are refused at once, its /ws/v1 sockets close and "
                                     "its subscriptions end (within a minute). Not one's own, nor the last admin.")
    async def set_user_active(self, info: Info, user_id: strawberry.ID, active: bool) -> User:
        state = info.context.state
        user = await state.user_service.set_active(info.context.require_user(), str(user_id), active)
        if not active:
            await _cut_off(state, user.id)
        return User.from_model(user)


async def _cut_off(state: AppState, user_id: str) -> None:
    """Close the account's /ws/v1 sockets in every app process now (each socket's periodic session check
    is the safety net if this event is lost)."""
    from cloud_incubator.broadcast import publish
    from cloud_incubator.gateway import ACCOUNT_DISABLED

    if "broadcaster" not in state.extras:
        return
    try:
        await publish(state, f"user:{user_id}", ACCOUNT_DISABLED, {"user_id": user_id})
    except Exception:
        logging.getLogger(__name__).warning("could not announce that account %s was disabled", user_id,
                                            exc_info=True)
