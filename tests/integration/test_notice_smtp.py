"""SmtpSender against a real SMTP server (aiosmtpd) on a local port."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from xinyong.notices.senders import Notice, SendFailed, SmtpSender


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_a_notice_arrives_with_its_chinese_subject_and_body(
    smtp_server: tuple[Inbox, int],
) -> None:
    inbox, port = smtp_server
    sender = SmtpSender("127.0.0.1", port, sender="信用厦门 <noreply@credit.example.gov.cn>")
    body = "您好：\n您提交的信用修复申请（编号 XF-2026-000007）已通过，相关记录已停止公示。\n"

    sender.send(Notice(to="lisi@example.com", subject="信用修复申请已通过", body=body))

    [(mail_from, rcpt_tos, msg)] = inbox.messages
    assert mail_from == "noreply@credit.example.gov.cn"
    assert rcpt_tos == ["lisi@example.com"]
    assert msg["To"] == "lisi@example.com"
    assert msg["Subject"] == "信用修复申请已通过"
    assert msg["From"].addresses[0].display_name == "信用厦门"
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content_charset() == "utf-8"
    assert msg.get_content() == body
    assert msg["Message-ID"] and msg["Date"]


def test_an_unreachable_server_is_a_send_failure_with_the_reason() -> None:
    port = _free_port()  # nothing listens there
    sender = SmtpSender("127.0.0.1", port, sender="noreply@localhost", timeout=2)
    with pytest.raises(SendFailed) as caught:
        sender.send(Notice(to="lisi@example.com", subject="通知", body="正文"))
    assert f"127.0.0.1:{port}" in caught.value.reason
    assert "ConnectionRefusedError" in caught.value.reason


def test_a_server_without_starttls_is_a_send_failure(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    sender = SmtpSender("127.0.0.1", port, sender="noreply@localhost", starttls=True)
    with pytest.raises(SendFailed) as caught:
        sender.send(Notice(to="lisi@example.com", subject="通知", body="正文"))
    assert "STARTTLS" in caught.value.reason or "starttls" in caught.value.reason.lower()
    assert inbox.messages == []  # nothing goes out in clear when TLS was asked for
