"""Rate-limit counters in Redis (XINYONG_REDIS_URL), shared by every app (= worker)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import coredis
import pytest
from fastapi.testclient import TestClient

from xinyong.runtime import Runtime
from xinyong.web.app import create_app

REDIS_URL = "redis://127.0.0.1:6379/0"


async def _keys(prefix: str, delete: bool = False) -> list[str]:
    client: coredis.Redis[str] = coredis.Redis.from_url(REDIS_URL, decode_responses=True)
    keys = [k async for k in client.scan_iter(match=f"*{prefix}*")]
    if delete and keys:
        await client.delete(keys)
    return keys


def _redis_keys(prefix: str, delete: bool = False) -> list[str]:
    # In a thread of its own: another test (the browser tests) may leave an event loop
    # running in this one, where asyncio.run() is refused.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(_keys(prefix, delete))).result()


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test only; its keys (and no others) are removed afterwards."""
    name = f"xytest-{uuid.uuid4().hex}"
    try:
        _redis_keys(name)
    except (OSError, coredis.exceptions.ConnectionError):
        pytest.skip(f"no Redis at {REDIS_URL}")
    yield name
    _redis_keys(name, delete=True)


def test_redis_counters_are_shared_between_workers(runtime: Runtime, prefix: str) -> None:
    settings = runtime.settings.model_copy(
        update={
            "redis_url": REDIS_URL,
            "rate_limit_key_prefix": prefix,
            "rate_limit_search": "3/minute",
        }
    )
    body = {"codes": ["91110000600037341N"]}
    worker_a = create_app(settings=settings, runtime=runtime)
    worker_b = create_app(settings=settings, runtime=runtime)
    with TestClient(worker_a, raise_server_exceptions=False) as a:
        first = [a.post("/api/v1/codes/check", json=body).status_code for _ in range(2)]
    with TestClient(worker_b, raise_server_exceptions=False) as b:
        third = b.post("/api/v1/codes/check", json=body)
        fourth = b.post("/api/v1/codes/check", json=body)
    assert first == [200, 200]
    assert third.status_code == 200
    assert fourth.status_code == 429
    assert int(fourth.headers["Retry-After"]) >= 1
    assert "访问过于频繁" in fourth.json()["error"]["message"]
    # The counters are really in Redis, under this test's prefix.
    assert _redis_keys(prefix)
