"""Secondary addresses (SPEC §8): added, proven by a link, then usable to sign in; never someone else's."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import AuditEntry, EmailValidation, UserEmail, utcnow
from siimop_app.services import auth, emails
from siimop_app.services.auth import SignedInUser
from tests.services.factories import make_user
from tests.services.mailbox import links_for, messages, token_of

VALIDATION = re.compile(r"https?://\S+/profil/validation/\S+")


def _validation_token(outbox, address: str) -> str:
    found = []
    for message in messages(outbox):
        if str(message["To"]) == address:
            found.extend(VALIDATION.findall(message.get_body().get_content()))
    return found[-1].rsplit("/", 1)[1]


def _me(email: str = "main@chu.fr") -> SignedInUser:
    user_id = make_user(email, "supervisor")
    return SignedInUser(user_id, "Camille", "Durand", email, ("supervisor",))


def test_a_validated_secondary_address_signs_in(db_url, outbox):
    me = _me()
    emails.add_secondary(me, "  Camille.Perso@Gmail.example ", "personal")
    assert [(e["email"], e["validated"]) for e in emails.list_emails(me)][-1] == ("camille.perso@gmail.example", False)
    auth.request_sign_in("camille.perso@gmail.example")
    assert links_for(outbox, "camille.perso@gmail.example") == []  # not before it is proven
    assert emails.validate(_validation_token(outbox, "camille.perso@gmail.example")) == "camille.perso@gmail.example"
    with pytest.raises(emails.EmailError):  # single use
        emails.validate(_validation_token(outbox, "camille.perso@gmail.example"))
    auth.request_sign_in("camille.perso@gmail.example")
    [link] = links_for(outbox, "camille.perso@gmail.example")
    assert auth.resolve_session(auth.consume_sign_in_link(token_of(link))).user_id == me.user_id
    with transaction() as session:
        actions = session.exec(select(AuditEntry.action).where(AuditEntry.entity == "user_email")).all()
    assert actions == ["email.add", "email.validate"]


def test_someone_elses_address_and_bad_input_are_refused(db_url, outbox):
    make_user("other@chu.fr", "student")
    me = _me()
    with pytest.raises(emails.EmailError, match="autre compte"):
        emails.add_secondary(me, "other@chu.fr", "professional")
    with pytest.raises(emails.EmailError, match="valide"):
        emails.add_secondary(me, "pas une adresse", "personal")
    with pytest.raises(emails.EmailError, match="type"):
        emails.add_secondary(me, "ok@chu.fr", "main")
    assert len(emails.list_emails(me)) == 1 and messages(outbox) == []


def test_expired_links_fail_and_the_main_address_cannot_be_removed(db_url, outbox):
    me = _me()
    emails.add_secondary(me, "late@chu.fr", "professional")
    with transaction() as session:
        session.execute(sa.update(EmailValidation).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    with pytest.raises(emails.EmailError, match="expiré"):
        emails.validate(_validation_token(outbox, "late@chu.fr"))
    main, pending = emails.list_emails(me)
    with pytest.raises(emails.EmailError, match="gestionnaire"):
        emails.remove_secondary(me, main["id"])
    emails.remove_secondary(me, pending["id"])
    assert [e["email"] for e in emails.list_emails(me)] == ["main@chu.fr"]
    intruder = _me("intruder@chu.fr")
    with pytest.raises(emails.EmailError, match="ne fait pas partie"):
        emails.remove_secondary(intruder, main["id"])
    with transaction() as session:
        assert session.exec(select(UserEmail).where(UserEmail.email == "main@chu.fr")).first() is not None
