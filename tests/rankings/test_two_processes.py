"""With the change-stream broadcaster, a submission or publication in one app process reaches rankingUpdated
subscribers of another (two apps on one database, as two processes would be)."""

from __future__ import annotations

import asyncio
from datetime import date

from asgi_lifespan import LifespanManager

from backend.app import create_app
from backend.rankings.service import ranking_service
from backend.submissions.service import SaveRequest, submission_service
from backend.users.models import NewUser, Role
from tests.conftest import TEST_PASSWORD
from tests.rankings.conftest import scaled
from tests.waiting import PATIENCE, until


async def test_events_cross_app_processes_through_the_change_stream(settings, test_password_hash):
    mongo = settings.model_copy(update={"broadcast": "mongo"})
    first, second = create_app(mongo), create_app(mongo)
    async with LifespanManager(first, startup_timeout=60), LifespanManager(second, startup_timeout=60):
        a, b = first.state.incubench, second.state.incubench
        try:
            admin = await a.user_service.create_user(NewUser(username="admin", display_name="admin", role=Role.admin,
                                                             password=TEST_PASSWORD), password_hash=test_password_hash)
            incubator = (await a.incubator_service.create({
                "name_zh": "甲", "name_en": "Alpha", "kind": "incubator", "accreditation": "municipal",
                "sub_area": "desheng", "industries": ["fintech"], "founded_on": date(2015, 1, 1),
                "floor_area": 9000.0, "operator": "op"})).id
            ranking_service(a)
            listener = ranking_service(b).events.listen("2025Q3")
            heard = asyncio.ensure_future(anext(listener))
            await until(lambda: "2025Q3" in ranking_service(b).events._queues, "the listener to register its queue")
            await submission_service(a).save(admin, SaveRequest(incubator, "2025Q3", scaled(1.0), True))
            event = await asyncio.wait_for(heard, PATIENCE)
            assert event["reason"] == "inputs_changed" and event["incubator_ids"] == [incubator]
            await ranking_service(a).publish(admin, "2025Q3")
            published = await asyncio.wait_for(anext(listener), PATIENCE)
            assert published["reason"] == "published" and published["version"] == 1
            # the other process's cached ranking sees the new input (the stamps say so)
            evaluated = await ranking_service(b).evaluated("2025Q3")
            assert [r["incubator_id"] for r in evaluated.rows] == [incubator]
            await listener.aclose()
        finally:
            await a.client.drop_database(settings.database_name)
