"""Quarterly metrics: validation against the scheme, drafts and final submission, revisions with an audit
trail, optimistic concurrency, idempotent retries, reporting windows and reminders."""

from __future__ import annotations

import asyncio
import math
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
from pymongo.errors import DuplicateKeyError

from backend.errors import BadUserInput, Conflict, Forbidden, IssueCollector, NotFound
from backend.incubators.models import Incubator
from backend.incubators.repository import IncubatorRepository
from backend.submissions.models import (
    QUARTER_RE,
    Head,
    ReportingWindow,
    Revision,
    SubmissionStatus,
    WindowState,
    camel,
    park_today,
    quarter_bounds,
)
from backend.submissions.repository import SubmissionRepository
from backend.users.models import Role, User
from evaluation import Scheme, default_scheme, shift_quarter

MAX_KEY_LENGTH = 100
# An import not committed within this time counts as crashed: a conflicting save discards its revisions.
IMPORT_LEASE = timedelta(minutes=10)


@lru_cache(maxsize=1)
def scheme() -> Scheme:
    return default_scheme()


def field_aliases(s: Scheme) -> dict[str, str]:
    """Accepted spellings of a raw field (snake_case id or camelCase) → id."""
    out = {f.id: f.id for f in s.raw_fields}
    out.update({camel(f.id): f.id for f in s.raw_fields})
    return out


def validate_quarter(quarter: str, founded_on: date | None, issues: IssueCollector, *, path: str = "quarter",
                     today: date | None = None) -> None:
    if not isinstance(quarter, str) or QUARTER_RE.match(quarter) is None:
        issues.add(path, "The quarter must look like 2025Q3.", "季度格式应为 2025Q3。")
        return
    start, end = quarter_bounds(quarter)
    today = today or park_today()
    if start > today:
        issues.add(path, f"{quarter} has not started yet: report a past or the current quarter.",
                   f"{quarter} 尚未开始：只能填报已过去的季度或本季度。")
    if founded_on is not None and end < founded_on:
        issues.add(path, f"{quarter} ended before the incubator was founded ({founded_on.isoformat()}).",
                   f"{quarter} 早于孵化器成立日期（{founded_on.isoformat()}）。")


def validate_metrics(entries: Sequence[tuple[str, Any]], final: bool, issues: IssueCollector,
                     s: Scheme | None = None, prefix: str = "metrics") -> dict[str, float | None]:
    """Check each ``(field, value)``: known field, given once, a finite number in range, whole for counts;
    then the scheme's consistency constraints; a final submission must list every field (null = not
    reported). Returns ``{field_id: value}`` of the fields given."""
    s = s or scheme()
    aliases = field_aliases(s)
    values: dict[str, float | None] = {}
    bad: set[str] = set()
    for position, (name, raw) in enumerate(entries):
        fid = aliases.get(str(name).strip())
        if fid is None:
            issues.add(f"{prefix}[{position}].field", f"Unknown field '{name}'.", f"未知指标项“{name}”。")
            continue
        path = f"{prefix}.{camel(fid)}"
        spec = s.raw_field(fid)
        if not spec.reported:
            issues.add(path, f"{spec.name_en} is counted by incubench from its own records (IP-workstation "
                             "consultations, cooperations signed on the platform); it is not reported.",
                       f"{spec.name_zh}由平台根据自身记录（知识产权工作站咨询、平台签约）统计，无需填报。")
            bad.add(fid)
            continue
        if fid in values or fid in bad:
            issues.add(path, f"{spec.name_en} is given twice.", f"{spec.name_zh}重复填写。")
            continue
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            values[fid] = None
            continue
        if isinstance(raw, bool):
            value = math.nan
        else:
            try:
                value = float(raw)
            except (TypeError, ValueError):
                value = math.nan
        if not math.isfinite(value):
            issues.add(path, f"{spec.name_en} must be a number ({spec.unit}).", f"{spec.name_zh}须为数字（{spec.unit}）。")
            bad.add(fid)
            continue
        if value < spec.min:
            if spec.min == 0:
                issues.add(path, f"{spec.name_en} cannot be negative.", f"{spec.name_zh}不能为负数。")
            else:
                issues.add(path, f"{spec.name_en} must be at least {spec.min:g} {spec.unit}.",
                           f"{spec.name_zh}不能小于 {spec.min:g}{spec.unit}。")
            bad.add(fid)
            continue
        if spec.max is not None and value > spec.max:
            issues.add(path, f"{spec.name_en} must be at most {spec.max:g} {spec.unit}.",
                       f"{spec.name_zh}不能大于 {spec.max:g}{spec.unit}。")
            bad.add(fid)
            continue
        if spec.integer and value != int(value):
            issues.add(path, f"{spec.name_en} is a count ({spec.unit}): use a whole number.",
                       f"{spec.name_zh}为计数（{spec.unit}），须为整数。")
            bad.add(fid)
            continue
        values[fid] = value
    if final:
        for spec in s.reported_fields:
            if spec.id not in values and spec.id not in bad:
                issues.add(f"{prefix}.{camel(spec.id)}",
                           f"{spec.name_en} is required for a final submission (send null if not available).",
                           f"正式提交须填写{spec.name_zh}（如无数据请填空值 null）。")
    for rule in s.constraints:
        if rule.check(values) is False:
            issues.add(f"{prefix}.{camel(rule.left)}", rule.message_en + ".", rule.message_zh + "。")
    return values


History = dict[int, dict[str, float | None]]  # quarters back (1–3) → that quarter's submitted values


def scoreable(values: dict[str, float | None], quarter: str, issues: IssueCollector, prefix: str = "metrics",
              history: History | None = None) -> None:
    """A final submission must be scoreable: no indicator may divide by zero, counting the incubator's
    previous quarters for trailing-four-quarter sums (e.g. total income 0 for a whole year)."""
    history = history or {}

    def lookup(field_id: str, lag: int) -> np.ndarray:
        value = (values if lag == 0 else history.get(lag, {})).get(field_id)
        return np.array([np.nan if value is None else float(value)])

    flagged: set[str] = set()
    for indicator in scheme().indicators:
        if indicator.zero_denominator == "not_applicable":
            continue
        _, zero, denominator = indicator.formula.evaluate(lookup, 1)
        if not zero[0] or not denominator:
            continue
        for fid in indicator.formula.fields:
            if fid in flagged or re.search(rf"\b{fid}\b", denominator) is None:
                continue
            flagged.add(fid)
            spec = scheme().raw_field(fid)
            over_year = "ttm(" in denominator
            issues.add(f"{prefix}.{camel(fid)}",
                       f"{spec.name_en} cannot be 0{' over the last four quarters' if over_year else ''}: "
                       f"“{indicator.name_en}” divides by it.",
                       f"{spec.name_zh}{'近四个季度合计' if over_year else ''}不能为 0：“{indicator.name_zh}”以其为分母。")


def _loose(entries: Sequence[tuple[str, Any]]) -> dict[str, float | None]:
    """Best-effort numbers of an import row (for the trailing-sum check of the rows after it)."""
    aliases = field_aliases(scheme())
    out: dict[str, float | None] = {}
    for name, raw in entries:
        fid = aliases.get(str(name).strip())
        if fid is None:
            continue
        try:
            out[fid] = None if raw is None or raw == "" else float(raw)
        except (TypeError, ValueError):
            continue
    return out


def changed_fields(before: dict[str, float | None] | None, after: dict[str, float | None]) -> list[str]:
    before = before or {}
    keys = set(before) | set(after)
    return sorted(k for k in keys if before.get(k) != after.get(k) or (k in before) != (k in after))


@dataclass(frozen=True)
class SaveRequest:
    incubator_id: str
    quarter: str
    metrics: list[tuple[str, Any]]
    final: bool
    base_revision: int | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class SaveOutcome:
    revision: Revision
    replayed: bool  # True when an idempotent retry returned the revision stored the first time


InputsChanged = Callable[[str, list[str]], Awaitable[None]]


class SubmissionService:
    def __init__(self, repository: SubmissionRepository, incubators: IncubatorRepository) -> None:
        self.repository = repository
        self.incubators = incubators
        # Called with (quarter, incubator ids) after a submitted revision lands (score cache, subscriptions).
        self.listeners: list[InputsChanged] = []

    # ----- checks -----------------------------------------------------------------------------------
    async def incubator(self, incubator_id: str) -> Incubator:
        found = (await self.incubators.by_ids([incubator_id]))[0]
        if found is None:
            raise NotFound("No incubator has this id.", "不存在此编号的孵化器。", field="incubatorId")
        return found

    @staticmethod
    def authorize(user: User, incubator_id: str) -> None:
        if user.role is Role.admin:
            return
        if user.role is Role.manager and user.incubator_id == incubator_id:
            return
        raise Forbidden("Only the incubator's manager (or an admin) may report its metrics.",
                        "只有本孵化器的管理员（或系统管理员）可以填报其指标。")

    async def check_window(self, user: User, incubator_id: str, quarter: str) -> None:
        if user.role is not Role.manager:
            return
        window = await self.repository.window(quarter)
        if window is None or window.state is WindowState.open or incubator_id in window.reopened_for:
            return
        raise Forbidden(f"The reporting window for {quarter} is closed: ask an evaluator to reopen it.",
                        f"{quarter} 填报窗口已关闭，请联系评估人员重新开放。", reason="WINDOW_CLOSED", field="quarter")

    def prepare(self, request: SaveRequest, incubator: Incubator, issues: IssueCollector,
                prefix: str = "", history: History | None = None) -> dict[str, float | None]:
        before = len(issues.issues)
        validate_quarter(request.quarter, incubator.founded_on, issues, path=f"{prefix}quarter")
        if request.base_revision is not None and request.base_revision < 0:
            issues.add(f"{prefix}baseRevision", "The base revision cannot be negative.", "基准版本号不能为负数。")
        key = request.idempotency_key
        if key is not None and not (1 <= len(key) <= MAX_KEY_LENGTH):
            issues.add(f"{prefix}idempotencyKey", f"The idempotency key must be 1–{MAX_KEY_LENGTH} characters.",
                       f"幂等键长度须为 1–{MAX_KEY_LENGTH} 个字符。")
        values = validate_metrics(request.metrics, request.final, issues, prefix=f"{prefix}metrics")
        if request.final and len(issues.issues) == before:
            scoreable(values, request.quarter, issues, prefix=f"{prefix}metrics", history=history)
        return values

    # ----- writes -----------------------------------------------------------------------------------
    async def save(self, user: User, request: SaveRequest, *, source: str = "graphql") -> SaveOutcome:
        """Store a draft or a final submission as a new revision. Nothing is stored when anything is wrong."""
        self.authorize(user, request.incubator_id)
        incubator, history = await asyncio.gather(
            self.incubator(request.incubator_id),
            self.history([request.incubator_id], [request.quarter]) if request.final else _nothing())
        issues = IssueCollector()
        values = self.prepare(request, incubator, issues, history=history.get(request.incubator_id, {}).get(
            request.quarter))
        issues.raise_if_any()
        key = f"{request.incubator_id}:{request.idempotency_key}" if request.idempotency_key else None
        head = None
        try:
            _, head = await asyncio.gather(self.check_window(user, request.incubator_id, request.quarter),
                                           self.repository.head(request.incubator_id, request.quarter))
            document = self._document(user, request, values, head, key, source)
            await self.repository.insert_revision(document)
        except (DuplicateKeyError, Conflict, Forbidden) as error:
            # A retry (after a lost response, or racing its own first attempt) finds the revision stored
            # under its key — looked up only on this path, so a first submission costs no extra read.
            if key is not None and (replay := await self._replay(key, request)) is not None:
                return replay
            if isinstance(error, DuplicateKeyError):
                repaired, importing = await self._repair(request.incubator_id, request.quarter)
                raise self._conflict(request, repaired or head, importing) from error
            raise
        await self._land(document)
        return SaveOutcome(Revision.model_validate(document), replayed=False)

    async def history(self, incubator_ids: Sequence[str], quarters: Sequence[str],
                      pending: dict[tuple[str, str], dict[str, float | None]] | None = None
                      ) -> dict[str, dict[str, History]]:
        """``{incubator: {quarter: {lag: values}}}``: the submitted values of the three quarters before each
        quarter (``pending`` rows of the same import take precedence over stored ones)."""
        valid = [q for q in quarters if QUARTER_RE.match(q)]
        if not incubator_ids or not valid:
            return {}
        wanted = sorted({shift_quarter(q, -lag) for q in valid for lag in (1, 2, 3)})
        stored = {(h.incubator_id, h.quarter): h.submitted_metrics
                  for h in await self.repository.heads_for_incubators(list(incubator_ids), wanted)
                  if h.submitted_metrics is not None}
        stored.update(pending or {})
        return {inc: {q: {lag: stored[(inc, shift_quarter(q, -lag))] for lag in (1, 2, 3)
                          if (inc, shift_quarter(q, -lag)) in stored} for q in valid} for inc in incubator_ids}

    async def _repair(self, incubator_id: str, quarter: str) -> tuple[Head | None, bool]:
        """After a lost race: settle the imports holding pending revisions of this quarter (finish a committed
        one, discard one whose lease ran out: its process died), then make sure the head shows the newest
        stored revision (a write interrupted between the revision insert and the head update would otherwise
        leave every later amendment in conflict). Returns the head and whether an import is still running."""
        importing = False
        for import_id in await self.repository.pending_imports_of(incubator_id, quarter):
            importing |= await self._settle(import_id) == "pending"
        latest = await self.repository.revisions_page(incubator_id, quarter, None, 1)
        if latest:
            await self.repository.advance_head(latest[0].model_dump(by_alias=True))
        return await self.repository.head(incubator_id, quarter), importing

    async def _settle(self, import_id: str) -> str | None:
        state = await self.repository.settle_import(import_id, "aborted", only_expired=True)
        if state == "committed":
            await self._publish(import_id)
        elif state != "pending":
            await self.repository.discard_import(import_id)
        return state

    async def _replay(self, key: str, request: SaveRequest) -> SaveOutcome | None:
        stored = await self.repository.revision_by_key(key)
        if stored is None:
            return None
        if stored.quarter != request.quarter:
            raise Conflict("This idempotency key was already used for another submission.",
                           "该幂等键已用于另一次提交。", field="idempotencyKey")
        await self.repository.advance_head(stored.model_dump(by_alias=True))  # finish an interrupted write
        return SaveOutcome(stored, replayed=True)

    def _conflict(self, request: SaveRequest, head: Head | None, importing: bool = False) -> Conflict:
        current = head.revision if head else 0
        if importing:
            return Conflict(f"A file import is storing the metrics of {request.quarter} right now: reload in a "
                            "moment and apply your changes again.",
                            f"正在导入 {request.quarter} 的指标文件：请稍后刷新并重新修改。",
                            field="baseRevision", currentRevision=current, reason="IMPORT_IN_PROGRESS")
        return Conflict(f"The metrics of {request.quarter} were changed by someone else (now revision "
                        f"{current} or later): reload and apply your changes again.",
                        f"{request.quarter} 的指标已被他人修改（当前版本 {current} 或更新），请刷新后重新修改。",
                        field="baseRevision", currentRevision=current)

    def _document(self, user: User, request: SaveRequest, values: dict[str, float | None], head: Head | None,
                  key: str | None, source: str) -> dict[str, Any]:
        current = head.revision if head else 0
        base = request.base_revision
        if base is None:
            base = 0 if head is None else -1
        if base != current:
            raise self._conflict(request, head)
        revision_id = secrets.token_hex(12)
        return {
            "_id": revision_id, "incubator_id": request.incubator_id, "quarter": request.quarter,
            "revision": current + 1,
            "status": (SubmissionStatus.submitted if request.final else SubmissionStatus.draft).value,
            "metrics": values, "changed_fields": changed_fields(head.metrics if head else None, values),
            "author_id": user.id, "author_name": user.display_name, "created_at": datetime.now(UTC),
            "scheme_version": self_scheme_version(), "source": source,
            "idempotency_key": key or f"auto:{revision_id}",
        }

    async def _land(self, document: dict[str, Any]) -> None:
        await self.repository.advance_head(document)
        if document["status"] == SubmissionStatus.submitted.value:
            await self.repository.bump_stamp(document["quarter"])
            for listener in self.listeners:
                await listener(document["quarter"], [document["incubator_id"]])

    async def save_many(self, user: User, requests: Sequence[SaveRequest], *, source: str,
                        dry_run: bool = False) -> list[Revision]:
        """All-or-nothing: every row is validated (and checked for conflicts) before anything is written."""
        issues = IssueCollector()
        seen: set[tuple[str, str]] = set()
        prepared: list[tuple[SaveRequest, dict[str, float | None]]] = []
        incubators = {i.id: i for i in await self.incubators.all()}
        pending = {(r.incubator_id, r.quarter): _loose(r.metrics) for r in requests if r.final}
        history = await self.history(sorted({r.incubator_id for r in requests if r.incubator_id in incubators}),
                                     sorted({r.quarter for r in requests}), pending)
        for number, request in enumerate(requests, start=2):  # line numbers of the file (header = line 1)
            prefix = f"rows[{number}]."
            incubator = incubators.get(request.incubator_id)
            if incubator is None:
                issues.add(f"{prefix}incubatorId", f"Line {number}: no incubator has this id.",
                           f"第 {number} 行：不存在此编号的孵化器。")
                continue
            try:
                self.authorize(user, request.incubator_id)
            except Forbidden:
                issues.add(f"{prefix}incubatorId", f"Line {number}: you may import only your own incubator's metrics.",
                           f"第 {number} 行：只能导入本孵化器的指标。")
                continue
            if (request.incubator_id, request.quarter) in seen:
                issues.add(f"{prefix}quarter", f"Line {number}: this incubator and quarter appear twice in the file.",
                           f"第 {number} 行：文件中该孵化器与季度重复。")
                continue
            seen.add((request.incubator_id, request.quarter))
            row_issues = IssueCollector()
            values = self.prepare(request, incubator, row_issues, prefix,
                                  history=history.get(request.incubator_id, {}).get(request.quarter))
            for issue in row_issues.issues:
                issues.add(issue.field, f"Line {number}: {issue.message_en}", f"第 {number} 行：{issue.message_zh}")
            prepared.append((request, values))
        issues.raise_if_any()
        heads = {(h.incubator_id, h.quarter): h for h in await self.repository.heads_for_incubators(
            sorted({r.incubator_id for r, _ in prepared}), sorted({r.quarter for r, _ in prepared}))}
        documents = []
        for request, values in prepared:
            await self.check_window(user, request.incubator_id, request.quarter)
            head = heads.get((request.incubator_id, request.quarter))
            base = head.revision if head else 0
            documents.append(self._document(user, SaveRequest(request.incubator_id, request.quarter, request.metrics,
                                                               request.final, base), values, head, None, source))
        if dry_run:
            return []
        # The revisions stay invisible (pending) until the import commits with one atomic update of its record;
        # a failure deletes only revisions carrying this import's id and never moves a head.
        import_id = secrets.token_hex(12)
        for document in documents:
            document["pending_import"] = import_id
        await self.repository.begin_import(import_id, user.id, len(documents), IMPORT_LEASE)
        try:
            for document in documents:
                await self.repository.insert_revision(document)
        except DuplicateKeyError as error:
            await self._abandon(import_id)
            # a crashed import's leftovers may be what is in the way: clear them so a retry can pass
            await self._repair(document["incubator_id"], document["quarter"])
            raise Conflict("Metrics in this file were changed meanwhile: nothing was imported; try again.",
                           "文件中的指标在导入期间被修改：未导入任何数据，请重试。") from error
        except BaseException:
            with suppress(Exception):
                await self._abandon(import_id)
            raise
        if await self.repository.settle_import(import_id, "committed") != "committed":
            await self.repository.discard_import(import_id)  # outlived its lease and a repair aborted it
            raise Conflict("The import took too long and was cancelled: nothing was imported; try again.",
                           "导入耗时过长已被取消：未导入任何数据，请重试。")
        await self._publish(import_id, documents)
        return [Revision.model_validate(d) for d in documents]

    async def _abandon(self, import_id: str) -> None:
        await self.repository.settle_import(import_id, "aborted")
        await self.repository.discard_import(import_id)

    async def _publish(self, import_id: str, documents: list[dict[str, Any]] | None = None) -> None:
        """Finish a committed import: its revisions become visible, then the heads move (a crash in between is
        healed like an interrupted single save: the next conflicting save adopts the newest revision)."""
        if documents is None:
            documents = await self.repository.pending_revisions(import_id)
        await self.repository.publish_import(import_id)
        changed: dict[str, list[str]] = {}
        for document in documents:
            await self.repository.advance_head(document)
            if document["status"] == SubmissionStatus.submitted.value:
                changed.setdefault(document["quarter"], []).append(document["incubator_id"])
        for quarter, ids in changed.items():
            await self.repository.bump_stamp(quarter)
            for listener in self.listeners:
                await listener(quarter, ids)

    # ----- reads ------------------------------------------------------------------------------------
    async def current(self, incubator_id: str, quarter: str) -> Head | None:
        head = await self.repository.head(incubator_id, quarter)
        if head is None:
            # A write interrupted between storing the first revision and creating the head: repaired on
            # read, so the stored metrics are never hidden (only pairs with no head pay the extra queries).
            head, _ = await self._repair(incubator_id, quarter)
        return head

    async def revisions(self, incubator_id: str, quarter: str, first: int, before: int | None
                        ) -> tuple[list[Revision], bool]:
        rows = await self.repository.revisions_page(incubator_id, quarter, before, first + 1)
        return rows[:first], len(rows) > first

    # ----- windows and reminders --------------------------------------------------------------------
    async def open_window(self, user: User, quarter: str) -> ReportingWindow:
        self._check_quarter(quarter)
        return await self.repository.set_window(quarter, {"$set": {"state": "open", "reopened_for": [],
                                                                   "updated_by": user.id,
                                                                   "updated_at": datetime.now(UTC)}})

    async def close_window(self, user: User, quarter: str, incubator_id: str | None = None) -> ReportingWindow:
        self._check_quarter(quarter)
        now = datetime.now(UTC)
        if incubator_id is not None:
            return await self.repository.set_window(quarter, {"$pull": {"reopened_for": incubator_id},
                                                              "$set": {"updated_by": user.id, "updated_at": now}})
        return await self.repository.set_window(quarter, {"$set": {"state": "closed", "reopened_for": [],
                                                                   "updated_by": user.id, "updated_at": now}})

    async def reopen_for(self, user: User, quarter: str, incubator_id: str) -> ReportingWindow:
        self._check_quarter(quarter)
        await self.incubator(incubator_id)
        return await self.repository.set_window(quarter, {"$addToSet": {"reopened_for": incubator_id},
                                                          "$set": {"updated_by": user.id,
                                                                   "updated_at": datetime.now(UTC)},
                                                          "$setOnInsert": {"state": "closed"}})

    async def window(self, quarter: str) -> ReportingWindow | None:
        self._check_quarter(quarter)
        return await self.repository.window(quarter)

    async def missing(self, quarter: str) -> list[tuple[Incubator, Head | None]]:
        """Incubators (existing by the end of ``quarter``) without a final submission, with any draft."""
        self._check_quarter(quarter)
        _, end = quarter_bounds(quarter)
        heads = {h.incubator_id: h for h in await self.repository.heads_for_quarters([quarter], submitted_only=False)}
        return [(i, heads.get(i.id)) for i in await self.incubators.all()
                if i.founded_on <= end and (heads.get(i.id) is None or heads[i.id].submitted_revision is None)]

    @staticmethod
    def _check_quarter(quarter: str) -> None:
        issues = IssueCollector()
        validate_quarter(quarter, None, issues)
        issues.raise_if_any()


async def _nothing() -> dict[str, dict[str, History]]:
    return {}


def self_scheme_version() -> str:
    return scheme().version


def metrics_rows(heads: Iterable[Head]) -> dict[str, dict[str, dict[str, float | None]]]:
    """Submitted metrics as the engine's ``{incubator: {quarter: {field: value}}}``."""
    out: dict[str, dict[str, dict[str, float | None]]] = {}
    for h in heads:
        if h.submitted_metrics is not None:
            out.setdefault(h.incubator_id, {})[h.quarter] = dict(h.submitted_metrics)
    return out


def submission_service(state: Any) -> SubmissionService:
    """The app's SubmissionService (one per AppState, kept in ``state.extras``)."""
    service = state.extras.get("submissions")
    if service is None:
        service = SubmissionService(SubmissionRepository(state.db), state.incubators)
        state.extras["submissions"] = service
    return service  # type: ignore[no-any-return]


__all__ = ["BadUserInput", "SaveOutcome", "SaveRequest", "SubmissionService", "metrics_rows", "scheme",
           "validate_metrics", "validate_quarter"]
