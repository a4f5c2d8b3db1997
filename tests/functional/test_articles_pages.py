"""Articles over HTTP: the office writes and publishes on the staff pages, the public
reads /news and /policies; withdrawn articles answer the 404 page."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from xinyong.accounts.service import create_account, create_organisation
from xinyong.actors import Actor
from xinyong.articles.rules import MAX_PAGE
from xinyong.demo.generator import make_org_code, make_uscc
from xinyong.runtime import Runtime

PASSWORD = "Articles-2026-pass"
NEW = {
    "kind": "news",
    "title": "关于开展信用修复集中服务的通知",
    "summary": "本月集中受理信用修复申请。",
    "source": "市信用办",
    "body": "## 一、服务对象\n\n已纠正失信行为的经营主体。\n\n<script>alert(1)</script>",
}


@pytest.fixture
def accounts(runtime: Runtime) -> None:
    office = make_uscc("11", "350200", make_org_code("XY350299"))
    dept = make_uscc("11", "350200", make_org_code("JG350299"))
    with runtime.sessions() as session:
        system = Actor.system()
        create_organisation(session, actor=system, name="信用办", uscc=office, kind="office")
        create_organisation(session, actor=system, name="市场监管局", uscc=dept, kind="department")
        for username, org, role in (
            ("editor", office, "office_staff"),
            ("chief", office, "office_admin"),
            ("reporter", dept, "dept_reporter"),
        ):
            create_account(
                session,
                actor=system,
                username=username,
                password=PASSWORD,
                org_uscc=org,
                roles=[role],
                display_name=username,
            )
        session.commit()


def login(client: TestClient, username: str) -> None:
    r = client.post("/staff/login", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text


def create(client: TestClient, **change: str) -> str:
    r = client.post("/staff/articles/new", data={**NEW, **change}, follow_redirects=False)
    assert r.status_code == 303, r.text
    match = re.fullmatch(
        r"/staff/articles/([0-9a-f-]{36})/edit\?done=created", r.headers["location"]
    )
    assert match, r.headers["location"]
    return match.group(1)


def test_staff_publish_shows_the_article_to_the_public_until_it_is_withdrawn(
    client: TestClient, accounts: None
) -> None:
    login(client, "editor")
    article_id = create(client)
    edit = client.get(f"/staff/articles/{article_id}/edit?done=created")
    assert edit.status_code == 200 and "草稿已保存" in edit.text and "草稿" in edit.text

    # A draft is not public.
    assert NEW["title"] not in client.get("/news").text
    assert client.get(f"/news/{article_id}").status_code == 404

    published = client.post(f"/staff/articles/{article_id}/publish")
    assert published.status_code == 200 and "文章已发布" in published.text
    listing = client.get("/staff/articles")
    assert NEW["title"] in listing.text and "已发布" in listing.text

    news = client.get("/news")
    assert news.status_code == 200
    assert f'href="/news/{article_id}"' in news.text and NEW["summary"] in news.text
    page = client.get(f"/news/{article_id}")
    assert page.status_code == 200
    assert f'<h1 id="article-title">{NEW["title"]}</h1>' in page.text
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d\+08:00">\d{4}年', page.text)
    assert "<h2>一、服务对象</h2>" in page.text and "来源：市信用办" in page.text
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text
    # The same article is not at the policy address.
    assert client.get(f"/policies/{article_id}").status_code == 404
    assert NEW["title"] not in client.get("/policies").text

    missing = client.post(f"/staff/articles/{article_id}/withdraw", data={"reason": " "})
    assert missing.status_code == 422 and "撤回理由不能为空" in missing.text
    assert client.get(f"/news/{article_id}").status_code == 200

    withdrawn = client.post(
        f"/staff/articles/{article_id}/withdraw", data={"reason": "通知内容需要更正"}
    )
    assert withdrawn.status_code == 200 and "文章已撤回" in withdrawn.text
    gone = client.get(f"/news/{article_id}")
    assert gone.status_code == 404 and "没有找到这篇文章" in gone.text
    assert NEW["title"] not in client.get("/news").text


def test_form_errors_name_the_field_and_keep_the_input(client: TestClient, accounts: None) -> None:
    login(client, "chief")
    long_title = "长" * 201
    r = client.post("/staff/articles/new", data={**NEW, "title": long_title, "body": ""})
    assert r.status_code == 422
    assert 'href="#title">标题</a>' in r.text and "标题不能超过 200 个字" in r.text
    assert 'href="#body">正文</a>' in r.text and "正文不能为空" in r.text
    assert f'value="{long_title}"' in r.text and NEW["summary"] in r.text
    assert 'id="title" name="title"' in r.text and 'aria-invalid="true"' in r.text

    article_id = create(client)
    bad = client.post(f"/staff/articles/{article_id}/edit", data={**NEW, "title": ""})
    assert bad.status_code == 422 and "标题不能为空" in bad.text
    assert "已纠正失信行为的经营主体" in bad.text  # the body typed is kept
    good = client.post(f"/staff/articles/{article_id}/edit", data={**NEW, "title": "新标题"})
    assert good.status_code == 200 and "修改已保存" in good.text and "新标题" in good.text


def test_department_account_and_visitors_are_refused(client: TestClient, accounts: None) -> None:
    assert client.get("/staff/articles", follow_redirects=False).status_code == 303
    anonymous = client.post("/staff/articles/new", data=NEW, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/staff/login"

    login(client, "reporter")
    for r in (
        client.get("/staff/articles"),
        client.get("/staff/articles/new"),
        client.post("/staff/articles/new", data=NEW),
    ):
        assert r.status_code == 403 and "需要以下角色之一" in r.text


def test_form_posted_from_another_site_is_refused(client: TestClient, accounts: None) -> None:
    login(client, "editor")
    r = client.post("/staff/articles/new", data=NEW, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and "请求来源无效" in r.text
    ok = client.post(
        "/staff/articles/new",
        data=NEW,
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert ok.status_code == 303


def test_pages_past_the_cap_or_the_end_answer_a_clear_page(
    client: TestClient, accounts: None
) -> None:
    past_cap = client.get(f"/policies?page={MAX_PAGE + 1}")
    assert past_cap.status_code == 400
    assert (
        f"列表最多显示到第 {MAX_PAGE} 页" in past_cap.text and 'href="/policies"' in past_cap.text
    )
    empty = client.get("/news?page=3")
    assert empty.status_code == 200 and "第 3 页没有文章" in empty.text
    assert "暂无政策法规" in client.get("/policies").text
    garbage = client.get("/news?page=abc")
    assert garbage.status_code == 422 and "page" in garbage.text
    for path in ("/news/not-an-id", "/policies/00000000-0000-0000-0000-000000000000"):
        r = client.get(path)
        assert r.status_code == 404 and "没有找到这篇文章" in r.text


def test_public_list_pages_through_published_articles(client: TestClient, accounts: None) -> None:
    login(client, "editor")
    for i in range(21):
        article_id = create(client, kind="policy", title=f"政策{i:02d}")
        client.post(f"/staff/articles/{article_id}/publish", follow_redirects=False)
    first = client.get("/policies")
    assert first.text.count('<article aria-labelledby="a-') == 20
    assert 'rel="next" href="/policies?page=2"' in first.text
    second = client.get("/policies?page=2")
    assert second.text.count('<article aria-labelledby="a-') == 1
    assert 'rel="prev" href="/policies?page=1"' in second.text and 'rel="next"' not in second.text
