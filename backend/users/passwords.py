"""The password policy: at least 8 and at most 128 characters, and not guessable — zxcvbn's estimate
(its dictionaries include the most common passwords of public breach corpora) must reach score 3
("safely unguessable") given the account's own names and the park's."""

from __future__ import annotations

import anyio
from zxcvbn import zxcvbn

from backend.errors import FieldIssue

MIN_LENGTH = 8
MAX_LENGTH = 128  # argon2 hashes any length; the estimator's cost grows with it
MIN_SCORE = 3
PARK_WORDS = ("incubench", "zhongguancun", "xicheng", "zgc", "incubator", "fuhuaqi")


def password_issues(password: str, *, field: str = "password", names: tuple[str, ...] = ()) -> list[FieldIssue]:
    if len(password) < MIN_LENGTH:
        return [FieldIssue(field, f"Password must have at least {MIN_LENGTH} characters.",
                           f"密码至少需要 {MIN_LENGTH} 个字符。")]
    if len(password) > MAX_LENGTH:
        return [FieldIssue(field, f"Password must have at most {MAX_LENGTH} characters.",
                           f"密码最多 {MAX_LENGTH} 个字符。")]
    verdict = zxcvbn(password, user_inputs=[*names, *PARK_WORDS])
    if verdict["score"] < MIN_SCORE:
        return [FieldIssue(field, "This password is too common or too easy to guess (it may appear in lists of "
                                  "breached passwords): choose a longer one, e.g. several unrelated words.",
                           "此密码过于常见或容易被猜到（可能出现在已泄露密码列表中）：请使用更长的密码，例如几个不相关的词。",
                           code="BAD_USER_INPUT")]
    return []


async def check_password(password: str, *, field: str = "password", names: tuple[str, ...] = ()) -> list[FieldIssue]:
    """``password_issues`` off the event loop (the estimate takes milliseconds)."""
    return await anyio.to_thread.run_sync(lambda: password_issues(password, field=field, names=names))
