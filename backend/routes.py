"""Non-GraphQL routes of feature modules; each feature adds its router here."""

from __future__ import annotations

from fastapi import FastAPI


def include_routes(app: FastAPI) -> None:
    from backend import static_ops
    static_ops.include(app)  # /graphql-operations/<Name>.graphql for the pages
    from cloud_incubator.gateway import install as install_ws
    install_ws(app)  # /ws/v1 (cloud incubation sockets) and its broadcaster
    from backend.roadshows.slides import router as roadshow_slides
    app.include_router(roadshow_slides)  # roadshow slide uploads (GridFS) and downloads
    from cloud_incubator.bookings.http import router as bookings_http
    app.include_router(bookings_http)  # IP-workstation bookings: .ics exports, attachments
    from backend.submissions.http import router as submissions_http
    app.include_router(submissions_http)  # metrics import (CSV/XLSX) and exports of any view
    return None
