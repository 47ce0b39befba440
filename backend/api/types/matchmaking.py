"""GraphQL types of matchmaking: profiles, recommendations with reasons, matches, sessions, cooperations."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

import strawberry
from strawberry import Info
from strawberry.dataloader import DataLoader

from backend.api.types.incubator import Industry
from backend.startups.models import StartupProfile as StartupModel
from cloud_incubator.matchmaking import models
from cloud_incubator.matchmaking.scoring import NEEDS, STAGES
from cloud_incubator.matchmaking.service import service

Stage = strawberry.enum(Enum("Stage", {s.upper(): s for s in STAGES}),
                        description="Funding stage: seed 种子 / angel 天使 / pre-A / A / B / C+")
Need = strawberry.enum(Enum("Need", {n.upper(): n for n in NEEDS}),
                       description="What a startup needs (and a counterpart serves): funding, supply-chain partners, "
                                   "IP services, market access, office space, legal, finance")
CounterpartKind = strawberry.enum(Enum("CounterpartKind", {m.name.upper(): m.value for m in models.CounterpartKind}),
                                  description="investor 投资机构 / firm call 大企业揭榜需求 / provider 服务机构")
MatchDecision = strawberry.enum(Enum("MatchDecision", {m.name.upper(): m.value for m in models.Decision}),
                                description="A party's decision on a recommended pair")
CooperationType = strawberry.enum(Enum("CooperationType", {m.name.upper(): m.value for m in models.CooperationType}),
                                  description="investment 投资 / supply chain 产业链供应链 / service 服务 / other")


def _loaders(info: Info) -> tuple[DataLoader[str, StartupModel | None], DataLoader[str, models.Counterpart | None]]:
    loaders = info.context.loaders
    return loaders.startup, loaders.counterpart


async def load_startup(info: Info, startup_id: str) -> StartupProfile | None:
    found = await _loaders(info)[0].load(startup_id)
    return StartupProfile.from_model(found) if found else None


async def load_counterpart(info: Info, counterpart_id: str) -> Counterpart | None:
    found = await _loaders(info)[1].load(counterpart_id)
    return Counterpart.from_model(found) if found else None


def _enum(kind: Any, value: str | None) -> Any:
    return kind(value) if value is not None else None


@strawberry.type(description="A startup's profile with its matchmaking fields. Amounts in 10k CNY (万元).")
class StartupProfile:
    id: strawberry.ID
    name_zh: str
    name_en: str
    incubator_id: strawberry.ID | None
    industry: Industry  # type: ignore[valid-type]
    stage: Stage | None  # type: ignore[valid-type]
    founded_year: int | None
    team_size: int | None
    description: str
    tags: list[str]
    needs: list[Need]  # type: ignore[valid-type]
    ask_min: float | None = strawberry.field(description="Funding sought, lower end (10k CNY)")
    ask_max: float | None = strawberry.field(description="Funding sought, upper end (10k CNY)")
    supply_need: str = strawberry.field(description="Supply-chain partners sought: what product or capability")
    offers: str
    updated_at: datetime | None

    @classmethod
    def from_model(cls, s: StartupModel) -> StartupProfile:
        return cls(id=strawberry.ID(s.id), name_zh=s.name_zh, name_en=s.name_en,
                   incubator_id=strawberry.ID(s.incubator_id) if s.incubator_id else None,
                   industry=Industry(s.industry if s.industry in {m.value for m in Industry} else "other"),
                   stage=_enum(Stage, s.stage), founded_year=s.founded_year, team_size=s.team_size,
                   description=s.description, tags=s.tags, needs=[Need(n) for n in s.needs], ask_min=s.ask_min,
                   ask_max=s.ask_max, supply_need=s.supply_need, offers=s.offers, updated_at=s.updated_at)


@strawberry.type(description="An investor profile, a large firm's open call (揭榜挂帅) or a service provider's offer.")
class Counterpart:
    id: strawberry.ID
    kind: CounterpartKind  # type: ignore[valid-type]
    name_zh: str
    name_en: str
    organisation: str
    industries: list[Industry]  # type: ignore[valid-type]
    stages: list[Stage]  # type: ignore[valid-type]
    ticket_min: float | None = strawberry.field(description="Investors: smallest ticket (10k CNY)")
    ticket_max: float | None = strawberry.field(description="Investors: largest ticket (10k CNY)")
    region: str
    tags: list[str]
    description: str
    serves: list[Need] = strawberry.field(description="Needs this counterpart serves")  # type: ignore[valid-type]
    deadline: date | None = strawberry.field(description="Open calls: the last day to respond")
    has_account: bool = strawberry.field(description="An investor with their own sign-in")
    updated_at: datetime

    @classmethod
    def from_model(cls, c: models.Counterpart) -> Counterpart:
        return cls(id=strawberry.ID(c.id), kind=CounterpartKind(c.kind.value), name_zh=c.name_zh, name_en=c.name_en,
                   organisation=c.organisation, industries=[Industry(i) for i in c.industries],
                   stages=[Stage(s) for s in c.stages], ticket_min=c.ticket_min, ticket_max=c.ticket_max,
                   region=c.region, tags=c.tags, description=c.description, serves=[Need(n) for n in c.serves],
                   deadline=c.deadline, has_account=c.user_id is not None, updated_at=c.updated_at)


@strawberry.type(description="One reason for a compatibility score, with the points it adds.")
class MatchReason:
    code: str = strawberry.field(description="industry, stage, ticket, need, tags, text, roadshow")
    points: float
    en: str
    zh: str


@strawberry.type(description="A recommended pair, best first, with why.")
class Recommendation:
    startup: StartupProfile
    counterpart: Counterpart
    score: float = strawberry.field(description="Compatibility 0–100")
    reasons: list[MatchReason]
    my_decision: MatchDecision | None  # type: ignore[valid-type]
    their_decision: MatchDecision | None  # type: ignore[valid-type]
    matched: bool


@strawberry.type
class RecommendationPage:
    nodes: list[Recommendation]
    total_count: int
    end_cursor: str | None
    has_next_page: bool


@strawberry.type(description="A signed cooperation (合作签约) concluded from a match.")
class Cooperation:
    id: strawberry.ID
    match_id: strawberry.ID | None
    startup_id: strawberry.ID
    counterpart_id: strawberry.ID
    type: CooperationType  # type: ignore[valid-type]
    amount: float | None = strawberry.field(description="10k CNY")
    signed_on: date
    quarter: str
    note: str

    @classmethod
    def from_model(cls, c: models.Cooperation) -> Cooperation:
        return cls(id=strawberry.ID(c.id), match_id=strawberry.ID(c.match_id) if c.match_id else None,
                   startup_id=strawberry.ID(c.startup_id), counterpart_id=strawberry.ID(c.counterpart_id),
                   type=CooperationType(c.type.value), amount=c.amount, signed_on=c.signed_on, quarter=c.quarter,
                   note=c.note)


@strawberry.type(description="Mutual interest between a startup and a counterpart.")
class Match:
    id: strawberry.ID
    startup_id: strawberry.ID
    counterpart_id: strawberry.ID
    score: float
    created_at: datetime

    @strawberry.field
    async def startup(self, info: Info) -> StartupProfile | None:
        return await load_startup(info, str(self.startup_id))

    @strawberry.field
    async def counterpart(self, info: Info) -> Counterpart | None:
        return await load_counterpart(info, str(self.counterpart_id))

    @strawberry.field(description="Signed cooperations recorded for this match")
    async def cooperations(self, info: Info) -> list[Cooperation]:
        rows = await service(info.context.state).repo.cooperations_of_match(str(self.id))
        return [Cooperation.from_model(r) for r in rows]

    @classmethod
    def from_model(cls, m: models.Match) -> Match:
        return cls(id=strawberry.ID(m.id), startup_id=strawberry.ID(m.startup_id),
                   counterpart_id=strawberry.ID(m.counterpart_id), score=m.score, created_at=m.created_at)


@strawberry.type
class MatchConnection:
    nodes: list[Match]
    end_cursor: str | None
    has_next_page: bool


@strawberry.type
class DecisionResult:
    match: Match | None = strawberry.field(description="The match, when both sides are interested")
    match_created: bool = strawberry.field(description="True when this decision created the match")


@strawberry.type(description="One message of a negotiation thread (线上沟通洽谈).")
class NegotiationMessage:
    id: strawberry.ID
    match_id: strawberry.ID
    sender_user_id: strawberry.ID
    sender_name: str
    text: str
    at: datetime

    @classmethod
    def from_model(cls, m: models.Message) -> NegotiationMessage:
        return cls(id=strawberry.ID(m.id), match_id=strawberry.ID(m.match_id),
                   sender_user_id=strawberry.ID(m.sender_user_id), sender_name=m.sender_name, text=m.text, at=m.at)


@strawberry.type
class SessionParticipant:
    party_id: strawberry.ID
    capacity: int
    unavailable: list[int] = strawberry.field(description="Slot numbers (0-based) the party cannot attend")


@strawberry.type(description="One scheduled meeting of a matchmaking session.")
class SessionMeeting:
    id: strawberry.ID
    startup_id: strawberry.ID
    counterpart_id: strawberry.ID
    slot: int
    starts_at: datetime
    ends_at: datetime
    score: float
    locked: bool

    @strawberry.field
    async def startup(self, info: Info) -> StartupProfile | None:
        return await load_startup(info, str(self.startup_id))

    @strawberry.field
    async def counterpart(self, info: Info) -> Counterpart | None:
        return await load_counterpart(info, str(self.counterpart_id))

    @classmethod
    def from_model(cls, m: models.Meeting, session: models.Session) -> SessionMeeting:
        start = session.slots[m.slot]
        return cls(id=strawberry.ID(m.id), startup_id=strawberry.ID(m.startup_id),
                   counterpart_id=strawberry.ID(m.counterpart_id), slot=m.slot, starts_at=start,
                   ends_at=start + timedelta(minutes=session.meeting_minutes), score=m.score, locked=m.locked)


@strawberry.type(description="A matchmaking session (对接会): slots, participants and the assigned meetings.")
class MatchmakingSession:
    id: strawberry.ID
    title: str
    incubator_id: strawberry.ID | None
    slots: list[datetime]
    meeting_minutes: int
    startups: list[SessionParticipant]
    counterparts: list[SessionParticipant]
    meetings: list[SessionMeeting]
    optimal: bool | None = strawberry.field(description="True when the schedule is a proven optimum (before manual swaps)")
    total_score: float
    version: int

    @classmethod
    def from_model(cls, s: models.Session, meetings: list[models.Meeting] | None = None) -> MatchmakingSession:
        def parts(rows: list[models.Participant]) -> list[SessionParticipant]:
            return [SessionParticipant(party_id=strawberry.ID(p.party_id), capacity=p.capacity,
                                       unavailable=p.unavailable) for p in rows]

        return cls(id=strawberry.ID(s.id), title=s.title,
                   incubator_id=strawberry.ID(s.incubator_id) if s.incubator_id else None, slots=s.slots,
                   meeting_minutes=s.meeting_minutes, startups=parts(s.startups), counterparts=parts(s.counterparts),
                   meetings=[SessionMeeting.from_model(m, s) for m in (s.meetings if meetings is None else meetings)],
                   optimal=s.optimal, total_score=s.total_score, version=s.version)


@strawberry.type
class CounterpartConnection:
    nodes: list[Counterpart]
    end_cursor: str | None
    has_next_page: bool


@strawberry.type
class StartupProfileConnection:
    nodes: list[StartupProfile]
    end_cursor: str | None
    has_next_page: bool
