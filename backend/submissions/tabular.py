"""CSV/XLSX reading (bulk import) and writing (exports): plain tables of header + rows."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook, load_workbook
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
    """Rows (header first) of a CSV (UTF-8, with or without BOM) or XLSX file (its first sheet)."""
    if not content:
        raise _bad("The file is empty.", "文件为空。")
    if len(content) > MAX_IMPORT_BYTES:
        raise _bad("The file is larger than 5 MB.", "文件超过 5 MB。")
    if content.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
            book.close()
            formulas = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
            written = [list(r) for r in formulas.worksheets[0].iter_rows(values_only=True)]
            formulas.close()
        except Exception as error:  # openpyxl raises many kinds for a damaged file
            raise _bad("The file is not a readable XLSX workbook.", "文件不是可读取的 XLSX 工作簿。") from error
        _no_unsaved_formulas(rows, written)
        return rows
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _bad("A CSV file must be UTF-8 encoded.", "CSV 文件须为 UTF-8 编码。") from error
    return [list(r) for r in csv.reader(io.StringIO(text))]


def _no_unsaved_formulas(values: list[list[Any]], written: list[list[Any]]) -> None:
    """A formula whose result the file does not carry (written by a program, never opened and saved in a
    spreadsheet) would read as "not reported": refuse the file and name the cells instead."""
    from openpyxl.utils import get_column_letter

    cells = [f"{get_column_letter(c + 1)}{r + 1}"
             for r, (row_values, row_written) in enumerate(zip(values, written, strict=False))
             for c, (value, source) in enumerate(zip(row_values, row_written, strict=False))
             if value is None and isinstance(source, str) and source.startswith("=")]
    if cells:
        listed = ", ".join(cells[:5]) + (" …" if len(cells) > 5 else "")
        raise _bad(f"Cells {listed} hold formulas whose results the file does not contain: open it in a "
                   "spreadsheet program and save it, or paste the values, then upload again.",
                   f"单元格 {listed} 为公式但文件中没有计算结果：请用表格软件打开并保存，或粘贴为数值后再上传。")


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


