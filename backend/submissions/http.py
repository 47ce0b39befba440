"""HTTP route: bulk import of quarterly metrics (CSV/XLSX upload), authenticated with the same bearer token
as GraphQL. Exports of every view are in backend/exports.py."""

from __future__ import annotations

import anyio
import orjson
from fastapi import APIRouter, Request, Response, UploadFile

from backend.core.errors import AppError, Forbidden
from backend.http import error_response, request_user
from backend.submissions.service import SaveRequest, submission_service
from backend.submissions.tabular import MAX_IMPORT_BYTES, parse_import, read_table
from backend.users.models import Role

router = APIRouter()


@router.post("/api/submissions/import")
async def import_metrics(request: Request, file: UploadFile, dry_run: bool = False) -> Response:
    """All-or-nothing: every line is checked first; any problem → 400 with one error per line and field."""
    try:
        state, user = await request_user(request)
        if user.role not in (Role.admin, Role.manager):
            raise Forbidden("Only admins and incubator managers import metrics.", "只有系统管理员和孵化器管理员可以导入指标。")
        content = await file.read(MAX_IMPORT_BYTES + 1)
        # Parsing is CPU-bound: off the event loop, so other clients are served meanwhile.
        requests = await anyio.to_thread.run_sync(_parse_upload, content, file.filename or "")
        service = submission_service(state)
        if dry_run:
            await service.save_many(user, requests, source="import", dry_run=True)
            return Response(orjson.dumps({"rows": len(requests), "stored": 0, "dryRun": True}),
                            media_type="application/json")
        revisions = await service.save_many(user, requests, source="import")
    except AppError as error:
        return error_response(error)
    body = {"rows": len(requests), "stored": len(revisions), "dryRun": False,
            "revisions": [{"incubatorId": r.incubator_id, "quarter": r.quarter, "revision": r.revision,
                           "status": r.status.value} for r in revisions]}
    return Response(orjson.dumps(body), media_type="application/json")


def _parse_upload(content: bytes, filename: str) -> list[SaveRequest]:
    return parse_import(read_table(content, filename))
