"""The monthly notice (通报) as files: XLSX (openpyxl, write-only) and CSV (UTF-8 with
BOM, so that Excel on Chinese Windows opens it without garbling)."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from xinyong.quality.rules import month_label, percent
from xinyong.quality.service import DepartmentQuality, LeagueTable

HEADERS = (
    "排名",
    "部门",
    "统一社会信用代码",
    "报送记录数",
    "首次通过数",
    "首次退回数",
    "退回总数",
    "合规率",
    "及时报送数",
    "有时限记录数",
    "及时率",
    "更正数",
    "异议成立数",
    "每十万条异议成立数",
    "异议答复按时率",
    "修复办理按时率",
    "是否需整改",
)
PERCENT_COLUMNS = {7, 10, 14, 15}  # 0-based positions of ratios


def safe_text(value: str) -> str:
    """Text that a spreadsheet will not run as a formula (CSV/formula injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def _values(row: DepartmentQuality) -> list[Any]:
    c = row.counts
    compliance = None if row.compliance is None else float(row.compliance)
    timeliness = None if row.timeliness is None else float(row.timeliness)
    return [
        row.rank,
        safe_text(row.name),
        row.uscc,
        c.received,
        c.first_pass,
        c.rejected_original,
        c.rejected,
        compliance,
        c.timely,
        c.timeliness_known,
        timeliness,
        c.corrected,
        row.upheld_objections,
        row.upheld_per_100k,
        None if row.objection_on_time is None else float(row.objection_on_time),
        None if row.repair_on_time is None else float(row.repair_on_time),
        "需整改" if row.below_target else "",
    ]


def league_csv(table: LeagueTable) -> bytes:
    """The league table as CSV: Chinese headers, percentages as ``97.5%``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for row in table.rows:
        values = _values(row)
        for i in PERCENT_COLUMNS:
            values[i] = percent(values[i], 2) if values[i] is not None else ""
        writer.writerow(["" if v is None else v for v in values])
    return buffer.getvalue().encode("utf-8-sig")


def _cell(sheet: WriteOnlyWorksheet, value: Any, number_format: str | None = None) -> Any:
    cell = WriteOnlyCell(sheet, value=value)
    if number_format and value is not None:
        cell.number_format = number_format
    return cell


def league_xlsx(table: LeagueTable) -> bytes:
    """The league table (sheet 数据质量排行) and the notice text (sheet 通报)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("数据质量排行")
    sheet.append(list(HEADERS))
    for row in table.rows:
        sheet.append(
            [
                _cell(sheet, v, "0.00%" if i in PERCENT_COLUMNS else None)
                for i, v in enumerate(_values(row))
            ]
        )
    notice = book.create_sheet("通报")
    notice.append([f"{month_label(table.month)}数据质量通报"])
    notice.append([safe_text(table.notice)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
