"""The SMTP path, against a real SMTP server started on loopback (aiosmtpd), not a mock."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import email
import email.policy
import email.utils
import socket

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from siimop_app.db import transaction
from siimop_app.models import OutboxMail, utcnow
from siimop_app.services import auth, mail, outbox
from siimop_app.settings import get_settings
from tests.services.factories import make_user
from tests.services.mailbox import LINK, token_of


class Collect(Message):
    def __init__(self) -> None:
        super().__init__(message_class=email.message.EmailMessage)
        self.received: list[email.message.EmailMessage] = []

    def handle_message(self, message) -> None:
        self.received.append(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(db_url, monkeypatch):
    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    monkeypatch.setenv("SIIMOP_SMTP_URL", f"smtp://127.0.0.1:{controller.port}")
    get_settings.cache_clear()
    yield handler
    controller.stop()
    get_settings.cache_clear()


def test_link_is_delivered_by_smtp_and_works(smtp_server):
    make_user("smtp@chu.fr", "supervisor")
    auth.request_sign_in("smtp@chu.fr")
    [raw] = smtp_server.received
    message = email.message_from_bytes(raw.as_bytes(), policy=email.policy.default)
    assert message["To"] == "smtp@chu.fr"
    # The stored text is sent as it is: the envelope is the configured sender and the row's address.
    assert message["X-MailFrom"] == email.utils.parseaddr(get_settings().mail_from)[1]
    assert message["X-RcptTo"] == "smtp@chu.fr"
    [link] = LINK.findall(message.get_body().get_content())
    assert auth.resolve_session(auth.consume_sign_in_link(token_of(link))) is not None
    assert not get_settings().outbox_dir.exists()  # nothing went to the development outbox


def test_a_stored_text_that_is_not_ascii_is_still_delivered(smtp_server):
    # ``as_string()`` encodes headers and body, but a row written otherwise (by hand, an older version) must
    # not be stuck: it is parsed and sent as a message.
    with mail.Sender() as sender:
        sender.send_stored("From: a@chu.fr\nTo: b@chu.fr\nSubject: Résultats\nMIME-Version: 1.0\n"
                           "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
                           "Affecté à Lyon\n",
                           to="b@chu.fr", subject="Résultats")
    [raw] = smtp_server.received
    message = email.message_from_bytes(raw.as_bytes(), policy=email.policy.default)
    assert message["Subject"] == "Résultats"
    assert "Affecté à Lyon" in message.get_body().get_content()


def test_an_address_with_accents_is_delivered_with_smtputf8(db_url, monkeypatch):
    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port(), enable_SMTPUTF8=True)
    controller.start()
    monkeypatch.setenv("SIIMOP_SMTP_URL", f"smtp://127.0.0.1:{controller.port}")
    get_settings.cache_clear()
    try:
        with mail.Sender() as sender:
            message = mail.build_message(to="josé@chu.fr", subject="Lien", text="Bonjour")
            sender.send_stored(message.as_string(), to="josé@chu.fr", subject="Lien")
    finally:
        controller.stop()
        get_settings.cache_clear()
    [raw] = handler.received
    assert raw["X-RcptTo"] == "josé@chu.fr"


def test_unknown_address_sends_nothing_by_smtp(smtp_server):
    assert auth.request_sign_in("stranger@chu.fr") == auth.SIGN_IN_SENT_MESSAGE
    assert smtp_server.received == []


def _count(status: str) -> int:
    return getattr(outbox.counts(), status)


def test_mails_queued_while_smtp_is_down_are_delivered_once_when_it_is_back(db_url, monkeypatch):
    """SMTP down: the sign-in links wait in the outbox (the requests succeed), are retried with back-off, and when
    the server is back each arrives exactly once — even with two senders racing."""
    port = _free_port()
    monkeypatch.setenv("SIIMOP_SMTP_URL", f"smtp://127.0.0.1:{port}")
    get_settings.cache_clear()
    make_user("down@chu.fr", "supervisor")
    make_user("late@chu.fr", "student")
    assert auth.request_sign_in("down@chu.fr") == auth.SIGN_IN_SENT_MESSAGE  # the user is answered at once
    assert auth.request_sign_in("late@chu.fr") == auth.SIGN_IN_SENT_MESSAGE
    assert (_count("pending"), _count("sent")) == (2, 0)
    with transaction() as session:
        tries = session.exec(sa.select(OutboxMail.attempts, OutboxMail.last_error)).all()
    assert [a for a, _ in tries] == [1, 1] and all("Connection refused" in e for _, e in tries)

    assert outbox.deliver_due() == 0  # not due yet: the back-off holds the retry
    later = utcnow() + dt.timedelta(minutes=2)
    assert outbox.deliver_due(now=later) == 0 and _count("pending") == 2  # still down: still queued

    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        much_later = utcnow() + dt.timedelta(minutes=20)  # within the links' 30 minutes
        with concurrent.futures.ThreadPoolExecutor(2) as pool:  # two workers' senders at the same moment
            sent = sum(pool.map(lambda _: outbox.deliver_due(now=much_later), range(2)))
        assert outbox.deliver_due(now=much_later) == 0
    finally:
        controller.stop()
    assert sent == 2
    assert sorted(str(m["To"]) for m in handler.received) == ["down@chu.fr", "late@chu.fr"]
    assert (_count("pending"), _count("sent"), _count("failed")) == (0, 2, 0)
    raw = next(m for m in handler.received if m["To"] == "down@chu.fr")
    body = email.message_from_bytes(raw.as_bytes(), policy=email.policy.default).get_body().get_content()
    [link] = LINK.findall(body)
    assert auth.resolve_session(auth.consume_sign_in_link(token_of(link))) is not None  # the late link works


def test_a_sign_in_link_that_could_not_leave_before_it_expired_is_not_sent_late(db_url, monkeypatch):
    port = _free_port()
    monkeypatch.setenv("SIIMOP_SMTP_URL", f"smtp://127.0.0.1:{port}")
    get_settings.cache_clear()
    make_user("expired@chu.fr", "supervisor")
    auth.request_sign_in("expired@chu.fr")
    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert outbox.deliver_due(now=utcnow() + dt.timedelta(minutes=45)) == 0
    finally:
        controller.stop()
    assert handler.received == [] and (_count("pending"), _count("failed")) == (0, 1)


def test_a_mail_that_never_leaves_is_counted_as_failed(db_url, monkeypatch):
    monkeypatch.setenv("SIIMOP_SMTP_URL", f"smtp://127.0.0.1:{_free_port()}")
    monkeypatch.setenv("SIIMOP_MAIL_MAX_ATTEMPTS", "3")
    get_settings.cache_clear()
    make_user("never@chu.fr", "supervisor")
    auth.request_sign_in("never@chu.fr")
    for minutes in (5, 10):  # within the link's 30 minutes: given up for the attempts, not the age
        outbox.deliver_due(now=utcnow() + dt.timedelta(minutes=minutes))
    assert (_count("pending"), _count("failed")) == (0, 1)
    with transaction() as session:
        assert session.exec(sa.select(OutboxMail.attempts)).scalar_one() == 3  # given up after its attempts


class CountConnections(Collect):
    def __init__(self) -> None:
        super().__init__()
        self.connections = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections += 1
        session.host_name = hostname
        return responses


def test_result_mails_of_a_batch_share_one_smtp_connection(db_url, monkeypatch):
    """Thousands of result mails leave over one connection per batch, not one each (a TLS handshake per mail
    would make the national results take an hour, and providers throttle such senders)."""
    handler = CountConnections()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    monkeypatch.setenv("SIIMOP_SMTP_URL", f"smtp://127.0.0.1:{controller.port}")
    get_settings.cache_clear()
    try:
        from siimop_app.services import mail

        with transaction() as session:
            for n in range(30):
                outbox.enqueue(session, mail.build_message(to=f"etudiant{n}@etu.fr", subject="Résultats",
                                                           text="Vos résultats"), kind="result")
        outbox.wait_until_sent()
    finally:
        controller.stop()
        get_settings.cache_clear()
    assert sorted(str(m["To"]) for m in handler.received) == sorted(f"etudiant{n}@etu.fr" for n in range(30))
    assert handler.connections == 1
    assert (_count("pending"), _count("sent")) == (0, 30)


def test_a_sign_in_link_leaves_before_the_result_mails_queued_earlier(smtp_server):
    """A publication queues thousands of result mails; a person asking for a sign-in link then must not wait for all
    of them to leave."""
    from siimop_app.services import mail

    make_user("waiting@chu.fr", "student")
    with transaction() as session:
        for n in range(5):
            outbox.enqueue(session, mail.build_message(to=f"resultat{n}@etu.fr", subject="Résultats", text="…"),
                           kind="result")
        outbox.enqueue(session, mail.build_message(to="waiting@chu.fr", subject="Lien", text="…"), kind="sign_in")
    assert [str(m["To"]) for m in smtp_server.received][0] == "waiting@chu.fr"
    assert len(smtp_server.received) == 6
