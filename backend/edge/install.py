"""Wiring of the edge into the app: ``install_edge`` when the app is built, ``start_edge``/``stop_edge`` in
its lifespan."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from pymongo.errors import ConnectionFailure

from backend.edge.guard import EdgeGuard, Scope
from backend.edge.headers import SecurityHeaders
from backend.edge.health import router as health_router
from backend.edge.ratelimits import RequestLimits
from backend.edge.repository import CounterRepository
from backend.edge.responses import error_body
from backend.edge.supervisor import DatabaseSupervisor
from backend.embedded_db import EmbeddedDatabase
from backend.errors import BadUserInput, DatabaseUnavailable, FieldIssue
from backend.http import error_response
from backend.ratelimit import client_address
from backend.settings import Settings
from backend.state import AppState


@dataclass
class Edge:
    counters: CounterRepository
    limits: RequestLimits
    supervisor: DatabaseSupervisor | None
    trusted_proxies: list[ipaddress.IPv4Network | ipaddress.IPv6Network]

    @property
    def database_down(self) -> bool:
        return self.supervisor is not None and self.supervisor.down

    def client_address(self, scope: Scope) -> str:
        peer = scope.get("client")
        forwarded = [bytes(v).decode("latin-1") for k, v in scope.get("headers", ()) if k == b"x-forwarded-for"]
        return client_address(peer[0] if peer else None, forwarded, self.trusted_proxies)


async def _invalid_request(request: Request, error: Exception) -> Response:
    """FastAPI's own parameter checks (a missing upload, a query parameter of the wrong type), coded."""
    assert isinstance(error, RequestValidationError)
    issues = []
    for problem in error.errors():
        where = [str(part) for part in problem.get("loc", ()) if part not in ("body", "query", "path", "header")]
        field = ".".join(where) or "request"
        if problem.get("type") == "missing":
            issues.append(FieldIssue(field, f"'{field}' is required.", f"缺少“{field}”。"))
        else:
            issues.append(FieldIssue(field, f"'{field}' is not valid: {problem.get('msg', '')}.", f"“{field}”无效。"))
    if not issues:
        issues.append(FieldIssue("request", "The request is not valid.", "请求无效。"))
    return error_response(BadUserInput(issues))


async def _database_unavailable(request: Request, _: Exception) -> Response:
    return Response(error_body(DatabaseUnavailable(), request.url.path), status_code=503,
                    media_type="application/json", headers={"Retry-After": "2"})


def install_edge(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(EdgeGuard, allowed_hosts=settings.served_hosts(), jwt_secret=settings.resolved_jwt_secret)
    app.add_middleware(SecurityHeaders, production=settings.env == "production")
    app.add_exception_handler(ConnectionFailure, _database_unavailable)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.include_router(health_router)


def start_edge(app: FastAPI, state: AppState, embedded: EmbeddedDatabase | None) -> Edge:
    settings = state.settings
    counters = CounterRepository(state.db)
    state.limiter.shared = counters  # sign-in throttling counts in the database: every process shares it
    supervisor = DatabaseSupervisor(embedded, settings.var_dir) if embedded is not None else None
    if supervisor is not None:
        supervisor.start()
    edge = Edge(counters, RequestLimits(counters, settings.requests_per_user, settings.requests_per_address,
                                        settings.request_window_seconds),
                supervisor, list(settings.trusted_proxies))
    app.state.edge = edge
    return edge


async def stop_edge(app: FastAPI) -> None:
    edge: Edge | None = getattr(app.state, "edge", None)
    if edge is not None and edge.supervisor is not None:
        await edge.supervisor.stop()
