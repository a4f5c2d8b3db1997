"""How notices leave the platform: e-mail senders (SMTP, console, null) and the SMS
integration point.

``EmailSender.send`` either delivers the notice to the next hop or raises ``SendFailed``
with an English reason; the outbox (``xinyong.notices.service``) retries. Pick one with
``sender_from_settings``.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections import deque
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Protocol

from xinyong.config import Settings
from xinyong.notices.rules import mask_email

log = logging.getLogger("xinyong.notices")

NULL_KEEPS = 100  # notices a NullSender keeps for inspection


@dataclass(frozen=True)
class Notice:
    """One e-mail to one recipient: plain-text Chinese body."""

    to: str
    subject: str
    body: str


class SendFailed(Exception):
    """The notice could not be handed over; ``reason`` is English, for staff and logs."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EmailSender(Protocol):
    def send(self, notice: Notice) -> None:
        """Hand ``notice`` over for delivery, or raise ``SendFailed``."""
        ...


class SmsSender(Protocol):
    """Integration point for text messages (短信). The platform ships no implementation:
    each city contracts its own SMS gateway (often the government's unified messaging
    platform) with its own API and signed templates. An implementation sends ``text`` to
    the mainland mobile number ``phone`` (11 digits) and raises ``SendFailed`` with an
    English reason when the gateway refuses or cannot be reached."""

    def send_sms(self, phone: str, text: str) -> None: ...


class SmtpSender:
    """Sends through an SMTP server (standard library), one connection per notice.

    Headers are UTF-8 (RFC 2047 encoded where needed), the body is ``text/plain;
    charset=utf-8``. With ``starttls`` the connection is upgraded (certificate checked)
    before any login.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout = timeout

    def message(self, notice: Notice) -> EmailMessage:
        """The MIME message for ``notice``."""
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = notice.to
        msg["Subject"] = notice.subject
        msg["Date"] = formatdate(localtime=False, usegmt=True)
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or "localhost"
        msg["Message-ID"] = make_msgid(domain=domain)
        msg.set_content(notice.body, charset="utf-8")
        return msg

    def send(self, notice: Notice) -> None:
        msg = self.message(notice)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = ", ".join(f"{code} {text!r}" for code, text in exc.recipients.values())
            raise SendFailed(f"recipient refused by {self.host}: {codes}") from exc
        except smtplib.SMTPResponseException as exc:
            raise SendFailed(
                f"SMTP server {self.host}:{self.port} answered {exc.smtp_code} {exc.smtp_error!r}"
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise SendFailed(
                f"SMTP server {self.host}:{self.port} failed: {type(exc).__name__}: {exc}"
            ) from exc


class ConsoleSender:
    """For development: writes each notice to the log ``xinyong.notices`` at INFO, with
    the address masked; sends nothing."""

    def send(self, notice: Notice) -> None:
        log.info("notice to %s: %s\n%s", mask_email(notice.to), notice.subject, notice.body)


class NullSender:
    """For tests: sends nothing and keeps the last ``NULL_KEEPS`` notices in ``sent``."""

    def __init__(self) -> None:
        self.sent: deque[Notice] = deque(maxlen=NULL_KEEPS)

    def send(self, notice: Notice) -> None:
        self.sent.append(notice)


# One per process, so that tests and development can look at what the server "sent".
null_sender = NullSender()


def sender_from_settings(settings: Settings) -> EmailSender:
    """The sender ``XINYONG_NOTICE_BACKEND`` names; ``null`` is the process-wide
    ``null_sender``."""
    if settings.notice_backend == "smtp":
        return SmtpSender(
            settings.smtp_host,
            settings.smtp_port,
            sender=settings.smtp_from,
            username=settings.smtp_username,
            password=(
                settings.smtp_password.get_secret_value() if settings.smtp_password else None
            ),
            starttls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_seconds,
        )
    if settings.notice_backend == "null":
        return null_sender
    return ConsoleSender()
