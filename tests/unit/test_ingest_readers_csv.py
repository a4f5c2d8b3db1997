"""Streaming CSV reader for collection (归集) files: encodings, delimiters, row shape."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from xinyong.errors import ValidationFailed
from xinyong.ingest.readers import ReadInterrupted, SourceRow, open_table

HEADER = ["行政相对人名称", "统一社会信用代码", "处罚决定书文号", "处罚金额"]
ROWS = [
    ["上海某某贸易有限公司", "91310000MA1K3Y5X2D", "沪市监罚〔2024〕101号", "5000"],
    ["北京某某科技有限公司", "91110108MA01ABCD1X", "京市监罚〔2024〕7号", "12000.50"],
]


def _csv(rows: list[list[str]], *, sep: str = ",", newline: str = "\r\n") -> str:
    return "".join(sep.join(r) + newline for r in rows)


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _read(path: Path) -> tuple[list[SourceRow], str | None, list[str]]:
    with open_table(path) as table:
        return list(table.rows()), table.encoding, table.headers


def _expected_cells() -> list[dict[str, str]]:
    return [dict(zip(HEADER, r, strict=True)) for r in ROWS]


@pytest.mark.parametrize(
    ("encoding", "bom", "reported"),
    [("utf-8", b"", "utf-8"), ("utf-8", b"\xef\xbb\xbf", "utf-8"), ("gbk", b"", "gb18030")],
    ids=["utf-8", "utf-8-bom", "gbk"],
)
def test_chinese_headers_in_each_encoding(
    tmp_path: Path, encoding: str, bom: bytes, reported: str
) -> None:
    path = _write(tmp_path, "处罚.csv", bom + _csv([HEADER, *ROWS]).encode(encoding))
    rows, detected, headers = _read(path)
    assert detected == reported
    assert headers == HEADER  # the BOM is not part of the first header
    assert [r.cells for r in rows] == _expected_cells()
    assert [r.number for r in rows] == [1, 2]
    assert all(r.problems == () for r in rows)


def test_gb18030_characters_outside_gbk(tmp_path: Path) -> None:
    rows_in = [HEADER, ["𠀾记餐饮店", "92310000MA1XXXXX1A", "沪罚〔2024〕1号", "100"]]
    path = _write(tmp_path, "a.csv", _csv(rows_in).encode("gb18030"))
    rows, detected, _ = _read(path)
    assert detected == "gb18030"
    assert rows[0].cells["行政相对人名称"] == "𠀾记餐饮店"


def test_gbk_detected_when_chinese_starts_after_a_long_ascii_stretch(tmp_path: Path) -> None:
    ascii_rows = [[f"company {i}", "91310000MA1K3Y5X2D", f"doc-{i}", "1"] for i in range(5000)]
    text = _csv([["name", "uscc", "doc", "amount"], *ascii_rows, ["某某公司", "x", "y", "2"]])
    assert len(text) > 128 * 1024  # beyond the first sample
    rows, detected, _ = _read(_write(tmp_path, "a.csv", text.encode("gbk")))
    assert detected == "gb18030"
    assert len(rows) == 5001
    assert rows[-1].cells["name"] == "某某公司"


def test_multibyte_characters_across_chunk_boundaries(tmp_path: Path) -> None:
    many = [
        [f"上海某某贸易有限公司第{i}分公司", "9131", f"沪罚〔2024〕{i}号", "1"] for i in range(4000)
    ]
    for encoding in ("utf-8", "gbk"):
        path = _write(tmp_path, f"{encoding}.csv", _csv([HEADER, *many]).encode(encoding))
        rows, _, _ = _read(path)
        assert [list(r.cells.values()) for r in rows] == many


@pytest.mark.parametrize("sep", ["\t", ";"])
def test_tab_and_semicolon_delimiters_are_sniffed(tmp_path: Path, sep: str) -> None:
    path = _write(tmp_path, "a.txt", _csv([HEADER, *ROWS], sep=sep).encode())
    rows, _, headers = _read(path)
    assert headers == HEADER
    assert [r.cells for r in rows] == _expected_cells()


def test_comma_wins_and_commas_inside_quotes_stay(tmp_path: Path) -> None:
    data = '名称,备注\n甲公司,"一; 二; 三"\n'
    rows, _, headers = _read(_write(tmp_path, "a.csv", data.encode()))
    assert headers == ["名称", "备注"]
    assert rows[0].cells == {"名称": "甲公司", "备注": "一; 二; 三"}


def test_excel_sep_hint_line(tmp_path: Path) -> None:
    rows, _, headers = _read(_write(tmp_path, "a.csv", b"sep=;\na;b\n1,5;2\n"))
    assert headers == ["a", "b"]
    assert rows[0].cells == {"a": "1,5", "b": "2"}


def test_utf16_excel_unicode_text(tmp_path: Path) -> None:
    data = "\ufeff" + _csv([HEADER, *ROWS], sep="\t")
    rows, detected, headers = _read(_write(tmp_path, "导出.txt", data.encode("utf-16-le")))
    assert detected == "utf-16"
    assert headers == HEADER
    assert [r.cells for r in rows] == _expected_cells()


def test_quoted_field_with_newlines_is_one_row(tmp_path: Path) -> None:
    data = '名称,违法事实,金额\n甲公司,"第一行\n第二行\r\n第三行",100\n乙公司,简单,200\n'
    rows, _, _ = _read(_write(tmp_path, "a.csv", data.encode()))
    assert [r.number for r in rows] == [1, 2]
    assert rows[0].cells["违法事实"] == "第一行\n第二行\r\n第三行"
    assert rows[1].cells == {"名称": "乙公司", "违法事实": "简单", "金额": "200"}


def test_bare_carriage_return_line_endings(tmp_path: Path) -> None:
    rows, _, headers = _read(_write(tmp_path, "a.csv", b"a,b\r1,2\r3,4\r"))
    assert headers == ["a", "b"]
    assert [r.cells for r in rows] == [{"a": "1", "b": "2"}, {"a": "3", "b": "4"}]


def test_blank_rows_are_skipped_but_counted(tmp_path: Path) -> None:
    data = "a,b\n1,2\n\n , \n,,,\n3,4\n"
    rows, _, _ = _read(_write(tmp_path, "a.csv", data.encode()))
    assert [(r.number, r.cells) for r in rows] == [
        (1, {"a": "1", "b": "2"}),
        (5, {"a": "3", "b": "4"}),
    ]


def test_leading_blank_lines_before_the_header(tmp_path: Path) -> None:
    rows, _, headers = _read(_write(tmp_path, "a.csv", b"\n\r\n  \na,b\n1,2\n"))
    assert headers == ["a", "b"]
    assert [(r.number, r.cells) for r in rows] == [(1, {"a": "1", "b": "2"})]


def test_values_are_kept_raw(tmp_path: Path) -> None:
    rows, _, _ = _read(_write(tmp_path, "a.csv", "a,b\n 甲 ,\u3000001\n".encode()))
    assert rows[0].cells == {"a": " 甲 ", "b": "\u3000001"}


def test_header_cleanup(tmp_path: Path) -> None:
    data = " 行政相对人名称 ,\u3000处罚决定书文号\u3000,\ufeff金额\t\n甲,乙,1\n"
    rows, _, headers = _read(_write(tmp_path, "a.csv", data.encode()))
    assert headers == ["行政相对人名称", "处罚决定书文号", "金额"]
    assert rows[0].cells == {"行政相对人名称": "甲", "处罚决定书文号": "乙", "金额": "1"}


def test_trailing_empty_cells_are_fine(tmp_path: Path) -> None:
    data = "a,b,,\n1,2,,\n3,4, ,\n5,6\n"
    rows, _, headers = _read(_write(tmp_path, "a.csv", data.encode()))
    assert headers == ["a", "b"]
    assert [r.cells for r in rows] == [
        {"a": "1", "b": "2"},
        {"a": "3", "b": "4"},
        {"a": "5", "b": "6"},
    ]
    assert all(r.problems == () for r in rows)


def test_extra_cells_are_a_row_error_and_kept(tmp_path: Path) -> None:
    data = _csv(
        [HEADER, ROWS[0], ["上海某某", "9131", "沪罚〔2024〕1号", "100", "多出来的"], ROWS[1]]
    )
    rows, _, _ = _read(_write(tmp_path, "a.csv", data.encode()))
    assert [r.problems for r in rows][0::2] == [(), ()]
    (problem,) = rows[1].problems
    assert (problem.field, problem.level) == ("row", "error")
    assert problem.reason == "第2行有5列、表头有4列，列可能错位"
    assert rows[1].cells["处罚金额"] == "100"
    assert "多出来的" in rows[1].cells.values()  # nothing is lost for the quarantine


def test_missing_cells_are_a_row_error(tmp_path: Path) -> None:
    data = _csv([HEADER, ["上海某某", "沪罚〔2024〕1号", "100"], ROWS[0]])
    rows, _, _ = _read(_write(tmp_path, "a.csv", data.encode()))
    (problem,) = rows[0].problems
    assert (problem.field, problem.level) == ("row", "error")
    assert problem.reason == "第1行有3列、表头有4列，列可能错位"
    assert rows[1].problems == ()


def test_file_cut_mid_row(tmp_path: Path) -> None:
    data = _csv([HEADER, *ROWS]).encode("gbk")
    cut = data[: data.index("北京".encode("gbk")) + len("北京某某科技有限公司,9111".encode("gbk"))]
    rows, _, _ = _read(_write(tmp_path, "a.csv", cut))
    assert len(rows) == 2  # the cut row is neither dropped nor loaded silently
    assert rows[0].problems == ()
    (problem,) = rows[1].problems
    assert problem.level == "error"
    assert problem.reason == "第2行有2列、表头有4列，列可能错位"


def test_file_cut_in_the_last_field_gets_a_warning(tmp_path: Path) -> None:
    data = _csv([HEADER, *ROWS]).encode()[:-5]  # "12000.50\r\n" -> "12000"
    rows, _, _ = _read(_write(tmp_path, "a.csv", data))
    assert rows[1].cells["处罚金额"] == "12000"
    (problem,) = rows[1].problems
    assert problem.level == "warning"
    assert "没有换行符" in problem.reason
    assert rows[0].problems == ()


def test_file_cut_inside_a_quoted_field(tmp_path: Path) -> None:
    data = '名称,违法事实,金额\n甲公司,说明,1\n乙公司,"第一行\n第二行,2\n'
    rows, _, _ = _read(_write(tmp_path, "a.csv", data.encode()))
    assert rows[0].problems == ()
    assert any("引号没有闭合" in p.reason and p.level == "error" for p in rows[1].problems)


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_file_cut_inside_a_multibyte_character(tmp_path: Path, encoding: str) -> None:
    data = _csv([HEADER, *ROWS, ["广州某某有限公司", "9144", "穗罚〔2024〕3号", "1"]])
    raw = data.encode(encoding)
    cut = raw[: raw.index("广州".encode(encoding)) + 1]  # inside 广
    with open_table(_write(tmp_path, "a.csv", cut)) as table:
        seen: list[SourceRow] = []
        with pytest.raises(ReadInterrupted) as info:
            for row in table.rows():
                seen.append(row)
    assert [r.cells for r in seen] == _expected_cells()
    assert info.value.row == 3
    assert info.value.field == "file"
    assert info.value.message.startswith("第 3 行起无法读取：")
    assert isinstance(info.value, ValidationFailed)


def test_mixed_encodings_stop_at_the_first_foreign_row(tmp_path: Path) -> None:
    good = _csv([HEADER, *ROWS]).encode("utf-8")
    foreign = _csv([["广州某某有限公司", "9144", "穗罚〔2024〕3号", "1"]]).encode("gbk")
    path = _write(tmp_path, "a.csv", good + foreign + _csv(ROWS).encode("utf-8"))
    with open_table(path) as table:
        assert table.encoding == "utf-8"
        seen: list[SourceRow] = []
        with pytest.raises(ReadInterrupted) as info:
            seen.extend(table.rows())
    assert len(seen) == 2
    assert info.value.row == 3


def test_decode_error_far_into_the_file_yields_every_row_before_it(tmp_path: Path) -> None:
    many = [[f"某某公司{i}", "91310000MA1K3Y5X2D", f"沪罚〔2024〕{i}号", "1"] for i in range(3000)]
    raw = _csv([HEADER, *many]).encode("utf-8") + b"\xff\xfe,bad\r\n"
    seen: list[SourceRow] = []
    with (
        open_table(_write(tmp_path, "a.csv", raw)) as table,
        pytest.raises(ReadInterrupted) as info,
    ):
        seen.extend(table.rows())
    assert len(seen) == 3000
    assert seen[-1].cells["行政相对人名称"] == "某某公司2999"
    assert info.value.row == 3001


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n  \n", b"\xef\xbb\xbf", b",,,\n"])
def test_empty_file_is_refused(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(ValidationFailed) as info:
        open_table(_write(tmp_path, "a.csv", data))
    assert info.value.field == "file"
    assert info.value.message == "文件为空"


def test_header_only_file_has_no_rows(tmp_path: Path) -> None:
    rows, _, headers = _read(_write(tmp_path, "a.csv", _csv([HEADER]).encode("gbk")))
    assert headers == HEADER
    assert rows == []


def test_duplicated_header_names_the_column(tmp_path: Path) -> None:
    data = "行政相对人名称,处罚金额, 行政相对人名称\n甲,1,乙\n"
    with pytest.raises(ValidationFailed) as info:
        open_table(_write(tmp_path, "a.csv", data.encode()))
    assert info.value.field == "file"
    assert "行政相对人名称" in info.value.message
    assert "重复" in info.value.message
    assert "第 1、3 列" in info.value.message


def test_empty_header_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as info:
        open_table(_write(tmp_path, "a.csv", "名称,,金额\n甲,x,1\n".encode()))
    assert info.value.field == "file"
    assert "第 2 列" in info.value.message
    assert "为空" in info.value.message


def test_reads_from_a_binary_stream(tmp_path: Path) -> None:
    stream = io.BytesIO(_csv([HEADER, *ROWS]).encode("gbk"))
    stream.read()  # e.g. hashed by the caller: the stream is still read from its start
    with open_table(stream, filename="上报.csv") as table:
        assert (table.format, table.encoding) == ("csv", "gb18030")
        assert [r.cells for r in table.rows()] == _expected_cells()
    assert not stream.closed  # the caller's stream is the caller's to close
