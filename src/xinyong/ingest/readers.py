"""Streaming readers for the files departments upload for collection (归集).

``open_table`` turns a CSV, XLSX, JSON or JSON Lines file into a ``Table``: its header
texts, then its data rows one at a time. Nothing reads a whole file into memory: CSV is
decoded in chunks and JSON parsed by ``ijson``, in flat memory whether a file has a
hundred rows or a million. XLSX goes through openpyxl's read-only mode, which keeps the
workbook's shared-strings table and a few dozen bytes per row read: far below the
file's size, but growing with it.

Problems of the file as a whole (empty, unreadable, a bad header, an unsupported format)
raise ``ValidationFailed`` with field ``"file"`` before any row is read. Problems of one
row (cells shifted against the header, an element that is not an object) travel with
that row as ``SourceRow.problems``, so the row is reported and never loaded or dropped
silently. When a file cannot be read past some point (cut inside a multibyte character,
mixed encodings, truncated JSON, a damaged workbook), every row before it has already
been yielded and ``ReadInterrupted`` names the row where reading stopped.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import shutil
import tempfile
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from decimal import Decimal
from itertools import chain
from types import TracebackType
from typing import IO, Any, BinaryIO, Final

import ijson

from xinyong.errors import Problem, ValidationFailed

__all__ = [
    "ReadInterrupted",
    "SourceRow",
    "Table",
    "clean_header",
    "open_table",
    "table_from_records",
]

CHUNK: Final = 64 * 1024
# A CSV line or JSON Lines record longer than this is not a record: most likely an
# unclosed quote or a file that is not what its name says. Stops memory growing with it.
MAX_LINE_CHARS: Final = 8 * 1024 * 1024

CSV_EXTENSIONS: Final = frozenset({".csv", ".txt", ".tsv"})
XLSX_EXTENSIONS: Final = frozenset({".xlsx", ".xlsm"})
JSON_EXTENSIONS: Final = frozenset({".json"})
JSON_LINES_EXTENSIONS: Final = frozenset({".jsonl", ".ndjson"})
OLD_EXCEL_EXTENSIONS: Final = frozenset({".xls", ".et"})
OTHER_SHEET_EXTENSIONS: Final = frozenset({".xlsb", ".ods", ".numbers", ".ett", ".xlt"})

ZIP_MAGIC: Final = b"PK\x03\x04"
OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, .et, password-protected .xlsx

# CJK characters in a prefix that decoded as UTF-8 before a bad byte: GBK text misread as
# UTF-8 practically never yields this many in a row, so the file is UTF-8 with a bad part.
_UTF8_EVIDENCE: Final = 8
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_EDGE_SPACE = re.compile(r"^[\s\ufeff\u200b]+|[\s\ufeff\u200b]+$")
_SEP_LINE = re.compile(r'\s*"?sep=(.)"?\s*')


# --- rows, tables, errors --------------------------------------------------------------


@dataclass(frozen=True)
class SourceRow:
    """One data row as read from the source, before any validation."""

    number: int  # 1-based data row number, header excluded; blank rows still count
    cells: dict[str, Any]  # header text -> raw value as read
    problems: tuple[Problem, ...] = ()  # structural problems of this row


class ReadInterrupted(ValidationFailed):
    """The source could not be read past ``row``; every row before it was yielded."""

    code = "read_interrupted"

    def __init__(self, row: int, reason: str, reason_en: str) -> None:
        message = f"第 {row} 行起无法读取：{reason}"
        message_en = f"reading stopped at row {row}: {reason_en}"
        super().__init__(
            message,
            message_en,
            field="file",
            problems=[Problem("file", message, message_en)],
            details={"row": row},
        )
        self.row = row


def _file_error(reason: str, reason_en: str, field: str = "file") -> ValidationFailed:
    return ValidationFailed(
        reason, reason_en, field=field, problems=[Problem(field, reason, reason_en)]
    )


def _empty_file() -> ValidationFailed:
    return _file_error("文件为空", "the file is empty")


class Table(ABC):
    """A source of rows with a header. Use as a context manager, or call ``close()``."""

    format: str  # "csv" | "xlsx" | "json"
    encoding: str | None  # CSV only: "utf-8", "gb18030" (or "utf-16" with a BOM)
    headers: list[str]  # header texts as in the file, stripped
    warnings: list[Problem]  # about the file as a whole; reading went on

    def __init__(self, format: str, encoding: str | None, headers: list[str]) -> None:
        self.format = format
        self.encoding = encoding
        self.headers = headers
        self.warnings = []

    @abstractmethod
    def rows(self) -> Iterator[SourceRow]:
        """The data rows, in file order; fully blank rows are skipped."""

    def close(self) -> None:  # noqa: B027 - tables without resources need nothing
        """Release what the table opened (a stream passed in is left open)."""

    def __enter__(self) -> Table:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _StreamTable(Table):
    """A table read from a stream: rows can be iterated once."""

    def __init__(
        self, format: str, encoding: str | None, headers: list[str], resources: ExitStack
    ) -> None:
        super().__init__(format, encoding, headers)
        self._resources = resources
        self._started = False

    def rows(self) -> Iterator[SourceRow]:
        if self._started:
            raise RuntimeError("the rows of a file table can be read only once")
        self._started = True
        return self._rows()

    @abstractmethod
    def _rows(self) -> Iterator[SourceRow]: ...

    def close(self) -> None:
        self._resources.close()


# --- header and row shape ----------------------------------------------------------------


def clean_header(value: object) -> str:
    """A header text without surrounding whitespace, BOM or full-width spaces."""
    text = "" if value is None else str(value)
    return _EDGE_SPACE.sub("", text)


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _column_headers(raw: Sequence[object]) -> list[str]:
    """The cleaned header of a CSV or worksheet; trailing empty columns are dropped."""
    headers = [clean_header(v) for v in raw]
    while headers and not headers[-1]:
        headers.pop()
    problems: list[Problem] = []
    empty = [str(i) for i, h in enumerate(headers, 1) if not h]
    if empty:
        problems.append(
            Problem(
                "file",
                f"表头第 {'、'.join(empty)} 列的列名为空，请为每一列填写列名",
                f"header column(s) {', '.join(empty)} have no name",
            )
        )
    positions: dict[str, list[int]] = {}
    for i, header in enumerate(headers, 1):
        positions.setdefault(header, []).append(i)
    duplicated = {h: p for h, p in positions.items() if len(p) > 1}
    if duplicated:
        zh = "；".join(f"「{h}」（第 {'、'.join(map(str, p))} 列）" for h, p in duplicated.items())
        en = "; ".join(f"{h!r} (columns {', '.join(map(str, p))})" for h, p in duplicated.items())
        problems.append(Problem("file", f"表头列名重复：{zh}", f"duplicated header names: {en}"))
    if problems:
        raise ValidationFailed(
            "；".join(p.reason for p in problems),
            "; ".join(p.reason_en for p in problems),
            field="file",
            problems=problems,
        )
    return headers


def _key_headers(keys: Iterable[str], field: str = "file") -> tuple[list[str], dict[str, str]]:
    """Headers from JSON keys (in order of first appearance) and the raw key -> header map."""
    headers: list[str] = []
    by_key: dict[str, str] = {}
    sources: dict[str, str] = {}
    for key in keys:
        header = clean_header(key)
        if not header:
            raise _file_error(
                "JSON 对象中有空的键名，请为每个字段填写名称",
                f"a JSON object has an empty key ({key!r})",
                field,
            )
        if header in sources:
            raise _file_error(
                f"JSON 对象的键「{sources[header]}」与「{key}」去除空白后重复",
                f"JSON keys {sources[header]!r} and {key!r} are the same once stripped",
                field,
            )
        sources[header] = key
        by_key[key] = header
        headers.append(header)
    return headers, by_key


def _shape_problem(number: int, cells: int, headers: int) -> Problem:
    return Problem(
        "row",
        f"第{number}行有{cells}列、表头有{headers}列，列可能错位",
        f"row {number} has {cells} cells but the header has {headers}; columns may be shifted",
    )


def _extra_key(column: int) -> str:
    """The cells key of a value beyond the header, kept so that no content is lost."""
    return f"第{column}列"


def _shaped_row(
    number: int, values: Sequence[Any], headers: list[str], *, short_is_blank: bool
) -> SourceRow | None:
    """The row of ``values`` against ``headers``, None for a blank row.

    ``short_is_blank``: a row with fewer cells than the header has its last cells empty
    (worksheets) rather than missing (CSV, where it means shifted or cut columns).
    """
    if all(_is_blank(v) for v in values):
        return None
    width = len(headers)
    count = len(values)
    if count > width:
        while count > width and _is_blank(values[count - 1]):
            count -= 1
    if count == width or (count < width and short_is_blank):
        cells = {h: (values[i] if i < count else None) for i, h in enumerate(headers)}
        return SourceRow(number, cells)
    cells = dict(zip(headers, values[:count], strict=False))
    for column in range(width + 1, count + 1):
        cells.setdefault(_extra_key(column), values[column - 1])
    return SourceRow(number, cells, (_shape_problem(number, count, width),))


# --- opening ---------------------------------------------------------------------------


def open_table(source: str | os.PathLike[str] | BinaryIO, *, filename: str | None = None) -> Table:
    """Open a CSV, XLSX, JSON or JSON Lines source for streaming.

    ``source`` is a path or a binary stream (read from its start; the caller closes it);
    ``filename`` (the name the user gave the file) decides the format by its extension,
    the content when the extension is unknown or contradicted by a binary signature.
    Raises ``ValidationFailed`` (field ``"file"``) when the file cannot be read at all.
    """
    resources = ExitStack()
    try:
        if isinstance(source, str | os.PathLike):
            path = os.fspath(source)
            name = filename or path
            try:
                raw: IO[bytes] = resources.enter_context(open(path, "rb"))  # noqa: SIM115
            except OSError as exc:
                raise _file_error(
                    f"无法打开文件「{os.path.basename(path)}」：{exc.strerror or exc}",
                    f"cannot open {path}: {exc}",
                ) from None
        else:
            given = getattr(source, "name", None)
            name = filename or (given if isinstance(given, str) else "")
            raw = _rewindable(source, resources)
        return _open(raw, name, resources)
    except BaseException:
        resources.close()
        raise


def _rewindable(stream: IO[bytes], resources: ExitStack) -> IO[bytes]:
    """``stream`` itself, from its start, when it can seek; else a temporary copy on disk.

    A seekable stream is read from its start even when a caller has read it already
    (to hash it, say): an upload is a whole file.
    """
    try:
        if stream.seekable():
            stream.seek(0)
            return stream
    except (AttributeError, OSError, ValueError):
        pass
    copy = resources.enter_context(tempfile.TemporaryFile())  # noqa: SIM115
    shutil.copyfileobj(stream, copy, CHUNK)
    copy.seek(0)
    return copy


def _open(raw: IO[bytes], name: str, resources: ExitStack) -> Table:
    extension = os.path.splitext(name)[1].lower()
    head = raw.read(8)
    raw.seek(0)
    if not head:
        raise _empty_file()
    # Binary signatures beat a misleading extension (an .xlsx renamed .csv, say).
    if head.startswith(ZIP_MAGIC):
        return _open_xlsx(raw, resources)
    if head.startswith(OLE_MAGIC):
        raise _file_error(
            "文件是旧版 Excel（.xls）格式或设置了密码，无法读取。"
            "请在 Excel 或 WPS 中取消密码并另存为 .xlsx 或 CSV（UTF-8）后重新上传",
            "old binary Excel (.xls) or password-protected workbook: save as .xlsx or CSV",
        )
    if extension in OLD_EXCEL_EXTENSIONS:
        raise _file_error(
            f"不支持旧版 Excel（{extension}）文件，请另存为 .xlsx 或 CSV（UTF-8）后重新上传",
            f"{extension} files are not supported: save as .xlsx or CSV",
        )
    if extension in XLSX_EXTENSIONS:
        raise _file_error(
            "文件扩展名是 .xlsx，但内容不是 Excel 工作簿，请检查文件",
            "the file is named .xlsx but is not an Excel workbook",
        )
    if extension in OTHER_SHEET_EXTENSIONS:
        raise _file_error(
            f"不支持 {extension} 格式，请另存为 .xlsx 或 CSV（UTF-8）后重新上传",
            f"{extension} files are not supported: save as .xlsx or CSV",
        )
    if extension in CSV_EXTENSIONS:
        return _open_csv(raw, resources)
    if extension in JSON_LINES_EXTENSIONS:
        return _open_json_lines(raw, resources, wrapper_check=False)
    if extension in JSON_EXTENSIONS:
        return _open_json(raw, resources)
    return _open_sniffed(raw, resources)


def _open_sniffed(raw: IO[bytes], resources: ExitStack) -> Table:
    sample = raw.read(CHUNK)
    raw.seek(0)
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _open_csv(raw, resources)
    text = sample.removeprefix(codecs.BOM_UTF8).lstrip()
    if text.startswith((b"[", b"{")):
        return _open_json(raw, resources)
    if b"\x00" in sample:
        raise _file_error(
            "不支持的文件格式：请上传 CSV、Excel（.xlsx）或 JSON 文件",
            "unsupported file format (binary content): upload CSV, XLSX or JSON",
        )
    return _open_csv(raw, resources)


# --- CSV -------------------------------------------------------------------------------


def _detect_encoding(raw: IO[bytes]) -> tuple[str, str, int]:
    """(reported encoding, codec, bytes of BOM to skip) of a CSV file.

    UTF-8 when the first non-ASCII stretch decodes as UTF-8 (a multibyte character cut at
    the sample's end is fine: the decoder is incremental), GB18030 otherwise: a superset
    of GBK, which is what department systems export as "ANSI" CSV.
    """
    raw.seek(0)
    head = raw.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", "utf-8", len(codecs.BOM_UTF8)
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16", "utf-16-le", 2
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16", "utf-16-be", 2
    raw.seek(0)
    # Find the first non-ASCII byte: it starts a character, everything before is ASCII.
    while True:
        chunk = raw.read(CHUNK)
        if not chunk:
            return "utf-8", "utf-8", 0  # all ASCII: UTF-8 reads it
        found = _NON_ASCII.search(chunk)
        if found:
            break
    sample = chunk[found.start() :]
    sample += raw.read(CHUNK - len(sample))
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, False)
    except UnicodeDecodeError as exc:
        prefix = sample[: exc.start].decode("utf-8")
        if len(_CJK.findall(prefix)) >= _UTF8_EVIDENCE:
            return "utf-8", "utf-8", 0  # UTF-8 with a damaged or foreign part further on
        return "gb18030", "gb18030", 0
    return "utf-8", "utf-8", 0


class _Undecodable(Exception):
    """Bytes that do not decode: raised through csv.reader to the row loop."""


class _LineTooLong(Exception):
    pass


class _Lines:
    """The decoded lines of a byte stream, split as ``open(newline="")`` does, for csv.

    Hand-written rather than ``io.TextIOWrapper`` because the wrapper decodes whole
    chunks: a bad byte would lose the good rows before it in the same chunk, and the
    error would not say where it is. Here the lines before a bad byte are all yielded,
    then ``_Undecodable`` is raised.
    """

    def __init__(self, raw: IO[bytes], codec: str) -> None:
        self._raw = raw
        self._codec = codec
        self.record: list[str] = []  # lines of the record being read (reset by the reader)
        self.no_final_newline = False

    def __iter__(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder(self._codec)()
        tail = ""
        while True:
            chunk = self._raw.read(CHUNK)
            final = not chunk
            state = decoder.getstate()
            broken: UnicodeDecodeError | None = None
            try:
                text = decoder.decode(chunk, final)
            except UnicodeDecodeError as exc:
                text, broken = self._good_prefix(state, chunk), exc
            lines = io.StringIO(tail + text, newline="").readlines()
            tail = ""
            if lines and not lines[-1].endswith("\n"):
                if broken is not None:
                    if not lines[-1].endswith("\r"):
                        lines.pop()  # the start of the record the bad bytes are in
                elif not final:
                    tail = lines.pop()  # unterminated, or "\r" that "\n" may follow
                elif not lines[-1].endswith("\r") and lines[-1].strip():
                    self.no_final_newline = True
            for line in lines:
                self.record.append(line)
                yield line
            if broken is not None:
                raise _Undecodable(broken.reason)
            if final:
                return
            if len(tail) > MAX_LINE_CHARS:
                raise _LineTooLong()

    def _good_prefix(self, state: tuple[bytes, int], chunk: bytes) -> str:
        """What ``chunk`` decodes to up to its first bad byte (slow; done once)."""
        decoder = codecs.getincrementaldecoder(self._codec)()
        decoder.setstate(state)
        parts = []
        for i in range(len(chunk)):
            try:
                parts.append(decoder.decode(chunk[i : i + 1]))
            except UnicodeDecodeError:
                break
        return "".join(parts)


def _sniff_delimiter(line: str) -> str:
    """Comma unless the header line has more tabs or semicolons than commas."""
    counts = {d: line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])  # first wins a tie: comma
    return best if counts[best] > 0 else ","


def _unclosed_quote(record: list[str], delimiter: str) -> bool:
    """Whether ``record`` (the last one) ends inside a quoted field.

    csv.reader returns such a record at the end of the input without complaint. Parse
    it again with a sentinel line after it: a quoted field still open swallows the
    sentinel, a closed record leaves it as a record of its own.
    """
    sentinel = "\x00xinyong-end\x00"
    parsed = list(csv.reader([*record, sentinel], delimiter=delimiter))
    return not parsed or parsed[-1] != [sentinel]


class _CsvTable(_StreamTable):
    def __init__(
        self,
        encoding: str,
        headers: list[str],
        records: Iterator[list[str]],
        lines: _Lines,
        delimiter: str,
        resources: ExitStack,
    ) -> None:
        super().__init__("csv", encoding, headers, resources)
        self._records = records
        self._lines = lines
        self._delimiter = delimiter

    def _rows(self) -> Iterator[SourceRow]:
        number = 0
        pending: SourceRow | None = None  # held back one row: the last one gets checks
        previous: list[str] = []  # the lines of the last record read
        while True:
            previous, self._lines.record = self._lines.record, []
            try:
                values = next(self._records)
            except StopIteration:
                break
            except (_Undecodable, _LineTooLong, csv.Error) as exc:
                if pending is not None:
                    yield pending
                raise self._interrupted(number + 1, exc) from None
            number += 1
            row = _shaped_row(number, values, self.headers, short_is_blank=False)
            if row is None:
                continue
            if pending is not None:
                yield pending
            pending = row
        if pending is not None:
            # Only when the last record read is this row (not blank lines after it).
            last = pending.number == number
            yield self._last_row_checked(pending, previous) if last else pending

    def _last_row_checked(self, row: SourceRow, record: list[str]) -> SourceRow:
        n = row.number
        if _unclosed_quote(record, self._delimiter):
            problem = Problem(
                "row",
                f"第{n}行的引号没有闭合，文件可能在此行被截断",
                f"row {n} ends inside a quoted field; the file may be truncated",
            )
            return replace(row, problems=(*row.problems, problem))
        if self._lines.no_final_newline and not row.problems:
            problem = Problem(
                "row",
                f"文件末尾没有换行符：若文件被截断，第{n}行可能不完整，请核对",
                f"no newline at the end of the file: row {n} may be incomplete",
                "warning",
            )
            return replace(row, problems=(problem,))
        return row

    def _interrupted(self, row: int, exc: Exception) -> ReadInterrupted:
        if isinstance(exc, _Undecodable):
            label = (self.encoding or "").upper()
            return ReadInterrupted(
                row,
                f"文件内容无法按 {label} 编码解码（文件可能不完整，或混用了不同的编码），"
                "请检查后重新导出",
                f"invalid {label} bytes ({exc}): truncated file or mixed encodings",
            )
        if isinstance(exc, _LineTooLong):
            return ReadInterrupted(
                row,
                "该行过长，可能是引号没有闭合，或文件不是 CSV 格式",
                f"line longer than {MAX_LINE_CHARS} characters",
            )
        return ReadInterrupted(
            row,
            "CSV 格式错误，可能是引号没有闭合",
            f"CSV error: {exc}",
        )


def _open_csv(raw: IO[bytes], resources: ExitStack) -> Table:
    encoding, codec, bom = _detect_encoding(raw)
    raw.seek(bom)
    lines = _Lines(raw, codec)
    line_iter = iter(lines)
    try:
        first = next((line for line in line_iter if line.strip()), None)
        if first is None:
            raise _empty_file()
        forced = _SEP_LINE.fullmatch(first)  # Excel's "sep=;" hint line
        delimiter = forced.group(1) if forced else _sniff_delimiter(first)
        records = csv.reader(chain([] if forced else [first], line_iter), delimiter=delimiter)
        header = next((r for r in records if not all(_is_blank(v) for v in r)), None)
    except _Undecodable:
        raise _file_error(
            f"文件开头无法按 {encoding.upper()} 编码读取，请另存为 UTF-8 编码的 CSV 后重新上传",
            f"the header does not decode as {encoding}",
        ) from None
    except (_LineTooLong, csv.Error) as exc:
        raise _file_error(
            "无法读取表头：第一行过长或格式错误，文件可能不是 CSV 格式",
            f"cannot read the header: {exc.__class__.__name__} {exc}",
        ) from None
    if header is None:
        raise _empty_file()
    headers = _column_headers(header)
    if not headers:
        raise _empty_file()
    return _CsvTable(encoding, headers, records, lines, delimiter, resources)


# --- XLSX ------------------------------------------------------------------------------


class _XlsxTable(_StreamTable):
    def __init__(
        self, headers: list[str], values: Iterator[Sequence[Any]], resources: ExitStack
    ) -> None:
        super().__init__("xlsx", None, headers, resources)
        self._values = values

    def _rows(self) -> Iterator[SourceRow]:
        number = 0
        while True:
            try:
                values = next(self._values)
            except StopIteration:
                return
            except Exception as exc:  # zip, zlib, XML: any damage below openpyxl
                raise ReadInterrupted(
                    number + 1,
                    "Excel 文件内容已损坏，请在 Excel 或 WPS 中打开并重新保存后上传",
                    f"damaged workbook: {exc.__class__.__name__}: {exc}",
                ) from None
            number += 1
            row = _shaped_row(number, values, self.headers, short_is_blank=True)
            if row is not None:
                yield row


def _first_nonblank(values: Iterator[Sequence[Any]]) -> Sequence[Any] | None:
    return next((v for v in values if not all(_is_blank(c) for c in v)), None)


def _open_xlsx(raw: IO[bytes], resources: ExitStack) -> Table:
    # openpyxl is imported here: only XLSX uploads pay for it.
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "Workbook contains no default style"
            workbook = load_workbook(raw, read_only=True, data_only=True)
    except Exception as exc:
        raise _file_error(
            "无法作为 Excel（.xlsx）文件读取：文件已损坏或不是 .xlsx 格式",
            f"not a readable .xlsx workbook: {exc.__class__.__name__}: {exc}",
        ) from None
    resources.callback(workbook.close)
    sheets = list(workbook.worksheets)
    # Hidden sheets (code lists, usually) are read only when no visible one has data,
    # and other sheets with data are not read: the table warns about visible ones.
    sheets.sort(key=lambda s: getattr(s, "sheet_state", "visible") != "visible")
    chosen: tuple[str, list[str], Iterator[Sequence[Any]]] | None = None
    others: list[str] = []
    try:
        for sheet in sheets:
            reset = getattr(sheet, "reset_dimensions", None)
            if reset is not None:
                reset()  # the stored dimensions of some exporters are wrong
            values: Iterator[Sequence[Any]] = sheet.iter_rows(values_only=True)
            header = _first_nonblank(values)
            if header is None:
                continue
            if chosen is None:
                chosen = (sheet.title, _column_headers(header), values)
            else:
                if getattr(sheet, "sheet_state", "visible") == "visible":
                    others.append(sheet.title)
                close = getattr(values, "close", None)
                if close is not None:
                    close()
    except ValidationFailed:
        raise
    except Exception as exc:
        raise _file_error(
            "Excel 文件内容已损坏，无法读取表头",
            f"damaged workbook: {exc.__class__.__name__}: {exc}",
        ) from None
    if chosen is None or not chosen[1]:
        raise _empty_file()
    title, headers, rows = chosen
    table = _XlsxTable(headers, rows, resources)
    if others:
        names = "、".join(f"「{t}」" for t in others)
        table.warnings.append(
            Problem(
                "file",
                f"只读取了工作表「{title}」，工作表{names}中的数据未读取",
                f"only sheet {title!r} was read; sheets {others!r} also have data",
                "warning",
            )
        )
    return table


# --- JSON ------------------------------------------------------------------------------


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "数组"
    if isinstance(value, str):
        return "字符串"
    if isinstance(value, bool):
        return "布尔值"
    if isinstance(value, int | float | Decimal):
        return "数字"
    if value is None:
        return "null"
    return type(value).__name__


def _not_an_object(number: int, value: object, unit: str, unit_en: str) -> SourceRow:
    kind = _kind(value)
    return SourceRow(
        number,
        {},
        (
            Problem(
                "row",
                f"第{number}{unit}不是 JSON 对象（{{…}}），而是{kind}",
                f"{unit_en} {number} is not a JSON object but {type(value).__name__}",
            ),
        ),
    )


def _object_row(number: int, value: Mapping[Any, Any], by_key: dict[str, str]) -> SourceRow:
    cells: dict[str, Any] = {}
    for key, cell in value.items():
        header = by_key.get(key) if isinstance(key, str) else None
        cells[header or clean_header(key)] = cell
    return SourceRow(number, cells)


def _not_array_error(detail: str, detail_en: str) -> ValidationFailed:
    return _file_error(
        f"JSON 文件的顶层应为对象数组 [{{…}}, {{…}}] 或每行一个对象（JSON Lines）；{detail}",
        f"JSON top level must be an array of objects or JSON Lines; {detail_en}",
    )


def _wrapped_records(value: Mapping[str, Any]) -> str | None:
    """The key of a list of objects inside ``value``: {"data": [{...}]} is a wrapper."""
    for key, item in value.items():
        if isinstance(item, list) and item and all(isinstance(i, dict) for i in item):
            return str(key)
    return None


def _skip_bom(raw: IO[bytes]) -> int:
    raw.seek(0)
    start = len(codecs.BOM_UTF8) if raw.read(3) == codecs.BOM_UTF8 else 0
    raw.seek(start)
    return start


def _first_significant_byte(raw: IO[bytes]) -> bytes:
    start = _skip_bom(raw)
    while True:
        chunk = raw.read(CHUNK)
        if not chunk:
            break
        stripped = chunk.lstrip()
        if stripped:
            raw.seek(start)
            return stripped[:1]
    raw.seek(start)
    return b""


def _open_json(raw: IO[bytes], resources: ExitStack) -> Table:
    first = _first_significant_byte(raw)
    if not first:
        raise _empty_file()
    if first == b"[":
        return _open_json_array(raw, resources)
    if first != b"{":
        raise _not_array_error("本文件的顶层既不是数组也不是对象", "got something else")
    line = raw.readline(MAX_LINE_CHARS)
    while line and not line.strip():
        line = raw.readline(MAX_LINE_CHARS)
    try:
        value = json.loads(line)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise _not_array_error("本文件的顶层是一个对象", "the top level is one object")
    return _open_json_lines(raw, resources, wrapper_check=True)


class _JsonArrayTable(_StreamTable):
    def __init__(
        self, headers: list[str], by_key: dict[str, str], raw: IO[bytes], resources: ExitStack
    ) -> None:
        super().__init__("json", None, headers, resources)
        self._by_key = by_key
        self._raw = raw

    def _rows(self) -> Iterator[SourceRow]:
        _skip_bom(self._raw)
        elements = ijson.items(self._raw, "item", buf_size=CHUNK)
        number = 0
        while True:
            try:
                value = next(elements)
            except StopIteration:
                return
            except (ijson.JSONError, UnicodeDecodeError) as exc:
                raise ReadInterrupted(
                    number + 1,
                    "JSON 格式错误或文件不完整（可能被截断）",
                    f"invalid or truncated JSON: {exc}",
                ) from None
            number += 1
            if isinstance(value, dict):
                yield _object_row(number, value, self._by_key)
            else:
                yield _not_an_object(number, value, "条记录", "element")


def _open_json_array(raw: IO[bytes], resources: ExitStack) -> Table:
    # First pass: the union of keys. Exporters often leave out null fields, so the
    # first object alone would miss columns that later rows fill. ijson's C backend
    # makes the extra pass cheap next to validating and storing the rows.
    start = raw.tell()
    keys: dict[str, None] = {}
    elements = objects = 0
    broken = False
    try:
        for value in ijson.items(raw, "item", buf_size=CHUNK):
            elements += 1
            if isinstance(value, dict):
                objects += 1
                keys.update(dict.fromkeys(value))
    except (ijson.JSONError, UnicodeDecodeError):
        broken = True  # the rows pass reports it, after the rows before it
    raw.seek(start)
    if elements == 0:
        if broken:
            raise _file_error(
                "JSON 格式错误或文件不完整，未能读出任何记录",
                "invalid or truncated JSON before the first element",
            )
        raise _file_error("文件为空：JSON 数组中没有任何记录", "the JSON array is empty")
    if objects == 0:
        raise _not_array_error("数组中的元素都不是对象", "no element is an object")
    headers, by_key = _key_headers(keys)
    return _JsonArrayTable(headers, by_key, raw, resources)


def _json_lines(raw: IO[bytes]) -> Iterator[tuple[int, Any, str | None]]:
    """(line number, parsed value or None, problem) for each non-blank line."""
    number = 0
    while True:
        line = raw.readline(MAX_LINE_CHARS)
        if not line:
            return
        number += 1
        if len(line) >= MAX_LINE_CHARS and not line.endswith(b"\n"):
            while (rest := raw.readline(MAX_LINE_CHARS)) and not rest.endswith(b"\n"):
                pass
            yield number, None, f"too long (over {MAX_LINE_CHARS} bytes)"
            continue
        if not line.strip():
            continue
        try:
            yield number, json.loads(line, parse_float=Decimal), None
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
            yield number, None, str(exc)


class _JsonLinesTable(_StreamTable):
    def __init__(
        self, headers: list[str], by_key: dict[str, str], raw: IO[bytes], resources: ExitStack
    ) -> None:
        super().__init__("json", None, headers, resources)
        self._by_key = by_key
        self._raw = raw

    def _rows(self) -> Iterator[SourceRow]:
        self._raw.seek(0)
        for number, value, error in _json_lines(self._raw):
            if error is not None:
                yield SourceRow(
                    number,
                    {},
                    (
                        Problem(
                            "row",
                            f"第{number}行不是有效的 JSON（可能不完整）",
                            f"line {number} is not valid JSON: {error}",
                        ),
                    ),
                )
            elif isinstance(value, dict):
                yield _object_row(number, value, self._by_key)
            else:
                yield _not_an_object(number, value, "行", "line")


def _open_json_lines(raw: IO[bytes], resources: ExitStack, *, wrapper_check: bool) -> Table:
    raw.seek(0)
    keys: dict[str, None] = {}
    lines = objects = 0
    for _number, value, _error in _json_lines(raw):
        lines += 1
        if isinstance(value, dict):
            if objects == 0 and wrapper_check and (inner := _wrapped_records(value)):
                raise _not_array_error(
                    f"本文件的顶层是对象，记录在其中的「{inner}」里，请直接上传该数组",
                    f"the records are wrapped in the key {inner!r}",
                )
            objects += 1
            keys.update(dict.fromkeys(value))
    raw.seek(0)
    if lines == 0:
        raise _empty_file()
    if objects == 0:
        raise _not_array_error("没有一行是 JSON 对象", "no line is a JSON object")
    headers, by_key = _key_headers(keys)
    return _JsonLinesTable(headers, by_key, raw, resources)


# --- records already parsed (HTTP API) -------------------------------------------------


class _RecordsTable(Table):
    def __init__(self, headers: list[str], by_key: dict[str, str], records: Sequence[Any]) -> None:
        super().__init__("json", None, headers)
        self._by_key = by_key
        self._records = records

    def rows(self) -> Iterator[SourceRow]:
        for number, value in enumerate(self._records, 1):
            if isinstance(value, Mapping):
                yield _object_row(number, value, self._by_key)
            else:
                yield _not_an_object(number, value, "条记录", "element")


def table_from_records(records: Sequence[Any]) -> Table:
    """A table over records already parsed from a JSON request body.

    Headers are the union of the keys in order of first appearance; an element that is
    not an object becomes a row with a problem. Errors name the field ``"records"``.
    """
    if not records:
        raise _file_error("没有任何记录", "no records", "records")
    keys: dict[str, None] = {}
    for value in records:
        if isinstance(value, Mapping):
            keys.update(dict.fromkeys(str(k) for k in value))
    if not keys:
        raise _file_error(
            "记录应为 JSON 对象（{…}）的数组", "records must be JSON objects", "records"
        )
    headers, by_key = _key_headers(keys, "records")
    return _RecordsTable(headers, by_key, records)
