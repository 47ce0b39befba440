"""CSV/XLSX reading (bulk import) and writing (exports): plain tables of header + rows."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from backend.errors import BadUserInput, IssueCollector
from backend.submissions.service import SaveRequest, field_aliases, scheme

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 5000
XLSX_MAGIC = b"PK\x03\x04"
# Columns an export writes that an import ignores (so an exported file can be edited and re-imported).
META_COLUMNS = {"name_en", "name_zh", "revision", "status", "submitted_at", "submitted_revision", "updated_at"}
TRUE = {"1", "true", "yes", "y", "final", "是"}
# Text starting with these is a formula to spreadsheets (names and authors are user-written).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FALSE = {"0", "false", "no", "n", "draft", "否"}


@dataclass(frozen=True)
class Table:
    title: str
    columns: list[str]
    rows: list[list[Any]]


def _bad(message_en: str, message_zh: str, field: str = "file") -> BadUserInput:
    return BadUserInput.single(field, message_en, message_zh)


def read_table(content: bytes, filename: str = "") -> list[list[Any]]:
    """Rows (header first, blank rows left out) of a CSV (UTF-8, with or without BOM) or XLSX file (its
    first sheet), read once and streaming, stopping past ``MAX_IMPORT_ROWS``. CPU-bound: call it off the
    event loop."""
    if not content:
        raise _bad("The file is empty.", "文件为空。")
    if len(content) > MAX_IMPORT_BYTES:
        raise _bad("The file is larger than 5 MB.", "文件超过 5 MB。")
    if content.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        return read_xlsx(content)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _bad("A CSV file must be UTF-8 encoded.", "CSV 文件须为 UTF-8 编码。") from error
    rows: list[list[Any]] = []
    try:
        for row in csv.reader(io.StringIO(text)):
            if any(cell.strip() for cell in row):
                _keep(rows, row)
    except csv.Error as error:
        raise _bad(f"The CSV file cannot be read: {error}.", "CSV 文件无法读取。") from error
    return rows


def _keep(rows: list[list[Any]], row: list[Any]) -> None:
    """Append a non-blank row; past the header and ``MAX_IMPORT_ROWS`` lines, stop reading the file."""
    if len(rows) > MAX_IMPORT_ROWS:
        raise _bad(f"At most {MAX_IMPORT_ROWS} rows per file.", f"每个文件最多 {MAX_IMPORT_ROWS} 行。")
    if len(row) > MAX_COLUMNS:
        raise _bad(f"At most {MAX_COLUMNS} columns.", f"最多 {MAX_COLUMNS} 列。")
    rows.append(row)


# XLSX limits: a workbook is a zip of XML; these bound what a small upload can make the server do.
MAX_XLSX_UNCOMPRESSED = 40 * 1024 * 1024  # all members together, as the zip declares (and reads) them
MAX_XLSX_RATIO = 100  # uncompressed / compressed, for members over 1 MiB
MAX_SHARED_STRINGS = 200_000
MAX_SHARED_CHARS = 4_000_000
MAX_CELL_CHARS = 32_767  # Excel's own limit
MAX_COLUMNS = 500
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_REF = re.compile(r"^([A-Z]{1,3})([0-9]+)$")


def read_xlsx(content: bytes) -> list[list[Any]]:
    """The first sheet's non-blank rows, parsed once with a streaming XML reader (values as saved by the
    spreadsheet program; a formula without its saved result is refused, naming the cells)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = {info.filename: info for info in archive.infolist()}
        if sum(info.file_size for info in members.values()) > MAX_XLSX_UNCOMPRESSED:
            raise _bad(f"The workbook unpacks to more than {MAX_XLSX_UNCOMPRESSED // 2 ** 20} MB.",
                       f"工作簿解压后超过 {MAX_XLSX_UNCOMPRESSED // 2 ** 20} MB。")
        for info in members.values():
            if info.file_size > 2 ** 20 and info.file_size > MAX_XLSX_RATIO * max(info.compress_size, 1):
                raise _bad("The workbook is compressed suspiciously well (a zip bomb?).",
                           "工作簿压缩比异常（疑似压缩炸弹）。")
        shared = _shared_strings(archive) if "xl/sharedStrings.xml" in members else []
        rows, unsaved = _sheet_rows(archive, _first_sheet(archive, members), shared)
    except BadUserInput:
        raise
    except Exception as error:  # a damaged zip or XML raises many kinds
        raise _bad("The file is not a readable XLSX workbook.", "文件不是可读取的 XLSX 工作簿。") from error
    if unsaved:
        listed = ", ".join(unsaved[:5]) + (" …" if len(unsaved) > 5 else "")
        raise _bad(f"Cells {listed} hold formulas whose results the file does not contain: open it in a "
                   "spreadsheet program and save it, or paste the values, then upload again.",
                   f"单元格 {listed} 为公式但文件中没有计算结果：请用表格软件打开并保存，或粘贴为数值后再上传。")
    return rows


def _first_sheet(archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo]) -> str:
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    first = next(iter(workbook.iter(f"{_MAIN}sheet")), None)
    if first is not None and "xl/_rels/workbook.xml.rels" in members:
        wanted = first.get(f"{_REL}id")
        relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        for relation in relations.iter(f"{_PKG_REL}Relationship"):
            if relation.get("Id") == wanted:
                target = relation.get("Target", "")
                return target.lstrip("/") if target.startswith("/") else "xl/" + target
    return "xl/worksheets/sheet1.xml"


def _text(element: ElementTree.Element) -> str:
    """The text of a shared or inline string: its ``t`` elements, phonetic runs left out."""
    parts = []
    for child in element:
        name = child.tag.rsplit("}", 1)[-1]
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            parts.extend(t.text or "" for t in child if t.tag.endswith("}t"))
    return "".join(parts)


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    strings: list[str] = []
    characters = 0
    with archive.open("xl/sharedStrings.xml") as stream:
        for _, element in ElementTree.iterparse(stream, events=("end",)):
            if element.tag != f"{_MAIN}si":
                continue
            text = _text(element)[:MAX_CELL_CHARS]
            characters += len(text)
            strings.append(text)
            element.clear()
            if len(strings) > MAX_SHARED_STRINGS or characters > MAX_SHARED_CHARS:
                raise _bad("The workbook holds too much text for a metrics import.",
                           "工作簿中的文本过多，不像指标导入文件。")
    return strings


def _column(reference: str | None, default: int) -> int:
    match = _CELL_REF.match(reference or "")
    if match is None:
        return default
    index = 0
    for letter in match.group(1):
        index = index * 26 + ord(letter) - 64
    return index - 1


def _number(text: str) -> Any:
    value = float(text)
    return int(value) if value.is_integer() and not any(c in text for c in ".eE") else value


def _sheet_rows(archive: zipfile.ZipFile, path: str, shared: list[str]) -> tuple[list[list[Any]], list[str]]:
    rows: list[list[Any]] = []
    unsaved: list[str] = []
    with archive.open(path) as stream:
        for _, element in ElementTree.iterparse(stream, events=("end",)):
            if element.tag != f"{_MAIN}row":
                continue
            row: list[Any] = []
            for cell in element.iter(f"{_MAIN}c"):
                index = _column(cell.get("r"), len(row))
                if index >= MAX_COLUMNS:
                    raise _bad(f"At most {MAX_COLUMNS} columns.", f"最多 {MAX_COLUMNS} 列。")
                row.extend([None] * (index - len(row)))
                row.append(_value(cell, shared, unsaved, len(rows)))
            element.clear()
            if any(_cell(v) is not None for v in row):
                _keep(rows, row)
    return rows, unsaved


def _value(cell: ElementTree.Element, shared: list[str], unsaved: list[str], row_number: int) -> Any:
    kind = cell.get("t", "n")
    saved = cell.find(f"{_MAIN}v")
    raw = saved.text if saved is not None else None
    if kind == "inlineStr":
        inline = cell.find(f"{_MAIN}is")
        return _text(inline)[:MAX_CELL_CHARS] if inline is not None else None
    if raw is None:
        if cell.find(f"{_MAIN}f") is not None:
            unsaved.append(cell.get("r") or f"row {row_number + 1}")
        return None
    if kind == "s":
        return shared[int(raw)]
    if kind == "b":
        return raw.strip() == "1"
    if kind in ("str", "e", "d"):
        return raw[:MAX_CELL_CHARS]
    return _number(raw)


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def parse_import(rows: list[list[Any]]) -> list[SaveRequest]:
    """Header ``incubator_id, quarter[, final], <raw fields…>``; empty cell = not reported; ``final``
    defaults to true. Column problems are reported by column; values are validated later per line."""
    rows = [r for r in rows if any(_cell(c) is not None for c in r)]
    if not rows:
        raise _bad("The file has no header row.", "文件缺少表头行。")
    header = [str(_cell(c) or "").strip() for c in rows[0]]
    aliases = field_aliases(scheme())
    problems: list[tuple[str, str, str]] = []
    positions: dict[str, int] = {}
    fields: list[tuple[int, str]] = []
    for index, name in enumerate(header):
        key = name.lower() if name.lower() in {"incubator_id", "incubatorid", "quarter", "final"} else name
        key = {"incubatorid": "incubator_id"}.get(key, key)
        if key in ("incubator_id", "quarter", "final"):
            positions[key] = index
        elif key in aliases:
            fields.append((index, aliases[key]))
        elif key in META_COLUMNS or not key:
            continue
        else:
            problems.append((f"columns.{name}", f"Unknown column '{name}'.", f"未知列“{name}”。"))
    for required in ("incubator_id", "quarter"):
        if required not in positions:
            problems.append((f"columns.{required}", f"The column '{required}' is missing.", f"缺少“{required}”列。"))
    if problems:
        collector = IssueCollector()
        for problem in problems:
            collector.add(*problem)
        collector.raise_if_any()
    body = rows[1:]
    if not body:
        raise _bad("The file has no data rows.", "文件没有数据行。")
    if len(body) > MAX_IMPORT_ROWS:
        raise _bad(f"At most {MAX_IMPORT_ROWS} rows per file.", f"每个文件最多 {MAX_IMPORT_ROWS} 行。")
    requests = []
    issues = IssueCollector()
    for line, row in enumerate(body, start=2):
        row = row + [None] * (len(header) - len(row))
        final_cell = _cell(row[positions["final"]]) if "final" in positions else None
        final = True
        if isinstance(final_cell, bool):
            final = final_cell
        elif final_cell is not None:
            text = str(final_cell).lower()
            if text in FALSE:
                final = False
            elif text not in TRUE:
                issues.add(f"rows[{line}].final", f"Line {line}: 'final' must be true or false.",
                           f"第 {line} 行：“final”须为 true 或 false。")
        requests.append(SaveRequest(incubator_id=str(_cell(row[positions["incubator_id"]]) or ""),
                                    quarter=str(_cell(row[positions["quarter"]]) or ""),
                                    metrics=[(fid, _cell(row[i])) for i, fid in fields], final=final))
    issues.raise_if_any()
    return requests


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.columns)
    writer.writerows([["" if v is None else _text_only(v) for v in row] for row in table.rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel opens Chinese text correctly


def to_xlsx(table: Table) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=table.title[:31] or "export")
    sheet.append(table.columns)
    for row in table.rows:
        sheet.append([_xlsx_cell(sheet, _plain(v)) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text_only(value: Any) -> Any:
    """CSV: text a spreadsheet would evaluate gets a leading apostrophe."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    """XLSX: strings stay strings (openpyxl would store "=…" as a formula)."""
    if not isinstance(value, str) or not value.startswith("="):
        return value
    cell = WriteOnlyCell(sheet, value)
    cell.data_type = "s"
    return cell


def _plain(value: Any) -> Any:
    if hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
        return value.replace(tzinfo=None)  # XLSX has no time zones: UTC wall time
    if isinstance(value, list | tuple | set):
        return ", ".join(str(v) for v in value)
    return value


