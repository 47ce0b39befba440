"""Finding 4: the validation cost is bounded before validation runs, expensive fields have a work budget,
and API requests are rate-limited per user and per address with counts shared by every app process."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from backend.api.cost import FIELD_WEIGHTS, MAX_COST, MAX_SAME_NAME, document_cost
from backend.core.errors import QueryTooComplex
from backend.users.models import Role
from graphql import parse
from tests.conftest import OPERATIONS_DIR, LiveServer


def _codes(response: httpx.Response) -> list[str]:
    return [e["extensions"]["code"] for e in response.json()["errors"]]


async def test_a_query_of_repeated_fields_is_refused_before_validation_and_others_stay_fast(live_server, probe):
    """~12 KB of ``id`` repeated (inside the token and alias limits): without the limit, the overlapping-
    fields rule alone took seconds; each variant defeats the validation cache."""

    async def attack() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=live_server.http_url, timeout=60) as http:
            return await asyncio.gather(*[http.post("/graphql", json={
                "query": "{ me { " + f"a{n}: id " + "id " * 2900 + "} }"}) for n in range(6)])

    for response in await probe.run_during(attack):
        assert _codes(response) == ["QUERY_TOO_COMPLEX"]
        assert response.json()["errors"][0]["extensions"]["message_zh"]
    probe.assert_fast()


async def test_aliased_explain_change_calls_exceed_the_work_budget(live_server, make_live_user, probe):
    _, token = make_live_user("eve", Role.evaluator)
    calls = " ".join(f'e{n}: explainChange(fromQuarter: "2025Q2", toQuarter: "2025Q3") {{ totalCount }}'
                     for n in range(39))

    async def attack() -> httpx.Response:
        async with httpx.AsyncClient(base_url=live_server.http_url, timeout=60) as http:
            return await http.post("/graphql", json={"query": "{ " + calls + " }"},
                                   headers={"Authorization": f"Bearer {token}"})

    response = await probe.run_during(attack)
    assert _codes(response) == ["QUERY_TOO_COMPLEX"]
    probe.assert_fast()


def test_the_cost_estimate_counts_fields_fragments_and_weights():
    """By hand: ``{ a { b c } ...F } fragment F on Q { d }`` costs a(1)+b(1)+c(1) + F spread (d: 1) + the
    fragment definition itself (1, its body already counted) = 5; ``whatIf`` weighs FIELD_WEIGHTS['whatIf']."""
    assert document_cost(parse("{ a { b c } ...F } fragment F on Q { d }")) == 5
    assert document_cost(parse("{ whatIf { score } }")) == FIELD_WEIGHTS["whatIf"] + 1
    with pytest.raises(QueryTooComplex):
        document_cost(parse("{ me { " + "id " * (MAX_SAME_NAME + 1) + "} }"))
    with pytest.raises(QueryTooComplex):
        document_cost(parse("{ " + " ".join(f"w{n}: whatIf {{ s }}" for n in range(MAX_COST // 250 + 1)) + " }"))


def test_every_operation_the_pages_use_is_within_the_cost_limit():
    for path in OPERATIONS_DIR.glob("*.graphql"):
        assert document_cost(parse(path.read_text(encoding="utf-8"))) <= MAX_COST // 2, path.name


@pytest.fixture
def tight_settings(settings):
    # A day-long window: the counts cannot roll over into a new window while the test runs.
    return settings.model_copy(update={"requests_per_user": 30, "requests_per_address": 20,
                                       "request_window_seconds": 86400})


@pytest.fixture
def two_processes(tight_settings):
    """Two app servers on one database (as two processes behind a load balancer would be)."""
    servers = []
    for _n in range(2):
        server = LiveServer(tight_settings)
        original = server.server.startup

        async def startup(*args, server=server, original=original, **kwargs):
            server._loop = asyncio.get_running_loop()
            await original(*args, **kwargs)

        server.server.startup = startup
        server.start()
        servers.append(server)
    yield servers
    for server in servers:
        server.stop()


async def test_anonymous_requests_are_limited_per_address_across_processes(two_processes):
    first, second = two_processes
    codes: list[int] = []
    async with httpx.AsyncClient(timeout=30) as http:
        for n in range(24):
            server = first if n % 2 else second
            response = await http.post(f"{server.http_url}/graphql", json={"query": "{ me { id } }"})
            codes.append(response.status_code)
        assert codes[:20] == [200] * 20 and codes[20:] == [429] * 4
        response = await http.post(f"{first.http_url}/graphql", json={"query": "{ me { id } }"})
        assert response.status_code == 429 and int(response.headers["retry-after"]) >= 1
        assert response.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_a_user_is_limited_on_their_own_count_not_their_addresses(two_processes):
    from tests.edge.conftest import _make_user
    from tests.submissions.helpers import token_for

    first, second = two_processes
    user = first.run_coroutine(_make_user(first.state, "busy", Role.evaluator))
    headers = {"Authorization": f"Bearer {token_for(user)}"}
    async with httpx.AsyncClient(timeout=30) as http:
        statuses = [(await http.post(f"{(first, second)[n % 2].http_url}/graphql", headers=headers,
                                     json={"query": "{ me { id } }"})).status_code for n in range(32)]
        assert statuses[:30] == [200] * 30 and statuses[30:] == [429] * 2
        anonymous = await http.post(f"{first.http_url}/graphql", json={"query": "{ me { id } }"})
        assert anonymous.status_code == 200  # the address's own budget is untouched
