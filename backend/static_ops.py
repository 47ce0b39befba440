"""Read-only route serving the named GraphQL operations to the pages, so pages and tests share them."""

from __future__ import annotations

import re

from fastapi import APIRouter
from fastapi.responses import Response

from backend.core.settings import PROJECT_ROOT

OPERATIONS_DIR = PROJECT_ROOT / "graphql" / "operations"
# An operation name: a capitalised identifier, nothing that could walk out of the folder.
_NAME = re.compile(r"^[A-Z][A-Za-z0-9]{0,79}\.graphql$")

router = APIRouter()


@router.get("/graphql-operations/{filename}", include_in_schema=False)
async def graphql_operation(filename: str) -> Response:
    if not _NAME.fullmatch(filename):
        return Response(b"unknown operation", status_code=404, media_type="text/plain")
    path = OPERATIONS_DIR / filename
    if not path.is_file():
        return Response(b"unknown operation", status_code=404, media_type="text/plain")
    return Response(path.read_bytes(), media_type="application/graphql; charset=utf-8",
                    headers={"Cache-Control": "no-cache"})


