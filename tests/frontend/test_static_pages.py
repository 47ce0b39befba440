"""The pages' files are served, their module imports resolve, and named operations are served
read-only by name (and nothing else under graphql/)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "frontend_static"
OPERATIONS = ROOT / "graphql" / "operations"
IMPORT = re.compile(r"""^\s*import\s[^'"]*['"]([^'"]+)['"]""", re.M)


def test_every_module_import_and_page_script_exists():
    for path in STATIC.rglob("*.js"):
        for target in IMPORT.findall(path.read_text(encoding="utf-8")):
            assert (path.parent / target).resolve().is_file(), f"{path.relative_to(ROOT)} imports {target}"
    for page in STATIC.rglob("*.html"):
        for src in re.findall(r'<script type="module" src="([^"]+)"', page.read_text(encoding="utf-8")):
            assert (STATIC / src.lstrip("/")).is_file(), f"{page.name} loads {src}"


def test_every_operation_a_page_runs_exists():
    names = set()
    for path in STATIC.rglob("*.js"):
        names |= set(re.findall(r"""\bgql\(\s*'([A-Z]\w+)'""", path.read_text(encoding="utf-8")))
        names |= set(re.findall(r"""\bsubscribe\(\s*'([A-Z]\w+)'""", path.read_text(encoding="utf-8")))
    assert len(names) > 20
    assert sorted(n for n in names if not (OPERATIONS / f"{n}.graphql").is_file()) == []


async def test_operations_are_served_by_name_only(client):
    response = await client.get("/graphql-operations/Me.graphql")
    assert response.status_code == 200
    assert response.text == (OPERATIONS / "Me.graphql").read_text(encoding="utf-8")
    for bad in ("me.graphql", "Me.txt", "Nope.graphql", "..%2Fschema.graphql", "%2E%2E%2Fschema.graphql",
                "Me.graphql%00", "A" * 90 + ".graphql"):
        assert (await client.get(f"/graphql-operations/{bad}")).status_code == 404, bad
    assert (await client.get("/graphql-operations/../schema.graphql")).status_code == 404


@pytest.mark.parametrize("page", ["/index.html", "/pages/dashboard.html", "/pages/scorecard.html", "/pages/submit.html",
                                  "/pages/roadshows.html", "/pages/room.html", "/pages/matchmaking.html",
                                  "/pages/bookings.html", "/pages/workstations.html", "/pages/sessions.html",
                                  "/pages/admin.html", "/js/i18n/zh.json", "/js/i18n/en.json", "/css/app.css"])
async def test_pages_are_served(client, page):
    response = await client.get(page)
    assert response.status_code == 200


async def test_plotly_is_served_by_the_app(client):
    response = await client.get("/vendor/plotly.min.js")
    assert response.status_code == 200 and len(response.content) > 1_000_000
