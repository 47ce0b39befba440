from __future__ import annotations

import pytest

from tests.submissions.helpers import Park, make_park


@pytest.fixture
async def park(gql, people) -> Park:
    return await make_park(gql, people)
