"""Room actions of /ws/v1 (documented in docs/protocol.md). Every room event is stored in the room
log with the room's ``seq`` before it is delivered; events carry absolute values and ids so a client
may apply one twice (snapshot + event) without harm."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field
from pymongo.errors import ConnectionFailure, DuplicateKeyError

from backend.app import SHUTDOWN_HOOKS, STARTUP_HOOKS
from backend.roadshows.models import Phase, Roadshow, RoadshowStatus
from backend.roadshows.service import roadshow_service
from backend.roadshows.slides import signed_slide_url
from backend.users.models import Role
from cloud_incubator.broadcast import broadcaster, publish, publish_logged
from cloud_incubator.config import gateway_config
from cloud_incubator.gateway import DISCONNECT_HOOKS, Connection
from cloud_incubator.protocol import ProtocolError, event_frame
from cloud_incubator.registry import ActionContext, action
from cloud_incubator.rooms.runtime import RoomRuntime, mod_topic, now, room_topic, runtime, stale_after

log = logging.getLogger(__name__)
REACTIONS = ("clap", "like", "heart", "fire", "think")
RECENT_CHAT = 50


class RoomRef(BaseModel):
    room_id: str = Field(min_length=1, max_length=64)


class JoinPayload(RoomRef):
    last_seq: int | None = Field(default=None, ge=0)


class ChatPayload(RoomRef):
    text: str = Field(min_length=1)


class AskPayload(RoomRef):
    text: str = Field(min_length=1)
    pitch_index: int | None = Field(default=None, ge=0)


class QuestionRef(RoomRef):
    question_id: str = Field(min_length=1, max_length=64)


class AnswerPayload(QuestionRef):
    text: str = Field(min_length=1)


class PinPayload(QuestionRef):
    pinned: bool = True


class HidePayload(QuestionRef):
    hidden: bool = True


class PitchStartPayload(RoomRef):
    index: int | None = Field(default=None, ge=0)


class SlidePayload(RoomRef):
    page: int = Field(ge=1, le=1000)


class ReactionPayload(RoomRef):
    kind: Literal["clap", "like", "heart", "fire", "think"]


class InterestPayload(RoomRef):
    pitch_index: int | None = Field(default=None, ge=0)


class MessageRef(RoomRef):
    message_id: str = Field(min_length=1, max_length=64)


class MutePayload(RoomRef):
    user_id: str = Field(min_length=1, max_length=64)
    muted: bool = True


class ParticipantRef(RoomRef):
    user_id: str = Field(min_length=1, max_length=64)


# -- helpers -------------------------------------------------------------------------------------

def _rt(ctx: ActionContext) -> RoomRuntime:
    return runtime(ctx.state)


async def _joined(ctx: ActionContext, room_id: str) -> tuple[RoomRuntime, Roadshow, dict[str, Any]]:
    """The room this socket has joined (else room.not_joined), and this socket's membership."""
    membership = ctx.connection.extras.get("rooms", {}).get(room_id)
    if membership is None:
        raise ProtocolError("room.not_joined", "Join the room first (room.join).", room_id=room_id)
    rt = _rt(ctx)
    flags = await rt.flags(room_id, ctx.user.id)
    if flags["removed"]:
        raise ProtocolError("room.removed", "A moderator removed you from this room.", room_id=room_id)
    return rt, await rt.roadshow(room_id), membership


def _require_moderator(ctx: ActionContext, rt: RoomRuntime, roadshow: Roadshow) -> None:
    if not rt.service.is_moderator(ctx.user, roadshow):
        raise ProtocolError("room.not_moderator", "Only the room's moderators may do this.")


async def _moderating(ctx: ActionContext, room_id: str) -> tuple[RoomRuntime, Roadshow]:
    """The room's runtime and roadshow, for an action only its moderators may take."""
    rt, roadshow, _ = await _joined(ctx, room_id)
    _require_moderator(ctx, rt, roadshow)
    return rt, roadshow


async def _announce(ctx: ActionContext, roadshow: Roadshow, event: str, data: dict[str, Any]) -> dict[str, Any]:
    """Publish a room event (logged, with its seq) and answer the action with the same data and seq."""
    seq = await publish_logged(ctx.state, room_topic(roadshow.id), event, data)
    return {**data, "seq": seq}


def _require_open(roadshow: Roadshow) -> None:
    if roadshow.status is RoadshowStatus.ended:
        raise ProtocolError("room.ended", "The roadshow has ended.", room_id=roadshow.id)
    if roadshow.status is RoadshowStatus.cancelled:
        raise ProtocolError("room.cancelled", "The roadshow was cancelled.", room_id=roadshow.id)


def _require_live(roadshow: Roadshow) -> None:
    if roadshow.status is not RoadshowStatus.live:
        raise ProtocolError("room.not_live", "The roadshow is not live.", status=roadshow.status.value)


def _author(ctx: ActionContext) -> dict[str, Any]:
    u = ctx.user
    return {"id": u.id, "name": u.display_name, "organisation": u.organisation, "role": u.role.value}


def _text(value: str, limit: int, code: str) -> str:
    text = value.strip()
    if not text:
        raise ProtocolError(f"{code}.empty", "The text is empty.")
    if len(text) > limit:
        raise ProtocolError(f"{code}.too_long", f"At most {limit} characters.", limit=limit, length=len(text))
    return text


def _current(roadshow: Roadshow) -> dict[str, Any]:
    item = roadshow.agenda[roadshow.pitch_index] if 0 <= roadshow.pitch_index < len(roadshow.agenda) else None
    return {"pitch_index": roadshow.pitch_index, "phase": roadshow.phase.value,
            "started_at": roadshow.phase_started_at, "ends_at": roadshow.phase_ends_at,
            "startup_id": item.startup_id if item else None, "stream_url": item.stream_url if item else None,
            "server_time": now()}


def slide_url(state: Any, roadshow_id: str, file_id: str) -> str:
    return signed_slide_url(state, roadshow_id, file_id)


async def _slide_state(rt: RoomRuntime, roadshow: Roadshow) -> dict[str, Any] | None:
    index = roadshow.pitch_index
    if index < 0:
        return None
    page = roadshow.slides.get(str(index), 1)
    deck = await rt.repo.deck(roadshow.id, index)
    if deck is None:
        return {"pitch_index": index, "page": page, "url": None, "kind": None, "pages": 0}
    file = deck.files[0] if deck.kind == "pdf" else deck.files[min(page, len(deck.files)) - 1]
    return {"pitch_index": index, "page": page, "url": slide_url(rt.state, roadshow.id, file.file_id), "kind": deck.kind,
            "pages": deck.pages}


def _question_view(q: dict[str, Any]) -> dict[str, Any]:
    return {"question_id": q["_id"], "text": q["text"], "author": q["author"], "pitch_index": q.get("pitch_index"),
            "upvotes": q.get("upvotes", 0), "answer": q.get("answer"), "pinned": q.get("pinned", False),
            "hidden": q.get("hidden", False), "at": q["at"]}


def _hidden_question_view(q: dict[str, Any]) -> dict[str, Any]:
    """A hidden question as non-moderators may see it: its id and place, no text, author or answer."""
    return {"question_id": q["question_id"], "text": "", "author": None, "pitch_index": q.get("pitch_index"),
            "upvotes": q.get("upvotes", 0), "answer": None, "pinned": q.get("pinned", False), "hidden": True,
            "at": q.get("at")}


async def _redact_hidden(rt: RoomRuntime, roadshow_id: str, missed: list[dict[str, Any]]) -> None:
    """Replayed events for a non-moderator: questions hidden by now lose their text, author and answer
    (the log keeps what was said; the hide event itself follows in the replay)."""
    ids = {str(doc["data"].get("question_id")) for doc in missed
           if doc["event"] in ("qa.asked", "qa.answered", "qa.hidden")}
    hidden = await rt.repo.hidden_question_ids(roadshow_id, ids) if ids else set()
    for doc in missed:
        data = doc["data"]
        if data.get("question_id") not in hidden:
            continue
        if doc["event"] == "qa.asked":
            doc["data"] = _hidden_question_view(data)
        elif doc["event"] == "qa.answered":
            doc["data"] = {"question_id": data["question_id"], "answer": None}
        elif doc["event"] == "qa.hidden":
            doc["data"] = {"question_id": data["question_id"], "hidden": data["hidden"]}


def _message_view(m: dict[str, Any]) -> dict[str, Any]:
    return {"message_id": m["_id"], "text": m["text"], "author": m["author"], "pitch_index": m.get("pitch_index"),
            "at": m["at"]}


async def snapshot(ctx: ActionContext, rt: RoomRuntime, roadshow: Roadshow, moderator: bool) -> dict[str, Any]:
    """Everything a late joiner needs to render the room, as of the returned ``seq`` or later."""
    decks = {d.pitch_index: d for d in await rt.repo.decks_of(roadshow.id)}
    startups = await ctx.state.startups.by_ids(roadshow.startup_ids())
    agenda = []
    for index, (item, startup) in enumerate(zip(roadshow.agenda, startups, strict=True)):
        deck = decks.get(index)
        agenda.append({"index": index, "startup_id": item.startup_id,
                       "startup_name_zh": startup.name_zh if startup else "",
                       "startup_name_en": startup.name_en if startup else "", "pitch_minutes": item.pitch_minutes,
                       "qa_minutes": item.qa_minutes, "stream_url": item.stream_url,
                       "slides": {"kind": deck.kind, "pages": deck.pages,
                                  "urls": [slide_url(ctx.state, roadshow.id, f.file_id) for f in deck.files]} if deck else None})
    questions = [_question_view(q) for q in await rt.repo.questions_of(roadshow.id)
                 if moderator or not q.get("hidden")]
    count, people = await rt.presence(roadshow.id)
    flags = await rt.flags(roadshow.id, ctx.user.id)
    data: dict[str, Any] = {
        "roadshow": {"id": roadshow.id, "title_zh": roadshow.title_zh, "title_en": roadshow.title_en,
                     "status": roadshow.status.value, "starts_at": roadshow.starts_at,
                     "started_at": roadshow.started_at, "ended_at": roadshow.ended_at,
                     "audience": roadshow.audience.value, "industry_focus": roadshow.industry_focus},
        "agenda": agenda, "current": _current(roadshow), "slide": await _slide_state(rt, roadshow),
        "chat": [_message_view(m) for m in await rt.repo.recent_messages(roadshow.id, RECENT_CHAT)],
        "questions": questions, "presence": {"count": count},
        "me": {"user_id": ctx.user.id, "moderator": moderator,
               "presenter": rt.service.is_presenter(ctx.user, roadshow), "muted": flags["muted"],
               "investor": ctx.user.role is Role.investor, "startup_id": ctx.user.startup_id},
        "reactions": REACTIONS,
    }
    if moderator:
        data["presence"]["people"] = people
    return data


# -- joining -------------------------------------------------------------------------------------

@action("room.join", JoinPayload)
async def room_join(ctx: ActionContext, payload: JoinPayload) -> dict[str, Any] | None:
    rt = _rt(ctx)
    try:
        roadshow = await rt.roadshow(payload.room_id, fresh=True)
    except ConnectionFailure:
        raise  # the database is down, the room may well exist: the gateway says so
    except Exception as error:
        raise ProtocolError("room.not_found", "No roadshow has this id.", room_id=payload.room_id) from error
    if not rt.service.may_enter(ctx.user, roadshow):
        raise ProtocolError("room.forbidden", "This roadshow is not open to you.", audience=roadshow.audience.value)
    _require_open(roadshow)
    rt._flags.pop((roadshow.id, ctx.user.id), None)
    flags = await rt.flags(roadshow.id, ctx.user.id)
    if flags["removed"]:
        raise ProtocolError("room.removed", "A moderator removed you from this room.", room_id=roadshow.id)
    await rt.repo.touch_participant(roadshow.id, {"user_id": ctx.user.id, "name": ctx.user.display_name,
                                                  "organisation": ctx.user.organisation,
                                                  "role": ctx.user.role.value}, now())
    moderator = rt.service.is_moderator(ctx.user, roadshow)
    connection: Connection = ctx.connection
    topic = room_topic(roadshow.id)
    store = broadcaster(ctx.state).store
    connection.hold(topic)
    await rt.enter(connection, roadshow.id, moderator)
    if payload.last_seq is not None:
        last = await store.last_seq(topic)
    else:
        # A snapshot may name a slightly old seq (state is read after it; events apply idempotently).
        cached = broadcaster(ctx.state)._last_seq.get(topic)
        last = cached if cached is not None else await store.last_seq(topic)
    if payload.last_seq is not None and payload.last_seq <= last:
        behind = last - payload.last_seq
        if behind <= rt.config.resume_max_events:
            missed = await store.since(topic, payload.last_seq, behind)
            if not moderator:
                await _redact_hidden(rt, roadshow.id, missed)
            ctx.reply({"resumed": True, "seq": last, "missed": len(missed)})
            for doc in missed:
                connection.send(event_frame(topic, doc["event"], doc["data"], doc["seq"], doc["at"]))
            connection.release(topic, missed[-1]["seq"] if missed else payload.last_seq)
            return None
    data = await snapshot(ctx, rt, roadshow, moderator)
    ctx.reply({"resumed": False, "seq": last, "snapshot": data})
    connection.release(topic, last)
    return None


@action("room.leave", RoomRef)
async def room_leave(ctx: ActionContext, payload: RoomRef) -> dict[str, Any] | None:
    left = await _rt(ctx).leave(ctx.connection, payload.room_id)
    if not left:
        raise ProtocolError("room.not_joined", "You are not in this room.", room_id=payload.room_id)
    return {"room_id": payload.room_id}


@action("presence.get", RoomRef)
async def presence_get(ctx: ActionContext, payload: RoomRef) -> dict[str, Any] | None:
    rt, roadshow, membership = await _joined(ctx, payload.room_id)
    count, people = await rt.presence(roadshow.id)
    return {"count": count, "people": people} if membership["moderator"] else {"count": count}


# -- chat and Q&A --------------------------------------------------------------------------------

@action("chat.send", ChatPayload)
async def chat_send(ctx: ActionContext, payload: ChatPayload) -> dict[str, Any] | None:
    rt, roadshow, membership = await _joined(ctx, payload.room_id)
    _require_open(roadshow)
    text = _text(payload.text, rt.config.chat_max_length, "chat")
    if (await rt.flags(roadshow.id, ctx.user.id))["muted"]:
        raise ProtocolError("room.muted", "A moderator muted you in this room.")
    if not membership["moderator"] and not await ctx.state.limiter.hit(rt.config.chat_rate, "chat", roadshow.id,
                                                                       ctx.user.id):
        raise ProtocolError("chat.rate_limited", "You are sending messages too quickly.", limit=rt.config.chat_rate)
    # One write: the room-log event is the stored message.
    message = {"message_id": uuid.uuid4().hex, "text": text, "author": _author(ctx),
               "pitch_index": roadshow.pitch_index if roadshow.pitch_index >= 0 else None, "at": now()}
    seq = await publish_logged(ctx.state, room_topic(roadshow.id), "chat.message", message)
    return {"message_id": message["message_id"], "seq": seq}


@action("qa.ask", AskPayload)
async def qa_ask(ctx: ActionContext, payload: AskPayload) -> dict[str, Any] | None:
    rt, roadshow, membership = await _joined(ctx, payload.room_id)
    _require_open(roadshow)
    text = _text(payload.text, rt.config.chat_max_length, "qa")
    if (await rt.flags(roadshow.id, ctx.user.id))["muted"]:
        raise ProtocolError("room.muted", "A moderator muted you in this room.")
    index = payload.pitch_index if payload.pitch_index is not None else roadshow.pitch_index
    if index is None or not 0 <= index < len(roadshow.agenda):
        raise ProtocolError("qa.no_pitch", "Name the pitch the question is for (pitch_index).",
                            agenda_length=len(roadshow.agenda))
    if not membership["moderator"] and not await ctx.state.limiter.hit(rt.config.qa_rate, "qa", roadshow.id,
                                                                       ctx.user.id):
        raise ProtocolError("qa.rate_limited", "You are asking questions too quickly.", limit=rt.config.qa_rate)
    question = {"_id": uuid.uuid4().hex, "roadshow_id": roadshow.id, "author": _author(ctx),
                "author_name": ctx.user.display_name, "author_organisation": ctx.user.organisation, "text": text,
                "pitch_index": index, "upvoters": [], "upvotes": 0, "answer": None, "pinned": False,
                "hidden": False, "at": now()}
    await rt.repo.add_question(question)
    seq = await publish_logged(ctx.state, room_topic(roadshow.id), "qa.asked", _question_view(question))
    return {"question_id": question["_id"], "seq": seq}


async def _question(rt: RoomRuntime, roadshow: Roadshow, question_id: str) -> dict[str, Any]:
    found = await rt.repo.question(roadshow.id, question_id)
    if found is None:
        raise ProtocolError("qa.not_found", "No such question in this room.", question_id=question_id)
    return found


@action("qa.upvote", QuestionRef)
async def qa_upvote(ctx: ActionContext, payload: QuestionRef) -> dict[str, Any] | None:
    rt, roadshow, _ = await _joined(ctx, payload.room_id)
    _require_open(roadshow)
    updated = await rt.repo.upvote(roadshow.id, payload.question_id, ctx.user.id)
    if updated is None:
        await _question(rt, roadshow, payload.question_id)
        raise ProtocolError("qa.already_upvoted", "You have already upvoted this question.")
    if updated.get("hidden"):
        raise ProtocolError("qa.not_found", "No such question in this room.", question_id=payload.question_id)
    data = {"question_id": payload.question_id, "upvotes": updated["upvotes"]}
    return await _announce(ctx, roadshow, "qa.upvoted", data)


@action("qa.answer", AnswerPayload)
async def qa_answer(ctx: ActionContext, payload: AnswerPayload) -> dict[str, Any] | None:
    rt, roadshow, membership = await _joined(ctx, payload.room_id)
    _require_open(roadshow)
    question = await _question(rt, roadshow, payload.question_id)
    if not membership["moderator"] and not rt.service.is_presenter(ctx.user, roadshow, question.get("pitch_index")):
        raise ProtocolError("room.not_moderator", "Only moderators or the presenting startup may answer.")
    if question.get("hidden"):
        # Its thread stays with the moderators: the answer event would reach everyone.
        if not membership["moderator"]:
            raise ProtocolError("qa.not_found", "No such question in this room.", question_id=payload.question_id)
        raise ProtocolError("qa.is_hidden", "Show the question again before answering it.",
                            question_id=payload.question_id)
    answer = {"text": _text(payload.text, rt.config.chat_max_length, "qa"), "by": _author(ctx), "at": now()}
    await rt.repo.set_question(roadshow.id, payload.question_id, {"answer": answer})
    data = {"question_id": payload.question_id, "answer": answer}
    seq = await publish_logged(ctx.state, room_topic(roadshow.id), "qa.answered", data)
    return {"question_id": payload.question_id, "seq": seq}


@action("qa.pin", PinPayload)
async def qa_pin(ctx: ActionContext, payload: PinPayload) -> dict[str, Any] | None:
    rt, roadshow = await _moderating(ctx, payload.room_id)
    await _question(rt, roadshow, payload.question_id)
    await rt.repo.set_question(roadshow.id, payload.question_id, {"pinned": payload.pinned})
    data = {"question_id": payload.question_id, "pinned": payload.pinned}
    return await _announce(ctx, roadshow, "qa.pinned", data)


@action("qa.hide", HidePayload)
async def qa_hide(ctx: ActionContext, payload: HidePayload) -> dict[str, Any] | None:
    rt, roadshow = await _moderating(ctx, payload.room_id)
    await _question(rt, roadshow, payload.question_id)
    updated = await rt.repo.set_question(roadshow.id, payload.question_id, {"hidden": payload.hidden})
    data: dict[str, Any] = {"question_id": payload.question_id, "hidden": payload.hidden}
    if not payload.hidden and updated is not None:
        data["question"] = _question_view(updated)  # shown again: clients that never had its text get it
    return await _announce(ctx, roadshow, "qa.hidden", data)


# -- running the agenda --------------------------------------------------------------------------

async def _set_phase(ctx: ActionContext, rt: RoomRuntime, roadshow: Roadshow, index: int, phase: Phase) -> Roadshow:
    at = now()
    if phase is Phase.done:
        ends = None
    else:
        item = roadshow.agenda[index]
        minutes = item.pitch_minutes if phase is Phase.pitch else item.qa_minutes
        ends = at + timedelta(minutes=minutes)
    changes: dict[str, Any] = {"$set": {"pitch_index": index, "phase": phase.value, "phase_started_at": at,
                                        "phase_ends_at": ends, "updated_at": at}}
    if phase is Phase.pitch:
        changes["$push"] = {"pitch_times": {"index": index, "started_at": at}}
    elif phase is Phase.done:
        changes["$push"] = {"pitch_times": {"index": -1, "started_at": at}}
    updated = await rt.repo.update_if(roadshow.id, {"status": RoadshowStatus.live.value,
                                                    "pitch_index": roadshow.pitch_index,
                                                    "phase": roadshow.phase.value}, changes)
    if updated is None:
        raise ProtocolError("pitch.conflict", "The agenda moved on meanwhile; look at the latest state.")
    rt.remember(updated)
    await publish_logged(ctx.state, room_topic(roadshow.id), "pitch.changed", _current(updated))
    slide = await _slide_state(rt, updated)
    if slide is not None and phase is Phase.pitch:
        await publish_logged(ctx.state, room_topic(roadshow.id), "slide.changed", slide)
    rt.arm_countdown(updated)
    return updated


@action("pitch.start", PitchStartPayload)
async def pitch_start(ctx: ActionContext, payload: PitchStartPayload) -> dict[str, Any] | None:
    rt, roadshow = await _moderating(ctx, payload.room_id)
    roadshow = await rt.roadshow(roadshow.id, fresh=True)
    _require_live(roadshow)
    index = payload.index if payload.index is not None else max(0, roadshow.pitch_index if roadshow.phase is Phase.waiting
                                                                 else roadshow.pitch_index + 1)
    if index >= len(roadshow.agenda):
        raise ProtocolError("pitch.out_of_range", "No pitch with this index.", agenda_length=len(roadshow.agenda))
    updated = await _set_phase(ctx, rt, roadshow, index, Phase.pitch)
    return _current(updated)


@action("pitch.next", RoomRef)
async def pitch_next(ctx: ActionContext, payload: RoomRef) -> dict[str, Any] | None:
    """pitch → its Q&A (if any) → the next pitch → … → done."""
    rt, roadshow = await _moderating(ctx, payload.room_id)
    roadshow = await rt.roadshow(roadshow.id, fresh=True)
    _require_live(roadshow)
    index, phase = roadshow.pitch_index, roadshow.phase
    if phase is Phase.waiting:
        target = (0, Phase.pitch)
    elif phase is Phase.pitch and roadshow.agenda[index].qa_minutes > 0:
        target = (index, Phase.qa)
    elif phase is Phase.done:
        raise ProtocolError("pitch.finished", "The agenda is finished; end the roadshow.")
    elif index + 1 < len(roadshow.agenda):
        target = (index + 1, Phase.pitch)
    else:
        target = (index, Phase.done)
    updated = await _set_phase(ctx, rt, roadshow, target[0], target[1])
    return _current(updated)


@action("slide.set", SlidePayload)
async def slide_set(ctx: ActionContext, payload: SlidePayload) -> dict[str, Any] | None:
    rt, roadshow, membership = await _joined(ctx, payload.room_id)
    roadshow = await rt.roadshow(roadshow.id, fresh=True)
    _require_live(roadshow)
    index = roadshow.pitch_index
    if index < 0 or roadshow.phase is Phase.done:
        raise ProtocolError("slide.no_pitch", "No pitch is running.")
    if not membership["moderator"] and not rt.service.is_presenter(ctx.user, roadshow, index):
        raise ProtocolError("slide.not_presenter", "Only the presenting startup or a moderator changes slides.")
    deck = await rt.repo.deck(roadshow.id, index)
    if deck is None:
        raise ProtocolError("slide.no_deck", "This pitch has no slides uploaded.")
    if payload.page > deck.pages:
        raise ProtocolError("slide.out_of_range", f"The deck has {deck.pages} pages.", pages=deck.pages)
    updated = await rt.repo.update_if(roadshow.id, {"status": RoadshowStatus.live.value, "pitch_index": index},
                                      {"$set": {f"slides.{index}": payload.page}})
    if updated is None:
        raise ProtocolError("pitch.conflict", "The agenda moved on meanwhile.")
    rt.remember(updated)
    slide = await _slide_state(rt, updated)
    assert slide is not None
    return await _announce(ctx, roadshow, "slide.changed", slide)


@action("room.start", RoomRef)
async def room_start(ctx: ActionContext, payload: RoomRef) -> dict[str, Any] | None:
    rt, roadshow = await _moderating(ctx, payload.room_id)
    try:
        updated = await rt.service.start(ctx.user, roadshow.id)
    except Exception as error:
        raise ProtocolError("room.not_scheduled", "The roadshow is not waiting to start.") from error
    await announce_status(ctx.state, updated)
    return {"status": updated.status.value}


@action("room.end", RoomRef)
async def room_end(ctx: ActionContext, payload: RoomRef) -> dict[str, Any] | None:
    rt, roadshow = await _moderating(ctx, payload.room_id)
    try:
        updated = await rt.service.end(ctx.user, roadshow.id)
    except Exception as error:
        raise ProtocolError("room.not_live", "The roadshow is not live.") from error
    await announce_status(ctx.state, updated)
    return {"status": updated.status.value}


async def announce_update(state: Any, roadshow: Roadshow) -> None:
    """Tell the room that its organisers edited or rescheduled it (the GraphQL mutation's event)."""
    rt = runtime(state)
    rt.remember(roadshow)
    startups = await state.startups.by_ids(roadshow.startup_ids())
    agenda = [{"index": index, "startup_id": item.startup_id, "startup_name_zh": startup.name_zh if startup else "",
               "startup_name_en": startup.name_en if startup else "", "pitch_minutes": item.pitch_minutes,
               "qa_minutes": item.qa_minutes, "stream_url": item.stream_url}
              for index, (item, startup) in enumerate(zip(roadshow.agenda, startups, strict=True))]
    await publish_logged(state, room_topic(roadshow.id), "room.updated",
                         {"title_zh": roadshow.title_zh, "title_en": roadshow.title_en,
                          "starts_at": roadshow.starts_at, "agenda": agenda})


async def announce_status(state: Any, roadshow: Roadshow) -> None:
    """Publish a status change (also used by the GraphQL mutations)."""
    rt = runtime(state)
    rt.remember(roadshow)
    rt.arm_countdown(roadshow)
    await publish_logged(state, room_topic(roadshow.id), "room.status",
                         {"status": roadshow.status.value, "started_at": roadshow.started_at,
                          "ended_at": roadshow.ended_at})


# -- reactions and interest ----------------------------------------------------------------------

@action("reaction.send", ReactionPayload)
async def reaction_send(ctx: ActionContext, payload: ReactionPayload) -> dict[str, Any] | None:
    rt, roadshow, _ = await _joined(ctx, payload.room_id)
    _require_live(roadshow)
    rt.react(roadshow.id, roadshow.pitch_index, payload.kind)
    return {"kind": payload.kind, "interval": rt.config.reaction_interval}


@action("interest.signal", InterestPayload)
async def interest_signal(ctx: ActionContext, payload: InterestPayload) -> dict[str, Any] | None:
    rt, roadshow, _ = await _joined(ctx, payload.room_id)
    if ctx.user.role is not Role.investor:
        raise ProtocolError("interest.not_investor", "Only investors signal interest.")
    _require_open(roadshow)
    index = payload.pitch_index if payload.pitch_index is not None else roadshow.pitch_index
    if not 0 <= index < len(roadshow.agenda):
        raise ProtocolError("interest.no_pitch", "Name the pitch (pitch_index) you are interested in.")
    startup_id = roadshow.agenda[index].startup_id
    lead = {"_id": uuid.uuid4().hex, "investor_user_id": ctx.user.id, "startup_id": startup_id,
            "roadshow_id": roadshow.id, "pitch_index": index, "at": now(), "source": "roadshow",
            "investor_name": ctx.user.display_name, "investor_organisation": ctx.user.organisation}
    try:
        await rt.repo.add_lead(lead)
    except DuplicateKeyError as error:
        raise ProtocolError("interest.duplicate", "You have already signalled interest in this startup here.",
                            startup_id=startup_id) from error
    count = await rt.repo.leads.count_documents({"roadshow_id": roadshow.id, "pitch_index": index})
    seq = await publish_logged(ctx.state, room_topic(roadshow.id), "interest.signalled",
                               {"pitch_index": index, "startup_id": startup_id, "count": count})
    await publish(ctx.state, mod_topic(roadshow.id), "interest.detail",
                  {"pitch_index": index, "startup_id": startup_id, "investor": _author(ctx)})
    return {"lead_id": lead["_id"], "startup_id": startup_id, "seq": seq}


# -- moderation ----------------------------------------------------------------------------------

@action("message.remove", MessageRef)
async def message_remove(ctx: ActionContext, payload: MessageRef) -> dict[str, Any] | None:
    rt, roadshow = await _moderating(ctx, payload.room_id)
    if not await rt.repo.remove_message(roadshow.id, payload.message_id, ctx.user.id, now()):
        raise ProtocolError("message.not_found", "No such message (or already removed).",
                            message_id=payload.message_id)
    seq = await publish_logged(ctx.state, room_topic(roadshow.id), "chat.removed",
                               {"message_id": payload.message_id})
    return {"message_id": payload.message_id, "seq": seq}


async def _target(ctx: ActionContext, rt: RoomRuntime, roadshow: Roadshow, user_id: str) -> None:
    if await rt.repo.participant(roadshow.id, user_id) is None:
        raise ProtocolError("participant.not_found", "This user has not been in the room.", user_id=user_id)
    users = await ctx.state.users.by_ids([user_id])
    if users[0] is not None and rt.service.is_moderator(users[0], roadshow):
        raise ProtocolError("participant.is_moderator", "Moderators cannot be muted or removed.")


@action("participant.mute", MutePayload)
async def participant_mute(ctx: ActionContext, payload: MutePayload) -> dict[str, Any] | None:
    rt, roadshow = await _moderating(ctx, payload.room_id)
    await _target(ctx, rt, roadshow, payload.user_id)
    await rt.repo.set_participant(roadshow.id, payload.user_id, {"muted": payload.muted})
    data = {"user_id": payload.user_id, "muted": payload.muted}
    return await _announce(ctx, roadshow, "participant.muted", data)


@action("participant.remove", ParticipantRef)
async def participant_remove(ctx: ActionContext, payload: ParticipantRef) -> dict[str, Any] | None:
    rt, roadshow = await _moderating(ctx, payload.room_id)
    await _target(ctx, rt, roadshow, payload.user_id)
    await rt.repo.set_participant(roadshow.id, payload.user_id, {"removed": True})
    data = {"user_id": payload.user_id}
    return await _announce(ctx, roadshow, "participant.removed", data)


# -- wiring --------------------------------------------------------------------------------------

async def _on_disconnect(connection: Connection) -> None:
    if connection.extras.get("rooms"):
        await runtime(connection.state).disconnected(connection)


async def _close_stale_attendance(state: Any) -> None:
    """At start-up: attendance left open by processes that died (see RoadshowService.close_stale_attendance)."""
    closed = await roadshow_service(state).close_stale_attendance(stale_after(gateway_config(state)))
    if closed:
        log.info("closed %d attendance rows left open by stopped processes", closed)


async def _on_shutdown(state: Any) -> None:
    rt = state.extras.pop("room_runtime", None)
    if rt is not None:
        await rt.stop()
        await rt.close_attendance("shutdown")  # whoever is still in a room here leaves with the process


if _on_disconnect not in DISCONNECT_HOOKS:
    DISCONNECT_HOOKS.append(_on_disconnect)
# The gateway imports this module from its own start-up hook; the lifespan runs hooks appended meanwhile.
if _close_stale_attendance not in STARTUP_HOOKS:
    STARTUP_HOOKS.append(_close_stale_attendance)
if _on_shutdown not in SHUTDOWN_HOOKS:
    SHUTDOWN_HOOKS.insert(0, _on_shutdown)
