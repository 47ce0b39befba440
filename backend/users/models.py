from __future__ import annotations

import re
import unicodedata
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


# -- account search ----------------------------------------------------------------------------------
# Each account stores ``search_keys``: every suffix of every word of its username, display name and
# organisation (NFKC, lower case), once under its role ("manager:wang") and once under "*". A search is
# then a prefix range over one indexed array, so "王" finds "主持人小王" and "fund" finds "Xicheng Fund".
SEARCH_MAX = 50
_WORD = re.compile(r"[\w\u3400-\u9fff]+")
_WORD_CAP, _WORDS_CAP = 32, 12


def normalise_search(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


def search_keys(username: str, display_name: str, organisation: str, role: str) -> list[str]:
    suffixes: set[str] = set()
    for field in (username, display_name, organisation):
        for word in _WORD.findall(normalise_search(field))[:_WORDS_CAP]:
            word = word[:_WORD_CAP]
            suffixes.update(word[i:] for i in range(len(word)))
    return sorted(f"{scope}:{suffix}" for suffix in suffixes for scope in (role, "*"))


def matches_search(user: User, needle: str) -> bool:
    """The whole needle (spaces included) appears in the username, display name or organisation."""
    return any(needle in normalise_search(field) for field in (user.username, user.display_name, user.organisation))
