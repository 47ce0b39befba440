"""Finding 7: every malformed request gets one coded JSON answer (bilingual), never a traceback or plain
text, and the server stays fast for everyone else meanwhile."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from backend.users.models import Role


def _graphql_error(response: httpx.Response) -> dict:
    assert response.headers["content-type"].startswith("application/json"), response.text
    errors = response.json()["errors"]
    assert len(errors) == 1
    extensions = errors[0]["extensions"]
    assert extensions["message_zh"] and extensions["message_en"]
    return extensions


@pytest.mark.parametrize("body", [b'"a string"', b"42", b"null", b"[1, 2]", b"{not json", b'{"query": 7}',
                                  b'{"query": "{ me { id } }", "variables": [1]}'])
async def test_a_body_that_is_not_a_graphql_request_object_is_a_coded_400(live_server, probe, body):
    async def attack() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=live_server.http_url, timeout=30) as http:
            return await asyncio.gather(*[http.post("/graphql", content=body,
                                                    headers={"content-type": "application/json"})
                                          for _ in range(20)])

    responses = await probe.run_during(attack)
    for response in responses:
        assert response.status_code == 400
        assert _graphql_error(response)["code"] == "BAD_REQUEST"
    probe.assert_fast()


async def test_wrong_content_type_syntax_errors_and_the_token_limit_are_coded(live_server):
    async with httpx.AsyncClient(base_url=live_server.http_url, timeout=30) as http:
        form = await http.post("/graphql", data={"query": "{ me { id } }"})
        assert form.status_code == 400 and _graphql_error(form)["code"] == "BAD_REQUEST"
        syntax = await http.post("/graphql", json={"query": "{ me { id "})
        assert _graphql_error(syntax)["code"] == "GRAPHQL_PARSE_FAILED"
        tokens = await http.post("/graphql", json={"query": "{ " + "a " * 7000 + "}"})
        assert _graphql_error(tokens)["code"] == "GRAPHQL_PARSE_FAILED"


async def test_a_subscription_sent_as_post_is_a_coded_refusal_not_internal(live_server, make_live_user):
    _, token = make_live_user("eve", Role.evaluator)
    async with httpx.AsyncClient(base_url=live_server.http_url, timeout=30) as http:
        response = await http.post("/graphql", headers={"Authorization": f"Bearer {token}"}, json={
            "query": 'subscription { rankingUpdated(quarter: "2025Q3") { quarter } }'})
    assert response.status_code in (200, 400)
    assert _graphql_error(response)["code"] == "BAD_REQUEST"


async def test_the_import_endpoint_without_a_file_answers_in_the_coded_shape(live_server, make_live_user):
    _, token = make_live_user("manny", Role.admin)
    async with httpx.AsyncClient(base_url=live_server.http_url, timeout=30) as http:
        response = await http.post("/api/submissions/import", headers={"Authorization": f"Bearer {token}"},
                                   data={"nothing": "here"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "BAD_USER_INPUT" and error["field"] == "file" and error["message_zh"]


@pytest.mark.parametrize("quarter", ["0000Q1", "٢٠٢٦Q4", "２０２６Q4", "2026Q4\n", "9999Q1"])
async def test_odd_quarters_are_bad_input_not_internal_nor_a_separate_quarter(live_server, make_live_user, quarter):
    """Finding 9 as well: only ASCII digits, a sane year range (1980–2099)."""
    _, token = make_live_user("eva", Role.evaluator)
    async with httpx.AsyncClient(base_url=live_server.http_url, timeout=30) as http:
        response = await http.post("/graphql", headers={"Authorization": f"Bearer {token}"}, json={
            "query": "query($q: String!) { ranking(quarter: $q) { quarter } }", "variables": {"q": quarter}})
    codes = [e["extensions"]["code"] for e in response.json()["errors"]]
    assert codes and set(codes) == {"BAD_USER_INPUT"}, response.text
