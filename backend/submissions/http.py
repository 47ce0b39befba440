"""HTTP routes: bulk import of quarterly metrics (CSV/XLSX upload) and export of any view as CSV or XLSX,
authenticated with the same bearer token as GraphQL."""

from __future__ import annotations

import re
from typing import Any

import anyio
import orjson
from fastapi import APIRouter, Request, Response, UploadFile

from backend.errors import AppError, BadUserInput, Forbidden, NotFound
from backend.http import error_response, request_user
from backend.rankings.service import rank_by_dimension, ranking_service
from backend.state import AppState
from backend.submissions.service import SaveRequest, scheme, submission_service
from backend.submissions.tabular import MAX_IMPORT_BYTES, Table, parse_import, read_table, to_csv, to_xlsx
from backend.users.models import Role, User

router = APIRouter()
STAFF = (Role.admin, Role.evaluator)
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


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


@router.get("/api/export/{view}.{fmt}")
async def export_view(view: str, fmt: str, request: Request) -> Response:
    try:
        if fmt not in MEDIA:
            raise BadUserInput.single("format", "Export as csv or xlsx.", "导出格式须为 csv 或 xlsx。")
        state, user = await request_user(request)
        params = request.query_params
        builders = {"submissions": _submissions, "ranking": _ranking, "scorecard": _scorecard,
                    "revisions": _revisions, "missing": _missing, "compare": _compare}
        if view not in builders:
            raise NotFound(f"No view named '{view}' (use {', '.join(sorted(builders))}).", f"不存在视图“{view}”。",
                           field="view")
        table = await builders[view](state, user, params)
    except AppError as error:
        return error_response(error)
    body = await anyio.to_thread.run_sync(to_csv if fmt == "csv" else to_xlsx, table)  # off the event loop
    # Only safe characters in the header (the parameters are the caller's text: quotes, CR/LF, Chinese).
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", "-".join(
        [view, *[str(params[k]) for k in ("quarter", "incubatorId") if params.get(k)]]))
    return Response(body, media_type=MEDIA[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


def _need(params: Any, name: str) -> str:
    value = params.get(name)
    if not value:
        raise BadUserInput.single(name, f"The parameter '{name}' is required.", f"缺少参数“{name}”。")
    return str(value)


def _own(user: User, incubator_id: str | None) -> None:
    if user.role in STAFF:
        return
    if user.role is Role.manager and incubator_id == user.incubator_id:
        return
    raise Forbidden("Managers may export only their own incubator's data.", "管理员只能导出本孵化器的数据。")


async def _names(state: AppState) -> dict[str, tuple[str, str]]:
    return {i.id: (i.name_zh, i.name_en) for i in await state.incubators.all()}


async def _submissions(state: AppState, user: User, params: Any) -> Table:
    quarter = _need(params, "quarter")
    incubator_id = params.get("incubatorId") or (user.incubator_id if user.role is Role.manager else None)
    if incubator_id is None and user.role not in STAFF:
        raise Forbidden()
    if incubator_id is not None:
        _own(user, incubator_id)
    service = submission_service(state)
    service._check_quarter(quarter)
    heads = await service.repository.heads_for_quarters([quarter], submitted_only=False)
    names = await _names(state)
    fields = [f.id for f in scheme().reported_fields]
    rows = []
    for head in sorted(heads, key=lambda h: names.get(h.incubator_id, ("", h.incubator_id))[1]):
        if incubator_id is not None and head.incubator_id != incubator_id:
            continue
        metrics = head.submitted_metrics if head.submitted_metrics is not None else head.metrics
        zh, en = names.get(head.incubator_id, ("", ""))
        rows.append([head.incubator_id, en, zh, quarter, head.submitted_revision or head.revision,
                     "submitted" if head.submitted_metrics is not None else "draft",
                     *[metrics.get(f) for f in fields]])
    return Table(f"submissions {quarter}", ["incubator_id", "name_en", "name_zh", "quarter", "revision", "status",
                                            *fields], rows)


async def _ranking(state: AppState, user: User, params: Any) -> Table:
    quarter = _need(params, "quarter")
    method = params.get("method", "arithmetic")
    service = ranking_service(state)
    service.check(quarter, method, None, params.get("dimension"))
    version = params.get("version")
    if version is not None and not version.isdigit():
        raise BadUserInput.single("version", "The version must be a whole number.", "版本号须为整数。")
    source = params.get("source") or ("live" if user.role in STAFF and not version else "published")
    if source not in ("live", "published"):
        raise BadUserInput.single("source", "The source must be live or published.", "来源须为 live 或 published。")
    if source == "live":
        if user.role not in STAFF:
            raise Forbidden("Only evaluators see live rankings.", "只有评估人员可查看实时排名。")
        evaluated = await service.evaluated(quarter, method)
        rows = evaluated.rows if evaluated else []
    else:
        snapshot = await service.published(quarter, int(version) if version else None)
        if snapshot is None:
            raise NotFound(f"No ranking of {quarter} has been published yet.", f"{quarter} 排名尚未发布。",
                           field="quarter")
        rows = snapshot["outputs"]
    if params.get("dimension"):
        rows = rank_by_dimension(rows, params["dimension"])
    dims = list(scheme().dimension_ids)
    return Table(f"ranking {quarter}", ["rank", "incubator_id", "name_en", "name_zh", "composite", *dims, "tier",
                                        "rank_change", "rank_low", "rank_high", "imputed"],
                 [[r["rank"], r["incubator_id"], r["name_en"], r["name_zh"], r["composite"],
                   *[r["dimensions"][d] for d in dims], r["tier"], r["rank_change"], r["rank_low"], r["rank_high"],
                   " ".join(r["imputed"])] for r in rows])


async def _scorecard(state: AppState, user: User, params: Any) -> Table:
    quarter, incubator_id = _need(params, "quarter"), _need(params, "incubatorId")
    _own(user, incubator_id)
    evaluated = await ranking_service(state).evaluated(quarter)
    if evaluated is None or incubator_id not in evaluated.result.incubator_ids:
        raise NotFound("This incubator has no submitted metrics for this quarter.", "该孵化器本季度无已提交的指标。",
                       field="incubatorId")
    keys = ["indicator_id", "name_en", "name_zh", "dimension", "raw", "value", "normalized", "weight",
            "effective_weight", "contribution", "threshold", "unit", "direction", "status"]
    return Table(f"scorecard {quarter}", keys, [[r[k] for k in keys]
                                                for r in evaluated.result.scorecard(incubator_id)])


async def _revisions(state: AppState, user: User, params: Any) -> Table:
    quarter, incubator_id = _need(params, "quarter"), _need(params, "incubatorId")
    _own(user, incubator_id)
    service = submission_service(state)
    service._check_quarter(quarter)
    rows, _ = await service.revisions(incubator_id, quarter, 1000, None)
    fields = [f.id for f in scheme().reported_fields]
    return Table(f"revisions {quarter}", ["revision", "status", "author", "created_at", "changed_fields", "source",
                                          *fields],
                 [[r.revision, r.status.value, r.author_name, r.created_at, " ".join(r.changed_fields), r.source,
                   *[r.metrics.get(f) for f in fields]] for r in rows])


async def _missing(state: AppState, user: User, params: Any) -> Table:
    if user.role not in STAFF:
        raise Forbidden()
    quarter = _need(params, "quarter")
    rows = await submission_service(state).missing(quarter)
    return Table(f"missing {quarter}", ["incubator_id", "name_en", "name_zh", "draft_revision"],
                 [[i.id, i.name_en, i.name_zh, h.revision if h else None] for i, h in rows])


async def _compare(state: AppState, user: User, params: Any) -> Table:
    ids = [i for i in _need(params, "incubatorIds").split(",") if i]
    quarters = [q for q in _need(params, "quarters").split(",") if q]
    for incubator_id in ids:
        _own(user, incubator_id)
    service = ranking_service(state)
    dims = list(scheme().dimension_ids)
    rows = []
    for quarter in quarters[:12]:
        evaluated = await service.evaluated(quarter)
        for incubator_id in ids:
            row = evaluated.row(incubator_id) if evaluated else None
            rows.append([incubator_id, quarter, row["rank"] if row else None, row["composite"] if row else None,
                         row["tier"] if row else None, *[row["dimensions"][d] if row else None for d in dims]])
    return Table("compare", ["incubator_id", "quarter", "rank", "composite", "tier", *dims], rows)
