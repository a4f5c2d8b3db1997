"""Pure rules of continuous monitoring: back-off, signatures, webhook addresses, status."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import pytest

from tests.integration.test_record_reporting import CATALOG
from xinyong.errors import ValidationFailed
from xinyong.measures.loader import load_measures
from xinyong.watch import rules

BOOK = load_measures(CATALOG.items)


def test_backoff_doubles_from_one_minute_and_is_capped_at_six_hours() -> None:
    waits = [rules.backoff(n) for n in range(1, 12)]
    assert waits[:5] == [dt.timedelta(minutes=m) for m in (1, 2, 4, 8, 16)]
    assert waits[-1] == dt.timedelta(hours=6) and max(waits) == dt.timedelta(hours=6)
    assert rules.backoff(10_000) == dt.timedelta(hours=6)


def test_the_signature_is_the_hmac_sha256_of_the_exact_body() -> None:
    body = b'{"event":"watch.status_changed"}'
    expected = hmac.new(b"whsec_k", body, hashlib.sha256).hexdigest()
    assert rules.sign("whsec_k", body) == f"sha256={expected}"
    assert rules.verify("whsec_k", body, f"sha256={expected}")
    assert not rules.verify("whsec_k", body + b" ", f"sha256={expected}")
    assert not rules.verify("whsec_other", body, f"sha256={expected}")


@pytest.mark.parametrize(
    "url",
    ["https://erp.example.gov.cn/hooks/credit", "http://localhost:8080/h", "http://[::1]/h"],
)
def test_https_anywhere_and_http_to_loopback_are_accepted_in_production(url: str) -> None:
    assert rules.check_webhook_url(f" {url} ", require_https=True) == url


@pytest.mark.parametrize(
    "url",
    [
        "",
        "erp.example.gov.cn/hook",
        "mailto:a@example.gov.cn",
        "http://10.0.0.5/hook",
        "https://u:p@erp.example.gov.cn/",
        "https://erp.example.gov.cn/#frag",
        "https://" + "a" * 500 + ".cn/",
    ],
)
def test_other_addresses_are_refused(url: str) -> None:
    with pytest.raises(ValidationFailed):
        rules.check_webhook_url(url, require_https=True)


def test_status_in_a_scenario_counts_only_that_scenarios_measures() -> None:
    assert rules.watch_state(BOOK, "procurement", None) == ("unknown", [])
    assert rules.watch_state(BOOK, "procurement", []) == ("clear", [])
    assert rules.watch_state(BOOK, "procurement", ["procurement-listed", "funding-serious"]) == (
        "restrict",
        ["procurement-listed"],
    )
    assert rules.watch_state(BOOK, "licensing", ["procurement-listed"]) == ("clear", [])
    assert rules.watch_state(BOOK, "licensing", ["licensing-green-channel"]) == (
        "reward",
        ["licensing-green-channel"],
    )
