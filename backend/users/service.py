"""Accounts: creation, login (rate-limited), and token resolution."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from datetime import UTC, datetime, timedelta
from functools import cache

from backend.core.errors import (
    BadUserInput,
    Conflict,
    FieldIssue,
    Forbidden,
    IssueCollector,
    NotFound,
    RateLimited,
    Unauthenticated,
)
from backend.core.settings import Settings
from backend.incubators.repository import IncubatorRepository
from backend.ratelimit import RateLimiter
from backend.security import decode_token, hash_password, hash_password_sync, issue_token, verify_password
from backend.startups.repository import StartupRepository
from backend.users.models import NewUser, Role, User
from backend.users.passwords import check_password
from backend.users.repository import UserRepository
from backend.users.sessions import SessionCache

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,39}$")


class PasswordChangeRequired(Forbidden):
    """The account's password was reset by an admin: sign in again with a new password of one's own."""

    code = "PASSWORD_CHANGE_REQUIRED"

    def __init__(self) -> None:
        super().__init__("Your password was reset: choose a new password to sign in.",
                         "您的密码已被重置：请设置新密码后登录。", field="newPassword")


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
        if password_hash is None:
            issues.issues.extend(await check_password(new.password, names=(username, new.display_name)))
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

    async def login(self, username: str, password: str, client_address: str,
                    new_password: str | None = None) -> tuple[str, datetime, User]:
        """Throttled per (account, address) pair and per address, counting failures (attempts in flight
        count as failures until they succeed), with counts shared by every app process. Failures against
        one account from anywhere only slow its sign-in down (a progressive delay): nobody can lock someone
        else out from another address. After an admin's reset, ``new_password`` must be given."""
        username = username.strip().lower()
        window = self.settings.login_window_seconds
        counters = self.limiter.shared
        now = time.time()
        pair, address = f"login-pair:{username}|{client_address}", f"login-address:{client_address}"
        account = f"login-account:{username}"
        group = f"login:{username}"  # an admin's unlock forgets the account's counts at every address
        pair_count, address_count = await asyncio.gather(counters.hit(pair, window, now, group=group),
                                                         counters.hit(address, window, now))
        if pair_count > self.settings.login_attempts_per_account \
                or address_count > self.settings.login_attempts_per_address:
            await asyncio.gather(counters.hit(pair, window, now, -1), counters.hit(address, window, now, -1))
            raise RateLimited("Too many sign-in attempts: wait a few minutes and try again.",
                              "登录尝试次数过多，请几分钟后再试。", retry_after_seconds=window)
        await asyncio.sleep(self.delay_after(await counters.count(account, window, now)))
        user = await self.users.by_username(username)
        valid = await verify_password(password, user.password_hash if user else _dummy_hash())
        if user is None or not valid or not user.active:
            await counters.hit(account, window, now, group=group)
            raise Unauthenticated("Wrong username or password.", "用户名或密码错误。", reason="BAD_CREDENTIALS")
        await asyncio.gather(counters.hit(address, window, now, -1), counters.clear(pair, window, now),
                             counters.clear(account, window, now))
        if user.must_change_password:
            user = await self._change_on_sign_in(user, password, new_password)
        token, expires = issue_token(user.id, user.role.value, self.settings.resolved_jwt_secret(),
                                     timedelta(minutes=self.settings.token_lifetime_minutes))
        return token, expires, user

    def delay_after(self, failures: int) -> float:
        """Seconds to wait before checking a password, after ``failures`` failures against the account in
        the window: none for the first few, then doubling from half a second up to the maximum."""
        free = self.settings.login_attempts_per_account
        if failures < free:
            return 0.0
        return float(min(0.5 * 2 ** (failures - free), self.settings.login_max_delay_seconds))

    async def _change_on_sign_in(self, user: User, password: str, new_password: str | None) -> User:
        if not new_password:
            raise PasswordChangeRequired()
        issues = await check_password(new_password, field="newPassword", names=(user.username, user.display_name))
        if not issues and new_password == password:
            issues = [FieldIssue("newPassword", "Choose a password other than the temporary one.",
                                 "新密码不能与临时密码相同。")]
        if issues:
            raise BadUserInput(issues)
        updated = await self.users.set_password(user.id, await hash_password(new_password), must_change=False)
        self.sessions.forget(user.id)  # the held account carries the old flags
        if updated is None:
            raise Unauthenticated("Wrong username or password.", "用户名或密码错误。", reason="BAD_CREDENTIALS")
        return updated

    async def unlock(self, admin: User, user_id: str) -> User:
        """Forget the sign-in failures counted against an account (from every address)."""
        user = (await self.users.by_ids([user_id]))[0]
        if user is None:
            raise NotFound("No account has this id.", "不存在此编号的账号。", field="userId")
        await self.limiter.shared.clear_group(f"login:{user.username}")
        return user

    async def reset_password(self, admin: User, user_id: str, temporary_password: str) -> User:
        """An admin sets a temporary password; the account must choose its own at the next sign-in."""
        user = (await self.users.by_ids([user_id]))[0]
        if user is None:
            raise NotFound("No account has this id.", "不存在此编号的账号。", field="userId")
        issues = await check_password(temporary_password, field="temporaryPassword",
                                      names=(user.username, user.display_name))
        if issues:
            raise BadUserInput(issues)
        updated = await self.users.set_password(user.id, await hash_password(temporary_password), must_change=True)
        self.sessions.forget(user.id)
        assert updated is not None
        await self.unlock(admin, user_id)
        return updated

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
