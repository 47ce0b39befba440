"""Finding 2: spreadsheets are parsed once, streaming, off the event loop, stopping at the row cap, with
limits on uncompressed size, compression ratio and shared strings; memory stays bounded (measured)."""

from __future__ import annotations

import asyncio
import io
import tracemalloc
import zipfile

import httpx
import pytest

from backend.core.errors import BadUserInput
from backend.submissions.tabular import MAX_IMPORT_ROWS, read_table
from backend.users.models import Role

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
PEAK_BOUND = 24 * 1024 * 1024  # bytes allocated at most while reading a hostile workbook


def workbook(sheet_rows: str | bytes, shared: list[str] | str | None = None) -> bytes:
    """A minimal XLSX: ``sheet_rows`` is the XML inside ``<sheetData>``; ``shared`` the shared strings."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/content-types"/>')
        archive.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/'
                         'officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/>'
                         '</sheets></workbook>')
        archive.writestr("xl/_rels/workbook.xml.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/relationships"><Relationship Id="rId1" Target="worksheets/sheet1.xml" '
                         'Type="worksheet"/></Relationships>')
        body = sheet_rows.encode() if isinstance(sheet_rows, str) else sheet_rows
        archive.writestr("xl/worksheets/sheet1.xml", f'<worksheet xmlns="{MAIN}"><sheetData>'.encode() + body
                         + b"</sheetData></worksheet>")
        if shared is not None:
            items = shared if isinstance(shared, str) else "".join(f"<si><t>{s}</t></si>" for s in shared)
            archive.writestr("xl/sharedStrings.xml", f'<sst xmlns="{MAIN}">{items}</sst>')
    return out.getvalue()


def _peak_while(call) -> tuple[object, int]:
    tracemalloc.start()
    try:
        try:
            result: object = call()
        except BadUserInput as error:
            result = error
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_small_workbook_reads_its_values_by_hand():
    """Shared string 0 = "incubator_id", inline strings, a number, a boolean, a gap (B2 empty), a float."""
    rows = read_table(workbook(
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>quarter</t></is></c>'
        '<c r="C1" t="inlineStr"><is><t>final</t></is></c></row>'
        '<row r="2"><c r="A2" t="s"><v>1</v></c><c r="C2" t="b"><v>1</v></c><c r="D2"><v>12</v></c>'
        '<c r="E2"><v>2.5</v></c></row><row r="3"/>',
        ["incubator_id", "inc-1"]), "m.xlsx")
    assert rows == [["incubator_id", "quarter", "final"], ["inc-1", None, True, 12, 2.5]]


def test_one_huge_shared_string_is_refused_without_unpacking_it():
    """~60 MB of one letter compresses to ~60 KB: refused from the declared sizes; little memory used."""
    bomb = workbook('<row r="1"><c r="A1" t="s"><v>0</v></c></row>', "<si><t>" + "A" * (60 * 2 ** 20) + "</t></si>")
    assert len(bomb) < 300_000
    result, peak = _peak_while(lambda: read_table(bomb, "bomb.xlsx"))
    assert isinstance(result, BadUserInput) and result.field == "file" and "MB" in result.message_en
    assert peak < PEAK_BOUND, peak


def test_a_member_compressed_too_well_is_refused():
    bomb = workbook('<row r="1"><c r="A1" t="s"><v>0</v></c></row>', "<si><t>" + "B" * (20 * 2 ** 20) + "</t></si>")
    result, peak = _peak_while(lambda: read_table(bomb, "bomb.xlsx"))
    assert isinstance(result, BadUserInput) and "zip bomb" in result.message_en
    assert peak < PEAK_BOUND, peak


def test_too_many_shared_strings_are_refused_while_streaming():
    many = workbook('<row r="1"><c r="A1" t="s"><v>0</v></c></row>',
                    "".join(f"<si><t>{n:x}-{'z' * 40}</t></si>" for n in range(150_000)))
    result, peak = _peak_while(lambda: read_table(many, "many.xlsx"))
    assert isinstance(result, BadUserInput) and "too much text" in result.message_en
    assert peak < 4 * PEAK_BOUND, peak


def _rows_workbook(count: int) -> bytes:
    rows = b"".join(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x</t></is></c><c r="B%d"><v>1</v></c></row>'
                    % (n, n, n) for n in range(1, count + 1))
    return workbook(rows)


def test_reading_stops_at_the_row_cap_with_bounded_memory():
    big = _rows_workbook(400_000)
    assert len(big) < 5 * 2 ** 20
    result, peak = _peak_while(lambda: read_table(big, "rows.xlsx"))
    assert isinstance(result, BadUserInput) and f"At most {MAX_IMPORT_ROWS} rows" in result.message_en
    assert peak < PEAK_BOUND, peak


@pytest.mark.parametrize("size", [400_000])
async def test_uploading_a_400_000_row_workbook_is_refused_and_others_stay_fast(live_server, make_live_user, probe,
                                                                                  size):
    big = _rows_workbook(size)
    _, token = make_live_user("uploader", Role.admin)

    async def attack() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=live_server.http_url, timeout=120) as http:
            return await asyncio.gather(*[http.post(
                "/api/submissions/import", headers={"Authorization": f"Bearer {token}"},
                files={"file": ("rows.xlsx", big, "application/octet-stream")}) for _ in range(3)])

    for response in await probe.run_during(attack):
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "BAD_USER_INPUT"
        assert str(MAX_IMPORT_ROWS) in response.json()["error"]["message_en"]
    probe.assert_fast()
