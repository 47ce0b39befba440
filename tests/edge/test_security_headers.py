"""Finding 8 (server side): every page and API answer carries a strict CSP without inline script,
frame-ancestors 'none', nosniff and a Referrer-Policy; HSTS in production only; and finding 10's
production switches: GraphiQL, introspection and field suggestions off unless enabled."""

from __future__ import annotations

import re

import httpx
import pytest
from asgi_lifespan import LifespanManager

from backend.app import STATIC_DIR, create_app


async def test_pages_and_api_answers_carry_the_security_headers(client):
    for path in ("/index.html", "/pages/dashboard.html", "/js/api.js", "/livez"):
        response = await client.get(path)
        assert response.status_code == 200, path
        policy = response.headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval', no CDN
        assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in response.headers
    api = await client.post("/graphql", json={"query": "{ me { id } }"})
    assert api.headers["x-content-type-options"] == "nosniff"


def test_no_page_has_inline_script_or_inline_handlers():
    for page in STATIC_DIR.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), page
        assert not re.search(r"\son[a-z]+=", html), page


@pytest.fixture
def production_settings(settings):
    return settings.model_copy(update={"env": "production"})


async def _answers(settings):
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=60):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            ide = await http.get("/graphql", headers={"Accept": "text/html"})
            schema = await http.post("/graphql", json={"query": "{ __schema { types { name } } }"})
            typo = await http.post("/graphql", json={"query": "{ mee { id } }"})
            page = await http.get("/index.html")
        await app.state.incubench.client.drop_database(settings.database_name)
    return ide, schema, typo, page


async def test_production_hides_graphiql_introspection_and_suggestions(production_settings):
    ide, schema, typo, page = await _answers(production_settings)
    assert ide.status_code in (400, 404) and "graphiql" not in ide.text.lower()
    codes = [e["extensions"]["code"] for e in schema.json()["errors"]]
    assert codes and set(codes) == {"BAD_REQUEST"} and not schema.json().get("data")
    assert "Did you mean" not in typo.json()["errors"][0]["message"]
    assert page.headers["strict-transport-security"].startswith("max-age=")


async def test_production_may_enable_the_developer_tools_explicitly(production_settings):
    ide, schema, typo, _ = await _answers(production_settings.model_copy(update={"graphiql": True,
                                                                                  "introspection": True}))
    assert ide.status_code == 200 and "graphiql" in ide.text.lower()
    assert "errors" not in schema.json()
    assert "Did you mean" in typo.json()["errors"][0]["message"]
