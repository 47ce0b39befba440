"""``create_app()``: the FastAPI app, its lifespan (embedded database, client, indexes) and routes."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import plotly
from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from backend.api.router import graphql_router
from backend.db import ensure_indexes, make_client
from backend.edge.install import install_edge, start_edge, stop_edge
from backend.embedded_db import EmbeddedDatabase, announce_running, withdraw_running
from backend.settings import PROJECT_ROOT, Settings, get_settings
from backend.state import AppState

log = logging.getLogger("backend")

STATIC_DIR = PROJECT_ROOT / "frontend_static"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

StartupHook = Callable[[AppState], Awaitable[None]]
# Feature modules register start-up/shutdown work here (e.g. broadcasters, seeding).
STARTUP_HOOKS: list[StartupHook] = []
SHUTDOWN_HOOKS: list[StartupHook] = []


def create_app(settings: Settings | None = None, *, seed_demo_if_empty: bool = False,
               on_ready: StartupHook | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.check_production()
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        embedded: EmbeddedDatabase | None = None
        client = None
        try:
            uri = settings.mongodb_uri
            if not uri:
                settings.var_dir.mkdir(parents=True, exist_ok=True)
                embedded = EmbeddedDatabase(storage_path=str(settings.var_dir / "db"),
                                            log_path=settings.var_dir / "secantusd.log")
                await embedded.astart()
                uri = embedded.uri
                announce_running(settings.var_dir, uri, embedded.process.pid if embedded.process else None)
            client = make_client(uri)
            db = client[settings.database_name]
            await client.admin.command("ping")
            await ensure_indexes(db)
            from backend.users.repository import UserRepository

            await UserRepository(db).add_missing_search_keys()
            state = AppState(settings=settings, client=client, db=db)
            start_edge(app, state, embedded)  # shared counters; supervises the embedded database from here on
            app.state.incubench = state
            app.state.embedded_db = embedded
            settings.resolved_jwt_secret()
            for hook in STARTUP_HOOKS:
                await hook(state)
            # Listening from the start: a submission or platform change made in this process must reach
            # ranking pages served by other processes even before this one has served a ranking.
            from backend.rankings.service import ranking_service

            ranking_service(state)
            # After the hooks: demo seeders publish live events through the started broadcaster.
            if seed_demo_if_empty:
                from backend.demo.seed import seed_demo_if_empty as seed

                await seed(state)
            if on_ready is not None:
                await on_ready(state)
            yield
            for hook in SHUTDOWN_HOOKS:
                await hook(state)
        finally:
            await stop_edge(app)
            if client is not None:
                await client.close()
            if embedded is not None:
                withdraw_running(settings.var_dir, embedded.uri)
                await embedded.astop()

    app = FastAPI(title="incubench", version="0.1.0", lifespan=lifespan,
                  docs_url=None, redoc_url=None, default_response_class=Response)
    app.state.settings = settings
    app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
                       allow_methods=["GET", "POST"], allow_headers=["Authorization", "Content-Type"])

    @app.middleware("http")
    async def request_id(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        request.state.request_id = request.headers.get("x-request-id", uuid.uuid4().hex[:12])[:64]
        response = await call_next(request)
        response.headers["X-Request-ID"] = request.state.request_id
        return response

    install_edge(app, settings)  # body and rate limits, hosts, security headers, /livez and /readyz
    graphiql, introspection = settings.developer_tools()
    app.include_router(graphql_router(settings.cors_origins, graphiql=graphiql, introspection=introspection),
                       prefix="/graphql")

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    async def plotly_js() -> FileResponse:
        return FileResponse(PLOTLY_JS, media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    _include_feature_routes(app)

    @app.get("/", include_in_schema=False)
    async def index() -> Response:
        return RedirectResponse("/index.html")

    if STATIC_DIR.exists():
        app.mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="static")
    return app


def _include_feature_routes(app: FastAPI) -> None:
    """HTTP and websocket routes of feature modules (exports, uploads, /ws/v1)."""
    from backend.routes import include_routes

    include_routes(app)
