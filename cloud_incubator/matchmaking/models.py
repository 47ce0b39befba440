"""Matchmaking documents: counterparts (investors, large-firm open calls, service providers), interests,
matches, negotiation messages, sessions and signed cooperations. Amounts are in 10k CNY (万元)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class CounterpartKind(StrEnum):
    investor = "investor"
    firm_call = "firm_call"     # a large firm's open call (揭榜挂帅): "we need a supplier of X"
    provider = "provider"       # a service provider's offer (IP, legal, finance, ...)


class Decision(StrEnum):
    interested = "interested"
    declined = "declined"


class Side(StrEnum):
    startup = "startup"
    counterpart = "counterpart"


class CooperationType(StrEnum):
    investment = "investment"
    supply_chain = "supply_chain"
    service = "service"
    other = "other"


class Counterpart(BaseModel):
    id: str = Field(alias="_id")
    kind: CounterpartKind
    name_zh: str
    name_en: str
    organisation: str = ""
    user_id: str | None = None          # the investor's own account, if any
    industries: list[str] = Field(default_factory=list)
    stages: list[str] = Field(default_factory=list)
    ticket_min: float | None = None
    ticket_max: float | None = None
    region: str = ""
    tags: list[str] = Field(default_factory=list)
    description: str = ""
    serves: list[str] = Field(default_factory=list)
    deadline: date | None = None
    created_by: str | None = None
    created_at: datetime
    updated_at: datetime

    model_config = {"populate_by_name": True}


class Match(BaseModel):
    id: str = Field(alias="_id")
    startup_id: str
    counterpart_id: str
    incubator_id: str | None = None
    score: float
    created_at: datetime

    model_config = {"populate_by_name": True}


class Message(BaseModel):
    id: str = Field(alias="_id")
    match_id: str
    sender_user_id: str
    sender_name: str = ""
    text: str
    at: datetime

    model_config = {"populate_by_name": True}


class Meeting(BaseModel):
    id: str
    startup_id: str
    counterpart_id: str
    slot: int
    score: float
    locked: bool = False


class Participant(BaseModel):
    party_id: str
    capacity: int
    unavailable: list[int] = Field(default_factory=list)


class Session(BaseModel):
    id: str = Field(alias="_id")
    title: str
    incubator_id: str | None = None
    organiser_user_id: str
    slots: list[datetime]
    meeting_minutes: int
    startups: list[Participant]
    counterparts: list[Participant]
    meetings: list[Meeting] = Field(default_factory=list)
    optimal: bool | None = None
    total_score: float = 0
    version: int = 0
    created_at: datetime

    model_config = {"populate_by_name": True}


class Cooperation(BaseModel):
    id: str = Field(alias="_id")
    match_id: str | None = None
    startup_id: str
    counterpart_id: str
    incubator_id: str | None = None
    type: CooperationType
    amount: float | None = None
    signed_on: date
    quarter: str
    note: str = ""
    recorded_by: str
    created_at: datetime

    model_config = {"populate_by_name": True}
