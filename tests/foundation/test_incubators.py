"""The incubator registry over GraphQL: create, update, tenancy, filters, pagination."""

from __future__ import annotations

from backend.users.models import Role
from tests.conftest import error_codes

NEW = {"nameZh": "测试孵化器甲", "nameEn": "Test Incubator A", "kind": "INCUBATOR", "accreditation": "NATIONAL",
       "subArea": "BEIZHAN", "industries": ["FINTECH", "DIGITAL"], "foundedOn": "2016-04-01",
       "floorArea": 15000.0, "operator": "测试运营公司"}


async def test_admin_creates_an_incubator_others_cannot(gql, people):
    await people.make("root", Role.admin)
    await people.make("eva", Role.evaluator)
    created = await gql.op("CreateIncubator", {"input": NEW}, token=await gql.login("root"))
    incubator = created["data"]["createIncubator"]
    assert incubator["subArea"] == "BEIZHAN" and incubator["industries"] == ["FINTECH", "DIGITAL"]
    denied = await gql.op("CreateIncubator", {"input": {**NEW, "nameEn": "Other"}}, token=await gql.login("eva"))
    assert error_codes(denied) == ["FORBIDDEN"]


async def test_create_incubator_bad_input_names_each_field_and_stores_nothing(gql, people, state):
    await people.make("root", Role.admin)
    token = await gql.login("root")
    bad = {**NEW, "nameZh": "", "industries": [], "foundedOn": "2999-01-01", "floorArea": -5.0}
    result = await gql.op("CreateIncubator", {"input": bad}, token=token)
    assert set(error_codes(result)) == {"BAD_USER_INPUT"}
    assert sorted(e["extensions"]["field"] for e in result["errors"]) == ["floorArea", "foundedOn", "industries", "nameZh"]
    assert await state.db.incubators.count_documents({}) == 0


async def test_graphql_type_errors_carry_a_code(gql, people):
    await people.make("root", Role.admin)
    result = await gql.op("CreateIncubator", {"input": {**NEW, "kind": "CASTLE"}}, token=await gql.login("root"))
    assert error_codes(result) == ["BAD_REQUEST"] or error_codes(result) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_manager_updates_own_incubator_but_not_another(gql, people, state):
    own = await people.incubator("Own Incubator")
    other = await people.incubator("Other Incubator")
    await people.make("mgr", Role.manager, incubator_id=own)
    token = await gql.login("mgr")
    updated = await gql.op("UpdateIncubator", {"incubatorId": own, "input": {"floorArea": 13000.0}}, token=token)
    assert updated["data"]["updateIncubator"]["floorArea"] == 13000.0
    denied = await gql.op("UpdateIncubator", {"incubatorId": other, "input": {"floorArea": 1.0}}, token=token)
    assert error_codes(denied) == ["FORBIDDEN"]
    assert (await state.db.incubators.find_one({"_id": other}))["floor_area"] == 12000.0
    registry_field = await gql.op("UpdateIncubator", {"incubatorId": own, "input": {"accreditation": "NATIONAL"}},
                                  token=token)
    assert error_codes(registry_field) == ["FORBIDDEN"]


async def test_update_with_bad_input_keeps_stored_values(gql, people, state):
    incubator_id = await people.incubator("Keep Me")
    await people.make("root", Role.admin)
    result = await gql.op("UpdateIncubator", {"incubatorId": incubator_id,
                                              "input": {"floorArea": 0.0, "nameEn": " " * 3}},
                          token=await gql.login("root"))
    assert sorted(e["extensions"]["field"] for e in result["errors"]) == ["floorArea", "nameEn"]
    stored = await state.db.incubators.find_one({"_id": incubator_id})
    assert stored["floor_area"] == 12000.0 and stored["name_en"] == "Keep Me"


async def test_unknown_incubator_is_not_found(gql, people):
    await people.make("root", Role.admin)
    token = await gql.login("root")
    assert error_codes(await gql.op("Incubator", {"id": "nope"}, token=token)) == ["NOT_FOUND"]
    assert error_codes(await gql.op("UpdateIncubator", {"incubatorId": "nope", "input": {"operator": "x"}},
                                    token=token)) == ["NOT_FOUND"]


async def test_filters_and_cursor_pagination(gql, people):
    for index, area in enumerate(["desheng", "beizhan", "guangan", "desheng", "desheng"]):
        await people.incubator(f"Incubator {index}", sub_area=area,
                               industries=["culture_tech"] if index == 3 else ["fintech"])
    await people.make("eva", Role.evaluator)
    token = await gql.login("eva")
    first = (await gql.op("Incubators", {"filter": {"subArea": "DESHENG"}, "first": 2}, token=token))["data"]["incubators"]
    assert [n["nameEn"] for n in first["nodes"]] == ["Incubator 0", "Incubator 3"] and first["hasNextPage"]
    rest = (await gql.op("Incubators", {"filter": {"subArea": "DESHENG"}, "first": 2, "after": first["endCursor"]},
                         token=token))["data"]["incubators"]
    assert [n["nameEn"] for n in rest["nodes"]] == ["Incubator 4"] and not rest["hasNextPage"]
    culture = (await gql.op("Incubators", {"filter": {"industry": "CULTURE_TECH"}}, token=token))["data"]["incubators"]
    assert [n["nameEn"] for n in culture["nodes"]] == ["Incubator 3"]
    # two filters at once (sub-area and industry), paged one at a time: 0 and 4 are Desheng fintech
    both = {"subArea": "DESHENG", "industry": "FINTECH"}
    page1 = (await gql.op("Incubators", {"filter": both, "first": 1}, token=token))["data"]["incubators"]
    assert [n["nameEn"] for n in page1["nodes"]] == ["Incubator 0"] and page1["hasNextPage"]
    page2 = (await gql.op("Incubators", {"filter": both, "first": 1, "after": page1["endCursor"]},
                          token=token))["data"]["incubators"]
    assert [n["nameEn"] for n in page2["nodes"]] == ["Incubator 4"] and not page2["hasNextPage"]
    bad = await gql.op("Incubators", {"first": 0}, token=token)
    assert error_codes(bad) == ["BAD_USER_INPUT"] and bad["errors"][0]["extensions"]["field"] == "first"
    bad_cursor = await gql.op("Incubators", {"after": "%%%"}, token=token)
    assert error_codes(bad_cursor) == ["BAD_USER_INPUT"]


async def test_registry_needs_sign_in(gql):
    assert error_codes(await gql.op("Incubators")) == ["UNAUTHENTICATED"]
