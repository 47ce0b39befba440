"""Matchmaking logic: validated profiles, recommendations with reasons, interest → match, negotiation,
sessions with an optimal schedule, signed cooperations. Load → pure core (scoring, assignment) → persist."""

from __future__ import annotations

import hashlib
import itertools
import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from pymongo.errors import DuplicateKeyError

from backend.errors import BadUserInput, Conflict, Forbidden, IssueCollector, NotFound
from backend.platform_inputs.service import Counts, platform_inputs_changed, provides
from backend.startups.models import StartupProfile
from backend.users.models import Role, User
from cloud_incubator.bookings.rules import PARK_TZ
from cloud_incubator.matchmaking import assignment as assign_core
from cloud_incubator.matchmaking import scoring
from cloud_incubator.matchmaking.models import (
    CooperationType,
    Counterpart,
    CounterpartKind,
    Decision,
    Match,
    Message,
    Session,
    Side,
)
from cloud_incubator.matchmaking.repository import MatchmakingRepository

if TYPE_CHECKING:
    from backend.state import AppState

log = logging.getLogger(__name__)

MAX_TEXT = 2000
MAX_TAGS = 20
MAX_AMOUNT = 10_000_000.0          # 10k CNY: 1,000 × 100 M CNY
PROVIDER_SERVICES = ("ip", "legal", "finance", "office", "market")
FIRM_CALL_SERVES = ["supply_chain", "market"]


def service(state: AppState) -> MatchmakingService:
    """The one service per app (kept in ``state.extras``)."""
    found = state.extras.get("matchmaking")
    if found is None:
        found = state.extras["matchmaking"] = MatchmakingService(state)
    return found  # type: ignore[no-any-return]


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def park_date(instant: datetime) -> date:
    """The date in the park (Asia/Shanghai): signing dates are park dates, as the consultations' quarters."""
    return instant.astimezone(PARK_TZ).date()


# -- validation ---------------------------------------------------------------------------------------
def _text(values: dict[str, Any], key: str, field: str, issues: IssueCollector, *, limit: int = MAX_TEXT,
          required: bool = False) -> None:
    value = values.get(key)
    if value is None:
        if required:
            issues.add(field, "This field is required.", "此项为必填项。")
        return
    if required and not value.strip():
        issues.add(field, "This field must not be empty.", "此项不能为空。")
    elif len(value) > limit:
        issues.add(field, f"At most {limit} characters.", f"最多 {limit} 个字符。")


def _names(values: dict[str, Any], issues: IssueCollector, creating: bool) -> None:
    for key, field in (("name_zh", "nameZh"), ("name_en", "nameEn")):
        value = values.get(key)
        if value is None:
            if creating:
                issues.add(field, "This field is required.", "此项为必填项。")
        elif not 1 <= len(value.strip()) <= 120:
            issues.add(field, "Must be 1–120 characters.", "长度须为 1–120 个字符。")


def _choices(values: dict[str, Any], key: str, field: str, universe: tuple[str, ...], issues: IssueCollector
             ) -> None:
    value = values.get(key)
    if value is None:
        return
    if len(set(value)) != len(value):
        issues.add(field, "An entry is listed twice.", "有重复项。")
    unknown = [v for v in value if v not in universe]
    if unknown:
        issues.add(field, f"Unknown values: {', '.join(unknown)}.", f"未知取值：{'、'.join(unknown)}。")


def _tags(values: dict[str, Any], issues: IssueCollector) -> None:
    tags = values.get("tags")
    if tags is None:
        return
    if len(tags) > MAX_TAGS:
        issues.add("tags", f"At most {MAX_TAGS} tags.", f"标签最多 {MAX_TAGS} 个。")
    if any(not 1 <= len(t.strip()) <= 30 for t in tags):
        issues.add("tags", "Each tag must be 1–30 characters.", "每个标签长度须为 1–30 个字符。")
    elif len({t.strip().lower() for t in tags}) != len(tags):
        issues.add("tags", "A tag is listed twice.", "标签重复。")


def _range(values: dict[str, Any], lo: str, hi: str, field_lo: str, field_hi: str, issues: IssueCollector,
           *, required: bool) -> None:
    a, b = values.get(lo), values.get(hi)
    if a is None and b is None:
        if required:
            issues.add(field_lo, "Give the amount range (10k CNY).", "请填写金额区间（万元）。")
        return
    if a is None or b is None:
        issues.add(field_hi if a is not None else field_lo, "Give both ends of the range.", "请同时填写区间上下限。")
        return
    for value, field in ((a, field_lo), (b, field_hi)):
        if not 0 < value <= MAX_AMOUNT:
            issues.add(field, "Must be more than 0 and at most 10,000,000 (10k CNY).",
                       "须大于 0 且不超过 10,000,000（万元）。")
    if 0 < a <= MAX_AMOUNT and 0 < b <= MAX_AMOUNT and a > b:
        issues.add(field_hi, "The upper end must not be below the lower end.", "上限不能低于下限。")


def validate_startup(values: dict[str, Any], issues: IssueCollector, *, creating: bool,
                     current: StartupProfile | None = None) -> None:
    _names(values, issues, creating)
    if creating and not values.get("incubator_id"):
        issues.add("incubatorId", "This field is required.", "此项为必填项。")
    industry = values.get("industry")
    if industry is not None and industry not in scoring.INDUSTRIES:
        issues.add("industry", "Unknown industry.", "未知产业。")
    stage = values.get("stage")
    if stage is not None and stage not in scoring.STAGES:
        issues.add("stage", "Unknown stage.", "未知阶段。")
    year = values.get("founded_year")
    if year is not None and not 1980 <= year <= datetime.now(UTC).year:
        issues.add("foundedYear", f"Must be between 1980 and {datetime.now(UTC).year}.",
                   f"须在 1980 与 {datetime.now(UTC).year} 之间。")
    size = values.get("team_size")
    if size is not None and not 1 <= size <= 100_000:
        issues.add("teamSize", "Must be between 1 and 100,000.", "须在 1 到 100,000 之间。")
    _text(values, "description", "description", issues)
    _text(values, "supply_need", "supplyNeed", issues, limit=1000)
    _text(values, "offers", "offers", issues, limit=1000)
    _tags(values, issues)
    _choices(values, "needs", "needs", scoring.NEEDS, issues)
    needs = values.get("needs", current.needs if current else [])
    has_ask = (values.get("ask_min", current.ask_min if current else None) is not None
               or values.get("ask_max") is not None)
    if "ask_min" in values or "ask_max" in values or ("funding" in (needs or []) and not has_ask):
        merged = {"ask_min": values.get("ask_min", current.ask_min if current else None),
                  "ask_max": values.get("ask_max", current.ask_max if current else None)}
        _range(merged, "ask_min", "ask_max", "askMin", "askMax", issues, required="funding" in (needs or []))


def validate_counterpart(values: dict[str, Any], kind: str, issues: IssueCollector, *, creating: bool,
                         current: Counterpart | None = None) -> None:
    _names(values, issues, creating)
    _text(values, "organisation", "organisation", issues, limit=120, required=creating and kind != "investor")
    _text(values, "region", "region", issues, limit=60)
    _text(values, "description", "description", issues, required=creating and kind == "firm_call")
    _tags(values, issues)
    _choices(values, "industries", "industries", scoring.INDUSTRIES, issues)
    _choices(values, "stages", "stages", scoring.STAGES, issues)
    if kind == CounterpartKind.investor:
        merged = {"ticket_min": values.get("ticket_min", current.ticket_min if current else None),
                  "ticket_max": values.get("ticket_max", current.ticket_max if current else None)}
        _range(merged, "ticket_min", "ticket_max", "ticketMin", "ticketMax", issues, required=True)
    elif values.get("ticket_min") is not None or values.get("ticket_max") is not None:
        issues.add("ticketMin", "Only investors have a ticket range.", "仅投资机构可填写单笔投资区间。")
    if kind == CounterpartKind.provider:
        services = values.get("services")
        if (services is None and creating) or services == []:
            issues.add("services", "Choose at least one service.", "请至少选择一项服务。")
        if services:
            _choices(values, "services", "services", PROVIDER_SERVICES, issues)
    elif values.get("services"):
        issues.add("services", "Only service providers list services.", "仅服务机构可填写服务项目。")
    deadline = values.get("deadline")
    if kind == CounterpartKind.firm_call:
        if deadline is None and creating:
            issues.add("deadline", "An open call needs a deadline.", "揭榜需求须设截止日期。")
        elif deadline is not None and deadline < datetime.now(UTC).date() and creating:
            issues.add("deadline", "The deadline must not be in the past.", "截止日期不能早于今天。")
    elif deadline is not None:
        issues.add("deadline", "Only open calls have a deadline.", "仅揭榜需求可设截止日期。")


def _startup_for_scoring(doc: dict[str, Any]) -> dict[str, Any]:
    needs = doc.get("needs") or []
    funding = "funding" in needs
    return {"_id": doc["_id"], "industry": doc.get("industry") or "other", "stage": doc.get("stage"),
            "ask_min": doc.get("ask_min") if funding else None, "ask_max": doc.get("ask_max") if funding else None,
            "needs": needs, "tags": [t.lower() for t in doc.get("tags") or []],
            "description": " ".join(filter(None, (doc.get("description"), doc.get("supply_need"), doc.get("offers")))),
            "name_zh": doc.get("name_zh"), "name_en": doc.get("name_en")}


def _counterpart_for_scoring(doc: dict[str, Any]) -> dict[str, Any]:
    return {**doc, "tags": [t.lower() for t in doc.get("tags") or []]}


@dataclass
class Recommendation:
    startup: StartupProfile
    counterpart: Counterpart
    score: float
    reasons: list[dict[str, Any]]
    my_decision: str | None
    their_decision: str | None
    matched: bool


class MatchmakingService:
    def __init__(self, state: AppState) -> None:
        self.state = state
        self.repo = MatchmakingRepository(state.db)

    # -- who may do what ------------------------------------------------------------------------------
    async def startup(self, startup_id: str) -> StartupProfile:
        found = (await self.state.startups.by_ids([startup_id]))[0]
        if found is None:
            raise NotFound("No startup has this id.", "不存在此编号的企业。", field="startupId")
        return found

    async def counterpart(self, counterpart_id: str, field: str = "counterpartId") -> Counterpart:
        found = (await self.repo.counterparts_by_ids([counterpart_id]))[0]
        if found is None:
            raise NotFound("No investor, open call or provider has this id.", "不存在此编号的对接方。", field=field)
        return found

    @staticmethod
    def may_edit_startup(user: User, startup: StartupProfile) -> bool:
        return (user.role is Role.admin
                or (user.role is Role.manager and user.incubator_id == startup.incubator_id)
                or (user.role is Role.startup and user.startup_id == startup.id))

    @staticmethod
    def may_act_for_counterpart(user: User, cp: Counterpart) -> bool:
        if cp.user_id is not None:  # an investor with an account decides for themself
            return user.id == cp.user_id
        return user.role is Role.admin or (user.role is Role.manager and cp.created_by == user.id)

    async def owner_ids(self, cp: Counterpart) -> list[str]:
        return [cp.user_id] if cp.user_id else ([cp.created_by] if cp.created_by else [])

    async def party_user_ids(self, match: Match) -> list[str]:
        cp = await self.counterpart(match.counterpart_id)
        startup_side = await self.repo.user_ids_of_startup(match.startup_id)
        if not startup_side and match.incubator_id:
            # A startup without an account is represented by its incubator's manager (who decided for it).
            startup_side = [u.id for u in await self.state.users.managers_of(match.incubator_id)]
        ids = startup_side + await self.owner_ids(cp)
        return list(dict.fromkeys(ids))

    # -- profiles -----------------------------------------------------------------------------------
    async def create_startup(self, user: User, values: dict[str, Any]) -> StartupProfile:
        values = {k: v for k, v in values.items() if v is not None}
        issues = IssueCollector()
        validate_startup(values, issues, creating=True)
        issues.raise_if_any()
        if user.role is Role.manager and values["incubator_id"] != user.incubator_id:
            raise Forbidden("Managers add startups only to their own incubator.", "管理员只能为本孵化器添加企业。")
        if (await self.state.incubators.by_ids([values["incubator_id"]]))[0] is None:
            raise NotFound("No incubator has this id.", "不存在此编号的孵化器。", field="incubatorId")
        document = {"_id": secrets.token_hex(12), **self._clean_startup(values), "updated_at": datetime.now(UTC)}
        document.setdefault("industry", "other")
        return await self.state.startups.insert(document)

    async def update_startup(self, user: User, startup_id: str, values: dict[str, Any]) -> StartupProfile:
        startup = await self.startup(startup_id)
        if not self.may_edit_startup(user, startup):
            raise Forbidden("Only the startup, its incubator's manager or an admin may edit this profile.",
                            "仅企业本身、所在孵化器管理员或系统管理员可编辑此档案。")
        values = {k: v for k, v in values.items() if v is not None}
        target = values.pop("incubator_id", None)
        moving = target is not None and target != startup.incubator_id
        if moving and user.role is not Role.admin:
            raise Forbidden("Only an admin moves a startup to another incubator.",
                            "仅系统管理员可将企业迁至其他孵化器。", field="incubatorId")
        issues = IssueCollector()
        validate_startup(values, issues, creating=False, current=startup)
        issues.raise_if_any()
        if moving and (await self.state.incubators.by_ids([target]))[0] is None:
            raise NotFound("No incubator has this id.", "不存在此编号的孵化器。", field="incubatorId")
        changes = {**self._clean_startup(values), "updated_at": datetime.now(UTC)}
        if moving:
            changes["incubator_id"] = target
        # Conditional on the incubator the rights were checked on: a move in between refuses the edit.
        updated = await self.repo.update_startup_in(startup_id, startup.incubator_id, changes)
        if updated is None:
            if (await self.state.startups.by_ids([startup_id]))[0] is None:
                raise NotFound("No startup has this id.", "不存在此编号的企业。", field="startupId")
            raise Conflict("The startup was moved to another incubator meanwhile: reload and try again.",
                           "该企业已被迁至其他孵化器，请刷新后重试。")
        if target is not None and user.role is Role.admin:
            # Its accounts and matches follow (again on a repeated request, which repairs a half-done move).
            await self.repo.follow_startup(startup_id, updated.incubator_id)
        return updated

    @staticmethod
    def _clean_startup(values: dict[str, Any]) -> dict[str, Any]:
        out = dict(values)
        for key in ("name_zh", "name_en", "description", "supply_need", "offers"):
            if key in out:
                out[key] = out[key].strip()
        if "tags" in out:
            out["tags"] = [t.strip() for t in out["tags"]]
        for key in ("ask_min", "ask_max"):
            if key in out:
                out[key] = float(out[key])
        return out

    async def save_counterpart(self, user: User, counterpart_id: str | None, kind: str,
                               values: dict[str, Any]) -> Counterpart:
        values = {k: v for k, v in values.items() if v is not None}
        current = await self.counterpart(counterpart_id, "id") if counterpart_id else None
        if current is not None and current.kind != kind:
            raise BadUserInput.single("kind", "The kind of a profile cannot change.", "对接方类型不可更改。")
        if user.role is Role.investor:
            if kind != CounterpartKind.investor:
                raise Forbidden("Investors maintain only their own investor profile.", "投资人只能维护自己的投资人档案。")
            if current is not None and current.user_id != user.id:
                raise Forbidden("This is another investor's profile.", "这是其他投资人的档案。")
            if current is None and await self.repo.counterpart_of_user(user.id) is not None:
                raise Conflict("You already have an investor profile: update it.", "您已有投资人档案，请直接修改。")
        elif user.role is Role.manager:
            if current is not None and current.created_by != user.id:
                raise Forbidden("Managers edit only the profiles they created.", "管理员只能编辑自己创建的档案。")
        elif user.role is not Role.admin:
            raise Forbidden()
        issues = IssueCollector()
        validate_counterpart(values, kind, issues, creating=current is None, current=current)
        issues.raise_if_any()
        changes = dict(values)
        for key in ("name_zh", "name_en", "organisation", "region", "description"):
            if key in changes:
                changes[key] = changes[key].strip()
        if "tags" in changes:
            changes["tags"] = [t.strip() for t in changes["tags"]]
        services = changes.pop("services", None)
        if kind == CounterpartKind.provider and services is not None:
            changes["serves"] = services
        for key in ("ticket_min", "ticket_max"):
            if key in changes:
                changes[key] = float(changes[key])
        now = datetime.now(UTC)
        if current is not None:
            updated = await self.repo.update_counterpart(current.id, {**changes, "updated_at": now})
            if updated is None:
                raise NotFound("No investor, open call or provider has this id.", "不存在此编号的对接方。", field="id")
            return updated
        serves = {"investor": ["funding"], "firm_call": FIRM_CALL_SERVES}.get(kind, changes.get("serves", []))
        document = {"_id": secrets.token_hex(12), "kind": kind, **changes, "serves": serves,
                    "user_id": user.id if user.role is Role.investor else None,
                    "created_by": user.id, "created_at": now, "updated_at": now}
        if document["user_id"] is None:
            del document["user_id"]
        try:
            return await self.repo.insert_counterpart(document)
        except Exception as error:
            if getattr(error, "code", None) == 11000:
                raise Conflict("You already have an investor profile: update it.", "您已有投资人档案，请直接修改。") from error
            raise

    # -- scoring --------------------------------------------------------------------------------------
    async def _problem(self, startup_docs: list[dict[str, Any]], counterparts: list[dict[str, Any]],
                       decisions: list[dict[str, Any]], leads: list[dict[str, Any]]) -> scoring.Problem:
        by_user = {c["user_id"]: c["_id"] for c in counterparts if c.get("user_id")}
        roadshow: dict[tuple[str, str], scoring.Signal] = {}
        for lead in leads:
            cp_id = by_user.get(lead.get("investor_user_id"))
            if cp_id is None or not isinstance(lead.get("at"), datetime):
                continue
            key = (lead["startup_id"], cp_id)
            if key not in roadshow or roadshow[key].at < lead["at"]:
                roadshow[key] = scoring.Signal(lead["at"], lead.get("roadshow_id"))
        declined = {(d["startup_id"], d["counterpart_id"]): scoring.Signal(d["at"])
                    for d in decisions if d.get("decision") == Decision.declined}
        today = datetime.now(UTC).date().isoformat()
        open_cps = [c for c in counterparts if not (c.get("kind") == "firm_call" and (c.get("deadline") or "9") < today)]
        return scoring.build_problem([_startup_for_scoring(d) for d in startup_docs],
                                     [_counterpart_for_scoring(c) for c in open_cps], roadshow, declined)

    async def party(self, party_id: str) -> tuple[str, StartupProfile | Counterpart]:
        startup = (await self.state.startups.by_ids([party_id]))[0]
        if startup is not None:
            return "startup", startup
        return "counterpart", await self.counterpart(party_id, "partyId")

    async def recommendations(self, user: User, party_id: str, kind: str | None, first: int,
                              offset: int) -> tuple[list[Recommendation], int]:
        """The party's best counterparts (or, for a counterpart, best startups), best first; total count."""
        side, party = await self.party(party_id)
        if side == "startup":
            assert isinstance(party, StartupProfile)
            if not self.may_edit_startup(user, party):
                raise Forbidden("Only the startup, its incubator's manager or an admin see its recommendations.",
                                "仅企业本身、所在孵化器管理员或系统管理员可查看推荐。")
            startup_docs = await self.state.startups.documents([party_id])
            counterparts = await self.repo.all_counterpart_documents(kind)
            decisions = await self.repo.decisions(startup_ids=[party_id])
            leads = await self.repo.leads_for(startup_ids=[party_id])
        else:
            assert isinstance(party, Counterpart)
            # Whom a counterpart is recommended is its own business: the investor's account, the manager
            # who posted the offer or call (they act for it), or an admin. Other managers see their own
            # startups' recommendations instead.
            if not (self.may_act_for_counterpart(user, party) or user.role is Role.admin):
                raise Forbidden("Only the counterpart itself (or the manager who posted it) and admins see its "
                                "recommendations.", "仅对接方本身（或发布它的孵化器管理员）和系统管理员可查看其推荐。")
            startup_docs = await self.state.startups.all_documents()
            counterparts = [party.model_dump(by_alias=True, mode="json")]
            decisions = await self.repo.decisions(counterpart_ids=[party_id])
            leads = await self.repo.leads_for(investor_user_ids=[party.user_id]) if party.user_id else []
        problem = await self._problem(startup_docs, counterparts, decisions, leads)
        if not problem.startup_ids or not problem.counterpart_ids:
            return [], 0
        block = scoring.score_block(problem, np.arange(len(problem.startup_ids)))
        if side == "startup":
            row = problem.s_index[party_id]
            scores, ids = block[row], problem.counterpart_ids
        else:
            scores, ids = block[:, problem.c_index[party_id]], problem.startup_ids
        order = scoring.best_first(scores, ids)
        page = order[offset:offset + first]
        decision_of = {(d["startup_id"], d["counterpart_id"], d["side"]): d["decision"] for d in decisions}
        page_pairs = [(problem.s_index[party_id], int(k)) if side == "startup" else (int(k), problem.c_index[party_id])
                      for k in page]
        startups = await self.state.startups.by_ids([problem.startup_ids[s] for s, _ in page_pairs])
        cps = await self.repo.counterparts_by_ids([problem.counterpart_ids[c] for _, c in page_pairs])
        out = []
        for (s, c), startup, cp in zip(page_pairs, startups, cps, strict=True):
            if startup is None or cp is None:
                continue
            explained = scoring.explain(problem, s, c)
            mine, theirs = (Side.startup, Side.counterpart) if side == "startup" else (Side.counterpart, Side.startup)
            out.append(Recommendation(
                startup=startup, counterpart=cp, score=explained["score"], reasons=explained["reasons"],
                my_decision=decision_of.get((startup.id, cp.id, mine.value)),
                their_decision=decision_of.get((startup.id, cp.id, theirs.value)),
                matched=(decision_of.get((startup.id, cp.id, "startup")) == "interested"
                         and decision_of.get((startup.id, cp.id, "counterpart")) == "interested")))
        return out, int(order.size)

    async def pair_score(self, startup_id: str, counterpart_id: str) -> dict[str, Any]:
        startup_docs = await self.state.startups.documents([startup_id])
        cp = await self.counterpart(counterpart_id)
        decisions = await self.repo.decisions(startup_ids=[startup_id])
        leads = await self.repo.leads_for(startup_ids=[startup_id])
        problem = await self._problem(startup_docs, [cp.model_dump(by_alias=True, mode="json")], decisions, leads)
        if not problem.counterpart_ids:
            return {"score": 0.0, "reasons": []}
        return scoring.explain(problem, 0, 0)

    # -- interest, decline, match ---------------------------------------------------------------------
    async def decide(self, user: User, startup_id: str, counterpart_id: str, decision: Decision
                     ) -> tuple[Match | None, bool]:
        """Record one side's decision; mutual interest creates the match (once) and notifies both sides."""
        startup = await self.startup(startup_id)
        cp = await self.counterpart(counterpart_id)
        if user.role is Role.startup and user.startup_id == startup.id:
            side = Side.startup
        elif self.may_act_for_counterpart(user, cp) and user.role is not Role.startup:
            side = Side.counterpart
        elif (user.role is Role.manager and user.incubator_id == startup.incubator_id
              and not await self.repo.user_ids_of_startup(startup.id)):
            side = Side.startup  # a startup without an account: its incubator's manager acts for it
        else:
            raise Forbidden("Only the startup or the counterpart decide on this pair.",
                            "仅企业或对接方本身可对此配对表态。")
        now = datetime.now(UTC)
        await self.repo.set_decision(startup.id, cp.id, side.value, decision.value, user.id, now)
        if decision is not Decision.interested:
            return await self.repo.match_of_pair(startup.id, cp.id), False
        both = await self.repo.decisions_of_pair(startup.id, cp.id)
        if not all(both.get(s.value, {}).get("decision") == Decision.interested for s in Side):
            return None, False
        explained = await self.pair_score(startup.id, cp.id)
        score = explained["score"] if np.isfinite(explained["score"]) else 0.0
        document = {"_id": secrets.token_hex(12), "startup_id": startup.id, "counterpart_id": cp.id,
                    "incubator_id": startup.incubator_id, "score": float(score), "created_at": now}
        created = await self.repo.insert_match(document)
        match = Match.model_validate(document) if created else await self.repo.match_of_pair(startup.id, cp.id)
        if created and match is not None:
            await self._notify(await self.party_user_ids(match), "match.created", {
                "match_id": match.id, "score": match.score, "created_at": match.created_at.isoformat(),
                "startup": {"id": startup.id, "name_zh": startup.name_zh, "name_en": startup.name_en},
                "counterpart": {"id": cp.id, "kind": cp.kind.value, "name_zh": cp.name_zh, "name_en": cp.name_en},
                "reasons": explained.get("reasons", [])})
        return match, created

    async def _notify(self, user_ids: list[str], event: str, data: dict[str, Any]) -> None:
        if "broadcaster" not in self.state.extras:
            return  # no socket layer running (e.g. a CLI seeding): the data is stored, nobody is online
        from cloud_incubator.broadcast import publish

        for user_id in user_ids:
            try:
                await publish(self.state, f"user:{user_id}", event, data)
            except Exception:
                log.exception("could not publish %s to user %s", event, user_id)

    async def matches(self, user: User, first: int, before: tuple[datetime, str] | None) -> list[Match]:
        if user.role is Role.admin:
            query: dict[str, Any] = {}
        elif user.role is Role.manager:
            own = await self.repo.matches_page({"incubator_id": user.incubator_id}, before, first)
            created = await self.repo.counterparts_created_by(user.id)
            if not created:
                return own
            # Also the matches of the offers/calls this manager posted (any incubator's startups): two
            # pages in the same order, merged.
            theirs = await self.repo.matches_page({"counterpart_id": {"$in": created}}, before, first)
            merged = {m.id: m for m in own + theirs}
            return sorted(merged.values(), key=lambda m: (m.created_at, m.id), reverse=True)[:first]
        elif user.role is Role.startup:
            query = {"startup_id": user.startup_id}
        else:
            cp = await self.repo.counterpart_of_user(user.id)
            ids = [cp.id] if cp else []
            query = {"counterpart_id": {"$in": ids}}
        return await self.repo.matches_page(query, before, first)

    async def match_for(self, user: User, match_id: str, field: str = "matchId") -> Match:
        match = await self.repo.match(match_id)
        if match is None:
            raise NotFound("No match has this id.", "不存在此编号的配对。", field=field)
        if user.role is Role.admin or user.id in await self.party_user_ids(match):
            return match
        if user.role is Role.manager and user.incubator_id == match.incubator_id:
            return match
        raise Forbidden("Only the matched parties see this match.", "仅配对双方可查看此配对。")

    # -- negotiation ----------------------------------------------------------------------------------
    async def send_message(self, user: User, match_id: str, text: str) -> Message:
        match = await self.repo.match(match_id)
        if match is None:
            raise NotFound("No match has this id.", "不存在此编号的配对。", field="match_id")
        parties = await self.party_user_ids(match)
        if user.id not in parties:
            raise Forbidden("Only the matched parties talk in this thread.", "仅配对双方可在此洽谈。")
        text = text.strip()
        if not 1 <= len(text) <= MAX_TEXT:
            raise BadUserInput.single("text", f"A message is 1–{MAX_TEXT} characters.", f"消息长度须为 1–{MAX_TEXT} 个字符。")
        message = await self.repo.insert_message({
            "_id": secrets.token_hex(12), "match_id": match.id, "sender_user_id": user.id,
            "sender_name": user.display_name, "text": text, "at": datetime.now(UTC)})
        await self._notify(parties, "negotiation.message", message_data(message))
        return message

    async def history(self, user: User, match_id: str, before: tuple[datetime, str] | None, limit: int
                      ) -> list[Message]:
        match = await self.repo.match(match_id)
        if match is None:
            raise NotFound("No match has this id.", "不存在此编号的配对。", field="match_id")
        if user.id not in await self.party_user_ids(match) and user.role is not Role.admin:
            raise Forbidden("Only the matched parties read this thread.", "仅配对双方可查看此洽谈。")
        return await self.repo.messages_before(match.id, before, limit)

    # -- sessions -------------------------------------------------------------------------------------
    async def create_session(self, user: User, values: dict[str, Any]) -> Session:
        issues = IssueCollector()
        title = (values.get("title") or "").strip()
        if not 1 <= len(title) <= 120:
            issues.add("title", "Must be 1–120 characters.", "长度须为 1–120 个字符。")
        minutes = values.get("meeting_minutes") or 0
        if not 5 <= minutes <= 240:
            issues.add("meetingMinutes", "A meeting lasts 5–240 minutes.", "每场洽谈时长须为 5–240 分钟。")
        slots: list[datetime] = [s if s.tzinfo else s.replace(tzinfo=UTC) for s in values.get("slots") or []]
        if not 1 <= len(slots) <= 32:
            issues.add("slots", "Give 1–32 time slots.", "请设置 1–32 个时段。")
        elif any(b - a < timedelta(minutes=max(minutes, 5)) for a, b in itertools.pairwise(slots)):
            issues.add("slots", "Slots must be in time order and at least one meeting length apart.",
                       "时段须按时间先后排列，且间隔不少于一场洽谈时长。")
        incubator_id = values.get("incubator_id")
        if user.role is Role.manager:
            incubator_id = incubator_id or user.incubator_id
            if incubator_id != user.incubator_id:
                raise Forbidden("Managers organise sessions only for their own incubator.", "管理员只能为本孵化器组织对接会。")
        groups: dict[str, list[dict[str, Any]]] = {}
        for key, field, default_key in (("startups", "startups", "startup_capacity"),
                                        ("counterparts", "counterparts", "counterpart_capacity")):
            rows = values.get(key) or []
            default_cap = values.get(default_key) or 3
            if not 1 <= len(rows) <= 1000:
                issues.add(field, "Give 1–1000 participants.", "参与方须为 1–1000 个。")
            ids = [r["party_id"] for r in rows]
            if len(set(ids)) != len(ids):
                issues.add(field, "A participant is listed twice.", "参与方重复。")
            parsed = []
            for r in rows:
                cap = r.get("capacity") or default_cap
                unavailable = sorted(set(r.get("unavailable") or []))
                if not 1 <= cap <= max(1, len(slots)):
                    issues.add(field, f"Capacity of {r['party_id']} must be 1–{len(slots)} meetings.",
                               f"{r['party_id']} 的洽谈上限须为 1–{len(slots)} 场。")
                if any(not 0 <= u < len(slots) for u in unavailable):
                    issues.add(field, f"Unavailable slots of {r['party_id']} must be slot numbers 0–{len(slots) - 1}.",
                               f"{r['party_id']} 的不可用时段编号须在 0–{len(slots) - 1} 之间。")
                parsed.append({"party_id": r["party_id"], "capacity": cap, "unavailable": unavailable})
            groups[key] = parsed
        issues.raise_if_any()
        found_s = await self.state.startups.by_ids([r["party_id"] for r in groups["startups"]])
        missing = [r["party_id"] for r, f in zip(groups["startups"], found_s, strict=True) if f is None]
        found_c = await self.repo.counterparts_by_ids([r["party_id"] for r in groups["counterparts"]])
        missing_c = [r["party_id"] for r, f in zip(groups["counterparts"], found_c, strict=True) if f is None]
        if missing:
            issues.add("startups", f"Unknown startups: {', '.join(missing)}.", f"未知企业：{'、'.join(missing)}。")
        if missing_c:
            issues.add("counterparts", f"Unknown counterparts: {', '.join(missing_c)}.", f"未知对接方：{'、'.join(missing_c)}。")
        issues.raise_if_any()
        document = {"_id": secrets.token_hex(12), "title": title, "incubator_id": incubator_id,
                    "organiser_user_id": user.id, "slots": slots, "meeting_minutes": minutes,
                    "startups": groups["startups"], "counterparts": groups["counterparts"],
                    "party_ids": [r["party_id"] for r in groups["startups"] + groups["counterparts"]],
                    "meetings": [], "optimal": None, "total_score": 0.0, "version": 0,
                    "created_at": datetime.now(UTC)}
        return await self.repo.insert_session(document)

    async def session_for(self, user: User, session_id: str, *, organise: bool = False) -> Session:
        found = await self.repo.session(session_id)
        if found is None:
            raise NotFound("No session has this id.", "不存在此编号的对接会。", field="sessionId")
        if user.role is Role.admin or found.organiser_user_id == user.id:
            return found
        if not organise and user.role is Role.manager and found.incubator_id == user.incubator_id:
            return found
        raise Forbidden("Only the organiser manages this session.", "仅组织者可管理此对接会。")

    async def assign_session(self, user: User, session_id: str) -> Session:
        session = await self.session_for(user, session_id, organise=True)
        s_ids = [p.party_id for p in session.startups]
        c_ids = [p.party_id for p in session.counterparts]
        startup_docs = await self.state.startups.documents(s_ids)
        cps = [c for c in await self.repo.counterparts_by_ids(c_ids) if c is not None]
        decisions = await self.repo.decisions(startup_ids=s_ids)
        leads = await self.repo.leads_for(startup_ids=s_ids)
        problem = await self._problem(startup_docs, [c.model_dump(by_alias=True, mode="json") for c in cps],
                                      decisions, leads)
        n_t = len(session.slots)
        s_part = {p.party_id: p for p in session.startups}
        c_part = {p.party_id: p for p in session.counterparts}
        s_av = np.ones((len(problem.startup_ids), n_t), bool)
        c_av = np.ones((len(problem.counterpart_ids), n_t), bool)
        for i, sid in enumerate(problem.startup_ids):
            s_av[i, s_part[sid].unavailable] = False
        for j, cid in enumerate(problem.counterpart_ids):
            c_av[j, c_part[cid].unavailable] = False
        s_cap = np.array([s_part[s].capacity for s in problem.startup_ids])
        c_cap = np.array([c_part[c].capacity for c in problem.counterpart_ids])
        block = scoring.score_block(problem, np.arange(len(problem.startup_ids))) if problem.startup_ids and \
            problem.counterpart_ids else np.zeros((len(problem.startup_ids), len(problem.counterpart_ids)))
        kept = [m for m in session.meetings if m.locked and m.startup_id in problem.s_index
                and m.counterpart_id in problem.c_index]
        locked = [(problem.s_index[m.startup_id], problem.c_index[m.counterpart_id], m.slot) for m in kept]
        try:
            result = assign_core.assign(assign_core.integer_weights(block), s_av, c_av, s_cap, c_cap, locked=locked)
        except assign_core.AssignmentError as error:
            raise BadUserInput.single("sessionId", f"The locked meetings cannot be kept: {error}",
                                      "已锁定的洽谈无法全部保留，请先解锁冲突的洽谈。") from error
        locked_ids = {(m.startup_id, m.counterpart_id, m.slot): m.id for m in kept}
        meetings = []
        for s, c, t in result.meetings:
            key = (problem.startup_ids[s], problem.counterpart_ids[c], t)
            meetings.append({"id": locked_ids.get(key, secrets.token_hex(6)), "startup_id": key[0],
                             "counterpart_id": key[1], "slot": t, "score": round(float(block[s, c]), 2),
                             "locked": key in locked_ids})
        meetings.sort(key=lambda m: (m["slot"], m["startup_id"], m["counterpart_id"]))
        updated = await self.repo.replace_meetings(session.id, session.version, meetings, {
            "optimal": result.optimal, "total_score": round(result.total / 100, 2)})
        if updated is None:
            raise Conflict("The schedule changed meanwhile: reload and try again.", "日程已被修改，请刷新后重试。")
        await self._notify_schedule(updated)
        return updated

    async def _notify_schedule(self, session: Session) -> None:
        users: list[str] = []
        for sid in {m.startup_id for m in session.meetings}:
            users += await self.repo.user_ids_of_startup(sid)
        for cp in await self.repo.counterparts_by_ids(list({m.counterpart_id for m in session.meetings})):
            if cp is not None:
                users += await self.owner_ids(cp)
        await self._notify(list(dict.fromkeys(users)), "session.scheduled",
                           {"session_id": session.id, "title": session.title, "version": session.version})

    @staticmethod
    def _seen_version(session: Session, version: int | None) -> None:
        """An edit names the schedule version the organiser was looking at: a repeated click or a second
        organiser's change in between gets CONFLICT instead of being applied to a schedule nobody saw."""
        if version is not None and version != session.version:
            raise Conflict("The schedule changed since you loaded it: reload and try again.",
                           "日程在您打开后已被修改，请刷新后重试。", field="version")

    async def lock_meeting(self, user: User, session_id: str, meeting_id: str, locked: bool,
                           version: int | None = None) -> Session:
        session = await self.session_for(user, session_id, organise=True)
        self._seen_version(session, version)
        meetings = [m.model_dump() for m in session.meetings]
        target = next((m for m in meetings if m["id"] == meeting_id), None)
        if target is None:
            raise NotFound("No meeting has this id in this session.", "此对接会中不存在该洽谈。", field="meetingId")
        target["locked"] = locked
        return await self._save(session, meetings, optimal=session.optimal)

    async def swap_meetings(self, user: User, session_id: str, first_id: str, second_id: str,
                            version: int | None = None) -> Session:
        """Exchange the time slots of two meetings (both become locked), if nobody is then double-booked."""
        session = await self.session_for(user, session_id, organise=True)
        self._seen_version(session, version)
        meetings = [m.model_dump() for m in session.meetings]
        by_id = {m["id"]: m for m in meetings}
        for field, mid in (("meetingA", first_id), ("meetingB", second_id)):
            if mid not in by_id:
                raise NotFound("No meeting has this id in this session.", "此对接会中不存在该洽谈。", field=field)
        if first_id == second_id:
            raise BadUserInput.single("meetingB", "Choose two different meetings.", "请选择两场不同的洽谈。")
        a, b = by_id[first_id], by_id[second_id]
        a["slot"], b["slot"] = b["slot"], a["slot"]
        a["locked"] = b["locked"] = True
        problems = self._check(session, meetings)
        if problems:
            en, zh = await self._described(session, problems)
            raise BadUserInput.single("meetingB", "After this swap: " + "; ".join(en) + ".",
                                      "交换后会出现冲突：" + "；".join(zh) + "。")
        return await self._save(session, meetings)

    async def _described(self, session: Session, problems: list[str]) -> tuple[list[str], list[str]]:
        """The schedule checker's problems (party ids, slots from 0) in words, by name, slots from 1."""
        startups = await self.state.startups.by_ids([p.party_id for p in session.startups])
        counterparts = await self.repo.counterparts_by_ids([p.party_id for p in session.counterparts])
        names = {x.id: (x.name_zh, x.name_en) for x in [*startups, *counterparts] if x is not None}

        def name(party_id: str, lang: int) -> str:
            return names.get(party_id, (party_id, party_id))[lang]

        en: list[str] = []
        zh: list[str] = []
        for problem in problems:
            if m := re.fullmatch(r"startup (\S+) or counterpart (\S+) is not available in slot (\d+)", problem):
                a, b, t = m.group(1), m.group(2), int(m.group(3)) + 1
                en.append(f"{name(a, 1)} or {name(b, 1)} is not available in slot {t}")
                zh.append(f"“{name(a, 0)}”或“{name(b, 0)}”无法参加第 {t} 个时段")
            elif m := re.fullmatch(r"(startup|counterpart) (\S+) has two meetings in slot (\d+)", problem):
                a, t = m.group(2), int(m.group(3)) + 1
                en.append(f"{name(a, 1)} would have two meetings in slot {t}")
                zh.append(f"“{name(a, 0)}”在第 {t} 个时段会有两场洽谈")
            else:
                en.append(problem)
                zh.append("日程不可行")
        return en, zh

    @staticmethod
    def _check(session: Session, meetings: list[dict[str, Any]]) -> list[str]:
        s_idx = {p.party_id: i for i, p in enumerate(session.startups)}
        c_idx = {p.party_id: j for j, p in enumerate(session.counterparts)}
        n_t = len(session.slots)
        s_av = np.ones((len(s_idx), n_t), bool)
        c_av = np.ones((len(c_idx), n_t), bool)
        for i, p in enumerate(session.startups):
            s_av[i, p.unavailable] = False
        for j, p in enumerate(session.counterparts):
            c_av[j, p.unavailable] = False
        triples = [(s_idx[m["startup_id"]], c_idx[m["counterpart_id"]], m["slot"]) for m in meetings]
        problems = assign_core.check_feasible(triples, s_av, c_av, np.array([p.capacity for p in session.startups]),
                                              np.array([p.capacity for p in session.counterparts]))
        names = {"startup": [p.party_id for p in session.startups],
                 "counterpart": [p.party_id for p in session.counterparts]}
        return [re.sub(r"(startup|counterpart) (\d+)", lambda m: f"{m.group(1)} {names[m.group(1)][int(m.group(2))]}", p)
                for p in problems]

    async def _save(self, session: Session, meetings: list[dict[str, Any]], optimal: bool | None = False) -> Session:
        """Store an edited schedule (a swap leaves it feasible but no longer proven optimal)."""
        meetings.sort(key=lambda m: (m["slot"], m["startup_id"], m["counterpart_id"]))
        total = round(sum(m["score"] for m in meetings), 2)
        updated = await self.repo.replace_meetings(session.id, session.version, meetings,
                                                   {"total_score": total, "optimal": optimal})
        if updated is None:
            raise Conflict("The schedule changed meanwhile: reload and try again.", "日程已被修改，请刷新后重试。")
        await self._notify_schedule(updated)
        return updated

    async def my_party_ids(self, user: User) -> list[str]:
        ids: list[str] = []
        if user.startup_id:
            ids.append(user.startup_id)
        cp = await self.repo.counterpart_of_user(user.id)
        if cp is not None:
            ids.append(cp.id)
        return ids

    async def my_schedule(self, user: User) -> list[tuple[Session, list[Any]]]:
        ids = set(await self.my_party_ids(user))
        if not ids:
            return []
        out = []
        for session in await self.repo.sessions_of_parties(list(ids)):
            mine = [m for m in session.meetings if m.startup_id in ids or m.counterpart_id in ids]
            out.append((session, mine))
        return out

    # -- cooperation signing ------------------------------------------------------------------------
    async def record_cooperation(self, user: User, values: dict[str, Any]) -> Any:
        match = await self.match_for(user, values["match_id"])
        issues = IssueCollector()
        kind = values.get("type")
        amount = values.get("amount")
        signed_on: date | None = values.get("signed_on")
        if kind not in CooperationType.__members__:
            issues.add("type", "Unknown cooperation type.", "未知合作类型。")
        if amount is None and kind == CooperationType.investment:
            issues.add("amount", "An investment needs its amount (10k CNY).", "投资合作须填写金额（万元）。")
        elif amount is not None and not 0 <= amount <= MAX_AMOUNT:
            issues.add("amount", "Must be between 0 and 10,000,000 (10k CNY).", "须在 0 到 10,000,000（万元）之间。")
        if signed_on is None:
            issues.add("signedOn", "This field is required.", "此项为必填项。")
        elif not park_date(match.created_at) <= signed_on <= park_date(datetime.now(UTC)):
            issues.add("signedOn", "The signing date must be between the match date and today.",
                       "签约日期须在配对日期与今天之间。")
        _text(values, "note", "note", issues, limit=500)
        issues.raise_if_any()
        assert signed_on is not None
        # The id is derived from what was signed: a double submit, or the other party recording the same
        # signing, hits the unique _id instead of counting twice in the evaluation.
        amount_key = f"{float(amount):.2f}" if amount is not None else "-"
        key = hashlib.sha256(f"{match.id}|{kind}|{signed_on.isoformat()}|{amount_key}".encode()).hexdigest()[:24]
        document = {"_id": key, "match_id": match.id, "startup_id": match.startup_id,
                    "counterpart_id": match.counterpart_id, "incubator_id": match.incubator_id, "type": kind,
                    "amount": float(amount) if amount is not None else None, "signed_on": signed_on,
                    "quarter": quarter_of(signed_on), "note": (values.get("note") or "").strip(),
                    "recorded_by": user.id, "created_at": datetime.now(UTC)}
        try:
            recorded = await self.repo.insert_cooperation(document)
        except DuplicateKeyError as error:
            raise Conflict("This cooperation (same type, amount and date) is already recorded for this match.",
                           "此配对已登记过相同类型、金额和日期的合作签约。") from error
        if recorded.incubator_id is not None:  # signed cooperations are evaluation inputs of that quarter
            await platform_inputs_changed(self.state, recorded.quarter, [recorded.incubator_id])
        return recorded


def message_data(message: Message) -> dict[str, Any]:
    return {"id": message.id, "match_id": message.match_id, "sender_user_id": message.sender_user_id,
            "sender_name": message.sender_name, "text": message.text, "at": message.at.isoformat()}


# Cooperation types the evaluation counts, by the platform field that counts them.
SCORED_COOPERATIONS = {CooperationType.investment.value: "platform_investment_deals",
                       CooperationType.supply_chain.value: "platform_supply_chain_deals"}


@provides(*SCORED_COOPERATIONS.values())
async def signed_cooperation_counts(state: AppState, incubator_ids: Sequence[str], quarters: Sequence[str]) -> Counts:
    """Per incubator and quarter: investment and supply-chain cooperations signed (recorded) on the platform."""
    out: Counts = {}
    for row in await service(state).repo.cooperations_in_quarters(incubator_ids, quarters):
        field_id = SCORED_COOPERATIONS.get(row["type"])
        if field_id is None:
            continue
        counts = out.setdefault(row["incubator_id"], {}).setdefault(row["quarter"], dict.fromkeys(
            SCORED_COOPERATIONS.values(), 0.0))
        counts[field_id] += 1
    return out

