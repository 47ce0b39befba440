"""Roadshow logic: scheduling and its validation, who may enter and moderate, state changes,
transcript and attendance analytics. No GraphQL or socket types here."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from pymongo.errors import PyMongoError

from backend.errors import Conflict, Forbidden, IssueCollector, NotFound
from backend.incubators.models import Industry
from backend.roadshows.analytics import attendance_analytics, close_time
from backend.roadshows.models import Audience, Phase, Roadshow, RoadshowStatus
from backend.roadshows.repository import RoadshowRepository
from backend.startups.repository import StartupRepository
from backend.users.models import Role, User
from backend.users.repository import UserRepository

log = logging.getLogger(__name__)
MAX_AGENDA = 20
# A process that has not rewritten its room presence (every INCUBENCH_WS_PRESENCE_INTERVAL, 2 s) for this
# long is taken for gone: its open attendance rows are closed at its last presence write.
STALE_AFTER = timedelta(seconds=30)
MAX_TITLE = 120
MODERATOR_ROLES = {Role.admin, Role.manager, Role.evaluator, Role.ip_advisor}
STAFF_ROLES = {Role.admin, Role.manager, Role.evaluator, Role.ip_advisor}


def now() -> datetime:
    return datetime.now(UTC)


class RoadshowService:
    def __init__(self, repo: RoadshowRepository, users: UserRepository, startups: StartupRepository) -> None:
        self.repo = repo
        self.users = users
        self.startups = startups

    # -- scheduling ------------------------------------------------------------------------------
    async def _validate(self, values: dict[str, Any], issues: IssueCollector, *, creating: bool) -> None:
        # Issue paths name the GraphQL input fields (camelCase; list items as ``[i]``), as elsewhere.
        for field, path, label_zh in (("title_zh", "titleZh", "中文标题"), ("title_en", "titleEn", "英文标题")):
            if field in values or creating:
                text = (values.get(field) or "").strip()
                if not text:
                    issues.add(path, "The title is required.", f"{label_zh}不能为空。")
                elif len(text) > MAX_TITLE:
                    issues.add(path, f"At most {MAX_TITLE} characters.", f"最多 {MAX_TITLE} 个字符。")
                values[field] = text
        if "starts_at" in values:
            starts = values["starts_at"]
            if starts.tzinfo is None:
                starts = values["starts_at"] = starts.replace(tzinfo=UTC)
            if starts < now() - timedelta(minutes=5):
                issues.add("startsAt", "The start time is in the past.", "开始时间已过。")
        if "industry_focus" in values:
            allowed = {i.value for i in Industry}
            bad = [v for v in values["industry_focus"] if v not in allowed]
            if bad:
                issues.add("industryFocus", f"Unknown industries: {', '.join(bad)}.", f"未知行业：{', '.join(bad)}。")
        if "agenda" in values:
            agenda = values["agenda"]
            if not agenda:
                issues.add("agenda", "The agenda needs at least one pitch.", "议程至少需要一个路演项目。")
            elif len(agenda) > MAX_AGENDA:
                issues.add("agenda", f"At most {MAX_AGENDA} pitches.", f"最多 {MAX_AGENDA} 个路演项目。")
            ids = [item["startup_id"] for item in agenda]
            found = await self.startups.by_ids(ids)
            for index, (item, startup) in enumerate(zip(agenda, found, strict=True)):
                prefix = f"agenda[{index}]"
                if startup is None:
                    issues.add(f"{prefix}.startupId", "No startup has this id.", "不存在此编号的企业。")
                if not 1 <= item["pitch_minutes"] <= 60:
                    issues.add(f"{prefix}.pitchMinutes", "Pitch length is 1 to 60 minutes.", "路演时长为 1 至 60 分钟。")
                if not 0 <= item["qa_minutes"] <= 60:
                    issues.add(f"{prefix}.qaMinutes", "Q&A length is 0 to 60 minutes.", "问答时长为 0 至 60 分钟。")
                url = item.get("stream_url")
                if url:
                    parsed = urlparse(url)
                    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 500:
                        issues.add(f"{prefix}.streamUrl", "The stream link must be an http(s) URL.",
                                   "直播链接必须是 http(s) 地址。")
            if len(set(ids)) != len(ids):
                issues.add("agenda", "A startup appears twice in the agenda.", "同一企业在议程中出现了两次。")
        if "moderator_ids" in values:
            ids = values["moderator_ids"]
            users = await self.users.by_ids(ids) if ids else []
            for index, (user_id, user) in enumerate(zip(ids, users, strict=True)):
                if user is None:
                    issues.add(f"moderatorIds[{index}]", f"No user has the id {user_id}.", f"不存在编号为 {user_id} 的用户。")
                elif user.role not in MODERATOR_ROLES:
                    issues.add(f"moderatorIds[{index}]", "Moderators are park or incubator staff.",
                               "主持人须为园区或孵化器工作人员。")
        if "invited_user_ids" in values:
            ids = values["invited_user_ids"]
            users = await self.users.by_ids(ids) if ids else []
            for index, user in enumerate(users):
                if user is None:
                    issues.add(f"invitedUserIds[{index}]", "No user has this id.", "不存在此编号的用户。")
        audience = values.get("audience")
        invited = values.get("invited_user_ids")
        if audience == Audience.invited.value and invited is not None and not invited:
            issues.add("invitedUserIds", "An invitation-only roadshow needs invited accounts.",
                       "仅限受邀的路演需要邀请名单。")

    async def schedule(self, organiser: User, values: dict[str, Any]) -> Roadshow:
        issues = IssueCollector()
        values = dict(values)
        values.setdefault("industry_focus", [])
        values.setdefault("moderator_ids", [])
        values.setdefault("invited_user_ids", [])
        await self._validate(values, issues, creating=True)
        issues.raise_if_any()
        moderators = list(dict.fromkeys([organiser.id, *values["moderator_ids"]]))
        at = now()
        document = {"_id": uuid.uuid4().hex[:16], "title_zh": values["title_zh"], "title_en": values["title_en"],
                    "starts_at": values["starts_at"], "industry_focus": values["industry_focus"],
                    "agenda": values["agenda"], "moderator_ids": moderators, "audience": values["audience"],
                    "invited_user_ids": values["invited_user_ids"], "organiser_id": organiser.id,
                    "incubator_id": organiser.incubator_id if organiser.role is Role.manager else None,
                    "status": RoadshowStatus.scheduled.value, "pitch_index": -1, "phase": Phase.waiting.value,
                    "phase_started_at": None, "phase_ends_at": None, "slides": {}, "pitch_times": [],
                    "reactions": {}, "started_at": None,
                    "ended_at": None, "created_at": at, "updated_at": at}
        return await self.repo.insert(document)

    async def update(self, user: User, roadshow_id: str, changes: dict[str, Any]) -> Roadshow:
        roadshow = await self.get(roadshow_id)
        self.require_organiser(user, roadshow)
        issues = IssueCollector()
        await self._validate(changes, issues, creating=False)
        if "audience" in changes and changes["audience"] == Audience.invited.value and "invited_user_ids" not in changes \
                and not roadshow.invited_user_ids:
            issues.add("invitedUserIds", "An invitation-only roadshow needs invited accounts.", "仅限受邀的路演需要邀请名单。")
        issues.raise_if_any()
        if "moderator_ids" in changes:
            changes["moderator_ids"] = list(dict.fromkeys([roadshow.organiser_id, *changes["moderator_ids"]]))
        changes["updated_at"] = now()
        updated = await self.repo.update_if(roadshow_id, {"status": RoadshowStatus.scheduled.value}, {"$set": changes})
        if updated is None:
            raise Conflict("Only a scheduled roadshow can be edited.", "只有尚未开始的路演可以修改。",
                           reason="NOT_SCHEDULED")
        return updated

    async def get(self, roadshow_id: str) -> Roadshow:
        roadshow = await self.repo.get(roadshow_id)
        if roadshow is None:
            raise NotFound("No roadshow has this id.", "不存在此编号的路演。", field="id")
        return roadshow

    async def visible(self, user: User, status: str | None, limit: int = 100,
                      before: tuple[datetime, str] | None = None) -> list[Roadshow]:
        """Up to ``limit`` roadshows this user may enter, newest first, keyset-paged by ``before``; reads on
        in batches past the ones the user may not see, so a page is full whenever enough exist."""
        found: list[Roadshow] = []
        batch = max(limit * 2, 20)
        while len(found) < limit:
            rows = await self.repo.listing(status, batch, before)
            found.extend(r for r in rows if self.may_enter(user, r))
            if len(rows) < batch:
                break
            before = (rows[-1].starts_at, rows[-1].id)
        return found[:limit]

    # -- who may do what -------------------------------------------------------------------------
    @staticmethod
    def is_moderator(user: User, roadshow: Roadshow) -> bool:
        return user.role is Role.admin or user.id in roadshow.moderator_ids

    @staticmethod
    def is_presenter(user: User, roadshow: Roadshow, pitch_index: int | None = None) -> bool:
        if user.role is not Role.startup or not user.startup_id:
            return False
        if pitch_index is None:
            return user.startup_id in roadshow.startup_ids()
        return 0 <= pitch_index < len(roadshow.agenda) and roadshow.agenda[pitch_index].startup_id == user.startup_id

    def may_enter(self, user: User, roadshow: Roadshow) -> bool:
        if self.is_moderator(user, roadshow) or self.is_presenter(user, roadshow):
            return True
        if user.id in roadshow.invited_user_ids:
            return True
        if roadshow.audience is Audience.registered:
            return True
        if roadshow.audience is Audience.investors:
            return user.role is Role.investor or user.role in STAFF_ROLES
        return False

    def require_organiser(self, user: User, roadshow: Roadshow) -> None:
        if not self.is_moderator(user, roadshow):
            raise Forbidden("Only the roadshow's organisers may do this.", "只有路演的组织者可以执行此操作。")

    def may_read_results(self, user: User, roadshow: Roadshow) -> bool:
        return self.is_moderator(user, roadshow) or self.is_presenter(user, roadshow) or (
            user.role is Role.manager and roadshow.incubator_id is not None and user.incubator_id == roadshow.incubator_id)

    # -- state changes (moderators) --------------------------------------------------------------
    async def start(self, user: User, roadshow_id: str) -> Roadshow:
        roadshow = await self.get(roadshow_id)
        self.require_organiser(user, roadshow)
        at = now()
        updated = await self.repo.update_if(roadshow_id, {"status": RoadshowStatus.scheduled.value},
                                            {"$set": {"status": RoadshowStatus.live.value, "started_at": at,
                                                      "updated_at": at}})
        if updated is None:
            raise Conflict("The roadshow is not scheduled (already live or ended).", "路演不处于待开始状态。",
                           reason="NOT_SCHEDULED")
        return updated

    async def end(self, user: User, roadshow_id: str) -> Roadshow:
        roadshow = await self.get(roadshow_id)
        self.require_organiser(user, roadshow)
        at = now()
        updated = await self.repo.update_if(roadshow_id, {"status": RoadshowStatus.live.value},
                                            {"$set": {"status": RoadshowStatus.ended.value, "ended_at": at,
                                                      "phase": Phase.done.value, "phase_ends_at": None,
                                                      "updated_at": at}})
        if updated is None:
            raise Conflict("Only a live roadshow can be ended.", "只有进行中的路演可以结束。", reason="NOT_LIVE")
        try:
            await self.close_attendance_at_end(updated)
        except PyMongoError as error:  # analytics and the next start-up close them just the same
            log.warning("could not close attendance of roadshow %s at its end: %s", roadshow_id, error)
        return updated

    async def cancel(self, user: User, roadshow_id: str) -> Roadshow:
        """Call off a roadshow that has not started (a live one is ended instead)."""
        roadshow = await self.get(roadshow_id)
        self.require_organiser(user, roadshow)
        at = now()
        updated = await self.repo.update_if(roadshow_id, {"status": RoadshowStatus.scheduled.value},
                                            {"$set": {"status": RoadshowStatus.cancelled.value, "cancelled_at": at,
                                                      "updated_at": at}})
        if updated is None:
            raise Conflict("Only a roadshow that has not started can be cancelled.", "只有尚未开始的路演可以取消。",
                           reason="NOT_SCHEDULED")
        return updated

    # -- attendance left open (a process that died, a socket that never said goodbye) ----------------
    async def _close_open(self, rows: list[dict[str, Any]], ended: dict[str, datetime], reason: str,
                          stale_after: timedelta, dead_origin: str | None = None) -> int:
        if not rows:
            return 0
        presence = await self.repo.last_presence(sorted({r["roadshow_id"] for r in rows}))
        at, closed = now(), 0
        for row in rows:
            left = close_time(row, presence, at, stale_after, ended.get(row["roadshow_id"]), dead_origin)
            if left is not None and await self.repo.close_attendance_row(row["_id"], left, reason):
                closed += 1
        return closed

    async def close_attendance_at_end(self, roadshow: Roadshow, stale_after: timedelta = STALE_AFTER) -> int:
        assert roadshow.ended_at is not None
        rows = await self.repo.open_attendance_rows(roadshow.id)
        return await self._close_open(rows, {roadshow.id: roadshow.ended_at}, "end", stale_after)

    async def close_attendance_on_rejoin(self, roadshow_id: str, user_id: str, origin: str,
                                         stale_after: timedelta = STALE_AFTER) -> int:
        """The user enters on ``origin``, which held no connection of theirs: their open rows of that process
        and of processes gone are left over from a crash or a lost leave."""
        rows = await self.repo.open_attendance_rows(roadshow_id, user_id)
        return await self._close_open(rows, {}, "rejoin", stale_after, dead_origin=origin)

    async def close_stale_attendance(self, stale_after: timedelta = STALE_AFTER) -> int:
        """At start-up: open rows of ended roadshows, and of processes gone, in every roadshow."""
        rows = await self.repo.open_attendance_rows()
        if not rows:
            return 0
        ids = sorted({r["roadshow_id"] for r in rows})
        ended = {r.id: r.ended_at for r in await self.repo.by_ids(ids)
                 if r is not None and r.status is RoadshowStatus.ended and r.ended_at is not None}
        return await self._close_open(rows, ended, "start-up", stale_after)

    # -- after the event -------------------------------------------------------------------------
    async def _results_roadshow(self, user: User, roadshow_id: str) -> Roadshow:
        roadshow = await self.get(roadshow_id)
        # The record is the participants': everyone the room was open to (the analytics are aggregates; who
        # signalled interest is filtered per reader in ``transcript``).
        if not (self.may_read_results(user, roadshow) or self.may_enter(user, roadshow)):
            raise Forbidden("Only the roadshow's participants may read its record.",
                            "只有路演的参与者可以查看路演记录。")
        if roadshow.status is not RoadshowStatus.ended:
            raise Conflict("The roadshow has not ended yet.", "路演尚未结束。", reason="NOT_ENDED")
        return roadshow

    async def transcript(self, user: User, roadshow_id: str) -> tuple[Roadshow, list[dict[str, Any]]]:
        """Chat (without removed messages), questions (without hidden ones, with answers) and interest,
        merged in time order."""
        roadshow = await self._results_roadshow(user, roadshow_id)
        entries: list[dict[str, Any]] = []
        for m in await self.repo.all_messages(roadshow_id):
            if not m.get("removed"):
                entries.append({"kind": "chat", "at": m["at"], "author_name": m["author_name"],
                                "author_organisation": m.get("author_organisation", ""), "text": m["text"],
                                "pitch_index": m.get("pitch_index"), "answer": None, "upvotes": 0})
        for q in await self.repo.questions_of(roadshow_id):
            if not q.get("hidden"):
                entries.append({"kind": "question", "at": q["at"], "author_name": q["author_name"],
                                "author_organisation": q.get("author_organisation", ""), "text": q["text"],
                                "pitch_index": q.get("pitch_index"), "answer": (q.get("answer") or {}).get("text"),
                                "upvotes": q.get("upvotes", 0)})
        # Which investor is interested is the organisers' (and that startup's) business: in the room only
        # moderators see it, so a presenting startup's transcript names only the interest in its own pitches,
        # and an investor's only their own.
        sees_all = self.is_moderator(user, roadshow) or (
            user.role is Role.manager and roadshow.incubator_id is not None and user.incubator_id == roadshow.incubator_id)
        for lead in await self.repo.leads_of(roadshow_id):
            if not sees_all and not (user.startup_id and lead.get("startup_id") == user.startup_id) \
                    and lead.get("investor_user_id") != user.id:
                continue
            entries.append({"kind": "interest", "at": lead["at"], "author_name": lead.get("investor_name", ""),
                            "author_organisation": lead.get("investor_organisation", ""), "text": "",
                            "pitch_index": lead.get("pitch_index"), "answer": None, "upvotes": 0})
        entries.sort(key=lambda e: e["at"])
        return roadshow, entries

    async def analytics(self, user: User, roadshow_id: str) -> tuple[Roadshow, dict[str, Any]]:
        roadshow = await self._results_roadshow(user, roadshow_id)
        pitch_windows = pitch_windows_of(roadshow)
        attendance = await self.repo.attendance_of(roadshow_id)
        # A row still open (its process died after the end was closing rows) counts until its last presence.
        open_rows = [a for a in attendance if a.get("left_at") is None]
        presence = await self.repo.last_presence([roadshow_id]) if open_rows else {}
        questions = [q for q in await self.repo.questions_of(roadshow_id) if not q.get("hidden")]  # as the transcript
        leads = await self.repo.leads_of(roadshow_id)
        assert roadshow.started_at is not None and roadshow.ended_at is not None
        result = attendance_analytics(
            [(a["user_id"], a["joined_at"], a.get("left_at") or close_time(a, presence, now(), STALE_AFTER,
                                                                            roadshow.ended_at))
             for a in attendance],
            roadshow.started_at, roadshow.ended_at, pitch_windows)
        result["questions"] = len(questions)
        result["interest_count"] = len(leads)
        for pitch in result["pitches"]:
            index = pitch["index"]
            pitch["questions"] = sum(1 for q in questions if q.get("pitch_index") == index)
            pitch["interest_count"] = sum(1 for lead in leads if lead.get("pitch_index") == index)
            pitch["startup_id"] = roadshow.agenda[index].startup_id
            pitch["reactions"] = sum((roadshow.reactions.get(str(index)) or {}).values())
        return roadshow, result


def pitch_windows_of(roadshow: Roadshow) -> list[tuple[int, datetime, datetime]]:
    """(index, from, to) of each pitch as it ran: from its start to the next start or the end."""
    end = roadshow.ended_at or now()
    times = roadshow.pitch_times
    windows: list[tuple[int, datetime, datetime]] = []
    for position, entry in enumerate(times):
        until = times[position + 1]["started_at"] if position + 1 < len(times) else end
        if until > entry["started_at"] and int(entry["index"]) >= 0:  # index -1 marks "agenda done"
            windows.append((int(entry["index"]), entry["started_at"], until))
    return windows


def roadshow_service(state: Any) -> RoadshowService:
    """The service for this app (built once, kept in ``state.extras``)."""
    service = state.extras.get("roadshow_service")
    if service is None:
        service = state.extras["roadshow_service"] = RoadshowService(RoadshowRepository(state.db), state.users,
                                                                     state.startups)
    return service  # type: ignore[no-any-return]
