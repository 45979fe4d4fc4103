"""The SMTP path, against a real SMTP server started on loopback (aiosmtpd), not a mock."""

from __future__ import annotations

import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from siimop_app.services import auth
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
    [link] = LINK.findall(message.get_body().get_content())
    assert auth.resolve_session(auth.consume_sign_in_link(token_of(link))) is not None
    assert not get_settings().outbox_dir.exists()  # nothing went to the development outbox


def test_unknown_address_sends_nothing_by_smtp(smtp_server):
    assert auth.request_sign_in("stranger@chu.fr") == auth.SIGN_IN_SENT_MESSAGE
    assert smtp_server.received == []


def test_unreachable_smtp_server_leaves_no_usable_token(db_url, monkeypatch):
    import sqlalchemy as sa

    from siimop_app.db import transaction
    from siimop_app.models import SignInToken

    monkeypatch.setenv("SIIMOP_SMTP_URL", f"smtp://127.0.0.1:{_free_port()}")
    get_settings.cache_clear()
    make_user("down@chu.fr", "supervisor")
    with pytest.raises(OSError):
        auth.request_sign_in("down@chu.fr")
    with transaction() as session:
        assert session.exec(sa.select(sa.func.count()).select_from(SignInToken)).scalar_one() == 0
