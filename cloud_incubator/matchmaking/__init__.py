"""Supply–demand matchmaking (供给与需求的智能化匹配): scoring, recommendations, sessions, negotiation.

``cooperation_counts(state, incubator_id, quarter)`` (signed cooperations for the evaluation's investment
and supply-chain indicators) lives in ``service``; it is re-exported here lazily.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "cooperation_counts":
        from cloud_incubator.matchmaking.service import cooperation_counts

        return cooperation_counts
    raise AttributeError(name)
