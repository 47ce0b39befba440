"""The exported SDL is current, every named operation validates, and graphql/ holds no Python."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql.language import OperationDefinitionNode

from backend.api.schema import SDL_PATH, export_sdl
from graphql import build_schema as build_sdl
from graphql import parse, validate

GRAPHQL_DIR = SDL_PATH.parent
OPERATIONS = sorted((GRAPHQL_DIR / "operations").glob("*.graphql"))


def test_exported_sdl_is_current():
    assert SDL_PATH.read_text(encoding="utf-8") == export_sdl(), (
        "graphql/schema.graphql is stale: run `.venv/bin/incubench export-schema`")


def test_graphql_directory_holds_no_python():
    assert not [p for p in GRAPHQL_DIR.rglob("*.py")]


@pytest.mark.parametrize("path", OPERATIONS, ids=lambda p: p.stem)
def test_named_operation_validates_against_the_schema(path: Path):
    schema = build_sdl(SDL_PATH.read_text(encoding="utf-8"))
    document = parse(path.read_text(encoding="utf-8"))
    errors = validate(schema, document)
    assert not errors, [e.message for e in errors]
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    assert len(operations) == 1 and operations[0].name is not None
    assert operations[0].name.value == path.stem, "one named operation per file, named like the file"


def test_there_are_operations():
    assert len(OPERATIONS) >= 8


async def test_validation_is_cached_across_requests():
    """Per-request limiter instances must not defeat ValidationCache (it is keyed by the rule classes)."""
    from strawberry.extensions.validation_cache import _get_validate_cache

    from backend.api.schema import build_schema

    schema = build_schema()
    cache = _get_validate_cache(512)
    query = "query Twice { __typename }"
    await schema.execute(query)
    hits = cache.cache_info().hits
    await schema.execute(query)
    assert cache.cache_info().hits == hits + 1
