"""Evaluation inputs the platform counts itself (IP consultations held, cooperations signed …).

A scheme marks such raw fields ``source = "platform"``. The domain that owns the records offers a provider
for its fields, and the composition root hands every provider to :class:`PlatformInputs`; the rankings merge the providers' counts into each
incubator's quarters, and a change to those records calls :func:`platform_inputs_changed`, which bumps
the quarter's stamp (cached rankings compare it) and tells the listeners (live ranking pages).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from backend.platform_inputs.repository import PlatformStampRepository

# {incubator_id: {quarter: {field: value}}}
Counts = dict[str, dict[str, dict[str, float]]]
Provider = Callable[[Any, Sequence[str], Sequence[str]], Awaitable[Counts]]
Listener = Callable[[str, list[str]], Awaitable[None]]

class MissingProvider(RuntimeError):
    """A scheme names a platform field that no module counts (a deployment error, not user input)."""


@dataclass
class PlatformInputs:
    repository: PlatformStampRepository
    # field id → the provider that counts it: ``provider(state, incubator_ids, quarters)``
    providers: Mapping[str, Provider] = field(default_factory=dict)
    listeners: list[Listener] = field(default_factory=list)

    async def stamps_for(self, quarters: Sequence[str]) -> dict[str, int]:
        return await self.repository.stamps_for(quarters)

    async def values(self, state: Any, field_ids: Sequence[str], incubator_ids: Sequence[str],
                     quarters: Sequence[str]) -> Counts:
        """Every requested field for every incubator and quarter; 0 where nothing was counted."""
        missing = [f for f in field_ids if f not in self.providers]
        if missing:
            raise MissingProvider(f"no module counts the platform fields {missing}")
        out: Counts = {inc: {q: dict.fromkeys(field_ids, 0.0) for q in quarters} for inc in incubator_ids}
        if not incubator_ids or not field_ids:
            return out
        providers = list(dict.fromkeys(self.providers[f] for f in field_ids))
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
    """The app's PlatformInputs (built by the composition root)."""
    service: PlatformInputs = state.platform_inputs
    return service


async def platform_inputs_changed(state: Any, quarter: str, incubator_ids: list[str]) -> None:
    """Call after a write that changes a platform-counted field of ``quarter`` (after, not before: a
    ranking computed in between then only recomputes once more, it never keeps stale counts)."""
    # The rankings (started with the app) listen and relay the change to every process's ranking pages.
    await platform_inputs(state).changed(quarter, incubator_ids)
