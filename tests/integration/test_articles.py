"""Articles (信用动态 / 政策法规): the office writes, publishes and withdraws them, each
step audited; the public sees only published ones; bodies render as safe HTML."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from xinyong.actors import Actor
from xinyong.articles.models import Article
from xinyong.articles.rules import MAX_PAGE, render_markdown
from xinyong.articles.service import (
    create_article,
    get_published,
    latest_published,
    list_all,
    list_published,
    publish_article,
    update_article,
    withdraw_article,
)
from xinyong.audit.service import events_for, verify_chain
from xinyong.demo.articles import SAMPLES, sample_articles
from xinyong.errors import Conflict, Forbidden, NotFound, ValidationFailed

EDITOR = Actor(kind="account", name="editor", roles=frozenset({"office_staff"}))
REPORTER = Actor(kind="account", name="reporter", roles=frozenset({"dept_reporter"}))
BODY = "市信用办决定开展信用修复集中服务。\n\n详见[信用中国](https://www.creditchina.gov.cn/)。"


def _draft(
    session: Session, title: str = "关于开展信用修复集中服务的通知", **extra: str
) -> Article:
    values = {"kind": "news", "body": BODY, "source": "市信用办", **extra}
    return create_article(session, actor=EDITOR, title=title, **values)


def test_create_publish_withdraw_are_each_audited_with_state_before_and_after(
    session: Session,
) -> None:
    article = _draft(session)
    assert article.status == "draft" and article.published_at is None
    assert article.author == "account:editor"
    publish_article(session, actor=EDITOR, article_id=article.id)
    withdraw_article(session, actor=EDITOR, article_id=article.id, reason="通知内容有误，重新起草")

    events = events_for(session, "article", article.id)
    assert [e.action for e in events] == ["article.create", "article.publish", "article.withdraw"]
    create, publish, withdraw = events
    assert create.before is None and create.after is not None
    assert create.after["title"] == "关于开展信用修复集中服务的通知"
    assert create.after["status"] == "draft"
    assert publish.before is not None and publish.before["status"] == "draft"
    assert publish.after is not None and publish.after["status"] == "published"
    assert publish.after["published_at"] is not None
    assert withdraw.before is not None and withdraw.before["status"] == "published"
    assert withdraw.after is not None and withdraw.after["status"] == "withdrawn"
    assert withdraw.reason == "通知内容有误，重新起草"
    assert all(e.actor == "account:editor" for e in events)
    assert verify_chain(session).intact


def test_drafts_and_withdrawn_articles_are_never_public(session: Session) -> None:
    draft = _draft(session, "草稿：尚未发布")
    withdrawn = _draft(session, "已撤回的通知")
    publish_article(session, actor=EDITOR, article_id=withdrawn.id)
    withdraw_article(session, actor=EDITOR, article_id=withdrawn.id, reason="重复发布")
    shown = _draft(session, "已发布的通知")
    publish_article(session, actor=EDITOR, article_id=shown.id)

    listed = list_published(session, "news", 1)
    assert [a.title for a in listed.items] == ["已发布的通知"]
    assert [a.title for a in latest_published(session, 10)] == ["已发布的通知"]
    for hidden in (draft, withdrawn):
        with pytest.raises(NotFound) as caught:
            get_published(session, hidden.id)
        assert "没有找到这篇文章" in caught.value.message
    assert get_published(session, str(shown.id), "news").id == shown.id
    # Staff still see every article with its status.
    statuses = {a.title: a.status for a in list_all(session, actor=EDITOR).items}
    assert statuses == {
        "草稿：尚未发布": "draft",
        "已撤回的通知": "withdrawn",
        "已发布的通知": "published",
    }


def test_unknown_malformed_or_other_kind_ids_are_not_found(session: Session) -> None:
    policy = _draft(session, "政策解读", kind="policy")
    publish_article(session, actor=EDITOR, article_id=policy.id)
    for article_id, kind in (
        ("00000000-0000-0000-0000-000000000000", None),
        ("not-a-uuid", None),
        (str(policy.id), "news"),
    ):
        with pytest.raises(NotFound):
            get_published(session, article_id, kind)
    assert get_published(session, policy.id, "policy").title == "政策解读"


def test_withdrawal_needs_a_reason_and_a_published_article(session: Session) -> None:
    article = _draft(session)
    publish_article(session, actor=EDITOR, article_id=article.id)
    for reason in (None, "", "   "):
        with pytest.raises(ValidationFailed) as caught:
            withdraw_article(session, actor=EDITOR, article_id=article.id, reason=reason)
        assert caught.value.field == "reason"
        assert "撤回理由不能为空" in caught.value.message
    assert article.status == "published"
    withdraw_article(session, actor=EDITOR, article_id=article.id, reason="过时")
    with pytest.raises(Conflict):
        withdraw_article(session, actor=EDITOR, article_id=article.id, reason="再次撤回")
    # A withdrawn article may be published again, but not twice.
    publish_article(session, actor=EDITOR, article_id=article.id)
    with pytest.raises(Conflict):
        publish_article(session, actor=EDITOR, article_id=article.id)


def test_validation_errors_name_the_field_in_chinese(session: Session) -> None:
    cases = [
        ({"title": "  "}, "title", "标题不能为空"),
        ({"title": "长" * 201}, "title", "标题不能超过 200 个字"),
        ({"body": "\n \n"}, "body", "正文不能为空"),
        ({"summary": "摘" * 501}, "summary", "摘要不能超过 500 个字"),
        ({"kind": "blog"}, "kind", "栏目应为"),
    ]
    for change, field, reason in cases:
        values = {"kind": "news", "title": "标题", "body": BODY, **change}
        with pytest.raises(ValidationFailed) as caught:
            create_article(session, actor=EDITOR, **values)
        problems = {p.field: p.reason for p in caught.value.problems}
        assert field in problems and reason in problems[field], (change, problems)
    assert list_all(session, actor=EDITOR).total == 0
    # Several problems are reported together.
    with pytest.raises(ValidationFailed) as both:
        create_article(session, actor=EDITOR, kind="news", title="", body="")
    assert {p.field for p in both.value.problems} == {"title", "body"}


def test_only_office_roles_write_articles(session: Session) -> None:
    with pytest.raises(Forbidden):
        create_article(session, actor=REPORTER, kind="news", title="越权", body="正文")
    article = _draft(session)
    for call in (
        lambda: publish_article(session, actor=REPORTER, article_id=article.id),
        lambda: list_all(session, actor=REPORTER),
        lambda: update_article(
            session, actor=REPORTER, article_id=article.id, kind="news", title="改", body="改"
        ),
    ):
        with pytest.raises(Forbidden):
            call()


def test_correcting_a_published_article_keeps_it_public_and_audits_the_old_text(
    session: Session,
) -> None:
    article = _draft(session)
    publish_article(session, actor=EDITOR, article_id=article.id)
    first_published = article.published_at
    update_article(
        session,
        actor=EDITOR,
        article_id=article.id,
        kind="news",
        title="关于开展信用修复集中服务的通知（更正）",
        body=BODY,
        source="市信用办",
    )
    assert article.status == "published" and article.published_at == first_published
    last = events_for(session, "article", article.id)[-1]
    assert last.action == "article.update"
    assert last.before is not None and last.before["title"] == "关于开展信用修复集中服务的通知"
    assert last.after is not None and last.after["title"].endswith("（更正）")
    # Saving the same text again records nothing.
    update_article(
        session,
        actor=EDITOR,
        article_id=article.id,
        kind="news",
        title="关于开展信用修复集中服务的通知（更正）",
        body=BODY,
        source="市信用办",
    )
    assert len(events_for(session, "article", article.id)) == 3


def test_public_list_is_newest_first_paged_and_stops_at_the_cap(session: Session) -> None:
    base = dt.datetime(2026, 1, 1, 1, 0, tzinfo=dt.UTC)
    for i in range(5):
        article = _draft(session, f"动态{i}")
        publish_article(
            session, actor=EDITOR, article_id=article.id, published_at=base + dt.timedelta(days=i)
        )
    first = list_published(session, "news", 1, 2)
    assert [a.title for a in first.items] == ["动态4", "动态3"] and first.has_more
    last = list_published(session, "news", 3, 2)
    assert [a.title for a in last.items] == ["动态0"] and not last.has_more
    assert list_published(session, "policy", 1).items == []
    with pytest.raises(ValidationFailed) as caught:
        list_published(session, "news", MAX_PAGE + 1)
    assert caught.value.field == "page" and f"第 {MAX_PAGE} 页" in caught.value.message


def test_markdown_raw_html_and_unsafe_links_are_not_rendered(session: Session) -> None:
    body = (
        "<script>alert('x')</script>\n\n"
        '<img src=x onerror="alert(1)">\n\n'
        "[点我](javascript:alert(1)) [编码](&#106;avascript:alert(1)) "
        "[数据](data:text/html;base64,PHNjcmlwdD4=) <javascript:alert(1)>\n\n"
        "[信用中国](https://www.creditchina.gov.cn/) [目录](/catalog) [本页](#top)\n\n"
        "**重点** 内容"
    )
    article = _draft(session, body=body)
    publish_article(session, actor=EDITOR, article_id=article.id)
    html = render_markdown(get_published(session, article.id).body)
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "&lt;img" in html  # shown as text, never an element
    assert 'href="javascript' not in html.lower() and 'href="data:' not in html
    unsafe_part = html.split('<a href="https://')[0]
    assert "<a " not in unsafe_part  # the refused links stay plain text
    assert "[点我](javascript:alert(1))" in unsafe_part
    assert (
        '<a href="https://www.creditchina.gov.cn/" rel="noopener noreferrer">信用中国</a>' in html
    )
    assert '<a href="/catalog">目录</a>' in html and '<a href="#top">本页</a>' in html
    assert "<strong>重点</strong>" in html


def test_demo_articles_are_published_through_the_service(session: Session) -> None:
    today = dt.date(2026, 11, 24)
    created = sample_articles(session, Actor.system("demo"), today)
    assert len(created) == len(SAMPLES) >= 4
    assert all(a.status == "published" for a in created)
    titles = {a.title for a in latest_published(session, 10)}
    assert "关于开展信用修复集中服务的通知" in titles
    assert any("失信行为纠正后的信用信息修复管理办法（试行）" in t for t in titles)
    assert {a.kind for a in created} == {"news", "policy"}
    assert all(a.published_at is not None and a.published_at.date() < today for a in created)
    assert all(len(events_for(session, "article", a.id)) == 2 for a in created)
