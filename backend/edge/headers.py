"""Security headers on every HTTP response.

The pages load only their own scripts (no inline script, no CDN), so the policy allows scripts from the
site alone; styles may be inline (Plotly writes ``<style>`` elements). A roadshow's live stream is hosted
elsewhere: the room's player may fetch it over https (hls.js reads playlists and segments with fetch/XHR)
and play it (a file URL, or a ``blob:`` Media Source). GraphiQL (``GET /graphql``, off in
production unless enabled) loads its own scripts and keeps the headers without the policy.
"""

from __future__ import annotations

from backend.edge.guard import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self' https:; media-src 'self' https: blob:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    def __init__(self, app: ASGIApp, production: bool) -> None:
        self.app = app
        common = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"),
                  (b"x-frame-options", b"DENY")]
        if production:
            common.append((b"strict-transport-security", HSTS.encode()))
        self.common = common
        self.with_policy = [*common, (b"content-security-policy", CONTENT_SECURITY_POLICY.encode())]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.common if scope["path"].rstrip("/") == "/graphql" else self.with_policy

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)
