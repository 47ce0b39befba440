from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class Role(StrEnum):
    admin = "admin"
    evaluator = "evaluator"
    manager = "manager"
    startup = "startup"
    investor = "investor"
    ip_advisor = "ip_advisor"


class User(BaseModel):
    id: str = Field(alias="_id")
    username: str
    display_name: str
    role: Role
    organisation: str = ""
    incubator_id: str | None = None
    startup_id: str | None = None
    password_hash: str
    active: bool = True
    created_at: datetime
    must_change_password: bool = False  # set by an admin's reset: the next sign-in must choose a new one

    model_config = {"populate_by_name": True}


class NewUser(BaseModel):
    username: str
    display_name: str
    role: Role
    password: str
    organisation: str = ""
    incubator_id: str | None = None
    startup_id: str | None = None
