"""Non-GraphQL routes of feature modules; each feature adds its router here."""

from __future__ import annotations

from fastapi import FastAPI


def include_routes(app: FastAPI) -> None:
    return None
