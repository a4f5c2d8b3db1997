"""The public website and public API over HTTP, as a citizen or a journalist uses
them: search, credit files, lists, masking and bad input (SQLite and PostgreSQL)."""

from __future__ import annotations

import urllib.parse

import pytest
from fastapi.testclient import TestClient

from tests.functional.website import (
    PERSON_ID,
    PERSON_ID_MASKED,
    PERSON_NAME,
    Website,
    publish_sample,
)
from xinyong.actors import Actor
from xinyong.articles.service import create_article, publish_article
from xinyong.db import transaction
from xinyong.runtime import Runtime


@pytest.fixture
def site(runtime: Runtime) -> Website:
    return publish_sample(runtime)


def test_two_character_query_finds_firms_and_pages_through_them(
    client: TestClient, site: Website
) -> None:
    first = client.get("/search", params={"q": "信泽"})
    assert first.status_code == 200
    assert first.text.count('class="hit"') == 20
    assert 'rel="next"' in first.text
    second = client.get("/search", params={"q": "信泽", "page": 2})
    assert second.text.count('class="hit"') >= 5
    api = client.get("/api/v1/subjects", params={"q": "信泽"}).json()
    assert api["total"] is None and api["has_more"] is True  # no exact total for 2 characters
    assert {"name", "uscc", "district_name", "status", "published_records"} <= set(api["items"][0])


def test_traditional_characters_and_full_code_find_the_firm(
    client: TestClient, site: Website
) -> None:
    by_code = client.get("/api/v1/subjects", params={"q": site.firm_code}).json()
    assert [h["match"] for h in by_code["items"]] == ["code"]
    traditional = client.get("/api/v1/subjects", params={"q": "鷺島信澤0001"}).json()
    assert [h["uscc"] for h in traditional["items"]] == [site.firm_code]


def test_credit_file_page_and_api_show_the_same_published_penalty(
    client: TestClient, site: Website
) -> None:
    page = client.get(f"/subjects/{site.firm_code}")
    assert page.status_code == 200
    assert "<title>" in page.text and site.firm_name in page.text
    assert "厦市监罚〔2026〕1号" in page.text and "公示截止" in page.text
    assert "查询期内无相关信息" in page.text  # empty sections say so
    data = client.get(f"/api/v1/subjects/{site.firm_code}").json()
    (record,) = data["sections"]["xzcf"]["records"]
    assert record["fields"]["CF_WSH"] == "厦市监罚〔2026〕1号"
    assert record["publication_end"] and record["repair"]["earliest"]


def test_suspended_and_expired_penalties_are_not_shown(client: TestClient, site: Website) -> None:
    for code, doc in (
        (site.suspended_code, site.suspended_doc),
        (site.expired_code, site.expired_doc),
    ):
        page = client.get(f"/subjects/{code}")
        assert page.status_code == 200 and doc not in page.text
        data = client.get(f"/api/v1/subjects/{code}").json()
        assert data["sections"]["xzcf"]["records"] == []
    listing = client.get("/api/v1/publicity/xzcf", params={"page": 1}).json()
    docs = {r["fields"]["CF_WSH"] for r in listing["items"]}
    assert site.suspended_doc not in docs and site.expired_doc not in docs


def test_person_id_number_is_masked_on_page_api_and_list(client: TestClient, site: Website) -> None:
    sid = site.person_subject
    page = client.get(f"/subjects/{sid}").text
    api = client.get(f"/api/v1/subjects/{sid}").text
    listing = client.get("/publicity/xzcf").text + client.get("/api/v1/publicity/xzcf").text
    for body in (page, api, listing):
        assert PERSON_ID not in body
    assert PERSON_ID_MASKED in page and PERSON_ID_MASKED in api
    assert PERSON_NAME in page
    assert client.get("/api/v1/subjects", params={"q": PERSON_NAME}).json()["items"] == []


def test_home_page_lists_latest_decisions_news_and_links_files(
    client: TestClient, site: Website, runtime: Runtime
) -> None:
    editor = Actor(kind="account", name="editor", roles=frozenset({"office_staff"}))
    with transaction(runtime.sessions) as session:
        article = create_article(
            session, actor=editor, kind="news", title="信用修复集中服务月启动", body="正文"
        )
        publish_article(session, actor=editor, article_id=article.id)
    home = client.get("/")
    assert home.status_code == 200
    assert 'role="search"' in home.text and "行政处罚公示" in home.text
    assert "/subjects/" in home.text and '<main id="main"' in home.text
    assert "信用修复集中服务月启动" in home.text and f"/news/{article.id}" in home.text


def test_list_page_filters_by_district_and_industry(client: TestClient, site: Website) -> None:
    pages = [
        client.get("/publicity/xzcf", params={"district": "350203", "page": n}) for n in (1, 2)
    ]
    assert all(p.status_code == 200 for p in pages)
    assert "厦市监罚〔2026〕1号" in pages[0].text + pages[1].text
    assert 'rel="next"' in pages[0].text
    other = client.get("/publicity/xzcf", params={"district": "350205"})
    assert "厦市监罚〔2026〕" not in other.text
    by_industry = client.get("/publicity/xzcf", params={"industry": "金融业"})
    assert by_industry.status_code == 200 and "暂无公示信息" in by_industry.text


BAD_QUERIES = [
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "%_\\",
    "科",
    "x" * 300,
    "\u200b\u200b科\u200b",
    "😀😀😀",
    "ＡＢＣ１２３",
    "\x00\x00",
    "91350200MA2PBMEM0X",
]


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_odd_queries_get_a_clear_answer_never_a_500(
    client: TestClient, site: Website, query: str
) -> None:
    page = client.get("/search?q=" + urllib.parse.quote(query))
    assert page.status_code in (200, 400), page.text
    assert "Traceback" not in page.text and "<script>alert" not in page.text
    api = client.get("/api/v1/subjects", params={"q": query})
    assert api.status_code in (200, 400, 422), api.text
    if api.status_code != 200:
        assert api.json()["error"]["message"]


@pytest.mark.parametrize(
    "path",
    [
        "/subjects/91350200MA2PBMEM0X",
        "/subjects/00000000-0000-0000-0000-000000000000",
        "/subjects/%3Cscript%3E",
        "/api/v1/subjects/not-a-code",
        "/publicity/nope",
        "/api/v1/publicity/xzqz",
        "/search?q=信泽&page=11",
        "/api/v1/subjects?q=信泽&page=99",
        "/publicity/xzcf?page=51",
        "/search?q=信泽&page=abc",
    ],
)
def test_unknown_codes_and_pages_past_the_cap_are_clear_errors(
    client: TestClient, site: Website, path: str
) -> None:
    response = client.get(path)
    assert response.status_code in (400, 404, 422), response.text
    assert "Traceback" not in response.text
    if path.startswith("/api/"):
        assert response.json()["error"]["message"]
    else:
        assert "<h1>" in response.text


def test_public_api_is_documented_in_openapi(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/v1/subjects", "/api/v1/subjects/{code}", "/api/v1/publicity/{item}"} <= set(paths)
