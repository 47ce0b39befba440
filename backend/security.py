"""Password hashing (argon2id via pwdlib) and signed access tokens (PyJWT)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import anyio
import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from backend.core.errors import Unauthenticated

_password_hash = PasswordHash((Argon2Hasher(),))
ALGORITHM = "HS256"
ISSUER = "incubench"


async def hash_password(password: str) -> str:
    # argon2 costs ~150 ms of CPU: keep it off the event loop.
    return await anyio.to_thread.run_sync(_password_hash.hash, password)


async def verify_password(password: str, password_hash: str) -> bool:
    return await anyio.to_thread.run_sync(_password_hash.verify, password, password_hash)


def hash_password_sync(password: str) -> str:
    return _password_hash.hash(password)


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    role: str
    expires_at: datetime


def issue_token(user_id: str, role: str, secret: str, lifetime: timedelta,
                now: datetime | None = None) -> tuple[str, datetime]:
    issued = now or datetime.now(UTC)
    expires = issued + lifetime
    payload = {"sub": user_id, "role": role, "iat": issued, "exp": expires, "iss": ISSUER,
               "jti": uuid.uuid4().hex}
    return jwt.encode(payload, secret, algorithm=ALGORITHM), expires


def decode_token(token: str, secret: str) -> TokenClaims:
    try:
        payload = jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=ISSUER,
                             options={"require": ["sub", "exp", "iat", "iss"]})
    except jwt.ExpiredSignatureError as error:
        raise Unauthenticated("The session has expired: sign in again.", "登录已过期，请重新登录。",
                              reason="TOKEN_EXPIRED") from error
    except jwt.InvalidTokenError as error:
        raise Unauthenticated("The access token is not valid.", "访问令牌无效。",
                              reason="TOKEN_INVALID") from error
    return TokenClaims(user_id=str(payload["sub"]), role=str(payload.get("role", "")),
                       expires_at=datetime.fromtimestamp(payload["exp"], UTC))


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthenticated("Use an 'Authorization: Bearer <token>' header.",
                              "请使用 'Authorization: Bearer <令牌>' 请求头。", reason="TOKEN_INVALID")
    return value.strip()
