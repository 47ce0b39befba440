"""One coded JSON shape for every request refused at the edge, bilingual as GraphQL errors are.

``/graphql`` answers in the GraphQL shape (``{"errors": [{"message", "extensions": {"code", …}}]}``);
every other HTTP route in the shape of ``backend.http.error_response`` (``{"error": {"code", …}}``).
"""

from __future__ import annotations

from typing import Any

import orjson

from backend.errors import AppError


def error_body(error: AppError, path: str) -> bytes:
    extensions = error.extensions
    if path.rstrip("/") == "/graphql":
        return orjson.dumps({"errors": [{"message": f"{error.message_en} {error.message_zh}",
                                         "extensions": extensions}]})
    return orjson.dumps({"error": extensions})


async def send_error(send: Any, error: AppError, path: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """Answer an HTTP request with ``error`` (status from the error class)."""
    body = error_body(error, path)
    await send({"type": "http.response.start", "status": error.http_status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store"), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})
