"""Demo roadshows: two past ones with a transcript and attendance, two upcoming (one invitation-only)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from backend.demo.seed import DemoContext
from backend.roadshows.service import roadshow_service
from backend.users.models import User


def _author(user: User) -> dict[str, Any]:
    return {"id": user.id, "name": user.display_name, "organisation": user.organisation, "role": user.role.value}


async def seed_roadshows(ctx: DemoContext) -> None:
    state = ctx.state
    repo = roadshow_service(state).repo
    users: dict[str, User] = {}
    for name in ("admin", "evaluator1", "manager01", "manager05", "manager09", "startup01", "startup02",
                 "startup03", "startup04", "startup05", "startup06", "investor01", "investor02", "investor03",
                 "investor04"):
        found = await state.users.by_username(name)
        if found is None:
            return  # not the demo park
        users[name] = found
    now = datetime.now(UTC).replace(microsecond=0)

    def roadshow(title_zh: str, title_en: str, starts: datetime, organiser: str, startups: list[int],
                 industries: list[str], audience: str, moderators: list[str], invited: list[str] | None = None,
                 stream: bool = False) -> dict[str, Any]:
        return {"_id": uuid.uuid4().hex[:16], "title_zh": title_zh, "title_en": title_en, "starts_at": starts,
                "industry_focus": industries,
                "agenda": [{"startup_id": f"demo-startup-{n:02d}", "pitch_minutes": 12, "qa_minutes": 8,
                            "stream_url": f"https://live.example.com/roadshow/{n}" if stream else None}
                           for n in startups],
                "moderator_ids": [users[organiser].id, *(users[m].id for m in moderators)], "audience": audience,
                "invited_user_ids": [users[i].id for i in invited or []], "organiser_id": users[organiser].id,
                "incubator_id": users[organiser].incubator_id, "status": "scheduled", "pitch_index": -1,
                "phase": "waiting", "phase_started_at": None, "phase_ends_at": None, "slides": {}, "pitch_times": [],
                "reactions": {}, "started_at": None, "ended_at": None, "created_at": now - timedelta(days=30),
                "updated_at": now}

    async def past(doc: dict[str, Any], viewers: list[str], chat: list[tuple[str, int, str]],
                   questions: list[tuple[str, int, str, str, int]], interest: list[tuple[str, int]]) -> None:
        start = doc["starts_at"]
        per_pitch = timedelta(minutes=20)
        doc.update(status="ended", started_at=start, ended_at=start + per_pitch * len(doc["agenda"]),
                   phase="done", pitch_index=len(doc["agenda"]) - 1,
                   pitch_times=[{"index": i, "started_at": start + per_pitch * i} for i in range(len(doc["agenda"]))],
                   reactions={str(i): {"clap": 30 + 7 * i, "like": 12 + i} for i in range(len(doc["agenda"]))})
        await repo.insert(doc)
        room = doc["_id"]
        for position, name in enumerate(viewers):
            joined = start + timedelta(minutes=position % 4)
            left = doc["ended_at"] - timedelta(minutes=(position * 3) % 10)
            await repo.attendance.insert_one({"roadshow_id": room, "user_id": users[name].id, "origin": "demo",
                                              "joined_at": joined, "left_at": left})
            u = users[name]
            await repo.participants.insert_one({"_id": f"{room}:{u.id}", "roadshow_id": room, "user_id": u.id,
                                                "name": u.display_name, "organisation": u.organisation,
                                                "role": u.role.value, "muted": False, "removed": False,
                                                "first_joined_at": joined})
        for seq, (name, index, text) in enumerate(chat, start=1):
            u = users[name]
            said = start + per_pitch * index + timedelta(minutes=2 + seq)
            data = {"message_id": uuid.uuid4().hex, "text": text, "author": _author(u), "pitch_index": index,
                    "at": said}
            await repo.log.insert_one({"_id": f"room:{room}#{seq:012d}", "topic": f"room:{room}", "seq": seq,
                                       "event": "chat.message", "data": data, "at": said, "origin": "demo"})
        for name, index, text, answer_by, upvotes in questions:
            u = users[name]
            answerer = users[answer_by]
            at = start + per_pitch * index + timedelta(minutes=13)
            await repo.add_question({"_id": uuid.uuid4().hex, "roadshow_id": room, "author": _author(u),
                                     "author_name": u.display_name, "author_organisation": u.organisation,
                                     "text": text, "pitch_index": index, "upvoters": [], "upvotes": upvotes,
                                     "answer": {"text": "感谢提问，我们会在会后提供详细资料。Thank you — details follow after the session.",
                                                "by": _author(answerer), "at": at + timedelta(minutes=2)},
                                     "pinned": upvotes >= 3, "hidden": False, "at": at})
        for name, index in interest:
            u = users[name]
            await repo.add_lead({"_id": uuid.uuid4().hex, "investor_user_id": u.id,
                                 "startup_id": doc["agenda"][index]["startup_id"], "roadshow_id": room,
                                 "pitch_index": index, "at": start + per_pitch * index + timedelta(minutes=15),
                                 "source": "roadshow", "investor_name": u.display_name,
                                 "investor_organisation": u.organisation})

    fintech = roadshow("金融街金融科技专场路演", "Financial Street fintech pitch day", now - timedelta(days=14),
                       "manager01", [1, 6], ["fintech"], "investors", ["evaluator1"], stream=True)
    await past(fintech, ["manager01", "evaluator1", "investor01", "investor02", "investor03", "startup01",
                         "startup06"],
               [("investor01", 0, "区块链存证的客户主要是哪些机构？"), ("investor02", 0, "Impressive traction this quarter."),
                ("evaluator1", 1, "普惠金融的风控模型很有特色。"), ("investor03", 1, "What is the default rate so far?")],
               [("investor02", 0, "链信科技的收费模式是什么？ What is the pricing model?", "startup01", 4),
                ("investor03", 1, "How do you acquire small-business customers?", "startup06", 2)],
               [("investor01", 0), ("investor02", 0), ("investor03", 1)])
    digital = roadshow("德胜数字产业路演", "Desheng digital industry roadshow", now - timedelta(days=5),
                       "admin", [2, 5], ["digital"], "registered", ["manager09"])
    await past(digital, ["admin", "manager09", "investor01", "investor04", "startup02", "startup05", "startup03"],
               [("investor04", 0, "算力调度平台支持国产芯片吗？"), ("startup03", 0, "Great demo!"),
                ("investor01", 1, "数据安全合规方面有哪些认证？")],
               [("investor04", 0, "What is your GPU utilisation gain?", "startup02", 3)],
               [("investor04", 0), ("investor01", 1)])
    await repo.insert(roadshow("北展文化科技路演", "Beizhan culture-tech roadshow", now + timedelta(days=3),
                               "manager05", [3, 4], ["culture_tech", "rd_design"], "registered", ["evaluator1"],
                               stream=True))
    await repo.insert(roadshow("闭门投资人专场（受邀）", "Closed-door investor session (invitation only)",
                               now + timedelta(days=10), "admin", [1, 2], ["fintech", "digital"], "invited",
                               ["manager01"], invited=["investor01", "investor02"]))
