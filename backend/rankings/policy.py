"""Who may see which ranking: one rule for GraphQL, the CSV/XLSX export and the charts.

Published rankings are open to every signed-in user. Live rankings (recomputed from the latest
submitted metrics, not yet published) are for staff: admins and evaluators.
"""

from __future__ import annotations

from backend.core.errors import BadUserInput, Forbidden
from backend.users.models import Role, User

STAFF_ROLES = (Role.admin, Role.evaluator)
SOURCES = ("live", "published")


def sees_live_rankings(user: User) -> bool:
    return user.role in STAFF_ROLES


def ranking_source(user: User, source: str | None, version: int | None) -> str:
    """The source a request reads: the one asked for, else live for staff (unless a version is named),
    else published. Refuses an unknown source and a live ranking to anyone but staff."""
    if source is None:
        return "live" if sees_live_rankings(user) and version is None else "published"
    if source not in SOURCES:
        raise BadUserInput.single("source", "The source must be live or published.", "来源须为 live 或 published。")
    if source == "live" and not sees_live_rankings(user):
        raise Forbidden("Only evaluators see live rankings; published rankings are open to everyone.",
                        "只有评估人员可查看实时排名；已发布的排名对所有人开放。", field="source")
    return source
