"""Anti-scraping rate limits on the public code check: 429 with Retry-After, in Chinese,
counted per API key or client IP, and switched off by configuration."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from xinyong.runtime import Runtime
from xinyong.web import errors
from xinyong.web.app import create_app
from xinyong.web.ratelimit import RateLimiter, rate_limit

MakeClient = Callable[..., AbstractContextManager[TestClient]]
CODE = "91110000600037341N"


@pytest.fixture
def make_client(runtime: Runtime) -> MakeClient:
    @contextmanager
    def make(
        client: tuple[str, int] = ("203.0.113.7", 50000), **overrides: Any
    ) -> Iterator[TestClient]:
        settings = runtime.settings.model_copy(update=overrides)
        app = create_app(settings=settings, runtime=runtime)
        with TestClient(app, raise_server_exceptions=False, client=client) as c:
            yield c

    return make


def _check_api(c: TestClient, **headers: str) -> Any:
    return c.post("/api/v1/codes/check", json={"codes": [CODE]}, headers=headers)


def test_api_over_the_limit_is_429_with_retry_after_in_chinese(make_client: MakeClient) -> None:
    with make_client(rate_limit_search="3/minute") as c:
        assert [_check_api(c).status_code for _ in range(3)] == [200, 200, 200]
        r = _check_api(c)
    assert r.status_code == 429
    retry = int(r.headers["Retry-After"])
    assert 1 <= retry <= 60
    body = r.json()["error"]
    assert body["code"] == "too_many_requests"
    assert body["message"] == f"访问过于频繁，请 {retry} 秒后再试"
    assert body["details"]["retry_after"] == retry


def test_page_over_the_limit_is_a_chinese_429_page(make_client: MakeClient) -> None:
    with make_client(rate_limit_search="3/minute") as c:
        for _ in range(3):
            ok = c.get("/tools/code-check", params={"code": CODE})
            assert ok.status_code == 200
        r = c.get("/tools/code-check", params={"code": CODE})
    assert r.status_code == 429
    assert r.headers["content-type"].startswith("text/html")
    retry = int(r.headers["Retry-After"])
    assert f"访问过于频繁，请 {retry} 秒后再试" in r.text


def test_api_keys_are_counted_separately(make_client: MakeClient) -> None:
    with make_client(rate_limit_search="2/minute") as c:
        # An unknown key is refused with 401 by the handler, but is still counted first.
        a = [_check_api(c, **{"X-API-Key": "key-a"}).status_code for _ in range(3)]
        b = [_check_api(c, **{"X-API-Key": "key-b"}).status_code for _ in range(2)]
        anonymous = _check_api(c).status_code
    assert a[2] == 429
    assert 429 not in b
    assert anonymous == 200


def test_client_ips_are_counted_separately(make_client: MakeClient) -> None:
    with make_client(rate_limit_search="1/minute", client=("198.51.100.1", 1)) as first:
        assert _check_api(first).status_code == 200
        # A forged X-Forwarded-For does not make a new caller.
        forged = _check_api(first, **{"X-Forwarded-For": "192.0.2.99"})
        assert forged.status_code == 429
        limiter: RateLimiter = first.app.state.rate_limiter  # type: ignore[attr-defined]
        # Another address on the same app (same counters) still gets through.
        with TestClient(first.app, client=("198.51.100.2", 1)) as second:
            assert second.app.state.rate_limiter is limiter  # type: ignore[attr-defined]
            assert _check_api(second).status_code == 200


def test_disabled_never_refuses(make_client: MakeClient) -> None:
    with make_client(rate_limit_search="1/minute", rate_limit_enabled=False) as c:
        codes = [_check_api(c).status_code for _ in range(5)]
        pages = [c.get("/tools/code-check").status_code for _ in range(5)]
    assert codes == [200] * 5
    assert pages == [200] * 5


def test_short_queries_are_charged_the_stricter_limit(runtime: Runtime) -> None:
    settings = runtime.settings.model_copy(
        update={"rate_limit_search": "100/minute", "rate_limit_short_query": "2/minute"}
    )
    app = FastAPI()
    app.state.rate_limiter = RateLimiter(settings)
    errors.install(app)

    @app.get("/api/search", dependencies=[Depends(rate_limit("search", short_query="q"))])
    def search(q: str) -> dict[str, str]:
        return {"q": q}

    with TestClient(app, raise_server_exceptions=False) as c:
        short = [c.get("/api/search", params={"q": "银"}).status_code for _ in range(3)]
        long = [c.get("/api/search", params={"q": "浦东发展"}).status_code for _ in range(3)]
    assert short == [200, 200, 429]
    assert long == [200, 200, 200]
