"""Bulk import (CSV/XLSX, all-or-nothing, per-line errors) and exports of views as CSV and XLSX."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook, load_workbook

from tests.submissions.helpers import BASE_METRICS

FIELDS = list(BASE_METRICS)


def csv_file(rows: list[list[object]], header: list[str] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header or ["incubator_id", "quarter", "final", *FIELDS])
    writer.writerows(rows)
    return out.getvalue().encode()


def line(incubator: str, quarter: str, final: str = "true", **overrides: object) -> list[object]:
    values = {**BASE_METRICS, **overrides}
    return [incubator, quarter, final, *["" if values[f] is None else values[f] for f in FIELDS]]


async def upload(client, token, content: bytes, name: str = "metrics.csv", **params):
    return await client.post("/api/submissions/import", files={"file": (name, content)}, params=params,
                             headers={"Authorization": f"Bearer {token}"})


async def revisions(gql, park, incubator, quarter):
    result = await gql.op("MetricsRevisions", {"incubatorId": incubator, "quarter": quarter},
                          token=park.tokens["admin"])
    return result["data"]["metricsRevisions"]["nodes"]


async def test_admin_imports_many_incubators_and_quarters(client, gql, park):
    content = csv_file([line(park.incubator, "2025Q2"), line(park.incubator, "2025Q3", mentors=None),
                        line(park.other, "2025Q3"), line(park.other, "2025Q2", final="false")])
    response = await upload(client, park.tokens["admin"], content)
    assert response.status_code == 200, response.text
    assert response.json()["stored"] == 4
    stored = await revisions(gql, park, park.incubator, "2025Q3")
    assert stored[0]["source"] == "import" and stored[0]["status"] == "SUBMITTED"
    values = {m["field"]: m["value"] for m in stored[0]["metrics"]}
    assert values["mentors"] is None and values["financedTenants"] == 12
    assert (await revisions(gql, park, park.other, "2025Q2"))[0]["status"] == "DRAFT"


async def test_a_bad_file_reports_each_line_and_stores_nothing(client, gql, park):
    content = csv_file([line(park.incubator, "2025Q2"),
                        line(park.incubator, "2025Q3", financed_tenants=99, tenant_revenue="lots"),
                        line("no-such-incubator", "2025Q3"),
                        line(park.other, "2030Q1")])
    response = await upload(client, park.tokens["admin"], content)
    assert response.status_code == 400
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert set(errors) == {"rows[3].metrics.financedTenants", "rows[3].metrics.tenantRevenue",
                           "rows[4].incubatorId", "rows[5].quarter"}
    assert errors["rows[3].metrics.financedTenants"]["message_en"].startswith("Line 3:")
    assert errors["rows[3].metrics.financedTenants"]["message_zh"].startswith("第 3 行")
    assert await revisions(gql, park, park.incubator, "2025Q2") == []


async def test_manager_imports_many_quarters_of_their_own_only(client, gql, park):
    own = csv_file([line(park.incubator, q) for q in ("2024Q4", "2025Q1", "2025Q2")])
    response = await upload(client, park.tokens["manager"], own)
    assert response.status_code == 200 and response.json()["stored"] == 3
    mixed = csv_file([line(park.incubator, "2025Q3"), line(park.other, "2025Q3")])
    refused = await upload(client, park.tokens["manager"], mixed)
    assert refused.status_code == 400
    assert [e["field"] for e in refused.json()["errors"]] == ["rows[3].incubatorId"]
    assert await revisions(gql, park, park.incubator, "2025Q3") == []
    for role in ("evaluator", "startup", "investor"):
        assert (await upload(client, park.tokens[role], own)).status_code == 403
    assert (await client.post("/api/submissions/import", files={"file": ("m.csv", own)})).status_code == 401


async def test_xlsx_import_and_unknown_columns(client, gql, park):
    book = Workbook()
    sheet = book.active
    sheet.append(["incubator_id", "quarter", *FIELDS])
    sheet.append([park.incubator, "2025Q3", *[BASE_METRICS[f] for f in FIELDS]])
    buffer = io.BytesIO()
    book.save(buffer)
    response = await upload(client, park.tokens["admin"], buffer.getvalue(), "metrics.xlsx")
    assert response.status_code == 200, response.text
    assert len(await revisions(gql, park, park.incubator, "2025Q3")) == 1
    bad = csv_file([[park.incubator, "2025Q2", 1]], header=["incubator_id", "quarter", "happiness"])
    result = await upload(client, park.tokens["admin"], bad)
    assert result.status_code == 400 and result.json()["errors"][0]["field"] == "columns.happiness"
    assert (await upload(client, park.tokens["admin"], b"\x00\x01garbage", "x.xlsx")).status_code == 400


async def test_xlsx_formulas_without_saved_results_are_refused_naming_the_cells(client, gql, park):
    """A workbook written by a program (openpyxl stores no cached formula results) would otherwise import
    the formula cells as "not reported"; the upload is refused and names them (row 2, the tenants column C)."""
    book = Workbook()
    sheet = book.active
    sheet.append(["incubator_id", "quarter", *FIELDS])
    sheet.append([park.incubator, "2025Q3", *[BASE_METRICS[f] for f in FIELDS]])
    sheet["C2"] = "=30+30"
    buffer = io.BytesIO()
    book.save(buffer)
    response = await upload(client, park.tokens["admin"], buffer.getvalue(), "metrics.xlsx")
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] == "file" and "C2" in error["message_en"] and "C2" in error["message_zh"]
    assert await revisions(gql, park, park.incubator, "2025Q3") == []


async def test_exports_as_csv_and_xlsx_and_an_export_reimports(client, gql, park):
    await upload(client, park.tokens["admin"], csv_file([line(park.incubator, "2025Q3"),
                                                         line(park.other, "2025Q3", mentors=5)]))
    auth = {"Authorization": f"Bearer {park.tokens['evaluator']}"}
    response = await client.get("/api/export/submissions.csv", params={"quarter": "2025Q3"}, headers=auth)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {r["incubator_id"]: r["mentors"] for r in rows} == {park.incubator: "18.0", park.other: "5.0"}
    xlsx = await client.get("/api/export/ranking.xlsx", params={"quarter": "2025Q3"}, headers=auth)
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    table = list(sheet.iter_rows(values_only=True))
    assert table[0][:3] == ("rank", "incubator_id", "name_en")
    assert [r[1] for r in table[1:]] == [park.incubator, park.other]  # Beta has fewer mentors
    # the exported CSV, edited, imports back as a new revision
    edited = response.content.decode("utf-8-sig").replace(",5.0,", ",6.0,", 1).encode()
    back = await upload(client, park.tokens["admin"], edited)
    assert back.status_code == 200, back.text
    assert (await revisions(gql, park, park.other, "2025Q3"))[0]["revision"] == 2


async def test_export_permissions_follow_the_graphql_rules(client, park):
    def auth(role):
        return {"Authorization": f"Bearer {park.tokens[role]}"}

    assert (await client.get("/api/export/submissions.csv", params={"quarter": "2025Q3"})).status_code == 401
    own = {"quarter": "2025Q3", "incubatorId": park.incubator}
    assert (await client.get("/api/export/revisions.csv", params=own, headers=auth("manager"))).status_code == 200
    other = {"quarter": "2025Q3", "incubatorId": park.other}
    for view in ("revisions", "submissions"):
        response = await client.get(f"/api/export/{view}.xlsx", params=other, headers=auth("manager"))
        assert response.status_code == 403, view
    live = await client.get("/api/export/ranking.csv", params={"quarter": "2025Q3", "source": "live"},
                            headers=auth("investor"))
    assert live.status_code == 403
    assert (await client.get("/api/export/missing.csv", params={"quarter": "2025Q3"},
                             headers=auth("startup"))).status_code == 403
    assert (await client.get("/api/export/missing.csv", params={"quarter": "2025Q3"},
                             headers=auth("evaluator"))).status_code == 200
    assert (await client.get("/api/export/ranking.pdf", params={"quarter": "2025Q3"},
                             headers=auth("admin"))).status_code == 400


async def test_dry_run_checks_a_file_without_storing_it(client, gql, park):
    content = csv_file([line(park.incubator, "2025Q3")])
    response = await upload(client, park.tokens["admin"], content, dry_run="true")
    assert response.status_code == 200 and response.json() == {"rows": 1, "stored": 0, "dryRun": True}
    assert await revisions(gql, park, park.incubator, "2025Q3") == []
    bad = await upload(client, park.tokens["admin"], csv_file([line(park.incubator, "2025Q3", mentors=-1)]),
                       dry_run="true")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "rows[2].metrics.mentors"


async def test_exported_text_cannot_become_a_spreadsheet_formula(client, gql, park):
    """A manager may name their incubator anything: an export must show "=1+2" as text, never as a formula
    (XLSX) nor as a cell that spreadsheets evaluate (CSV, prefixed with an apostrophe)."""
    renamed = await gql.op("UpdateIncubator", {"incubatorId": park.incubator, "input": {"nameEn": "=1+2"}},
                           token=park.tokens["manager"])
    assert "errors" not in renamed or not renamed["errors"], renamed
    await upload(client, park.tokens["admin"], csv_file([line(park.incubator, "2025Q3")]))
    auth = {"Authorization": f"Bearer {park.tokens['evaluator']}"}
    xlsx = await client.get("/api/export/submissions.xlsx", params={"quarter": "2025Q3"}, headers=auth)
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    cell = sheet.cell(row=2, column=2)
    assert (cell.value, cell.data_type) == ("=1+2", "s")
    response = await client.get("/api/export/submissions.csv", params={"quarter": "2025Q3"}, headers=auth)
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0]["name_en"] == "'=1+2"
    assert rows[0]["mentors"] == "18.0"


async def test_export_file_name_keeps_only_safe_characters(client, park):
    """The file name repeats the caller's parameters: a quote, CR/LF or Chinese text must not break the header."""
    auth = {"Authorization": f"Bearer {park.tokens['evaluator']}"}
    response = await client.get("/api/export/submissions.csv",
                                params={"quarter": "2025Q3", "incubatorId": 'a"\r\nX-Evil: 1 孵化器'}, headers=auth)
    assert response.status_code == 200
    assert "x-evil" not in response.headers
    assert response.headers["content-disposition"] == 'attachment; filename="submissions-2025Q3-a___X-Evil__1____.csv"'


async def test_ranking_export_refuses_an_unknown_version_or_source(client, park):
    auth = {"Authorization": f"Bearer {park.tokens['evaluator']}"}
    for params, field in (({"version": "latest"}, "version"), ({"source": "draft"}, "source")):
        response = await client.get("/api/export/ranking.csv", params={"quarter": "2025Q3", **params}, headers=auth)
        assert response.status_code == 400, params
        assert [e["field"] for e in response.json()["errors"]] == [field]
