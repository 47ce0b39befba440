"""Liveness and readiness.

``/livez``: the process answers (200 while the event loop runs). ``/readyz`` (and ``/healthz``, its older
name): a real write and read of the database within ``READY_TIMEOUT`` seconds; 503 when it fails, times out,
or the supervised embedded database is being restarted. A load balancer sends traffic only while ready.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response

log = logging.getLogger(__name__)
router = APIRouter()
READY_TIMEOUT = 2.0
PROCESS = f"{socket.gethostname()}:{os.getpid()}"


def _json(body: dict[str, Any], status: int) -> Response:
    return Response(orjson.dumps(body), media_type="application/json", status_code=status,
                    headers={"Cache-Control": "no-store"})


@router.get("/livez", include_in_schema=False)
async def livez() -> Response:
    return _json({"status": "alive"}, 200)


@router.get("/readyz", include_in_schema=False)
@router.get("/healthz", include_in_schema=False)
async def readyz(request: Request) -> Response:
    app = request.app
    edge = getattr(app.state, "edge", None)
    kind = "embedded" if getattr(app.state, "embedded_db", None) is not None else "external"
    database, reason = "down", "starting"
    if edge is not None and edge.database_down:
        reason = "restarting"
    elif edge is not None:
        try:
            await asyncio.wait_for(edge.counters.round_trip(PROCESS, datetime.now(UTC)), READY_TIMEOUT)
            database, reason = "up", ""
        except TimeoutError:
            reason = "timeout"
        except Exception as error:
            log.warning("readiness: database round trip failed: %s", error)
            reason = type(error).__name__
    body: dict[str, Any] = {"status": "ok" if database == "up" else "unavailable", "database": database,
                            "databaseKind": kind, "version": app.version}
    if reason:
        body["reason"] = reason
    return _json(body, 200 if database == "up" else 503)
