"""Slide uploads (PDF or images, by the presenting startup before its pitch) and serving them back to
room members. Files live in GridFS (bucket ``slides``); a ``slide_decks`` document per pitch lists them.

POST /api/roadshows/{id}/pitches/{index}/slides   multipart ``files`` (one PDF, or 1–60 images)
GET  /api/roadshows/{id}/slides/{file_id}          Authorization: Bearer …, or a signed URL
                                                   (?exp=…&sig=…, as handed to room members) for <img>
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import logging
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from bson import ObjectId
from bson.errors import InvalidId
from fastapi import APIRouter, Request, Response
from gridfs.errors import NoFile
from pypdf import PdfReader

from backend.errors import AppError, Unauthenticated
from backend.http import request_user
from backend.roadshows.models import RoadshowStatus
from backend.roadshows.service import roadshow_service
from backend.state import AppState
from backend.users.models import User

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_TOTAL_BYTES = 25 * 1024 * 1024
MAX_IMAGES = 60
URL_LIFETIME = 6 * 3600   # signed URLs stay valid 6–12 h and are stable within a 6 h window (caching)
log = logging.getLogger(__name__)

router = APIRouter()


class SlideError(Exception):
    def __init__(self, status: int, code: str, message_en: str, message_zh: str, **details: Any) -> None:
        super().__init__(message_en)
        self.status, self.code, self.message_en, self.message_zh, self.details = (
            status, code, message_en, message_zh, details)

    def response(self) -> Response:
        body = {"code": self.code, "message_en": self.message_en, "message_zh": self.message_zh, **self.details}
        return Response(orjson.dumps(body), status_code=self.status, media_type="application/json")


def _signing_key(state: AppState) -> bytes:
    return hashlib.sha256(b"incubench-slides:" + state.settings.resolved_jwt_secret().encode()).digest()


def _signature(state: AppState, roadshow_id: str, file_id: str, expires: int) -> str:
    message = f"{roadshow_id}/{file_id}/{expires}".encode()
    return hmac.new(_signing_key(state), message, hashlib.sha256).hexdigest()[:32]


def signed_slide_url(state: AppState, roadshow_id: str, file_id: str, now: float | None = None) -> str:
    """A URL to one slide file for room members (no token in the URL, so none lands in access logs)."""
    expires = (int(now if now is not None else time.time()) // URL_LIFETIME + 2) * URL_LIFETIME
    return (f"/api/roadshows/{roadshow_id}/slides/{file_id}"
            f"?exp={expires}&sig={_signature(state, roadshow_id, file_id, expires)}")


def sniff(data: bytes) -> str | None:
    """The content type from the file's first bytes (the declared type is not trusted)."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def pdf_pages(data: bytes) -> int | None:
    """The PDF's page count as its page tree says (classic or cross-reference streams, pages in object
    streams, encrypted with an empty password), or None when pypdf cannot read the file. CPU-bound: call
    it off the event loop. Bounded by the upload size and by pypdf's own decompression limits."""
    try:
        return len(PdfReader(io.BytesIO(data)).pages)
    except Exception as error:  # a damaged or hostile file raises many kinds of error inside pypdf
        log.info("unreadable PDF upload: %s: %s", type(error).__name__, error)
        return None


async def _user(request: Request, state: AppState) -> User:
    try:
        return (await request_user(request))[1]
    except Unauthenticated as error:
        raise SlideError(401, "UNAUTHENTICATED", error.message_en, error.message_zh) from error


async def _roadshow(state: AppState, roadshow_id: str) -> Any:
    try:
        return await roadshow_service(state).get(roadshow_id)
    except AppError as error:
        raise SlideError(404, "NOT_FOUND", "No roadshow has this id.", "不存在此编号的路演。") from error


@router.post("/api/roadshows/{roadshow_id}/pitches/{pitch_index}/slides")
async def upload_slides(roadshow_id: str, pitch_index: int, request: Request) -> Response:
    try:
        return await _upload(roadshow_id, pitch_index, request)
    except SlideError as error:
        return error.response()


async def _upload(roadshow_id: str, pitch_index: int, request: Request) -> Response:
    state: AppState = request.app.state.incubench
    user = await _user(request, state)
    service = roadshow_service(state)
    roadshow = await _roadshow(state, roadshow_id)
    if not 0 <= pitch_index < len(roadshow.agenda):
        raise SlideError(404, "NOT_FOUND", "No pitch with this index.", "不存在此序号的路演项目。")
    if not (service.is_presenter(user, roadshow, pitch_index) or service.is_moderator(user, roadshow)):
        raise SlideError(403, "FORBIDDEN", "Only the presenting startup (or a moderator) uploads these slides.",
                         "只有该项目的路演企业（或主持人）可以上传幻灯片。")
    if roadshow.status is RoadshowStatus.ended or (
            roadshow.status is RoadshowStatus.live and roadshow.pitch_index >= pitch_index):
        raise SlideError(409, "SLIDES_LOCKED", "Slides are uploaded before the pitch starts.",
                         "幻灯片须在路演开始前上传。")
    length = request.headers.get("content-length")
    if length is None:
        raise SlideError(411, "LENGTH_REQUIRED", "Send a Content-Length.", "请求须包含 Content-Length。")
    if int(length) > MAX_TOTAL_BYTES + 64 * 1024:
        raise SlideError(413, "SLIDES_TOO_LARGE", f"At most {MAX_TOTAL_BYTES // 2**20} MiB in total.",
                         f"总大小不能超过 {MAX_TOTAL_BYTES // 2**20} MiB。", limit=MAX_TOTAL_BYTES)
    files: list[tuple[str, str, bytes]] = []
    async with request.form(max_files=MAX_IMAGES + 1, max_fields=5) as form:
        uploads = [f for f in form.getlist("files") if not isinstance(f, str)]
        if not uploads:
            raise SlideError(400, "SLIDES_MISSING", "Attach the slides as 'files'.", "请以 files 字段附上幻灯片。")
        if len(uploads) > MAX_IMAGES:
            raise SlideError(400, "SLIDES_TOO_MANY", f"At most {MAX_IMAGES} images.", f"最多 {MAX_IMAGES} 张图片。")
        for upload in uploads:
            data = await upload.read(MAX_FILE_BYTES + 1)
            name = (upload.filename or "slide")[:120]
            if len(data) > MAX_FILE_BYTES:
                raise SlideError(413, "SLIDES_TOO_LARGE", f"{name}: at most {MAX_FILE_BYTES // 2**20} MiB per file.",
                                 f"{name}：单个文件不能超过 {MAX_FILE_BYTES // 2**20} MiB。", limit=MAX_FILE_BYTES)
            kind = sniff(data)
            if kind is None:
                raise SlideError(415, "SLIDES_BAD_TYPE", f"{name}: only PDF, PNG, JPEG or WebP files.",
                                 f"{name}：只接受 PDF、PNG、JPEG 或 WebP 文件。", file=name)
            files.append((name, kind, data))
    pdfs = [f for f in files if f[1] == "application/pdf"]
    if pdfs and len(files) > 1:
        raise SlideError(400, "SLIDES_MIXED", "Upload one PDF, or images only.", "请上传一个 PDF，或只上传图片。")
    pages = await asyncio.to_thread(pdf_pages, pdfs[0][2]) if pdfs else len(files)
    if pages is None:
        raise SlideError(400, "SLIDES_BAD_PDF", "The PDF cannot be read (damaged, or protected by a password).",
                         "无法读取该 PDF 文件（文件损坏或设有密码）。")
    if pages == 0:
        raise SlideError(400, "SLIDES_BAD_PDF", "The PDF has no pages.", "PDF 文件没有页面。")
    repo = service.repo
    stored = []
    for name, kind, data in files:
        file_id = await repo.bucket.upload_from_stream(
            name, data, metadata={"roadshow_id": roadshow_id, "pitch_index": pitch_index, "content_type": kind})
        stored.append({"file_id": str(file_id), "name": name, "content_type": kind, "size": len(data)})
    deck = {"_id": f"{roadshow_id}:{pitch_index}", "roadshow_id": roadshow_id, "pitch_index": pitch_index,
            "kind": "pdf" if pdfs else "images", "files": stored, "pages": pages, "uploaded_by": user.id,
            "uploaded_at": datetime.now(UTC)}
    previous = await repo.replace_deck(deck)
    if previous is not None:
        for old in previous.files:
            try:
                await repo.bucket.delete(ObjectId(old.file_id))
            except NoFile:
                pass
    body = {"roadshow_id": roadshow_id, "pitch_index": pitch_index, "kind": deck["kind"], "pages": pages,
            "urls": [signed_slide_url(state, roadshow_id, f["file_id"]) for f in stored]}
    return Response(orjson.dumps(body), status_code=201, media_type="application/json")


@router.get("/api/roadshows/{roadshow_id}/slides/{file_id}")
async def get_slide(roadshow_id: str, file_id: str, request: Request) -> Response:
    try:
        state: AppState = request.app.state.incubench
        expires, signature = request.query_params.get("exp"), request.query_params.get("sig")
        if expires is not None or signature is not None:
            if not expires or not expires.isdigit() or not signature or not hmac.compare_digest(
                    signature, _signature(state, roadshow_id, file_id, int(expires))):
                raise SlideError(403, "BAD_SIGNATURE", "This slide link is not valid.", "幻灯片链接无效。")
            if int(expires) < time.time():
                raise SlideError(403, "URL_EXPIRED", "This slide link has expired: rejoin the room.",
                                 "幻灯片链接已过期，请重新进入路演。")
        else:
            user = await _user(request, state)
            roadshow = await _roadshow(state, roadshow_id)
            if not roadshow_service(state).may_enter(user, roadshow):
                raise SlideError(403, "FORBIDDEN", "This roadshow is not open to you.", "您无权进入此路演。")
        try:
            stream = await roadshow_service(state).repo.bucket.open_download_stream(ObjectId(file_id))
        except (InvalidId, NoFile) as error:
            raise SlideError(404, "NOT_FOUND", "No such slide file.", "不存在此幻灯片文件。") from error
        metadata = stream.metadata or {}
        if metadata.get("roadshow_id") != roadshow_id:
            raise SlideError(404, "NOT_FOUND", "No such slide file.", "不存在此幻灯片文件。")
        data = await stream.read()
        return Response(data, media_type=metadata.get("content_type", "application/octet-stream"),
                        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff",
                                 "Content-Disposition": "inline"})
    except SlideError as error:
        return error.response()
