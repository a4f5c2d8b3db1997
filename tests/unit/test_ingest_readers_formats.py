"""Choosing the reader: by extension, by content, refusing what cannot be read."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from xinyong.errors import ValidationFailed
from xinyong.ingest.readers import open_table

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
CSV = "行政相对人名称,处罚金额\n甲公司,100\n".encode("gbk")
JSON = '[{"行政相对人名称": "甲公司", "处罚金额": 100}]'.encode()


def _xlsx() -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["行政相对人名称", "处罚金额"])
    ws.append(["甲公司", 100])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("name", "data", "format"),
    [
        ("a.csv", CSV, "csv"),
        ("a.TXT", CSV, "csv"),
        ("a.xlsx", _xlsx(), "xlsx"),
        ("a.json", JSON, "json"),
        ("上报数据", CSV, "csv"),
        ("上报数据", _xlsx(), "xlsx"),
        ("上报数据.dat", JSON, "json"),
        ("renamed.csv", _xlsx(), "xlsx"),  # content beats a wrong extension
        ("misnamed.xls", _xlsx(), "xlsx"),
    ],
)
def test_format_by_extension_then_content(
    tmp_path: Path, name: str, data: bytes, format: str
) -> None:
    with open_table(_write(tmp_path, name, data)) as table:
        assert table.format == format
        assert table.headers == ["行政相对人名称", "处罚金额"]
        (row,) = table.rows()
    assert row.cells["行政相对人名称"] == "甲公司"
    assert str(row.cells["处罚金额"]) == "100"


@pytest.mark.parametrize("name", ["旧版.xls", "旧版.et", "加密.xlsx", "no-extension"])
def test_old_binary_excel_is_refused_with_advice(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        open_table(_write(tmp_path, name, OLE))
    assert info.value.field == "file"
    assert ".xls" in info.value.message
    assert "另存为 .xlsx 或 CSV" in info.value.message
    assert info.value.message_en


def test_xls_extension_with_other_content_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as info:
        open_table(_write(tmp_path, "a.xls", b"<html><table></table></html>"))
    assert "另存为 .xlsx 或 CSV" in info.value.message


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        ("a.xlsx", CSV, "不是 Excel 工作簿"),
        ("a.ods", b"PK-not-really", "不支持 .ods"),
        ("a.bin", b"\x00\x01\x02\x03binary", "不支持的文件格式"),
        ("a.docx", b"PK\x03\x04" + b"\x00" * 100, "Excel"),
    ],
)
def test_unreadable_formats_are_refused(
    tmp_path: Path, name: str, data: bytes, fragment: str
) -> None:
    with pytest.raises(ValidationFailed) as info:
        open_table(_write(tmp_path, name, data))
    assert info.value.field == "file"
    assert fragment in info.value.message


@pytest.mark.parametrize("name", ["a.csv", "a.xlsx", "a.json", "a.jsonl", "a"])
def test_zero_bytes_is_an_empty_file_whatever_the_name(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        open_table(_write(tmp_path, name, b""))
    assert (info.value.field, info.value.message) == ("file", "文件为空")
    assert info.value.message_en == "the file is empty"


def test_missing_file_is_a_file_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as info:
        open_table(tmp_path / "不存在.csv")
    assert info.value.field == "file"
    assert "不存在.csv" in info.value.message


def test_filename_decides_the_format_of_a_temporary_path(tmp_path: Path) -> None:
    path = _write(tmp_path, "upload-7f3a.tmp", b'{"a": 1}\n{"a": 2}\n')
    with open_table(path, filename="上报.jsonl") as table:
        assert [r.cells for r in table.rows()] == [{"a": 1}, {"a": 2}]


class _Unseekable(io.RawIOBase):
    """A stream that can only be read forward, like a request body."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


@pytest.mark.parametrize(("name", "data"), [("a.csv", CSV), ("a.xlsx", _xlsx()), ("a.json", JSON)])
def test_unseekable_streams_are_read(name: str, data: bytes) -> None:
    stream = io.BufferedReader(_Unseekable(data))
    assert not stream.seekable()
    with open_table(stream, filename=name) as table:
        (row,) = table.rows()
    assert row.cells["行政相对人名称"] == "甲公司"


def test_close_releases_the_file_and_rows_are_read_once(tmp_path: Path) -> None:
    table = open_table(_write(tmp_path, "a.csv", CSV))
    assert len(list(table.rows())) == 1
    with pytest.raises(RuntimeError):
        table.rows()
    table.close()
    with open_table(_write(tmp_path, "b.csv", CSV)) as other:
        rows = other.rows()
    with pytest.raises(ValueError):  # the file was closed on leaving the block
        next(rows)
