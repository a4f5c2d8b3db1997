"""Pure rules of continuous monitoring: webhook addresses, signatures, back-off, and
the status a watched subject has in a watch list's scenario (no database, no clock)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from xinyong.errors import ValidationFailed
from xinyong.measures.loader import MeasureBook
from xinyong.screening.rules import scenario_status

SIGNATURE_HEADER = "X-Xinyong-Signature"
DELIVERY_HEADER = "X-Xinyong-Delivery"
TIMESTAMP_HEADER = "X-Xinyong-Timestamp"

URL_MAX = 500
BACKOFF_FIRST = dt.timedelta(minutes=1)
BACKOFF_CAP = dt.timedelta(hours=6)
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_HOSTS or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_webhook_url(url: str, *, require_https: bool) -> str:
    """``url`` stripped, if it can receive webhooks: http or https with a host, no user
    name or password in it (the signature authenticates the platform; credentials in a
    URL end up in logs), at most 500 characters. With ``require_https`` (production,
    unless ``XINYONG_WEBHOOK_ALLOW_HTTP``) plain http is allowed only to the loopback
    host, where nothing crosses a network."""
    text = url.strip()

    def refuse(zh: str, en: str) -> ValidationFailed:
        return ValidationFailed.one("webhook_url", zh, en)

    if not text or len(text) > URL_MAX:
        raise refuse(f"回调地址不能为空且不超过 {URL_MAX} 个字符", "webhook URL empty or too long")
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError as exc:
        raise refuse("回调地址格式不正确", f"malformed webhook URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not host:
        raise refuse(
            "回调地址应为 http:// 或 https:// 开头的完整网址",
            f"webhook URL must be an absolute http(s) URL, got scheme {parts.scheme!r}",
        )
    if parts.username is not None or parts.password is not None:
        raise refuse(
            "回调地址中不能包含用户名或密码（平台以签名证明来源）",
            "webhook URL must not carry credentials",
        )
    if parts.fragment:
        raise refuse("回调地址不能包含 # 片段", "webhook URL must not have a fragment")
    if require_https and parts.scheme != "https" and not _is_loopback(host):
        raise refuse(
            "生产环境中回调地址必须使用 https（本机地址除外）",
            "webhook URL must use https in production (except to localhost)",
        )
    return text


def sign(secret: str, body: bytes) -> str:
    """The value of ``X-Xinyong-Signature``: ``sha256=`` and the hex HMAC-SHA256 of the
    exact request body with the watch list's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    return hmac.compare_digest(sign(secret, body), signature)


def backoff(attempts: int) -> dt.timedelta:
    """Wait after the ``attempts``-th failed attempt: 1, 2, 4, 8 … minutes, at most 6 h."""
    wait: dt.timedelta = BACKOFF_FIRST * 2 ** min(max(0, attempts - 1), 20)
    return min(wait, BACKOFF_CAP)


def watch_state(
    book: MeasureBook, scenario: str, measure_codes: Iterable[str] | None
) -> tuple[str, list[str]]:
    """(status, codes of the scenario's measures in force) of one subject; ``None``
    for a code the platform does not know yet (status ``unknown``). The status is
    screening's own (``screening.rules.scenario_status``): restrict, reward or clear."""
    if measure_codes is None:
        return "unknown", []
    codes = set(measure_codes)
    of_scenario = sorted(m.code for m in book.measures_for(scenario) if m.code in codes)
    return scenario_status(book, scenario, of_scenario), of_scenario
