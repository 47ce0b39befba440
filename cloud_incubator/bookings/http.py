"""HTTP routes of bookings: ``.ics`` exports and attachment upload/download, with the bearer token."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from urllib.parse import quote

import orjson
from bson import Binary
from fastapi import APIRouter, Request, Response, UploadFile

from backend.core.errors import AppError, BadUserInput, Conflict, Forbidden, NotFound
from backend.http import error_response, request_user
from backend.users.models import Role
from cloud_incubator.bookings.models import AttachmentLimit, AttachmentTooLarge, AttachmentType, BookingStatus
from cloud_incubator.bookings.service import bookings

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_ATTACHMENTS_PER_BOOKING = 5
# Declared type → the file's first bytes (the content is checked, not only the header).
ALLOWED_TYPES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}

router = APIRouter()


def _disposition(filename: str) -> str:
    """The uploaded file's own name (RFC 6266/5987: an ASCII fallback plus the UTF-8 name)."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get("/api/bookings/{booking_id}.ics")
async def booking_ics(booking_id: str, request: Request) -> Response:
    try:
        state, user = await request_user(request)
        body = await bookings(state).booking_ics(user, booking_id)
    except AppError as error:
        return error_response(error)
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="booking-{booking_id}.ics"'})


@router.get("/api/advisors/{advisor_id}/schedule.ics")
async def advisor_ics(advisor_id: str, request: Request) -> Response:
    try:
        state, user = await request_user(request)
        body = await bookings(state).advisor_ics(user, advisor_id)
    except AppError as error:
        return error_response(error)
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="advisor-{advisor_id}.ics"'})


@router.post("/api/bookings/{booking_id}/attachments")
async def upload_attachment(booking_id: str, request: Request, file: UploadFile) -> Response:
    try:
        state, user = await request_user(request)
        service = bookings(state)
        booking = await service.repo.booking(booking_id)
        if booking is None:
            raise NotFound("No booking has this id.", "不存在此编号的预约。", field="bookingId")
        if user.role is not Role.startup or user.startup_id != booking.startup_id:
            raise Forbidden("Only the booking startup adds attachments.", "只有预约企业可以上传附件。")
        if booking.status is not BookingStatus.booked:
            raise Conflict("The booking is no longer open.", "预约已不在进行中。")
        content = await file.read(MAX_ATTACHMENT_BYTES + 1)
        if len(content) > MAX_ATTACHMENT_BYTES:
            raise AttachmentTooLarge(f"Attachments may be at most {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MiB.",
                                     f"附件不得超过 {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MiB。", field="file",
                                     maxBytes=MAX_ATTACHMENT_BYTES)
        declared = (file.content_type or "").split(";")[0].strip().lower()
        signatures = ALLOWED_TYPES.get(declared)
        if signatures is None or not content.startswith(signatures):
            raise AttachmentType("Attach a PDF, PNG or JPEG file.", "请上传 PDF、PNG 或 JPEG 文件。", field="file",
                                 allowed=sorted(ALLOWED_TYPES))
        name = (file.filename or "attachment").replace("\\", "/").rsplit("/", 1)[-1].strip()[:120] or "attachment"
        if not name.isprintable():
            raise BadUserInput.single("file", "The file name has control characters.", "文件名含有控制字符。")
        # the place is taken atomically on the booking's counter, then the file stored (or the place given back)
        outcome = await service.repo.reserve_attachment(booking.id, MAX_ATTACHMENTS_PER_BOOKING)
        if outcome == "closed":
            raise Conflict("The booking is no longer open.", "预约已不在进行中。")
        if outcome == "full":
            raise AttachmentLimit(f"At most {MAX_ATTACHMENTS_PER_BOOKING} attachments per booking.",
                                  f"每个预约最多 {MAX_ATTACHMENTS_PER_BOOKING} 个附件。", field="file",
                                  maxAttachments=MAX_ATTACHMENTS_PER_BOOKING)
        try:
            attachment = await service.repo.insert_attachment({
                "_id": secrets.token_hex(12), "booking_id": booking.id, "filename": name, "content_type": declared,
                "size": len(content), "uploaded_by": user.id, "created_at": datetime.now(UTC),
                "data": Binary(content)})
        except BaseException:
            await service.repo.release_attachment(booking.id)
            raise
    except AppError as error:
        return error_response(error)
    return Response(orjson.dumps({"id": attachment.id, "filename": attachment.filename, "size": attachment.size,
                                  "contentType": attachment.content_type,
                                  "downloadUrl": f"/api/bookings/attachments/{attachment.id}"}),
                    status_code=201, media_type="application/json")


@router.get("/api/bookings/attachments/{attachment_id}")
async def download_attachment(attachment_id: str, request: Request) -> Response:
    try:
        state, user = await request_user(request)
        service = bookings(state)
        document = await service.repo.attachment_data(attachment_id)
        booking = await service.repo.booking(document["booking_id"]) if document else None
        if document is None or booking is None or not await service.can_view(user, booking):
            raise NotFound("No attachment has this id.", "不存在此附件。")
    except AppError as error:
        return error_response(error)
    return Response(bytes(document["data"]), media_type=document["content_type"],
                    headers={"Content-Disposition": _disposition(document.get("filename") or attachment_id),
                             "X-Content-Type-Options": "nosniff"})
