"""Accounts: creation, login (rate-limited), and token resolution."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from functools import cache

from backend.errors import BadUserInput, Conflict, IssueCollector, NotFound, RateLimited, Unauthenticated
from backend.incubators.repository import IncubatorRepository
from backend.ratelimit import RateLimiter
from backend.security import decode_token, hash_password, hash_password_sync, issue_token, verify_password
from backend.settings import Settings
from backend.startups.repository import StartupRepository
from backend.users.models import NewUser, Role, User
from backend.users.repository import UserRepository
from backend.users.sessions import SessionCache

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,39}$")
MIN_PASSWORD_LENGTH = 8


@cache
def _dummy_hash() -> str:
    """Verified against when the account does not exist, so timing does not reveal usernames."""
    return hash_password_sync(secrets.token_urlsafe(16))


class UserService:
    def __init__(self, users: UserRepository, incubators: IncubatorRepository, startups: StartupRepository,
                 settings: Settings, limiter: RateLimiter) -> None:
        self.users = users
        self.incubators = incubators
        self.startups = startups
        self.settings = settings
        self.limiter = limiter
        self.sessions = SessionCache()

    async def create_user(self, new: NewUser, *, password_hash: str | None = None) -> User:
        issues = IssueCollector()
        username = new.username.strip().lower()
        if not USERNAME_PATTERN.match(username):
            issues.add("username", "Username: 3–40 characters, lower-case letters, digits, '_', '.', '-'.",
                       "用户名：3–40 个字符，仅限小写字母、数字、'_'、'.'、'-'。")
        if not new.display_name.strip():
            issues.add("displayName", "Display name is required.", "显示名称为必填项。")
        if password_hash is None and len(new.password) < MIN_PASSWORD_LENGTH:
            issues.add("password", f"Password must have at least {MIN_PASSWORD_LENGTH} characters.",
                       f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符。")
        if new.role is Role.manager:
            if not new.incubator_id:
                issues.add("incubatorId", "A manager must be bound to an incubator.", "管理员必须绑定一个孵化器。")
            elif (await self.incubators.by_ids([new.incubator_id]))[0] is None:
                issues.add("incubatorId", "No incubator has this id.", "不存在此编号的孵化器。")
        elif new.incubator_id and new.role is not Role.startup:
            issues.add("incubatorId", "Only managers are bound to an incubator.", "只有孵化器管理员绑定孵化器。")
        incubator_id = new.incubator_id
        if new.role is Role.startup:
            profile = (await self.startups.by_ids([new.startup_id]))[0] if new.startup_id else None
            if not new.startup_id:
                issues.add("startupId", "A startup account must be bound to a startup profile.",
                           "创业企业账号必须绑定企业档案。")
            elif profile is None:
                issues.add("startupId", "No startup profile has this id.", "不存在此编号的企业档案。")
            elif new.incubator_id and new.incubator_id != profile.incubator_id:
                issues.add("incubatorId", "A startup account belongs to its profile's incubator.",
                           "创业企业账号须属于其企业档案所在的孵化器。")
            else:
                incubator_id = profile.incubator_id  # the binding follows the profile
        elif new.startup_id:
            issues.add("startupId", "Only startup accounts are bound to a startup profile.",
                       "只有创业企业账号绑定企业档案。")
        issues.raise_if_any()
        document = {
            "_id": secrets.token_hex(12),
            "username": username,
            "display_name": new.display_name.strip(),
            "role": new.role.value,
            "organisation": new.organisation.strip(),
            "incubator_id": incubator_id if new.role in (Role.manager, Role.startup) else None,
            "startup_id": new.startup_id if new.role is Role.startup else None,
            "password_hash": password_hash or await hash_password(new.password),
            "active": True,
            "created_at": datetime.now(UTC),
        }
        return await self.users.insert(document)

    async def login(self, username: str, password: str, client_address: str) -> tuple[str, datetime, User]:
        username = username.strip().lower()
        window = self.settings.login_window_seconds
        account_rule = f"{self.settings.login_attempts_per_account}/{window} seconds"
        too_many = RateLimited("Too many sign-in attempts: wait a few minutes and try again.",
                               "登录尝试次数过多，请几分钟后再试。", retry_after_seconds=window)
        # Per address only failures count: an incubator's staff behind one office address all sign in.
        address = f"login-address:{client_address}"
        if not self.limiter.failures.reserve(address, self.settings.login_attempts_per_address, window):
            raise too_many
        failed = True
        try:
            if not await self.limiter.hit(account_rule, "login-account", username):
                raise too_many
            user = await self.users.by_username(username)
            valid = await verify_password(password, user.password_hash if user else _dummy_hash())
            if user is None or not valid or not user.active:
                raise Unauthenticated("Wrong username or password.", "用户名或密码错误。", reason="BAD_CREDENTIALS")
            failed = False
        finally:
            self.limiter.failures.settle(address, failed)
        await self.limiter.clear(account_rule, "login-account", username)
        token, expires = issue_token(user.id, user.role.value, self.settings.resolved_jwt_secret(),
                                     timedelta(minutes=self.settings.token_lifetime_minutes))
        return token, expires, user

    async def set_active(self, admin: User, user_id: str, active: bool) -> User:
        """Disable or re-enable an account. A disabled account cannot sign in, and its tokens (also open
        subscriptions) stop working at once. An admin cannot disable their own account."""
        if user_id == admin.id and not active:
            raise BadUserInput.single("userId", "You cannot disable your own account.", "不能停用自己的账号。")
        updated = await self.users.set_active(user_id, active)
        self.sessions.forget(user_id)
        if updated is None:
            raise NotFound("No account has this id.", "不存在此编号的账号。", field="userId")
        if not active and updated.role is Role.admin and await self.users.count_active(Role.admin.value) == 0:
            # Checked after the write: two admins disabling each other at once both see none left and
            # both undo, so the park always keeps an admin who can sign in.
            await self.users.set_active(user_id, True)
            raise Conflict("This is the last active admin account: it cannot be disabled.",
                           "这是最后一个启用的管理员账号，不能停用。", field="userId", reason="LAST_ADMIN")
        return updated

    async def _account(self, user_id: str) -> User | None:
        return (await self.users.by_ids([user_id]))[0]

    async def user_from_token(self, token: str) -> User:
        claims = decode_token(token, self.settings.resolved_jwt_secret())
        user = await self.sessions.user(claims.user_id, self._account)
        if user is None or not user.active:
            raise Unauthenticated("This account no longer exists or is disabled.", "此账号不存在或已停用。",
                                  reason="ACCOUNT_DISABLED")
        return user
