"""Opaque cursors for keyset pagination."""

from __future__ import annotations

import base64
import binascii

from backend.core.errors import BadUserInput

MAX_PAGE_SIZE = 200


CURSOR_PREFIX = "c1|"


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode((CURSOR_PREFIX + key).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, field: str = "after") -> str | None:
    if cursor is None:
        return None
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True).decode()
        if not raw.startswith(CURSOR_PREFIX):
            raise ValueError("not a cursor of ours")
        return raw[len(CURSOR_PREFIX):]
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise BadUserInput.single(field, "The cursor is not valid: use one returned by this query.",
                                  "游标无效：请使用本查询返回的游标。") from error


def check_page_size(first: int, field: str = "first") -> int:
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise BadUserInput.single(field, f"Page size must be between 1 and {MAX_PAGE_SIZE}.",
                                  f"每页数量须在 1 到 {MAX_PAGE_SIZE} 之间。")
    return first
