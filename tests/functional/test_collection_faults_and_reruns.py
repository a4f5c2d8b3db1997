"""Faults while collecting a file: each gives a clear error or a partial report, and a
rerun of the complete file afterwards loads exactly what was missing: no duplicates,
no loss."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from tests.functional.collecting import Department, csv_text, make_department, penalty
from xinyong.errors import ValidationFailed
from xinyong.ingest.models import QuarantineRow, Submission
from xinyong.ingest.readers import open_table
from xinyong.ingest.service import CollectionReport, Collector
from xinyong.records.loader import PreparedRow, RecordLoader, RowResult
from xinyong.records.models import CreditRecord
from xinyong.runtime import Runtime


def collect(
    rt: Runtime, dept: Department, path: Path, *, item: str = "xzcf", batch_size: int = 4
) -> CollectionReport:
    collector = Collector(
        rt.sessions, dept.actor, rt.catalog, rt.rulebook, rt.vault, batch_size=batch_size
    )
    return collector.collect(open_table(path), item_code=item, department=dept.uscc, channel="cli")


def stored_docs(rt: Runtime, dept: Department) -> list[str]:
    with rt.sessions() as session:
        return list(
            session.execute(
                select(CreditRecord.doc_number)
                .where(CreditRecord.authority_code == dept.uscc)
                .order_by(CreditRecord.doc_number)
            ).scalars()
        )


def submissions(rt: Runtime, dept: Department) -> list[Submission]:
    with rt.sessions() as session:
        return list(
            session.execute(
                select(Submission)
                .where(Submission.org_id == dept.actor.org_id)
                .order_by(Submission.started_at)
            ).scalars()
        )


def open_quarantine(rt: Runtime, dept: Department) -> list[QuarantineRow]:
    with rt.sessions() as session:
        return list(
            session.execute(
                select(QuarantineRow).where(
                    QuarantineRow.org_id == dept.actor.org_id, QuarantineRow.status == "open"
                )
            ).scalars()
        )


def rows_for(dept: Department, n: int, start: int = 1) -> list[dict[str, Any]]:
    return [penalty(dept, i) for i in range(start, start + n)]


def docs_of(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(r["CF_WSH"] for r in rows)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --- refused files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"", b"\xef\xbb\xbf", b"\r\n\r\n  \r\n"],
    ids=["zero-bytes", "bom-only", "blank-lines"],
)
def test_empty_file_is_refused_in_chinese_and_nothing_is_stored(
    runtime: Runtime, tmp_path: Path, content: bytes
) -> None:
    dept = make_department(runtime)
    path = write(tmp_path / "空文件.csv", content)
    with pytest.raises(ValidationFailed) as caught:
        collect(runtime, dept, path)
    assert caught.value.field == "file"
    assert "文件为空" in caught.value.message
    assert submissions(runtime, dept) == []
    assert stored_docs(runtime, dept) == []


def test_licence_file_sent_as_penalties_names_the_item_and_the_one_it_looks_like(
    runtime: Runtime, tmp_path: Path
) -> None:
    dept = make_department(runtime)
    licence = {
        "XK_XDR_MC": "厦门甲乙贸易有限公司",
        "XK_XDR_LB": "法人及非法人组织",
        "XK_XKWS": "食品经营许可决定书",
        "XK_WSH": "JY13502030000001",
        "XK_XKLB": "普通",
        "XK_NR": "食品销售",
        "XK_JDRQ": "2026-03-05",
        "XK_YXQZ": "2026-03-05",
        "XK_YXQZI": "2031-03-04",
        "XK_XKJG": dept.name,
        "XK_XKJGDM": dept.uscc,
        "XK_ZT": "有效",
        "XK_LYDW": dept.name,
        "XK_LYDWDM": dept.uscc,
    }
    path = write(tmp_path / "许可.csv", csv_text([licence]).encode())
    with pytest.raises(ValidationFailed) as caught:
        collect(runtime, dept, path)
    message = caught.value.message
    assert "「行政处罚」（xzcf）不匹配" in message
    assert "处罚决定书文号" in message  # the missing key column, by its Chinese name
    assert "表头看起来像事项「行政许可」（xzxk）" in message
    assert stored_docs(runtime, dept) == []
    (sub,) = submissions(runtime, dept)
    assert sub.status == "failed" and sub.error == message


# --- rows that cannot be right -----------------------------------------------------------


def test_row_with_an_extra_cell_is_rejected_as_shifted_and_the_others_load(
    runtime: Runtime, tmp_path: Path
) -> None:
    dept = make_department(runtime)
    rows = rows_for(dept, 5)
    lines = csv_text(rows).splitlines(keepends=True)
    cells = lines[3].split(",")  # data row 3
    cells.insert(4, "多出的一格")  # pushes every later value one column right
    lines[3] = ",".join(cells)
    path = write(tmp_path / "错位.csv", "".join(lines).encode())

    report = collect(runtime, dept, path)

    assert (report.status, report.accepted, report.rejected) == ("done", 4, 1)
    (problem,) = [r for r in report.rows if r["row"] == 3]
    assert problem["field"] == "row" and problem["level"] == "error"
    assert "18列" in problem["reason"] and "17列" in problem["reason"]
    assert "错位" in problem["reason"]
    assert stored_docs(runtime, dept) == docs_of(rows[:2] + rows[3:])
    (kept,) = open_quarantine(runtime, dept)
    assert kept.row_number == 3 and "多出的一格" in kept.raw.values()

    # The department exports the file again, right this time: only row 3 is new.
    again = collect(runtime, dept, write(tmp_path / "重新导出.csv", csv_text(rows).encode()))
    assert (again.accepted, again.unchanged, again.rejected) == (1, 4, 0)
    assert stored_docs(runtime, dept) == docs_of(rows)


def _cut_last_line(data: bytes) -> bytes:
    """``data`` cut in the middle of its last line, at a character boundary."""
    start = data.rstrip(b"\r\n").rfind(b"\n") + 1
    cut = (start + len(data)) // 2
    while data[cut] & 0xC0 == 0x80:  # not inside a UTF-8 character
        cut -= 1
    return data[:cut]


def test_file_cut_mid_row_rejects_the_last_row_and_a_rerun_adds_only_it(
    runtime: Runtime, tmp_path: Path
) -> None:
    dept = make_department(runtime)
    rows = rows_for(dept, 6)
    complete = csv_text(rows).encode()
    cut = write(tmp_path / "cut.csv", _cut_last_line(complete))

    first = collect(runtime, dept, cut)

    assert (first.status, first.accepted, first.rejected, first.rows_seen) == ("done", 5, 1, 6)
    assert {r["row"] for r in first.rows if r["level"] == "error"} == {6}
    assert stored_docs(runtime, dept) == docs_of(rows[:5])
    assert [q.row_number for q in open_quarantine(runtime, dept)] == [6]

    again = collect(runtime, dept, write(tmp_path / "complete.csv", complete))

    assert (again.status, again.accepted, again.unchanged, again.rejected) == ("done", 1, 5, 0)
    assert stored_docs(runtime, dept) == docs_of(rows)


def test_rerun_of_the_complete_file_clears_the_cut_row_from_the_quarantine(
    runtime: Runtime, tmp_path: Path
) -> None:
    dept = make_department(runtime)
    rows = rows_for(dept, 3)
    complete = csv_text(rows).encode()
    collect(runtime, dept, write(tmp_path / "cut.csv", _cut_last_line(complete)))
    assert len(open_quarantine(runtime, dept)) == 1

    collect(runtime, dept, write(tmp_path / "complete.csv", complete))

    # The decision the cut row held is now stored: nothing is left for the department
    # to fix, and it did not pass its first sending (compliance rate), as for a row
    # rejected for its content and then sent right.
    with runtime.sessions() as session:
        first_pass = session.execute(
            select(CreditRecord.first_pass).where(CreditRecord.doc_number == rows[2]["CF_WSH"])
        ).scalar_one()
    assert (len(open_quarantine(runtime, dept)), first_pass) == (0, False)


def test_file_cut_inside_a_multibyte_character_loads_the_rows_before_and_a_rerun_the_rest(
    runtime: Runtime, tmp_path: Path
) -> None:
    dept = make_department(runtime)
    rows = rows_for(dept, 10)
    complete = csv_text(rows).encode()
    # A byte lost in transfer inside the subject's name on data row 7 (line 8).
    line_starts = [0] + [i + 1 for i, b in enumerate(complete) if b == ord("\n")]
    name_at = complete.index("鹭岛".encode(), line_starts[7])
    damaged = complete[: name_at + 1] + complete[name_at + 2 :]
    path = write(tmp_path / "damaged.csv", damaged)

    first = collect(runtime, dept, path, batch_size=4)

    # Rows 1-4 (a full batch) and 5-6 (a partial one) are stored; reading stopped at 7.
    assert first.status == "interrupted"
    assert (first.accepted, first.rejected, first.rows_seen) == (6, 0, 6)
    assert first.error is not None and "第 7 行起无法读取" in first.error
    assert "UTF-8" in first.error
    assert stored_docs(runtime, dept) == docs_of(rows[:6])
    sub = submissions(runtime, dept)[0]
    assert (sub.status, sub.accepted, sub.rows_seen) == ("interrupted", 6, 6)

    again = collect(runtime, dept, write(tmp_path / "complete.csv", complete), batch_size=4)

    assert (again.status, again.accepted, again.unchanged, again.rejected) == ("done", 4, 6, 0)
    assert stored_docs(runtime, dept) == docs_of(rows)


def test_database_lost_mid_load_keeps_whole_batches_and_a_rerun_loads_exactly_the_rest(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dept = make_department(runtime)
    rows = rows_for(dept, 10)
    path = write(tmp_path / "penalties.csv", csv_text(rows).encode())
    original = RecordLoader.store
    calls: list[int] = []

    def store_then_fail(self: RecordLoader, prepared: list[PreparedRow]) -> list[RowResult]:
        calls.append(len(prepared))
        if len(calls) == 2:
            original(self, prepared)  # half of the batch's work done, then the server goes
            raise OperationalError("INSERT INTO credit_record", {}, Exception("connection lost"))
        return original(self, prepared)

    monkeypatch.setattr(RecordLoader, "store", store_then_fail)
    first = collect(runtime, dept, path, batch_size=4)

    assert first.status == "interrupted"
    assert first.error is not None and "数据库连接中断" in first.error
    assert "前 4 行已处理并保存" in first.error
    assert (first.accepted, first.rows_seen) == (4, 4)
    assert stored_docs(runtime, dept) == docs_of(rows[:4])  # nothing of batch 2
    sub = submissions(runtime, dept)[0]
    assert (sub.status, sub.accepted, sub.rows_seen) == ("interrupted", 4, 4)

    monkeypatch.setattr(RecordLoader, "store", original)
    again = collect(runtime, dept, path, batch_size=4)

    assert (again.status, again.accepted, again.unchanged, again.rejected) == ("done", 6, 4, 0)
    assert stored_docs(runtime, dept) == docs_of(rows)


# --- size --------------------------------------------------------------------------------


def test_large_file_streams_in_batches_and_every_row_is_stored(
    runtime: Runtime, tmp_path: Path
) -> None:
    dept = make_department(runtime)
    rows = [
        penalty(dept, i, decided=dt.date(2026, 1, 5) + dt.timedelta(days=i % 60))
        for i in range(1, 5001)
    ]
    path = write(tmp_path / "large.csv", csv_text(rows).encode())
    batches: list[int] = []
    original = RecordLoader.store

    def counting(self: RecordLoader, prepared: list[PreparedRow]) -> list[RowResult]:
        batches.append(len(prepared))
        return original(self, prepared)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RecordLoader, "store", counting)
        report = collect(runtime, dept, path, batch_size=500)

    assert (report.status, report.accepted, report.rejected, report.rows_seen) == (
        "done",
        5000,
        0,
        5000,
    )
    assert batches == [500] * 10
    with runtime.sessions() as session:
        count = session.execute(
            select(func.count())
            .select_from(CreditRecord)
            .where(CreditRecord.authority_code == dept.uscc)
        ).scalar_one()
        distinct = session.execute(
            select(func.count(func.distinct(CreditRecord.doc_number))).where(
                CreditRecord.authority_code == dept.uscc
            )
        ).scalar_one()
    assert count == distinct == 5000
