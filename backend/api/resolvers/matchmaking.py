"""Matchmaking over GraphQL: profiles, recommendations, interest/decline, matches, negotiation history,
sessions (assign, lock, swap, schedules) and signed cooperations."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import strawberry
from strawberry import Info

from backend.api.inputs.matchmaking import (
    CooperationInput,
    CounterpartInput,
    CreateSessionInput,
    StartupProfileInput,
)
from backend.api.permissions import IsAuthenticated, roles
from backend.api.types.matchmaking import (
    Cooperation,
    Counterpart,
    CounterpartConnection,
    CounterpartKind,
    DecisionResult,
    Match,
    MatchConnection,
    MatchDecision,
    MatchmakingSession,
    MatchReason,
    NegotiationMessage,
    Recommendation,
    RecommendationPage,
    StartupProfile,
    StartupProfileConnection,
)
from backend.core.errors import BadUserInput, NotFound
from backend.pagination import check_page_size, decode_cursor, encode_cursor
from backend.users.models import Role
from cloud_incubator.matchmaking.models import Decision
from cloud_incubator.matchmaking.service import service

Parties = roles(Role.admin, Role.manager, Role.startup, Role.investor)
Organisers = roles(Role.admin, Role.manager)


def _plain(value: object) -> object:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _values(value)
    return getattr(value, "value", value)


def _values(payload: object) -> dict[str, object]:
    return {f.name: _plain(getattr(payload, f.name)) for f in dataclasses.fields(payload)}  # type: ignore[arg-type]


def _offset(after: str | None) -> int:
    raw = decode_cursor(after)
    if raw is None:
        return 0
    if not raw.startswith("o") or not raw[1:].isdigit():
        raise BadUserInput.single("after", "The cursor is not valid: use one returned by this query.",
                                  "游标无效：请使用本查询返回的游标。")
    return int(raw[1:])


def _time_cursor(cursor: str | None, field: str) -> tuple[datetime, str] | None:
    raw = decode_cursor(cursor, field)
    if raw is None:
        return None
    try:
        at, _, key = raw.partition("|")
        return datetime.fromisoformat(at), key
    except ValueError as error:
        raise BadUserInput.single(field, "The cursor is not valid: use one returned by this query.",
                                  "游标无效：请使用本查询返回的游标。") from error


@strawberry.type
class MatchmakingQueries:
    @strawberry.field(permission_classes=[IsAuthenticated], description="A startup's profile.")
    async def startup_profile(self, info: Info, id: strawberry.ID) -> StartupProfile:
        found = (await info.context.state.startups.by_ids([str(id)]))[0]
        if found is None:
            raise NotFound("No startup has this id.", "不存在此编号的企业。", field="id")
        return StartupProfile.from_model(found)

    @strawberry.field(permission_classes=[IsAuthenticated], description="Startup profiles, optionally of one incubator.")
    async def startup_profiles(self, info: Info, incubator_id: strawberry.ID | None = None, first: int = 50,
                               after: str | None = None) -> StartupProfileConnection:
        check_page_size(first)
        rows = await info.context.state.startups.page(str(incubator_id) if incubator_id else None,
                                                      decode_cursor(after), first + 1)
        page = rows[:first]
        return StartupProfileConnection(nodes=[StartupProfile.from_model(r) for r in page],
                                        end_cursor=encode_cursor(page[-1].id) if page else None,
                                        has_next_page=len(rows) > first)

    @strawberry.field(permission_classes=[IsAuthenticated], description="An investor, open call or provider.")
    async def counterpart(self, info: Info, id: strawberry.ID) -> Counterpart:
        return Counterpart.from_model(await service(info.context.state).counterpart(str(id), "id"))

    @strawberry.field(permission_classes=[IsAuthenticated], description="Investors, open calls, providers.")
    async def counterparts(self, info: Info, kind: CounterpartKind | None = None, first: int = 50,  # type: ignore[valid-type]
                           after: str | None = None) -> CounterpartConnection:
        check_page_size(first)
        rows = await service(info.context.state).repo.page_counterparts(kind.value if kind else None,
                                                                        decode_cursor(after), first + 1)
        page = rows[:first]
        return CounterpartConnection(nodes=[Counterpart.from_model(r) for r in page],
                                     end_cursor=encode_cursor(page[-1].id) if page else None,
                                     has_next_page=len(rows) > first)

    @strawberry.field(permission_classes=[roles(Role.investor)], description="The signed-in investor's own profile.")
    async def my_investor_profile(self, info: Info) -> Counterpart | None:
        found = await service(info.context.state).repo.counterpart_of_user(info.context.require_user().id)
        return Counterpart.from_model(found) if found else None

    @strawberry.field(permission_classes=[Parties],
                      description="A party's best counterparts (for a startup) or startups (for a counterpart), "
                                  "best first, with reasons; excluded pairs are left out. A startup's: the "
                                  "startup, its incubator's manager, admins; a counterpart's: the investor's own "
                                  "account (or the manager who posted it), admins.")
    async def recommendations(self, info: Info, party_id: strawberry.ID, kind: CounterpartKind | None = None,  # type: ignore[valid-type]
                              first: int = 10, after: str | None = None) -> RecommendationPage:
        check_page_size(first)
        offset = _offset(after)
        rows, total = await service(info.context.state).recommendations(
            info.context.require_user(), str(party_id), kind.value if kind else None, first, offset)
        nodes = [Recommendation(
            startup=StartupProfile.from_model(r.startup), counterpart=Counterpart.from_model(r.counterpart),
            score=r.score, reasons=[MatchReason(code=x["code"], points=x["points"], en=x["en"], zh=x["zh"])
                                    for x in r.reasons],
            my_decision=MatchDecision(r.my_decision) if r.my_decision else None,
            their_decision=MatchDecision(r.their_decision) if r.their_decision else None,
            matched=r.matched) for r in rows]
        end = offset + len(rows)
        return RecommendationPage(nodes=nodes, total_count=total, end_cursor=encode_cursor(f"o{end}") if rows else None,
                                  has_next_page=end < total)

    @strawberry.field(permission_classes=[IsAuthenticated], description="The viewer's matches, newest first.")
    async def matches(self, info: Info, first: int = 20, after: str | None = None) -> MatchConnection:
        check_page_size(first)
        rows = await service(info.context.state).matches(info.context.require_user(), first + 1,
                                                          _time_cursor(after, "after"))
        page = rows[:first]
        end = encode_cursor(f"{page[-1].created_at.isoformat()}|{page[-1].id}") if page else None
        return MatchConnection(nodes=[Match.from_model(m) for m in page], end_cursor=end,
                               has_next_page=len(rows) > first)

    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="A negotiation thread, newest first (live messages arrive over /ws/v1).")
    async def negotiation_messages(self, info: Info, match_id: strawberry.ID, first: int = 50,
                                   before: str | None = None) -> list[NegotiationMessage]:
        check_page_size(first)
        rows = await service(info.context.state).history(info.context.require_user(), str(match_id),
                                                          _time_cursor(before, "before"), first)
        return [NegotiationMessage.from_model(m) for m in rows]

    @strawberry.field(permission_classes=[IsAuthenticated], description="A session with its full schedule.")
    async def matchmaking_session(self, info: Info, id: strawberry.ID) -> MatchmakingSession:
        return MatchmakingSession.from_model(await service(info.context.state).session_for(
            info.context.require_user(), str(id)))

    @strawberry.field(permission_classes=[Organisers], description="Sessions, newest first (managers: their own).")
    async def matchmaking_sessions(self, info: Info, first: int = 20) -> list[MatchmakingSession]:
        check_page_size(first)
        user = info.context.require_user()
        rows = await service(info.context.state).repo.sessions_page(None if user.role is Role.admin else user.id, first)
        return [MatchmakingSession.from_model(s) for s in rows]

    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="The signed-in startup's or investor's meetings, per session.")
    async def my_schedule(self, info: Info) -> list[MatchmakingSession]:
        rows = await service(info.context.state).my_schedule(info.context.require_user())
        return [MatchmakingSession.from_model(s, meetings) for s, meetings in rows]


@strawberry.type
class MatchmakingMutations:
    @strawberry.mutation(permission_classes=[Organisers],
                         description="Add a startup profile (managers: to their own incubator).")
    async def create_startup_profile(self, info: Info, input: StartupProfileInput) -> StartupProfile:
        return StartupProfile.from_model(await service(info.context.state).create_startup(
            info.context.require_user(), _values(input)))

    @strawberry.mutation(permission_classes=[roles(Role.admin, Role.manager, Role.startup)],
                         description="Edit a startup profile: the startup itself, its incubator's manager or an admin; "
                                     "only an admin moves it to another incubator (incubatorId).")
    async def update_startup_profile(self, info: Info, startup_id: strawberry.ID,
                                     input: StartupProfileInput) -> StartupProfile:
        return StartupProfile.from_model(await service(info.context.state).update_startup(
            info.context.require_user(), str(startup_id), _values(input)))

    @strawberry.mutation(permission_classes=[roles(Role.admin, Role.manager, Role.investor)],
                         description="Create (no id) or update an investor profile, open call or provider offer. "
                                     "Investors maintain only their own investor profile.")
    async def save_counterpart(self, info: Info, input: CounterpartInput, id: strawberry.ID | None = None) -> Counterpart:
        values = _values(input)
        kind = str(values.pop("kind"))
        return Counterpart.from_model(await service(info.context.state).save_counterpart(
            info.context.require_user(), str(id) if id else None, kind, values))

    @strawberry.mutation(permission_classes=[Parties],
                         description="Mark interest in, or decline, a pair. Mutual interest creates a match and "
                                     "notifies both sides over /ws/v1 (match.created).")
    async def decide_on_match(self, info: Info, startup_id: strawberry.ID, counterpart_id: strawberry.ID,
                              decision: MatchDecision) -> DecisionResult:  # type: ignore[valid-type]
        match, created = await service(info.context.state).decide(
            info.context.require_user(), str(startup_id), str(counterpart_id), Decision(decision.value))
        return DecisionResult(match=Match.from_model(match) if match else None, match_created=created)

    @strawberry.mutation(permission_classes=[Organisers], description="Set up a matchmaking session.")
    async def create_matchmaking_session(self, info: Info, input: CreateSessionInput) -> MatchmakingSession:
        values = _values(input)
        values["incubator_id"] = str(values["incubator_id"]) if values.get("incubator_id") else None
        for key in ("startups", "counterparts"):
            values[key] = [{**r, "party_id": str(r["party_id"])} for r in values[key]]  # type: ignore[attr-defined, union-attr]
        return MatchmakingSession.from_model(await service(info.context.state).create_session(
            info.context.require_user(), values))

    @strawberry.mutation(permission_classes=[Organisers],
                         description="Assign meetings maximising total compatibility (locked meetings are kept).")
    async def assign_matchmaking_session(self, info: Info, session_id: strawberry.ID) -> MatchmakingSession:
        return MatchmakingSession.from_model(await service(info.context.state).assign_session(
            info.context.require_user(), str(session_id)))

    @strawberry.mutation(permission_classes=[Organisers], description="Lock (keep on re-assignment) or unlock a meeting. `version`: the schedule version shown; "
                                                                       "a changed schedule gets CONFLICT.")
    async def lock_session_meeting(self, info: Info, session_id: strawberry.ID, meeting_id: strawberry.ID,
                                   locked: bool = True, version: int | None = None) -> MatchmakingSession:
        return MatchmakingSession.from_model(await service(info.context.state).lock_meeting(
            info.context.require_user(), str(session_id), str(meeting_id), locked, version))

    @strawberry.mutation(permission_classes=[Organisers],
                         description="Exchange the time slots of two meetings (both become locked). `version`: the "
                                     "schedule version shown; a changed schedule gets CONFLICT.")
    async def swap_session_meetings(self, info: Info, session_id: strawberry.ID, meeting_a: strawberry.ID,
                                    meeting_b: strawberry.ID, version: int | None = None) -> MatchmakingSession:
        return MatchmakingSession.from_model(await service(info.context.state).swap_meetings(
            info.context.require_user(), str(session_id), str(meeting_a), str(meeting_b), version))

    @strawberry.mutation(permission_classes=[Parties], description="Record a signed cooperation (合作签约) for a match.")
    async def record_cooperation(self, info: Info, input: CooperationInput) -> Cooperation:
        values = _values(input)
        values["match_id"] = str(values["match_id"])
        return Cooperation.from_model(await service(info.context.state).record_cooperation(
            info.context.require_user(), values))
