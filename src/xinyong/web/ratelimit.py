"""Anti-scraping rate limits as FastAPI dependencies, on the `limits` library's async API.

Counters live in process memory (``async+memory://``) unless ``XINYONG_REDIS_URL`` is set,
then in Redis (``async+redis://``), shared by all workers. slowapi is not used: it checks
limits synchronously and so blocks the event loop on Redis (see docs/STACK.md).

Usage::

    @router.get("/search", dependencies=[Depends(rate_limit("search", short_query="q"))])

Callers are keyed on their ``X-API-Key`` header (hashed, never stored), else on the client
IP. ``request.client.host`` is used as is: ``xinyong serve`` runs uvicorn with
``proxy_headers=True``, which puts the ``X-Forwarded-For`` address there only for the
proxies uvicorn trusts (``FORWARDED_ALLOW_IPS``, default 127.0.0.1), so a client cannot
choose its own key by sending that header.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections.abc import Awaitable, Callable
from typing import Literal

from fastapi import Request
from limits import RateLimitItem, parse_many
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from xinyong.config import Settings
from xinyong.errors import TooManyRequests

LimitName = Literal["search", "short_query", "api"]

API_KEY_HEADER = "X-API-Key"


def storage_uri(settings: Settings) -> str:
    """The `limits` storage URI: Redis when configured, else process memory."""
    url = settings.redis_url
    if not url:
        return "async+memory://"
    return url if url.startswith("async+") else f"async+{url}"


class RateLimiter:
    """The limits of one application; counters in memory or Redis."""

    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.rate_limit_enabled
        self.prefix = settings.rate_limit_key_prefix
        self.uri = storage_uri(settings)
        self.limits: dict[LimitName, list[RateLimitItem]] = {
            "search": parse_many(settings.rate_limit_search),
            "short_query": parse_many(settings.rate_limit_short_query),
            "api": parse_many(settings.rate_limit_api),
        }
        self._storage: Storage | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _strategy(self) -> MovingWindowRateLimiter:
        # A Redis connection pool belongs to the event loop that opened it, so the storage
        # is made on first use in the serving loop (and again if a test client starts a
        # new loop).
        loop = asyncio.get_running_loop()
        if self._storage is None or self._loop is not loop:
            storage = storage_from_string(self.uri)
            if not isinstance(storage, Storage):  # pragma: no cover - uri is always async+
                raise TypeError(f"not an async storage: {self.uri}")
            self._storage = storage
            self._loop = loop
        return MovingWindowRateLimiter(self._storage)

    async def charge(self, name: LimitName, caller: str, cost: int = 1) -> None:
        """Count ``cost`` hits of ``caller`` against limit ``name``; ``TooManyRequests``
        with the seconds until the first exhausted window frees a slot when over."""
        if not self.enabled:
            return
        strategy = self._strategy()
        for item in self.limits[name]:
            if not await strategy.hit(item, self.prefix, name, caller, cost=cost):
                stats = await strategy.get_window_stats(item, self.prefix, name, caller)
                wait = math.ceil(stats.reset_time - time.time())
                raise TooManyRequests(wait, limit=f"{name} {item}")


def caller_key(request: Request) -> str:
    """Who is counted: the API key (as a short hash) if sent, else the client IP."""
    api_key = request.headers.get(API_KEY_HEADER)
    if api_key:
        return "key:" + hashlib.sha256(api_key.encode()).hexdigest()[:32]
    host = request.client.host if request.client else "unknown"
    return "ip:" + host


def get_rate_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


def is_short_query(text: str | None) -> bool:
    """1–2 characters after trimming: expensive to search and typical of enumeration."""
    return text is not None and 0 < len(text.strip()) <= 2


async def charge_short_query(request: Request, text: str | None, cost: int = 1) -> None:
    """Charge the stricter ``short_query`` limit when ``text`` is a 1–2-character query."""
    if is_short_query(text):
        await get_rate_limiter(request).charge("short_query", caller_key(request), cost)


def rate_limit(
    name: LimitName, *, cost: int = 1, short_query: str | None = None
) -> Callable[[Request], Awaitable[None]]:
    """A dependency charging limit ``name`` per caller; with ``short_query`` (a query
    parameter name) a 1–2-character value of that parameter is also charged to the
    ``short_query`` limit. Use as ``Depends(rate_limit("search"))``."""

    async def limited(request: Request) -> None:
        await get_rate_limiter(request).charge(name, caller_key(request), cost)
        if short_query is not None:
            await charge_short_query(request, request.query_params.get(short_query), cost)

    limited.__name__ = f"rate_limit_{name}"
    return limited
