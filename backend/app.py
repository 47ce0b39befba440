"""The composition root. ``create_app()`` builds the FastAPI app: its lifespan (embedded database, client,
indexes, the services and their start/stop work, demo data) and every route, socket action and error
mapper, all registered here explicitly."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import plotly
from fastapi import FastAPI, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from backend import exports, static_ops
from backend.api.router import graphql_router
from backend.core.clock import Clock, SystemClock
from backend.core.db import ensure_indexes, make_client
from backend.core.settings import PROJECT_ROOT, Settings, get_settings
from backend.demo.seed import Seeders, seed_registry
from backend.demo.seed import seed_demo_if_empty as seed_demo_if_empty_
from backend.edge import repository as edge_repository
from backend.edge.install import install_edge, start_edge, stop_edge
from backend.embedded_db import EmbeddedDatabase, announce_running, withdraw_running
from backend.http import RequestIdMiddleware
from backend.incubators import repository as incubators_repository
from backend.platform_inputs.repository import PlatformStampRepository
from backend.platform_inputs.service import PlatformInputs
from backend.rankings import repository as rankings_repository
from backend.rankings.service import RankingService
from backend.roadshows import repository as roadshows_repository
from backend.roadshows.demo import seed_roadshows
from backend.roadshows.repository import RoadshowRepository
from backend.roadshows.service import RoadshowService
from backend.roadshows.slides import router as roadshow_slides
from backend.startups import repository as startups_repository
from backend.state import AppState
from backend.submissions import repository as submissions_repository
from backend.submissions.demo import seed_quarterly_metrics
from backend.submissions.http import router as submissions_http
from backend.submissions.repository import SubmissionRepository
from backend.submissions.service import SubmissionService
from backend.users import repository as users_repository
from backend.users.repository import UserRepository
from cloud_incubator import gateway
from cloud_incubator import store as event_store
from cloud_incubator.bookings import repository as bookings_repository
from cloud_incubator.bookings.actions import BOOKING_ACTIONS
from cloud_incubator.bookings.demo import seed_ip_workstations
from cloud_incubator.bookings.http import router as bookings_http
from cloud_incubator.bookings.repository import BookingRepository
from cloud_incubator.bookings.service import CONSULTATION_FIELDS, BookingService, consultation_counts
from cloud_incubator.broadcast import stop_broadcaster
from cloud_incubator.matchmaking import repository as matchmaking_repository
from cloud_incubator.matchmaking.actions import NEGOTIATION_ACTIONS
from cloud_incubator.matchmaking.demo import seed_matchmaking
from cloud_incubator.matchmaking.service import (
    SCORED_COOPERATIONS,
    MatchmakingService,
    signed_cooperation_counts,
)
from cloud_incubator.registry import action_table
from cloud_incubator.rooms import actions as rooms
from cloud_incubator.rooms.actions import ROOM_ACTIONS

log = logging.getLogger("backend")

STATIC_DIR = PROJECT_ROOT / "frontend_static"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

StartupHook = Callable[[AppState], Awaitable[None]]

# Every index the app's queries use, by repository (tests/query_plans.py checks the queries against them).
INDEXES = (*users_repository.INDEXES, *incubators_repository.INDEXES, *startups_repository.INDEXES,
           *submissions_repository.INDEXES, *rankings_repository.INDEXES, *roadshows_repository.INDEXES,
           *matchmaking_repository.INDEXES, *bookings_repository.INDEXES, *event_store.INDEXES,
           *edge_repository.INDEXES)

# The demo park, in the order it is built (names are recorded so each runs once per database).
DEMO_SEEDERS: Seeders = (("registry", seed_registry), ("roadshows", seed_roadshows),
                         ("quarterly-metrics", seed_quarterly_metrics), ("ip-workstations", seed_ip_workstations),
                         ("matchmaking", seed_matchmaking))

# Every /ws/v1 action, by domain.
SOCKET_ACTIONS = (ROOM_ACTIONS, BOOKING_ACTIONS, NEGOTIATION_ACTIONS)


def build_services(state: AppState) -> None:
    """The domain services, each given what it uses, in dependency order."""
    db = state.db
    state.platform_inputs = PlatformInputs(PlatformStampRepository(db), providers={
        **dict.fromkeys(CONSULTATION_FIELDS, consultation_counts),
        **dict.fromkeys(SCORED_COOPERATIONS.values(), signed_cooperation_counts)})
    state.submissions = SubmissionService(SubmissionRepository(db), state.incubators, state.calendar)
    state.roadshows = RoadshowService(RoadshowRepository(db), state.users, state.startups)
    state.bookings = BookingService(state, BookingRepository(db))
    state.matchmaking = MatchmakingService(state)
    # Listening from the start: a submission or platform change made in this process must reach ranking
    # pages served by other processes even before this one has served a ranking.
    state.rankings = RankingService(state)


def create_app(settings: Settings | None = None, *, seed_demo_if_empty: bool = False,
               on_ready: StartupHook | None = None, clock: Clock | None = None) -> FastAPI:
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
            await ensure_indexes(db, INDEXES)
            await UserRepository(db).add_missing_search_keys()
            state = AppState(settings=settings, client=client, db=db, clock=clock or SystemClock(),
                             actions=action_table(*SOCKET_ACTIONS),
                             socket_closed_handlers=(rooms.on_disconnect,))
            start_edge(app, state, embedded)  # shared counters; supervises the embedded database from here on
            app.state.incubench = state
            app.state.embedded_db = embedded
            settings.resolved_jwt_secret()
            await gateway.start(state)  # the broadcaster first: the services below publish through it
            build_services(state)
            await rooms.close_stale_attendance(state)
            if seed_demo_if_empty:  # after the broadcaster: seeders publish live events
                await seed_demo_if_empty_(state, DEMO_SEEDERS)
            if on_ready is not None:
                await on_ready(state)
            yield
            await rooms.shutdown(state)
            await stop_broadcaster(state)
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

    app.add_middleware(RequestIdMiddleware)

    install_edge(app, settings)  # body and rate limits, hosts, security headers, /livez and /readyz
    graphiql, introspection = settings.developer_tools()
    app.include_router(graphql_router(settings.cors_origins, graphiql=graphiql, introspection=introspection),
                       prefix="/graphql")

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    async def plotly_js() -> FileResponse:
        return FileResponse(PLOTLY_JS, media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    app.include_router(static_ops.router)  # /graphql-operations/<Name>.graphql for the pages
    app.include_router(gateway.router)  # /ws/v1
    app.include_router(roadshow_slides)  # roadshow slide uploads (GridFS) and downloads
    app.include_router(bookings_http)  # IP-workstation bookings: .ics exports, attachments
    app.include_router(submissions_http)  # metrics import (CSV/XLSX)
    app.include_router(exports.router)  # exports of any view (CSV/XLSX)

    @app.get("/", include_in_schema=False)
    async def index() -> Response:
        return RedirectResponse("/index.html")

    if STATIC_DIR.exists():
        app.mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="static")
    return app

