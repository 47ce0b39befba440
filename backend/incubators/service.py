"""The incubator registry: validated creation and updates, filtered pages."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from backend.errors import Conflict, IssueCollector, NotFound
from backend.incubators.models import (
    Accreditation,
    Incubator,
    IncubatorFilter,
    IncubatorKind,
    Industry,
    SubArea,
)
from backend.incubators.repository import IncubatorRepository
from backend.pagination import check_page_size, decode_cursor, encode_cursor

EARLIEST_FOUNDING = date(1980, 1, 1)
MAX_FLOOR_AREA = 1_000_000.0
# Fields a manager may change on their own incubator; the rest are the registry's (admins).
MANAGER_EDITABLE = frozenset({"name_zh", "name_en", "industries", "floor_area", "operator"})


def validate_incubator_fields(values: dict[str, Any], issues: IssueCollector, *, creating: bool) -> None:
    required = ("name_zh", "name_en", "kind", "accreditation", "sub_area", "industries", "founded_on",
                "floor_area", "operator")
    camel = {"name_zh": "nameZh", "name_en": "nameEn", "sub_area": "subArea", "founded_on": "foundedOn",
             "floor_area": "floorArea"}
    for key in required:
        if creating and values.get(key) is None:
            issues.add(camel.get(key, key), "This field is required.", "此项为必填项。")
    for key in ("name_zh", "name_en", "operator"):
        value = values.get(key)
        if value is not None and not (1 <= len(value.strip()) <= 120):
            issues.add(camel.get(key, key), "Must be 1–120 characters.", "长度须为 1–120 个字符。")
    industries = values.get("industries")
    if industries is not None:
        if not industries:
            issues.add("industries", "Choose at least one focus industry.", "请至少选择一个重点产业。")
        elif len(set(industries)) != len(industries):
            issues.add("industries", "An industry is listed twice.", "产业重复。")
    founded = values.get("founded_on")
    if founded is not None and not (EARLIEST_FOUNDING <= founded <= datetime.now(UTC).date()):
        issues.add("foundedOn", "The founding date must be between 1980-01-01 and today.",
                   "成立日期须在 1980-01-01 与今天之间。")
    area = values.get("floor_area")
    if area is not None and not (0 < area <= MAX_FLOOR_AREA):
        issues.add("floorArea", "Floor area must be more than 0 and at most 1,000,000 m².",
                   "场地面积须大于 0 且不超过 1,000,000 平方米。")


class IncubatorDirectory:
    """The registry held in this process (a few thousand small records, read on every ranking): loaded in
    one read, updated by this process's writes, and told of other processes' writes with ``forget``.

    Reads never send a long ``$in``: ids not held are looked up in batches."""

    def __init__(self, repository: IncubatorRepository) -> None:
        self.repository = repository
        self._held: dict[str, Incubator] = {}
        self._loaded = False
        self._load_lock = asyncio.Lock()
        self.version = 0  # bumped on every change (caches of derived views compare it)

    async def _load(self) -> None:
        async with self._load_lock:
            if self._loaded:
                return
            version = self.version
            everything = await self.repository.all()
            if version == self.version:  # no change arrived while reading: the copy is current
                self._held = {i.id: i for i in everything}
                self._loaded = True

    async def by_ids(self, ids: Sequence[str]) -> list[Incubator | None]:
        if not self._loaded:
            await self._load()
        missing = [i for i in dict.fromkeys(ids) if i not in self._held]
        if missing:  # created or changed by another process since the load
            for found in await self.repository.by_ids(missing):
                if found is not None:
                    self._held[found.id] = found
        return [self._held.get(i) for i in ids]

    async def get(self, incubator_id: str) -> Incubator | None:
        return (await self.by_ids([incubator_id]))[0]

    def put(self, incubator: Incubator) -> None:
        self._held[incubator.id] = incubator
        self.version += 1

    def forget(self, incubator_id: str) -> None:
        """Another process changed this incubator: read it again when next asked."""
        self._held.pop(incubator_id, None)
        self.version += 1


class IncubatorService:
    def __init__(self, repository: IncubatorRepository) -> None:
        self.repository = repository
        self.directory = IncubatorDirectory(repository)
        # Called with the incubator's id after any change (other processes are told through the bus).
        self.change_listeners: list[Callable[[str], Awaitable[None]]] = []
        # Called with the incubator's id after its name changed (caches holding names drop them).
        self.rename_listeners: list[Callable[[str], Awaitable[None]]] = []

    async def create(self, values: dict[str, Any]) -> Incubator:
        issues = IssueCollector()
        validate_incubator_fields(values, issues, creating=True)
        issues.raise_if_any()
        now = datetime.now(UTC)
        document = {
            "_id": secrets.token_hex(12),
            "name_zh": values["name_zh"].strip(),
            "name_en": values["name_en"].strip(),
            "kind": IncubatorKind(values["kind"]).value,
            "accreditation": Accreditation(values["accreditation"]).value,
            "sub_area": SubArea(values["sub_area"]).value,
            "industries": [Industry(i).value for i in values["industries"]],
            "founded_on": values["founded_on"],
            "floor_area": float(values["floor_area"]),
            "operator": values["operator"].strip(),
            "created_at": now,
            "updated_at": now,
        }
        try:
            created = await self.repository.insert(document)
        except Exception as error:
            if getattr(error, "code", None) == 11000:
                raise Conflict("An incubator with this English name exists.", "已存在同英文名称的孵化器。",
                               field="nameEn") from error
            raise
        await self._changed(created)
        return created

    async def _changed(self, incubator: Incubator) -> None:
        self.directory.put(incubator)
        for listener in self.change_listeners:
            await listener(incubator.id)

    async def update(self, incubator_id: str, changes: dict[str, Any]) -> Incubator:
        changes = {k: v for k, v in changes.items() if v is not None}
        issues = IssueCollector()
        validate_incubator_fields(changes, issues, creating=False)
        issues.raise_if_any()
        for key, enum in (("kind", IncubatorKind), ("accreditation", Accreditation), ("sub_area", SubArea)):
            if key in changes:
                changes[key] = enum(changes[key]).value
        if "industries" in changes:
            changes["industries"] = [Industry(i).value for i in changes["industries"]]
        for key in ("name_zh", "name_en", "operator"):
            if key in changes:
                changes[key] = changes[key].strip()
        changes["updated_at"] = datetime.now(UTC)
        try:
            updated = await self.repository.update(incubator_id, changes)
        except Exception as error:
            if getattr(error, "code", None) == 11000:
                raise Conflict("An incubator with this English name exists.", "已存在同英文名称的孵化器。",
                               field="nameEn") from error
            raise
        if updated is None:
            raise NotFound("No incubator has this id.", "不存在此编号的孵化器。", field="id")
        if "name_zh" in changes or "name_en" in changes:
            for listener in self.rename_listeners:
                await listener(incubator_id)
        await self._changed(updated)
        return updated

    async def page(self, filters: IncubatorFilter, first: int, after: str | None
                   ) -> tuple[list[Incubator], str | None, bool]:
        check_page_size(first)
        after_key = decode_cursor(after)
        rows = await self.repository.page(filters, after_key, first + 1)
        has_next = len(rows) > first
        rows = rows[:first]
        end_cursor = encode_cursor(f"{rows[-1].name_en.lower()}\x00{rows[-1].id}") if rows else None
        return rows, end_cursor, has_next
