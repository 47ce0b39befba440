"""Evaluation inputs the platform counts itself (IP consultations held, cooperations signed …).

A scheme marks such raw fields ``source = "platform"``. The module that owns the records registers a
provider for its fields (``@provides(...)``); the rankings merge the providers' counts into each
incubator's quarters, and a change to those records calls :func:`platform_inputs_changed`, which bumps
the quarter's stamp (cached rankings compare it) and tells the listeners (live ranking pages).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from backend.platform_inputs.repository import PlatformStampRepository

# {incubator_id: {quarter: {field: value}}}
Counts = dict[str, dict[str, dict[str, float]]]
Provider = Callable[[Any, Sequence[str], Sequence[str]], Awaitable[Counts]]
Listener = Callable[[str, list[str]], Awaitable[None]]

PROVIDERS: dict[str, Provider] = {}  # field id → the provider that counts it


def provides(*field_ids: str) -> Callable[[Provider], Provider]:
    """Register ``provider(state, incubator_ids, quarters)`` as the source of ``field_ids``."""
    def register(provider: Provider) -> Provider:
        for field_id in field_ids:
            known = PROVIDERS.get(field_id)
            if known is not None and known is not provider:
                raise RuntimeError(f"platform field {field_id!r} already has a provider")
            PROVIDERS[field_id] = provider
        return provider
    return register


class MissingProvider(RuntimeError):
    """A scheme names a platform field that no module counts (a deployment error, not user input)."""


@dataclass
class PlatformInputs:
    repository: PlatformStampRepository
    listeners: list[Listener] = field(default_factory=list)

    async def stamps_for(self, quarters: Sequence[str]) -> dict[str, int]:
        return await self.repository.stamps_for(quarters)

    async def values(self, state: Any, field_ids: Sequence[str], incubator_ids: Sequence[str],
                     quarters: Sequence[str]) -> Counts:
        """Every requested field for every incubator and quarter; 0 where nothing was counted."""
        missing = [f for f in field_ids if f not in PROVIDERS]
        if missing:
            raise MissingProvider(f"no module counts the platform fields {missing}")
        out: Counts = {inc: {q: dict.fromkeys(field_ids, 0.0) for q in quarters} for inc in incubator_ids}
        if not incubator_ids or not field_ids:
            return out
        providers = list(dict.fromkeys(PROVIDERS[f] for f in field_ids))
        for provider in providers:
            counted = await provider(state, list(incubator_ids), list(quarters))
            for inc, by_quarter in counted.items():
                for q, fields in by_quarter.items():
                    target = out.get(inc, {}).get(q)
                    if target is not None:
                        target.update({f: float(v) for f, v in fields.items() if f in target})
        return out

    async def changed(self, quarter: str, incubator_ids: list[str]) -> None:
        await self.repository.bump(quarter)
        for listener in list(self.listeners):
            await listener(quarter, incubator_ids)


def platform_inputs(state: Any) -> PlatformInputs:
    """The app's PlatformInputs (one per AppState, kept in ``state.extras``)."""
    service = state.extras.get("platform_inputs")
    if service is None:
        service = PlatformInputs(PlatformStampRepository(state.db))
        state.extras["platform_inputs"] = service
    return service  # type: ignore[no-any-return]


async def platform_inputs_changed(state: Any, quarter: str, incubator_ids: list[str]) -> None:
    """Call after a write that changes a platform-counted field of ``quarter`` (after, not before: a
    ranking computed in between then only recomputes once more, it never keeps stale counts)."""
    # The rankings (started with the app) listen and relay the change to every process's ranking pages.
    await platform_inputs(state).changed(quarter, incubator_ids)
