"""Streaming JSON / JSON Lines readers and the table over records of an API request."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from xinyong.errors import ValidationFailed
from xinyong.ingest.readers import ReadInterrupted, SourceRow, open_table, table_from_records

RECORDS: list[dict[str, Any]] = [
    {
        "行政相对人名称": "上海某某贸易有限公司",
        "处罚决定书文号": "沪罚〔2024〕1号",
        "处罚金额": 5000,
    },
    {
        "行政相对人名称": "北京某某科技有限公司",
        "处罚决定书文号": "京罚〔2024〕7号",
        "处罚金额": 12000.5,
        "备注": "逾期未改正",
        "附件": ["a.pdf", "b.pdf"],
    },
    {
        "行政相对人名称": "广州某某有限公司",
        "处罚决定书文号": "穗罚〔2024〕3号",
        "处罚金额": None,
    },
]
HEADERS = ["行政相对人名称", "处罚决定书文号", "处罚金额", "备注", "附件"]


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _dumps(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1).encode()


def _lines(values: list[Any]) -> bytes:
    return b"".join(json.dumps(v, ensure_ascii=False).encode() + b"\n" for v in values)


def test_array_of_objects(tmp_path: Path) -> None:
    with open_table(_write(tmp_path, "处罚.json", _dumps(RECORDS))) as table:
        assert (table.format, table.encoding) == ("json", None)
        # Union of keys in order of first appearance: exporters omit null fields.
        assert table.headers == HEADERS
        rows = list(table.rows())
    assert [r.number for r in rows] == [1, 2, 3]
    assert rows[0].cells == RECORDS[0]
    assert rows[1].cells["处罚金额"] == Decimal("12000.5")
    assert isinstance(rows[1].cells["处罚金额"], Decimal)
    assert rows[1].cells["附件"] == ["a.pdf", "b.pdf"]
    assert rows[2].cells["处罚金额"] is None
    assert all(r.problems == () for r in rows)


def test_keys_are_cleaned_like_headers(tmp_path: Path) -> None:
    data = _dumps([{" 名称 ": "甲", "金额\u3000": 1}])
    with open_table(_write(tmp_path, "a.json", data)) as table:
        assert table.headers == ["名称", "金额"]
        assert [r.cells for r in table.rows()] == [{"名称": "甲", "金额": 1}]


def test_keys_equal_once_stripped_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as info:
        open_table(_write(tmp_path, "a.json", _dumps([{"名称": "甲", "名称 ": "乙"}])))
    assert info.value.field == "file"
    assert "重复" in info.value.message


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    with open_table(_write(tmp_path, "a.json", b"\xef\xbb\xbf" + _dumps(RECORDS))) as table:
        assert len(list(table.rows())) == 3


def test_non_object_element_is_a_row_problem(tmp_path: Path) -> None:
    data = _dumps([RECORDS[0], ["不是", "对象"], RECORDS[2]])
    with open_table(_write(tmp_path, "a.json", data)) as table:
        rows = list(table.rows())
    assert [r.number for r in rows] == [1, 2, 3]
    (problem,) = rows[1].problems
    assert (problem.field, problem.level) == ("row", "error")
    assert problem.reason.startswith("第2条记录不是 JSON 对象")
    assert rows[0].problems == rows[2].problems == ()


def test_truncated_array_yields_rows_then_stops(tmp_path: Path) -> None:
    data = _dumps(RECORDS)
    cut = data[: data.index("广州".encode())]
    seen: list[SourceRow] = []
    with (
        open_table(_write(tmp_path, "a.json", cut)) as table,
        pytest.raises(ReadInterrupted) as info,
    ):
        seen.extend(table.rows())
    assert [r.cells for r in seen] == [RECORDS[0], {**RECORDS[1], "处罚金额": Decimal("12000.5")}]
    assert info.value.row == 3
    assert info.value.field == "file"
    assert info.value.message.startswith("第 3 行起无法读取：")


def test_truncated_in_the_first_element_is_a_file_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as info:
        open_table(_write(tmp_path, "a.json", b'[{"a": 1, "b": '))
    assert info.value.field == "file"


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b'{"data": [{"a": 1}, {"a": 2}]}', "「data」"),
        (b'{\n  "total": 2,\n  "data": [{"a": 1}]\n}\n', "顶层是一个对象"),
        (b'"text"', "既不是数组也不是对象"),
        (b"[1, 2, 3]", "都不是对象"),
    ],
    ids=["wrapped", "pretty-object", "string", "array-of-numbers"],
)
def test_top_level_must_be_an_array_of_objects(tmp_path: Path, data: bytes, fragment: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        open_table(_write(tmp_path, "a.json", data))
    assert info.value.field == "file"
    assert "对象数组" in info.value.message
    assert fragment in info.value.message


@pytest.mark.parametrize("data", [b"", b"  \n", b"[]", b"[ ]\n"])
def test_empty_json_is_refused(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(ValidationFailed) as info:
        open_table(_write(tmp_path, "a.json", data))
    assert info.value.field == "file"
    assert info.value.message.startswith("文件为空")


@pytest.mark.parametrize("name", ["a.jsonl", "a.ndjson", "a.json"])
def test_json_lines(tmp_path: Path, name: str) -> None:
    data = _lines(RECORDS[:2]) + b"\n" + _lines(RECORDS[2:])
    with open_table(_write(tmp_path, name, data)) as table:
        assert table.format == "json"
        assert table.headers == HEADERS
        rows = list(table.rows())
    assert [r.number for r in rows] == [1, 2, 4]  # the blank line is counted
    assert rows[1].cells["处罚金额"] == Decimal("12000.5")
    assert all(r.problems == () for r in rows)


def test_json_lines_bad_lines_are_row_problems(tmp_path: Path) -> None:
    cut = '{"cut": "广'.encode()[:-1]  # inside a multibyte character, no newline
    data = _lines([RECORDS[0], [1, 2]]) + b'{"bad": \n' + _lines([RECORDS[2]]) + cut
    with open_table(_write(tmp_path, "a.jsonl", data)) as table:
        rows = list(table.rows())
    assert [r.number for r in rows] == [1, 2, 3, 4, 5]
    assert [bool(r.problems) for r in rows] == [False, True, True, False, True]
    assert rows[1].problems[0].reason.startswith("第2行不是 JSON 对象")
    assert rows[2].problems[0].reason == "第3行不是有效的 JSON（可能不完整）"
    assert rows[4].problems[0].level == "error"


def test_records_from_an_api_request() -> None:
    table = table_from_records([RECORDS[0], "字符串", RECORDS[1]])
    assert (table.format, table.encoding) == ("json", None)
    assert table.headers == HEADERS
    rows = list(table.rows())
    assert [r.number for r in rows] == [1, 2, 3]
    assert rows[0].cells == RECORDS[0]
    (problem,) = rows[1].problems
    assert (problem.field, problem.level) == ("row", "error")
    assert "第2条记录不是 JSON 对象" in problem.reason
    assert rows[2].cells == RECORDS[1]


def test_records_must_not_be_empty() -> None:
    with pytest.raises(ValidationFailed) as info:
        table_from_records([])
    assert info.value.field == "records"
    with pytest.raises(ValidationFailed):
        table_from_records([1, 2])
