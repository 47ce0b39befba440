"""Input limits of bookings: the one place the socket payloads and the service read them from."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

QUESTION_MAX = 2000   # the startup's question when booking or joining a waitlist
NOTE_MAX = 5000       # the advisor's note after a consultation
MEETING_URL_MAX = 500  # the online meeting link
LOCATION_MAX = 200
ID_MAX = 64


class BookPayload(BaseModel):
    """``booking.book`` and ``booking.join_waitlist`` over /ws/v1."""

    workstation_id: str = Field(min_length=1, max_length=ID_MAX)
    advisor_id: str = Field(min_length=1, max_length=ID_MAX)
    start: datetime
    topic: str = Field(max_length=64)
    mode: str = Field(max_length=32)
    question: str = Field(max_length=QUESTION_MAX)
