"""Outgoing mail: real RFC 5322 messages, sent by SMTP when ``SIIMOP_SMTP_URL`` is set,
otherwise written to the outbox folder (development), one ``.eml`` file per message."""

from __future__ import annotations

import email.message
import email.utils
import logging
import re
import smtplib
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from siimop_app.settings import get_settings

log = logging.getLogger(__name__)

_CRLF = re.compile(r"\r\n|\n|\r")  # smtplib's own rule for a text message's line ends


def build_message(*, to: str, subject: str, text: str, html: str | None = None) -> email.message.EmailMessage:
    settings = get_settings()
    message = email.message.EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = email.utils.formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = email.utils.make_msgid(domain="siimop.example.fr")
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def _open_smtp(smtp_url: str) -> smtplib.SMTP:
    """``smtp://user:pass@host:port`` (STARTTLS when ``?starttls=1``) or ``smtps://host:port``."""
    parts = urlsplit(smtp_url)
    host = parts.hostname or "localhost"
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, parts.port or 465, timeout=30)
    else:
        client = smtplib.SMTP(host, parts.port or 25, timeout=30)
    try:
        if "starttls=1" in (parts.query or ""):
            client.starttls()
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
    except BaseException:
        client.close()
        raise
    return client


class Sender:
    """Sends several messages over one SMTP connection (the outbox sends thousands of result mails: one
    connection, and one TLS handshake, per batch rather than per mail). Opened on the first message; a
    connection the server closed in between (idle time-out) is opened again once."""

    def __init__(self) -> None:
        self._client: smtplib.SMTP | None = None
        self.connections = 0

    def send(self, message: email.message.EmailMessage) -> None:
        self._transmit(lambda client: client.send_message(message), to=message["To"], subject=message["Subject"],
                       write=lambda: bytes(message))

    def send_stored(self, text: str, *, to: str, subject: str) -> None:
        """A message as the outbox keeps it (``EmailMessage.as_string()``), sent without parsing it back into a
        message: parsing and re-serialising was most of the outbox's cost (issue 13, ~5 % of a worker under 300
        students saving). The envelope is the configured sender and ``to``. Such text is ASCII (headers and body
        encoded); a row that is not (written by hand) goes as UTF-8, line ends made CRLF as SMTP wants them."""
        sender = email.utils.parseaddr(get_settings().mail_from)[1]
        data = _CRLF.sub("\r\n", text).encode("utf-8")
        # An address with accents (email-validator accepts them) needs SMTPUTF8, as send_message would ask.
        options = () if to.isascii() and sender.isascii() else ("SMTPUTF8",)
        self._transmit(lambda client: client.sendmail(sender, [to], data, mail_options=options), to=to,
                       subject=subject, write=lambda: data)

    def _transmit(self, deliver: Callable[[smtplib.SMTP], object], *, to: str, subject: str,
                  write: Callable[[], bytes]) -> None:
        settings = get_settings()
        if not settings.smtp_url:
            path = _write_outbox(write(), settings.outbox_dir)
            log.info("mail written to %s (no SMTP configured)", path)
            return
        for attempt in (1, 2):
            if self._client is None:
                self._client = _open_smtp(settings.smtp_url)
                self.connections += 1
            try:
                deliver(self._client)
                break
            except smtplib.SMTPServerDisconnected:
                self._client = None
                if attempt == 2:
                    raise
        log.info("mail sent by SMTP to %s: %s", to, subject)

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.quit()
            except (smtplib.SMTPException, OSError):
                self._client.close()
            self._client = None

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _write_outbox(content: bytes, outbox: Path) -> Path:
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{uuid.uuid4().hex}.eml"
    path.write_bytes(content)
    return path


def send(message: email.message.EmailMessage) -> None:
    with Sender() as sender:
        sender.send(message)
