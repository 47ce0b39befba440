"""Limits shared by every domain's input schema, so one kind of field has one limit everywhere."""

from __future__ import annotations

from typing import Any

from backend.core.errors import IssueCollector

NAME_MAX = 120   # a display name (zh or en) of anything the park lists: incubators, workstations, profiles


def check_names(values: dict[str, Any], fields: tuple[tuple[str, str], ...], issues: IssueCollector, *,
                creating: bool, limit: int = NAME_MAX) -> None:
    """Each ``(key, field)`` present must be 1–``limit`` characters once trimmed; required when ``creating``."""
    for key, field in fields:
        value = values.get(key)
        if value is None:
            if creating:
                issues.add(field, "This field is required.", "此项为必填项。")
        elif not 1 <= len(value.strip()) <= limit:
            issues.add(field, f"Must be 1–{limit} characters.", f"长度须为 1–{limit} 个字符。")
