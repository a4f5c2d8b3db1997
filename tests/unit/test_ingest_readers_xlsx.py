"""Streaming XLSX reader (openpyxl read-only) for collection (归集) files."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from xinyong.errors import ValidationFailed
from xinyong.ingest.readers import ReadInterrupted, SourceRow, open_table

HEADER = ["行政相对人名称", "处罚决定书文号", "处罚决定日期", "处罚金额"]


def _save(workbook: Workbook, path: Path) -> Path:
    workbook.save(path)
    return path


def _penalties(tmp_path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "行政处罚"
    ws.append([])  # a blank row above the header
    ws.append([" 行政相对人名称 ", "处罚决定书文号\u3000", "处罚决定日期", "处罚金额", None])
    ws.append(["上海某某贸易有限公司", "沪市监罚〔2024〕101号", dt.datetime(2024, 3, 5), 5000])
    ws.append(["北京某某科技有限公司", "京市监罚〔2024〕7号", dt.date(2024, 4, 1), 12000.5])
    ws.append([None, None, None, None])
    ws.append(["广州某某有限公司", "穗罚〔2024〕3号"])  # last cells empty
    return _save(wb, tmp_path / "处罚.xlsx")


def _rows(path: Path) -> list[SourceRow]:
    with open_table(path) as table:
        return list(table.rows())


def test_headers_values_and_numbers(tmp_path: Path) -> None:
    with open_table(_penalties(tmp_path)) as table:
        assert (table.format, table.encoding) == ("xlsx", None)
        assert table.headers == HEADER
        rows = list(table.rows())
    assert [r.number for r in rows] == [1, 2, 4]  # the blank row 3 is counted
    first, second, third = rows
    assert first.cells == {
        "行政相对人名称": "上海某某贸易有限公司",
        "处罚决定书文号": "沪市监罚〔2024〕101号",
        "处罚决定日期": dt.datetime(2024, 3, 5),
        "处罚金额": 5000,
    }
    assert isinstance(first.cells["处罚金额"], int)
    assert second.cells["处罚金额"] == 12000.5
    assert isinstance(second.cells["处罚决定日期"], dt.datetime | dt.date)
    assert second.cells["处罚决定日期"] == dt.datetime(2024, 4, 1)
    assert third.cells == {
        "行政相对人名称": "广州某某有限公司",
        "处罚决定书文号": "穗罚〔2024〕3号",
        "处罚决定日期": None,
        "处罚金额": None,
    }
    assert all(r.problems == () for r in rows)


def test_data_beyond_the_header_is_a_row_error(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["名称", "金额"])
    ws.append(["甲", 1, None, "多出来的"])
    ws.append(["乙", 2, None, ""])
    rows = _rows(_save(wb, tmp_path / "a.xlsx"))
    (problem,) = rows[0].problems
    assert (problem.field, problem.level) == ("row", "error")
    assert problem.reason == "第1行有4列、表头有2列，列可能错位"
    assert "多出来的" in rows[0].cells.values()
    assert rows[1].problems == ()
    assert rows[1].cells == {"名称": "乙", "金额": 2}


def test_first_non_empty_visible_sheet_is_read(tmp_path: Path) -> None:
    wb = Workbook()
    empty = wb.active
    assert empty is not None
    empty.title = "说明"
    codes = wb.create_sheet("代码表")
    codes.append(["代码", "含义"])
    codes.sheet_state = "hidden"
    data = wb.create_sheet("数据")
    data.append(["名称", "金额"])
    data.append(["甲", 1])
    with open_table(_save(wb, tmp_path / "a.xlsx")) as table:
        assert table.headers == ["名称", "金额"]
        assert [r.cells for r in table.rows()] == [{"名称": "甲", "金额": 1}]
        assert table.warnings == []


def test_other_sheets_with_data_give_a_warning(tmp_path: Path) -> None:
    wb = Workbook()
    first = wb.active
    assert first is not None
    first.title = "一月"
    first.append(["名称"])
    second = wb.create_sheet("二月")
    second.append(["名称"])
    second.append(["乙"])
    with open_table(_save(wb, tmp_path / "a.xlsx")) as table:
        (warning,) = table.warnings
    assert warning.level == "warning"
    assert "二月" in warning.reason


def test_workbook_without_data_is_empty(tmp_path: Path) -> None:
    wb = Workbook()
    wb.create_sheet("空")
    with pytest.raises(ValidationFailed) as info:
        open_table(_save(wb, tmp_path / "a.xlsx"))
    assert (info.value.field, info.value.message) == ("file", "文件为空")


def test_header_only_sheet_has_no_rows(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(HEADER)
    assert _rows(_save(wb, tmp_path / "a.xlsx")) == []


def test_duplicated_header_is_refused(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["名称", "金额", "名称 "])
    with pytest.raises(ValidationFailed) as info:
        open_table(_save(wb, tmp_path / "a.xlsx"))
    assert info.value.field == "file"
    assert "「名称」" in info.value.message


def test_damaged_workbook_is_refused(tmp_path: Path) -> None:
    good = _penalties(tmp_path).read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(ValidationFailed) as info:
        open_table(path)
    assert info.value.field == "file"
    assert "Excel" in info.value.message


def test_damaged_sheet_stops_reading_with_the_row(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["名称", "金额"])
    for i in range(50):
        ws.append([f"公司{i}", i])
    source = io.BytesIO()
    wb.save(source)
    damaged = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(source.getvalue())) as zin,
        zipfile.ZipFile(damaged, "w") as zout,
    ):
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[: data.index(b'<row r="30"')] + b'<row r="30"><c r="A30" <<'
            zout.writestr(info, data)
    damaged.seek(0)
    seen: list[SourceRow] = []
    with open_table(damaged, filename="a.xlsx") as table, pytest.raises(ReadInterrupted) as exc:
        seen.extend(table.rows())
    assert len(seen) >= 1
    assert seen[0].cells == {"名称": "公司0", "金额": 0}
    assert exc.value.row == len(seen) + 1
    assert exc.value.message.startswith(f"第 {exc.value.row} 行起无法读取：")
