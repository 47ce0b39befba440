"""Which browser origins may open a websocket (``/ws/v1`` and GraphQL subscriptions alike).

Starlette's CORS middleware does not cover websockets, so both socket endpoints ask this one policy:
the app's own origin, or one of ``INCUBENCH_CORS_ORIGINS`` (``"*"`` admits every origin). A request
without ``Origin`` comes from a non-browser client and carries no ambient credentials: it is admitted.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def normalize_origin(origin: str) -> str | None:
    """``scheme://host[:port]`` as browsers send it (lower case, default port left out), or None."""
    try:
        parts = urlsplit(origin.strip().rstrip("/"))
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    scheme = parts.scheme.lower()
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return f"{scheme}://{host}"


class OriginPolicy:
    def __init__(self, allowed: Iterable[str]) -> None:
        allowed = list(allowed)
        self.any = "*" in allowed
        self.allowed = frozenset(n for n in (normalize_origin(o) for o in allowed if o != "*") if n is not None)

    def normalized(self) -> list[str]:
        """The configured origins that are origins, normalized (``"*"`` kept)."""
        return sorted(self.allowed) + (["*"] if self.any else [])

    def listed(self, origin: str) -> bool:
        """A configured origin (the rule for pages served elsewhere)."""
        return self.any or normalize_origin(origin) in self.allowed

    def allows(self, origin: str | None, host: str | None, secure: bool) -> bool:
        """The whole rule: no Origin, the app's own origin (same scheme, host and port), or a listed one."""
        if origin is None:
            return True
        if host and normalize_origin(origin) == normalize_origin(f"{'https' if secure else 'http'}://{host}"):
            return True
        return self.listed(origin)
