"""``INCUBENCH_CORS_ORIGINS`` admits a page's websocket on GraphQL subscriptions as on /ws/v1."""

from __future__ import annotations

import json

import pytest
import websockets
from websockets.exceptions import InvalidStatus

PARTNER = "http://partner.example:8443"


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"cors_origins": [PARTNER]})


async def _graphql_socket(live_server, origin: str):
    return await websockets.connect(live_server.ws_url + "/graphql", subprotocols=["graphql-transport-ws"],
                                    origin=origin)


async def test_a_configured_origin_may_open_a_subscription_socket(live_server):
    ws = await _graphql_socket(live_server, PARTNER)
    try:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        # The handshake was accepted; the missing token is refused by the protocol, not by the origin check.
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    finally:
        await ws.close()


async def test_other_origins_are_refused_and_the_apps_own_is_admitted(live_server):
    with pytest.raises(InvalidStatus) as refused:
        await _graphql_socket(live_server, "http://evil.example")
    assert refused.value.response.status_code == 403
    own = await _graphql_socket(live_server, live_server.http_url)
    await own.close()
