"""Public subject search by name fragment or code, on SQLite (FTS5) and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from xinyong.demo.generator import make_org_code, make_uscc
from xinyong.errors import ValidationFailed
from xinyong.search.service import SearchPage, search_subjects
from xinyong.subjects.models import Subject
from xinyong.subjects.rules import normalize_name


def _subject(
    session: Session,
    name: str,
    *,
    uscc: str | None = None,
    regno: str | None = None,
    district: str | None = "350203",
) -> Subject:
    subject = Subject(
        kind="legal_person",
        name=name,
        name_norm=normalize_name(name),
        uscc=uscc,
        regno=regno,
        district=district,
    )
    session.add(subject)
    session.flush()
    return subject


def _names(page: SearchPage) -> list[str]:
    return [hit.name for hit in page.items]


def test_two_character_fragments_match_anywhere_without_a_total(session: Session) -> None:
    _subject(session, "上海浦东发展银行股份有限公司")
    _subject(session, "厦门东林科技有限公司")
    _subject(session, "北京西城文化传媒有限公司")

    pudong = search_subjects(session, "浦东")
    assert _names(pudong) == ["上海浦东发展银行股份有限公司"]
    assert pudong.items[0].match == "substring"
    assert pudong.total is None
    assert not pudong.has_more

    keji = search_subjects(session, "林科")  # across what a word segmenter would split
    assert _names(keji) == ["厦门东林科技有限公司"]
    assert keji.total is None


def test_three_or_more_characters_use_the_index_and_count(session: Session) -> None:
    bank = _subject(
        session,
        "上海浦东发展银行股份有限公司",
        uscc=make_uscc("91", "310000", make_org_code("13221030")),
    )
    _subject(session, "上海浦西发展集团有限公司")

    page = search_subjects(session, "浦东发展银行")
    assert page.total == 1
    [hit] = page.items
    assert (hit.id, hit.name, hit.uscc, hit.district, hit.kind, hit.match) == (
        bank.id,
        bank.name,
        bank.uscc,
        "350203",
        "legal_person",
        "substring",
    )
    assert search_subjects(session, "发展集团").total == 1
    assert search_subjects(session, "不存在的名称").items == []


def test_traditional_query_finds_simplified_name(session: Session) -> None:
    _subject(session, "深圳市场监督管理测试中心")

    page = search_subjects(session, "深圳市場")
    assert _names(page) == ["深圳市场监督管理测试中心"]
    assert page.items[0].match == "prefix"
    assert _names(search_subjects(session, "監督管理")) == ["深圳市场监督管理测试中心"]


def test_full_uscc_and_registration_number_look_up_by_code(session: Session) -> None:
    uscc = make_uscc("91", "350200", make_org_code("M0000XUF"))
    firm = _subject(session, "厦门代码查询测试有限公司", uscc=uscc)
    old = _subject(session, "厦门注册号查询测试商行", regno="350200000012345")
    _subject(session, f"名称里带{uscc[:6]}的公司")

    by_uscc = search_subjects(session, f" {uscc.lower()} ")
    assert [(h.id, h.match) for h in by_uscc.items] == [(firm.id, "code")]
    assert by_uscc.total == 1
    full_width = uscc.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    assert [h.id for h in search_subjects(session, full_width).items] == [firm.id]

    by_regno = search_subjects(session, "350200000012345")
    assert [(h.id, h.match) for h in by_regno.items] == [(old.id, "code")]
    assert search_subjects(session, make_uscc("91", "350200", "12345678X")).items == []


def test_ranking_is_exact_then_prefix_then_substring_then_name(session: Session) -> None:
    for name in [
        "上海排序测试银行",
        "排序测试集团有限公司",
        "排序测试",
        "北京排序测试中心",
        "排序测试银行有限公司",
    ]:
        _subject(session, name)

    page = search_subjects(session, "排序测试")
    # Within a rank, names sort by code point (银 U+94F6 before 集 U+96C6).
    assert [(h.name, h.match) for h in page.items] == [
        ("排序测试", "exact"),
        ("排序测试银行有限公司", "prefix"),
        ("排序测试集团有限公司", "prefix"),
        ("上海排序测试银行", "substring"),
        ("北京排序测试中心", "substring"),
    ]
    assert page.total == 5


def test_pages_report_has_more_and_stop_at_200_results(session: Session) -> None:
    names = [f"分页测试商贸{i:02d}号公司" for i in range(25)]
    for name in reversed(names):
        _subject(session, name)

    first = search_subjects(session, "分页测试商贸", per_page=10)
    assert _names(first) == names[:10]
    assert first.has_more
    assert first.total == 25
    last = search_subjects(session, "分页测试商贸", page=3, per_page=10)
    assert _names(last) == names[20:]
    assert not last.has_more
    assert last.page == 3

    short = search_subjects(session, "分页", per_page=20)
    assert len(short.items) == 20
    assert short.has_more
    assert short.total is None

    assert search_subjects(session, "分页测试商贸", page=10, per_page=20).items == []
    with pytest.raises(ValidationFailed) as refused:
        search_subjects(session, "分页测试商贸", page=11, per_page=20)
    assert refused.value.problems[0].reason == "仅显示前 200 条，请输入更具体的名称"


@pytest.mark.parametrize("query", ["银", " 银 ", "银\u200b", "", "　"])
def test_one_character_is_refused_politely(session: Session, query: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        search_subjects(session, query)
    assert refused.value.field == "q"
    assert "至少输入两个字" in refused.value.problems[0].reason


def test_over_fifty_characters_is_refused(session: Session) -> None:
    assert search_subjects(session, "测" * 50).items == []
    with pytest.raises(ValidationFailed) as refused:
        search_subjects(session, "测" * 51)
    assert "50" in refused.value.problems[0].reason


def test_metacharacters_are_searched_literally(session: Session) -> None:
    percent = _subject(session, "百分百%纯净水公司")
    _subject(session, "百分百纯净水公司")
    underscore = _subject(session, "测试_下划线公司")
    _subject(session, "测试X下划线公司")
    quote = _subject(session, "O'Brien咨询有限公司")
    _subject(session, '"引号"科技有限公司')

    assert [h.id for h in search_subjects(session, "%纯").items] == [percent.id]
    assert [h.id for h in search_subjects(session, "百%纯净").items] == [percent.id]
    assert [h.id for h in search_subjects(session, "_下").items] == [underscore.id]
    assert [h.id for h in search_subjects(session, "试_下划线").items] == [underscore.id]
    assert [h.id for h in search_subjects(session, "O'Brien").items] == [quote.id]
    assert _names(search_subjects(session, '"引号"科技')) == ['"引号"科技有限公司']
    for hostile in ["<script>alert(1)</script>", "'; DROP TABLE subject; --", "%%", "__", "\\\\"]:
        assert search_subjects(session, hostile).items == []
    assert search_subjects(session, "百分百").total == 2  # the table is still there


def test_emoji_full_width_and_zero_width_input(session: Session) -> None:
    smile = _subject(session, "笑脸😀科技有限公司")
    abc = _subject(session, "ＡＢＣ科技发展有限公司")

    assert [h.id for h in search_subjects(session, "😀科技").items] == [smile.id]
    assert search_subjects(session, "😀😀").items == []
    assert [h.id for h in search_subjects(session, "ＡＢＣ科技").items] == [abc.id]
    assert search_subjects(session, "ABC科技").items[0].match == "prefix"
    assert [h.id for h in search_subjects(session, "笑\u200b脸").items] == [smile.id]


def test_index_follows_renames_and_deletes(session: Session) -> None:
    firm = _subject(session, "旧名称索引测试有限公司")
    firm.name = "新名字索引测试有限公司"
    firm.name_norm = normalize_name(firm.name)
    session.flush()
    assert [h.id for h in search_subjects(session, "新名字索引").items] == [firm.id]
    assert search_subjects(session, "旧名称索引").items == []

    session.delete(firm)
    session.flush()
    assert search_subjects(session, "名字索引测试").items == []


def test_totals_stop_at_a_thousand(session: Session) -> None:
    session.add_all(
        Subject(kind="legal_person", name=f"千条计数{i:04d}号", name_norm=f"千条计数{i:04d}号")
        for i in range(1002)
    )
    session.flush()
    page = search_subjects(session, "千条计数")
    assert (page.total, page.total_over) == (None, 1000)
    assert len(page.items) == 20 and page.has_more
    exact = search_subjects(session, "千条计数0001号")
    assert (exact.total, exact.total_over) == (1, None)


def test_pages_continue_across_the_tiers_without_repeats(session: Session) -> None:
    # Substring matches stored first, prefix matches later: the ranking still holds,
    # and page 2 picks up exactly where page 1 ended.
    for i in range(15):
        _subject(session, f"厦门翻页层次{i:02d}公司")
    for i in range(15):
        _subject(session, f"翻页层次{i:02d}商行")
    first = search_subjects(session, "翻页层次", per_page=10)
    second = search_subjects(session, "翻页层次", page=2, per_page=10)
    third = search_subjects(session, "翻页层次", page=3, per_page=10)
    hits = first.items + second.items + third.items
    assert [h.match for h in hits] == ["prefix"] * 15 + ["substring"] * 15
    assert len({h.id for h in hits}) == 30
    assert not third.has_more


def test_two_character_index_follows_renames_and_punctuation_still_matches(
    session: Session,
) -> None:
    firm = _subject(session, "鲸鲨(厦门)海洋有限公司")
    assert [h.id for h in search_subjects(session, "鲸鲨").items] == [firm.id]
    assert [h.id for h in search_subjects(session, "鲨(").items] == [firm.id]  # scanned
    firm.name = "鹦鹉海洋有限公司"
    firm.name_norm = normalize_name(firm.name)
    session.flush()
    assert search_subjects(session, "鲸鲨").items == []
    assert [h.id for h in search_subjects(session, "鹦鹉").items] == [firm.id]
