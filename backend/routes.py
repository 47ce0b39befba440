"""Non-GraphQL routes of feature modules; each feature adds its router here."""

from __future__ import annotations

from fastapi import FastAPI


def include_routes(app: FastAPI) -> None:
    from backend import static_ops
    static_ops.include(app)  # /graphql-operations/<Name>.graphql for the pages
    return None
