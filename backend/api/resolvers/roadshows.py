from __future__ import annotations

import asyncio
from typing import Any

import strawberry
from strawberry import Info

from backend.api.inputs.roadshows import AgendaItemInput, ScheduleRoadshowInput, UpdateRoadshowInput
from backend.api.permissions import IsAuthenticated, roles
from backend.api.types import roadshows as t
from backend.errors import NotFound
from backend.pagination import check_page_size
from backend.roadshows import models
from backend.roadshows.service import roadshow_service
from backend.roadshows.slides import signed_slide_url
from backend.users.models import Role, User


def _agenda(items: list[AgendaItemInput]) -> list[dict[str, Any]]:
    return [{"startup_id": str(i.startup_id), "pitch_minutes": i.pitch_minutes, "qa_minutes": i.qa_minutes,
             "stream_url": (i.stream_url or "").strip() or None} for i in items]


def _values(payload: ScheduleRoadshowInput | UpdateRoadshowInput) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in ("title_zh", "title_en", "starts_at", "industry_focus"):
        value = getattr(payload, name)
        if value is not None:
            values[name] = value
    if payload.agenda is not None:
        values["agenda"] = _agenda(payload.agenda)
    if payload.audience is not None:
        values["audience"] = payload.audience.value
    for name in ("moderator_ids", "invited_user_ids"):
        value = getattr(payload, name)
        if value is not None:
            values[name] = [str(v) for v in value]
    return values


async def to_type(info: Info, roadshow: models.Roadshow) -> t.Roadshow:
    state = info.context.state
    service = roadshow_service(state)
    # DataLoaders: a list of roadshows costs one startups query and one decks query in all.
    startups = await info.context.loaders.startup.load_many(roadshow.startup_ids())
    decks = {d.pitch_index: d for d in await info.context.loaders.roadshow_decks.load(roadshow.id)}
    user: User = info.context.require_user()
    agenda = []
    for index, (item, startup) in enumerate(zip(roadshow.agenda, startups, strict=True)):
        deck = decks.get(index)
        agenda.append(t.AgendaItem(
            index=index, startup_id=strawberry.ID(item.startup_id),
            startup_name_zh=startup.name_zh if startup else "", startup_name_en=startup.name_en if startup else "",
            pitch_minutes=item.pitch_minutes, qa_minutes=item.qa_minutes, stream_url=item.stream_url,
            slides=t.SlideDeck(kind=deck.kind, pages=deck.pages,
                               urls=[signed_slide_url(state, roadshow.id, f.file_id) for f in deck.files])
            if deck else None))
    return t.Roadshow(
        id=strawberry.ID(roadshow.id), title_zh=roadshow.title_zh, title_en=roadshow.title_en,
        starts_at=roadshow.starts_at, industry_focus=roadshow.industry_focus, agenda=agenda,
        moderator_ids=[strawberry.ID(i) for i in roadshow.moderator_ids],
        audience=t.RoadshowAudience(roadshow.audience.value),
        invited_user_ids=[strawberry.ID(i) for i in roadshow.invited_user_ids],
        organiser_id=strawberry.ID(roadshow.organiser_id), status=t.RoadshowStatus(roadshow.status.value),
        pitch_index=roadshow.pitch_index, phase=t.RoadshowPhase(roadshow.phase.value),
        started_at=roadshow.started_at, ended_at=roadshow.ended_at,
        can_moderate=service.is_moderator(user, roadshow))


@strawberry.type
class RoadshowQueries:
    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="Roadshows open to the caller, newest start first (optionally one status); "
                                  "`after` = the id of the last roadshow of the previous page.")
    async def roadshows(self, info: Info, status: t.RoadshowStatus | None = None,  # type: ignore[valid-type]
                        first: int = 50, after: strawberry.ID | None = None) -> list[t.Roadshow]:
        user = info.context.require_user()
        service = roadshow_service(info.context.state)
        check_page_size(first)
        before = None
        if after is not None:
            last = await service.repo.get(str(after))
            if last is None:
                raise NotFound("No roadshow has this id.", "不存在此编号的路演。", field="after")
            before = (last.starts_at, last.id)
        rows = await service.visible(user, status.value if status else None, first, before)
        return list(await asyncio.gather(*(to_type(info, r) for r in rows)))

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def roadshow(self, info: Info, id: strawberry.ID) -> t.Roadshow:
        user = info.context.require_user()
        service = roadshow_service(info.context.state)
        found = await service.get(str(id))
        if not service.may_enter(user, found):
            raise NotFound("No roadshow has this id.", "不存在此编号的路演。", field="id")
        return await to_type(info, found)

    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="After the event: chat, questions (with answers) and interest, in time order. "
                                  "For organisers and presenting startups.")
    async def roadshow_transcript(self, info: Info, id: strawberry.ID) -> t.RoadshowTranscript:
        user = info.context.require_user()
        roadshow, entries = await roadshow_service(info.context.state).transcript(user, str(id))
        return t.RoadshowTranscript(roadshow=await to_type(info, roadshow),
                                    entries=[t.TranscriptEntry(**e) for e in entries])

    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="After the event: attendance (peak, average, per pitch), questions, interest. "
                                  "For organisers and presenting startups.")
    async def roadshow_analytics(self, info: Info, id: strawberry.ID) -> t.RoadshowAnalytics:
        user = info.context.require_user()
        roadshow, result = await roadshow_service(info.context.state).analytics(user, str(id))
        pitches = [t.PitchAnalytics(index=p["index"], startup_id=strawberry.ID(p["startup_id"]),
                                    viewers=p["viewers"], peak_viewers=p["peak_viewers"],
                                    average_viewers=p["average_viewers"], questions=p["questions"],
                                    interest_count=p["interest_count"], reactions=p["reactions"])
                   for p in result["pitches"] if p["index"] >= 0]
        return t.RoadshowAnalytics(roadshow=await to_type(info, roadshow), unique_viewers=result["unique_viewers"],
                                   peak_viewers=result["peak_viewers"], average_viewers=result["average_viewers"],
                                   duration_seconds=result["duration_seconds"], questions=result["questions"],
                                   interest_count=result["interest_count"], pitches=pitches)


@strawberry.type
class RoadshowMutations:
    @strawberry.mutation(permission_classes=[roles(Role.admin, Role.manager)],
                         description="Managers and admins schedule a roadshow; the organiser moderates it.")
    async def schedule_roadshow(self, info: Info, input: ScheduleRoadshowInput) -> t.Roadshow:
        user = info.context.require_user()
        roadshow = await roadshow_service(info.context.state).schedule(user, _values(input))
        return await to_type(info, roadshow)

    @strawberry.mutation(permission_classes=[IsAuthenticated],
                         description="Organisers edit or reschedule a scheduled roadshow; its room is told live.")
    async def update_roadshow(self, info: Info, id: strawberry.ID, input: UpdateRoadshowInput) -> t.Roadshow:
        from cloud_incubator.rooms.actions import announce_update

        user = info.context.require_user()
        roadshow = await roadshow_service(info.context.state).update(user, str(id), _values(input))
        await announce_update(info.context.state, roadshow)
        return await to_type(info, roadshow)

    @strawberry.mutation(permission_classes=[IsAuthenticated],
                         description="Organisers: scheduled → cancelled; its room is told live.")
    async def cancel_roadshow(self, info: Info, id: strawberry.ID) -> t.Roadshow:
        from cloud_incubator.rooms.actions import announce_status

        user = info.context.require_user()
        roadshow = await roadshow_service(info.context.state).cancel(user, str(id))
        await announce_status(info.context.state, roadshow)
        return await to_type(info, roadshow)

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Moderators: scheduled → live.")
    async def start_roadshow(self, info: Info, id: strawberry.ID) -> t.Roadshow:
        from cloud_incubator.rooms.actions import announce_status

        user = info.context.require_user()
        roadshow = await roadshow_service(info.context.state).start(user, str(id))
        await announce_status(info.context.state, roadshow)
        return await to_type(info, roadshow)

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Moderators: live → ended.")
    async def end_roadshow(self, info: Info, id: strawberry.ID) -> t.Roadshow:
        from cloud_incubator.rooms.actions import announce_status

        user = info.context.require_user()
        roadshow = await roadshow_service(info.context.state).end(user, str(id))
        await announce_status(info.context.state, roadshow)
        return await to_type(info, roadshow)
