"""Notice senders: what each backend does with a notice, and which one the settings pick."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from xinyong.config import Settings
from xinyong.notices.rules import mask_email, normalise_email
from xinyong.notices.senders import (
    NULL_KEEPS,
    ConsoleSender,
    Notice,
    NullSender,
    SmtpSender,
    null_sender,
    sender_from_settings,
)

NOTICE = Notice(
    to="zhangsan@example.com", subject="您的异议申请已受理", body="案件编号 YY-2026-0001。"
)


def test_null_sender_keeps_what_it_was_given_and_sends_nothing() -> None:
    sender = NullSender()
    sender.send(NOTICE)
    assert list(sender.sent) == [NOTICE]


def test_null_sender_keeps_only_the_last_hundred() -> None:
    sender = NullSender()
    for n in range(NULL_KEEPS + 5):
        sender.send(Notice(to="a@example.com", subject=f"通知 {n}", body="正文"))
    assert len(sender.sent) == NULL_KEEPS
    assert sender.sent[0].subject == "通知 5"
    assert sender.sent[-1].subject == f"通知 {NULL_KEEPS + 4}"


def test_console_sender_logs_the_notice_with_the_address_masked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="xinyong.notices"):
        ConsoleSender().send(NOTICE)
    [entry] = [r for r in caplog.records if r.name == "xinyong.notices"]
    assert entry.levelno == logging.INFO
    text = entry.getMessage()
    assert "z******n@example.com" in text
    assert "zhangsan" not in text
    assert "您的异议申请已受理" in text and "YY-2026-0001" in text


def _settings(**values: Any) -> Settings:
    return Settings(environment="test", database_url="sqlite:///:memory:", **values)


def test_console_is_the_default_backend() -> None:
    assert isinstance(sender_from_settings(_settings()), ConsoleSender)


def test_null_backend_is_the_process_wide_null_sender() -> None:
    sender = sender_from_settings(_settings(notice_backend="null"))
    assert sender is null_sender


def test_smtp_backend_carries_the_smtp_settings() -> None:
    sender = sender_from_settings(
        _settings(
            notice_backend="smtp",
            smtp_host="mail.example.gov.cn",
            smtp_port=587,
            smtp_username="xinyong",
            smtp_password="s3cret",
            smtp_from="信用厦门 <noreply@credit.example.gov.cn>",
            smtp_starttls=True,
            smtp_timeout_seconds=3,
        )
    )
    assert isinstance(sender, SmtpSender)
    assert (sender.host, sender.port, sender.username, sender.password) == (
        "mail.example.gov.cn",
        587,
        "xinyong",
        "s3cret",
    )
    assert sender.starttls and sender.timeout == 3
    assert sender.sender == "信用厦门 <noreply@credit.example.gov.cn>"


def test_smtp_password_is_not_shown_in_the_settings() -> None:
    settings = _settings(smtp_password="s3cret")
    assert "s3cret" not in repr(settings)


def test_the_backend_setting_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XINYONG_NOTICE_BACKEND", "null")
    assert Settings().notice_backend == "null"


def test_smtp_message_has_utf8_chinese_headers_and_body() -> None:
    sender = SmtpSender("127.0.0.1", 25, sender="信用平台 <noreply@localhost>")
    raw = sender.message(NOTICE).as_bytes()
    assert b"=?utf-8?" in raw  # the Chinese subject and display name are RFC 2047 encoded
    assert "您的异议申请已受理".encode() not in raw.split(b"\n\n", 1)[0]
    assert b'Content-Type: text/plain; charset="utf-8"' in raw


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("zhangsan@Example.COM", "zhangsan@example.com"),
        ("  li.si+case@mail.example.cn ", "li.si+case@mail.example.cn"),
        ("zhangsan", None),
        ("zhang san@example.com", None),
        ("a@b", None),
        ("a@@example.com", None),
        ("a@example..com", None),
        ("a@example.com\nBcc: x@example.com", None),
        ("<a@example.com>", None),
        ("x" * 65 + "@example.com", None),
    ],
)
def test_email_addresses_are_checked_for_shape(given: str, expected: str | None) -> None:
    assert normalise_email(given) == expected


def test_masked_address_keeps_the_domain_and_hides_the_mailbox() -> None:
    assert mask_email("zhangsan@example.com") == "z******n@example.com"
    assert mask_email("ab@example.com") == "a*@example.com"
    assert mask_email("a@example.com") == "*@example.com"
