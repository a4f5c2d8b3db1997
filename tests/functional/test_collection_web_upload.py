"""A department's data officer at /staff/collection: uploads CSV (UTF-8, GBK) and XLSX
files, reads the per-row report, fixes or withdraws quarantined rows in the browser,
looks up and revokes a record; other departments see none of it."""

from __future__ import annotations

import hashlib
import io
import re
import uuid
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import select

from tests.functional.collecting import (
    Department,
    chinese,
    csv_text,
    login,
    make_department,
    penalty,
    uscc,
)
from xinyong.audit.service import events_for
from xinyong.ingest.models import QuarantineRow, Submission
from xinyong.records.models import CreditRecord
from xinyong.runtime import Runtime
from xinyong.subjects.models import Subject
from xinyong.web.app import create_app

GOOD_CODE = uscc("MA2P0003")
BAD_CODE = GOOD_CODE[:-1] + ("0" if GOOD_CODE[-1] != "0" else "1")


# --- a browser's view of the pages ---------------------------------------------------------


class Page(HTMLParser):
    """Tables (rows of cell texts, with the links in each row) and form fields of a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.html = html
        self.tables: list[list[list[str]]] = []
        self.links: list[list[list[str]]] = []
        self.fields: dict[str, str] = {}
        self._cell: list[str] | None = None
        self._textarea: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "table":
            self.tables.append([])
            self.links.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
            self.links[-1].append([])
        elif tag in ("td", "th") and self.tables and self.tables[-1]:
            self._cell = []
        elif tag == "a" and self.links and self.links[-1] and self._cell is not None:
            self.links[-1][-1].append(a.get("href", ""))
        elif tag == "input" and a.get("name"):
            self.fields[a["name"]] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a.get("name", "")
            self.fields[self._textarea] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._textarea is not None:
            self.fields[self._textarea] += data

    def rows(self, table: int = 0) -> list[list[str]]:
        return [r for r in self.tables[table] if r]

    def count(self, label: str) -> int:
        found = re.search(rf"<strong>(\d+)</strong><span>{label}</span>", self.html)
        assert found, label
        return int(found.group(1))


def field_block(html: str, header: str) -> str:
    """The form paragraph holding the input for ``header``: label, input and its error."""
    for block in re.findall(r'<p class="field[^"]*">.*?</p>', html, re.S):
        if f'name="f:{header}"' in block:
            return str(block)
    raise AssertionError(f"no input for {header}")


# --- set-up --------------------------------------------------------------------------------


def make_client(runtime: Runtime, tmp_path: Path, **settings: Any) -> TestClient:
    runtime.settings = runtime.settings.model_copy(
        update={"upload_dir": tmp_path / "uploads", **settings}
    )
    return TestClient(create_app(runtime=runtime), raise_server_exceptions=False)


@pytest.fixture
def web(runtime: Runtime, tmp_path: Path) -> Iterator[TestClient]:
    with make_client(runtime, tmp_path) as client:
        yield client


@pytest.fixture
def dept(runtime: Runtime, web: TestClient) -> Department:
    dept = make_department(runtime)
    login(web, dept.username)
    return dept


def upload(
    client: TestClient, name: str, content: bytes, item: str = "xzcf", reason: str = ""
) -> httpx.Response:
    return client.post(
        "/staff/collection",
        data={"item": item, "reason": reason},
        files={"file": (name, content, "application/octet-stream")},
        follow_redirects=False,
    )


def submission_id(response: httpx.Response) -> uuid.UUID:
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/staff/collection/submissions/"), location
    return uuid.UUID(location.rsplit("/", 1)[1])


def record_of(rt: Runtime, doc_number: str) -> CreditRecord:
    with rt.sessions() as session:
        return session.execute(
            select(CreditRecord).where(CreditRecord.doc_number == doc_number)
        ).scalar_one()


def quarantined(rt: Runtime, sub: uuid.UUID) -> list[QuarantineRow]:
    with rt.sessions() as session:
        return list(
            session.execute(
                select(QuarantineRow)
                .where(QuarantineRow.submission_id == sub)
                .order_by(QuarantineRow.row_number)
            ).scalars()
        )


def one_bad_row(runtime: Runtime, web: TestClient, dept: Department) -> QuarantineRow:
    rows = [penalty(dept, 1), penalty(dept, 3, CF_XDR_SHXYM=BAD_CODE)]
    sub = submission_id(upload(web, "处罚.csv", csv_text(rows).encode()))
    (row,) = quarantined(runtime, sub)
    return row


# --- uploads -------------------------------------------------------------------------------


def test_csv_upload_redirects_to_a_report_naming_every_bad_row_and_keeps_the_file(
    runtime: Runtime, web: TestClient, dept: Department, tmp_path: Path
) -> None:
    rows = [
        penalty(dept, 1),
        penalty(dept, 2, CF_NR_FK=""),
        penalty(dept, 3, CF_XDR_SHXYM=BAD_CODE),
        penalty(dept, 4),
    ]
    content = csv_text(rows).encode("utf-8")
    sub = submission_id(upload(web, "2026年11月行政处罚.csv", content))

    page = web.get(f"/staff/collection/submissions/{sub}")
    assert page.status_code == 200
    view = Page(page.text)
    assert (view.count("新增"), view.count("退回（待修正）"), view.count("更正")) == (2, 2, 0)
    assert "已完成" in page.text and "2026年11月行政处罚.csv" in page.text
    problems = {(r[0], r[1].split()[-1]): r for r in view.rows()[1:]}
    assert set(problems) == {("2", "CF_NR_FK"), ("3", "CF_XDR_SHXYM")}
    assert problems[("3", "CF_XDR_SHXYM")][1] == "统一社会信用代码 CF_XDR_SHXYM"  # named
    assert problems[("2", "CF_NR_FK")][2] == "错误"
    assert "罚款金额" in problems[("2", "CF_NR_FK")][3]
    assert "校验位" in problems[("3", "CF_XDR_SHXYM")][3]
    assert "第 2 行" in page.text and "第 3 行" in page.text  # links to fix each

    # The file is kept as sent, in the upload folder, with its hash on the submission.
    (kept,) = (tmp_path / "uploads").iterdir()
    assert kept.read_bytes() == content and kept.name.endswith("2026年11月行政处罚.csv")
    with runtime.sessions() as session:
        stored = session.get(Submission, sub)
        assert stored is not None
        assert (stored.channel, stored.file_format, stored.file_encoding) == (
            "upload",
            "csv",
            "utf-8",
        )
        assert stored.file_sha256 == hashlib.sha256(content).hexdigest()
        assert stored.file_size == len(content)
    listing = web.get("/staff/collection/submissions")
    assert f"/staff/collection/submissions/{sub}" in listing.text


def test_xlsx_with_chinese_headers_is_loaded(
    runtime: Runtime, web: TestClient, dept: Department
) -> None:
    rows = [chinese(penalty(dept, n)) for n in (11, 12)]
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "行政处罚"
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append(list(row.values()))
    buffer = io.BytesIO()
    workbook.save(buffer)

    sub = submission_id(upload(web, "处罚.xlsx", buffer.getvalue()))

    view = Page(web.get(f"/staff/collection/submissions/{sub}").text)
    assert (view.count("新增"), view.count("退回（待修正）")) == (2, 0)
    record = record_of(runtime, "厦市监罚〔2026〕11号")
    assert record.values["CF_XDR_MC"] == "厦门鹭岛信泽0011文化传媒有限公司"
    assert record.values["CF_WFXW"] == "虚假宣传"


def test_gbk_csv_with_chinese_headers_keeps_chinese_names_intact(
    runtime: Runtime, web: TestClient, dept: Department
) -> None:
    rows = [chinese(penalty(dept, 21)), chinese(penalty(dept, 22, CF_FRDB="欧阳娜娜"))]
    content = csv_text(rows).encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")  # really not UTF-8

    sub = submission_id(upload(web, "处罚（GBK）.csv", content))

    view = Page(web.get(f"/staff/collection/submissions/{sub}").text)
    assert (view.count("新增"), view.count("退回（待修正）")) == (2, 0)
    record = record_of(runtime, "厦市监罚〔2026〕22号")
    assert record.values["CF_XDR_MC"] == "厦门鹭岛信泽0022文化传媒有限公司"
    assert record.values["CF_YJ"] == "《中华人民共和国广告法》第五十五条"
    with runtime.sessions() as session:
        subject = session.get(Subject, record.subject_id)
        assert subject is not None and subject.name == "厦门鹭岛信泽0022文化传媒有限公司"
        stored = session.get(Submission, sub)
        assert stored is not None and stored.file_encoding == "gb18030"


def test_file_with_a_long_chinese_name_from_a_windows_path_is_kept(
    runtime: Runtime, web: TestClient, dept: Department, tmp_path: Path
) -> None:
    # 80 characters: 244 bytes in UTF-8, as long as a file name on disk may be.
    name = ("厦门市市场监督管理局二〇二六年十一月行政处罚决定双公示数据" * 3)[:76] + ".csv"
    content = csv_text([penalty(dept, 61)]).encode()

    sub = submission_id(upload(web, "C:\\Users\\数据员\\桌面\\" + name, content))

    (kept,) = (tmp_path / "uploads").iterdir()
    assert kept.read_bytes() == content and kept.suffix == ".csv"
    with runtime.sessions() as session:
        stored = session.get(Submission, sub)
        assert stored is not None and stored.filename == name and stored.accepted == 1


def test_empty_file_is_refused_on_the_form_and_no_submission_is_made(
    runtime: Runtime, web: TestClient, dept: Department
) -> None:
    response = upload(web, "空.csv", b"")
    assert response.status_code == 422
    assert "文件为空" in response.text
    assert 'name="file"' in response.text  # the form again, to choose another file
    with runtime.sessions() as session:
        assert session.execute(select(Submission)).first() is None


def test_file_over_the_size_limit_is_refused_on_the_form_and_not_kept(
    runtime: Runtime, tmp_path: Path
) -> None:
    with make_client(runtime, tmp_path, max_upload_mb=1) as client:
        dept = make_department(runtime)
        login(client, dept.username)
        assert "不超过 1 MB" in client.get("/staff/collection").text
        big = csv_text([penalty(dept, 1)]).encode() + b"\n" * (2 * 1024 * 1024)

        response = upload(client, "大文件.csv", big)

    assert response.status_code == 422
    assert "文件超过 1 MB 上限" in response.text
    assert "xinyong ingest" in response.text  # what to do instead
    with runtime.sessions() as session:
        assert session.execute(select(Submission)).first() is None
    assert list((tmp_path / "uploads").iterdir()) == []


def test_header_of_another_item_is_reported_on_the_submission_page(
    runtime: Runtime, web: TestClient, dept: Department
) -> None:
    content = f"XK_XDR_MC,XK_WSH,XK_XKJGDM\n厦门甲乙贸易有限公司,JY1,{dept.uscc}\n".encode()
    sub = submission_id(upload(web, "许可.csv", content))
    page = web.get(f"/staff/collection/submissions/{sub}").text
    assert "失败" in page
    assert "表头看起来像事项「行政许可」（xzxk）" in page


# --- quarantine in the browser -------------------------------------------------------------


def test_quarantined_row_is_fixed_in_the_browser_and_resolved(
    runtime: Runtime, web: TestClient, dept: Department
) -> None:
    row = one_bad_row(runtime, web, dept)

    listing = web.get("/staff/collection/quarantine")
    assert listing.status_code == 200
    (listed,) = Page(listing.text).rows()[1:]
    assert listed[3] == "2" and "校验位" in listed[4] and listed[5] == "待修正"
    assert f"/staff/collection/quarantine/{row.id}" in listing.text

    fix = web.get(f"/staff/collection/quarantine/{row.id}")
    assert fix.status_code == 200
    block = field_block(fix.text, "CF_XDR_SHXYM")
    assert 'aria-invalid="true"' in block and "校验位" in block and BAD_CODE in block
    assert block.count("校验位") == 1  # the reason once, beside its field
    assert "校验位" not in field_block(fix.text, "CF_WSH")
    form = {k: v for k, v in Page(fix.text).fields.items() if k.startswith("f:")}
    assert form["f:CF_YJ"] == "《中华人民共和国广告法》第五十五条"  # values round-trip

    # Still wrong: a new problem, and the row stays open with it.
    again = web.post(
        f"/staff/collection/quarantine/{row.id}",
        data={**form, "f:CF_XDR_SHXYM": GOOD_CODE, "f:CF_JDRQ": "2099-01-01"},
        follow_redirects=False,
    )
    assert again.status_code == 303
    reopened = web.get(again.headers["location"])
    assert "仍有问题" in reopened.text
    assert "校验位" not in field_block(reopened.text, "CF_XDR_SHXYM")
    assert 'aria-invalid="true"' in field_block(reopened.text, "CF_JDRQ")
    (still,) = quarantined(runtime, row.submission_id)
    assert still.status == "open" and still.raw["CF_JDRQ"] == "2099-01-01"
    errors = {p["field"] for p in still.problems["items"] if p["level"] == "error"}
    assert "CF_JDRQ" in errors and "CF_XDR_SHXYM" not in errors

    fixed = web.post(
        f"/staff/collection/quarantine/{row.id}",
        data={**Page(reopened.text).fields, "f:CF_JDRQ": "2026-03-05", "reason": "改正代码"},
        follow_redirects=False,
    )
    resent = submission_id(fixed)
    assert Page(web.get(f"/staff/collection/submissions/{resent}").text).count("新增") == 1
    (done,) = quarantined(runtime, row.submission_id)
    assert (done.status, done.resolved_by) == ("resolved", resent)
    record = record_of(runtime, "厦市监罚〔2026〕3号")
    assert record.values["CF_XDR_SHXYM"] == GOOD_CODE and record.first_pass is False
    assert web.get("/staff/collection/quarantine").text.count("校验位") == 0


def test_quarantined_row_missing_a_whole_column_shows_the_problem_and_can_be_filled(
    runtime: Runtime, web: TestClient, dept: Department
) -> None:
    row = penalty(dept, 5)
    del row["CF_NR_FK"]  # the export has no fine column, yet the penalty is a fine
    sub = submission_id(upload(web, "无罚款列.csv", csv_text([row]).encode()))
    (kept,) = quarantined(runtime, sub)

    fix = web.get(f"/staff/collection/quarantine/{kept.id}")
    assert "罚款金额" in fix.text  # the reason is on the page, not only in the database
    block = field_block(fix.text, "CF_NR_FK")
    assert 'aria-invalid="true"' in block

    form = {k: v for k, v in Page(fix.text).fields.items() if k.startswith("f:")}
    response = web.post(
        f"/staff/collection/quarantine/{kept.id}",
        data={**form, "f:CF_NR_FK": "5"},
        follow_redirects=False,
    )
    submission_id(response)
    assert record_of(runtime, row["CF_WSH"]).values["CF_NR_FK"] == "5"


def test_quarantined_row_is_withdrawn_with_a_reason_and_kept(
    runtime: Runtime, web: TestClient, dept: Department
) -> None:
    row = one_bad_row(runtime, web, dept)

    refused = web.post(f"/staff/collection/quarantine/{row.id}/withdraw", data={"reason": " "})
    assert refused.status_code == 422 and "撤回须说明理由" in refused.text
    assert quarantined(runtime, row.submission_id)[0].status == "open"

    response = web.post(
        f"/staff/collection/quarantine/{row.id}/withdraw",
        data={"reason": "重复报送，已在上月报送"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    (kept,) = quarantined(runtime, row.submission_id)
    assert (kept.status, kept.note) == ("withdrawn", "重复报送，已在上月报送")
    assert kept.raw["CF_XDR_SHXYM"] == BAD_CODE  # the original content is kept
    with runtime.sessions() as session:
        (event,) = events_for(session, "quarantine_row", row.id)
        assert (event.action, event.reason, event.actor) == (
            "quarantine.withdraw",
            "重复报送，已在上月报送",
            dept.actor.label,
        )
    assert "没有待修正的数据" in web.get("/staff/collection/quarantine").text
    withdrawn = web.get("/staff/collection/quarantine?status=withdrawn").text
    assert "已撤回" in withdrawn
    shown = web.get(f"/staff/collection/quarantine/{row.id}").text
    assert "已撤回" in shown and "重复报送，已在上月报送" in shown and "<form" not in shown


# --- records -------------------------------------------------------------------------------


def test_record_page_names_each_values_source_and_revocation_needs_a_reason(
    runtime: Runtime, web: TestClient, dept: Department
) -> None:
    first = submission_id(upload(web, "11月.csv", csv_text([penalty(dept, 31)]).encode()))
    corrected = penalty(dept, 31, CF_NR="罚款人民币6万元", CF_NR_FK="6")
    second = submission_id(
        upload(web, "11月更正.csv", csv_text([corrected]).encode(), reason="金额录入错误")
    )
    record = record_of(runtime, corrected["CF_WSH"])
    assert record.version == 2

    listing = web.get("/staff/records", params={"q": "〔2026〕31号"})
    assert f"/staff/records/{record.id}" in listing.text

    page = web.get(f"/staff/records/{record.id}")
    assert page.status_code == 200
    view = Page(page.text)
    sources = {
        cells[0].split()[-1]: links
        for cells, links in zip(view.tables[0], view.links[0], strict=True)
        if cells
    }
    assert sources["CF_NR_FK"] == [f"/staff/collection/submissions/{second}"]
    assert sources["CF_NR"] == [f"/staff/collection/submissions/{second}"]
    assert sources["CF_WFXW"] == [f"/staff/collection/submissions/{first}"]
    assert "11月更正.csv" in page.text and "有效" in page.text
    values = {cells[0].split()[-1]: cells[1] for cells in view.tables[0] if cells}
    assert values["CF_CFLB"] == "罚款"  # an enumeration list shown as words
    assert "公示中" in page.text

    empty = web.post(f"/staff/records/{record.id}/revoke", data={"reason": "  "})
    assert empty.status_code == 422
    assert "撤销须说明理由" in empty.text
    assert record_of(runtime, corrected["CF_WSH"]).status == "active"

    done = web.post(
        f"/staff/records/{record.id}/revoke",
        data={"reason": "行政复议撤销", "legal_basis": "厦府复〔2026〕1号"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    revoked = record_of(runtime, corrected["CF_WSH"])
    assert revoked.status == "revoked" and revoked.unpublish_by is not None
    shown = web.get(f"/staff/records/{record.id}").text
    assert "已撤销" in shown and "撤销记录" not in shown
    assert "已停止公示" in shown
    with runtime.sessions() as session:
        (event,) = [
            e for e in events_for(session, "record", record.id) if e.action == "record.revoke"
        ]
        assert (event.reason, event.legal_basis) == ("行政复议撤销", "厦府复〔2026〕1号")


def test_record_page_shows_no_error_text_from_the_address(
    runtime: Runtime, web: TestClient, dept: Department
) -> None:
    upload(web, "x.csv", csv_text([penalty(dept, 41)]).encode())
    record = record_of(runtime, "厦市监罚〔2026〕41号")
    page = web.get(f"/staff/records/{record.id}", params={"error": "账号异常，请拨打12345"})
    assert page.status_code == 200
    assert "请拨打" not in page.text


# --- another department --------------------------------------------------------------------


def test_another_departments_user_sees_none_of_this_departments_data(
    runtime: Runtime, web: TestClient, dept: Department
) -> None:
    rows = [penalty(dept, 51), penalty(dept, 52, CF_XDR_SHXYM=BAD_CODE)]
    sub = submission_id(upload(web, "处罚.csv", csv_text(rows).encode()))
    (row,) = quarantined(runtime, sub)
    record = record_of(runtime, "厦市监罚〔2026〕51号")

    other = make_department(runtime, body="HB350202", name="厦门市生态环境局", user="sthjj")
    login(web, other.username)

    for path in (
        f"/staff/collection/submissions/{sub}",
        f"/staff/collection/quarantine/{row.id}",
        f"/staff/records/{record.id}",
    ):
        response = web.get(path)
        assert response.status_code == 404, path
        assert "厦门鹭岛信泽" not in response.text and BAD_CODE not in response.text
    form = {f"f:{k}": str(v) for k, v in row.raw.items()}
    for path, data in (
        (f"/staff/collection/quarantine/{row.id}", {**form, "f:CF_XDR_SHXYM": GOOD_CODE}),
        (f"/staff/collection/quarantine/{row.id}/withdraw", {"reason": "误报"}),
        (f"/staff/records/{record.id}/revoke", {"reason": "撤销"}),
    ):
        assert web.post(path, data=data).status_code == 404, path
    assert "共 0 行" in web.get("/staff/collection/quarantine?status=all").text
    assert str(sub) not in web.get("/staff/collection/submissions").text
    assert "厦市监罚" not in web.get("/staff/records").text

    assert quarantined(runtime, sub)[0].status == "open"
    assert record_of(runtime, "厦市监罚〔2026〕51号").status == "active"
    with runtime.sessions() as session:
        assert (
            session.execute(
                select(CreditRecord).where(CreditRecord.doc_number == "厦市监罚〔2026〕52号")
            ).first()
            is None
        )
