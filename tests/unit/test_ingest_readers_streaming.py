"""Readers stream: memory stays flat however large the file (a memory check, not timing)."""

from __future__ import annotations

import json
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path

from openpyxl import Workbook

from xinyong.ingest.readers import open_table

LIMIT = 4 * 1024 * 1024  # bytes of peak Python allocation while iterating


def _peak_while_iterating(path: Path) -> tuple[int, int, str]:
    """Rows read, peak traced memory while opening and iterating, last row's name."""
    tracemalloc.start()
    try:
        count, last = 0, ""
        with open_table(path) as table:
            for row in table.rows():
                count += 1
                last = str(row.cells["行政相对人名称"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, peak, last


def _records(n: int) -> Iterator[list[str]]:
    for i in range(n):
        name = f"上海某某贸易有限公司第{i}分公司"
        fact = "违反《中华人民共和国广告法》第九条"
        yield [name, "91310000MA1K3Y5X2D", f"沪市监罚〔2024〕{i}号", fact, f"{i}.50"]


def test_large_gbk_csv_is_streamed(tmp_path: Path) -> None:
    path = tmp_path / "large.csv"
    with path.open("w", encoding="gbk", newline="") as f:
        f.write("行政相对人名称,统一社会信用代码,处罚决定书文号,违法事实,处罚金额\r\n")
        for record in _records(200_000):
            f.write(",".join(record) + "\r\n")
    assert path.stat().st_size > 5 * LIMIT
    count, peak, last = _peak_while_iterating(path)
    assert count == 200_000
    assert last == "上海某某贸易有限公司第199999分公司"
    assert peak < LIMIT


def test_large_json_array_is_streamed(tmp_path: Path) -> None:
    keys = ["行政相对人名称", "统一社会信用代码", "处罚决定书文号", "违法事实", "处罚金额"]
    path = tmp_path / "large.json"
    with path.open("w", encoding="utf-8") as f:
        f.write("[")
        for i, record in enumerate(_records(50_000)):
            f.write(("," if i else "") + json.dumps(dict(zip(keys, record, strict=True))))
        f.write("]")
    assert path.stat().st_size > 5 * LIMIT
    count, peak, last = _peak_while_iterating(path)
    assert count == 50_000
    assert last == "上海某某贸易有限公司第49999分公司"
    assert peak < LIMIT


def test_large_xlsx_is_not_loaded_whole(tmp_path: Path) -> None:
    # openpyxl's read-only mode keeps a few dozen bytes per row read (cleared XML
    # elements) and the workbook's shared strings, so memory is far below the sheet's
    # size but not perfectly flat: assert the former.
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["行政相对人名称", "统一社会信用代码", "处罚决定书文号", "违法事实", "处罚金额"])
    for record in _records(10_000):
        ws.append(record)
    path = tmp_path / "large.xlsx"
    wb.save(path)
    with zipfile.ZipFile(path) as archive:
        sheet_size = archive.getinfo("xl/worksheets/sheet1.xml").file_size
    count, peak, last = _peak_while_iterating(path)
    assert count == 10_000
    assert last == "上海某某贸易有限公司第9999分公司"
    assert peak < min(LIMIT, sheet_size / 2)
