"""Passwordless sign-in (SPEC §8), on a real database."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from siimop_app.db import transaction
from siimop_app.models import AuditEntry, RoleGrant, SignInToken, User, UserSession, utcnow
from siimop_app.services import auth
from tests.services.factories import make_user
from tests.services.mailbox import links_for, messages, token_of


def test_known_address_receives_a_single_use_link(db_url, outbox):
    make_user("rts@chu-amiens.fr", "supervisor")
    answer = auth.request_sign_in("  RTS@chu-amiens.fr ")
    assert answer == auth.SIGN_IN_SENT_MESSAGE
    [link] = links_for(outbox, "rts@chu-amiens.fr")
    cookie = auth.consume_sign_in_link(token_of(link))
    user = auth.resolve_session(cookie)
    assert user is not None and user.roles == ("supervisor",)
    with pytest.raises(auth.SignInError):
        auth.consume_sign_in_link(token_of(link))


def test_message_is_a_real_rfc5322_mail_in_french(db_url, outbox):
    make_user("etudiant@univ.fr", "student", first="Rémi", last="Thermidor")
    auth.request_sign_in("etudiant@univ.fr")
    [message] = messages(outbox)
    assert message["Subject"] == "Votre lien de connexion à SiiMOP Appariement"
    assert message["Date"] and message["Message-ID"] and message["From"]
    assert "Ce lien n'est valide que 30 minutes" in message.get_body().get_content()


def test_unknown_address_gets_the_same_answer_and_no_mail(db_url, outbox):
    make_user("known@chu.fr", "supervisor")
    assert auth.request_sign_in("nobody@chu.fr") == auth.request_sign_in("known@chu.fr")
    assert links_for(outbox, "nobody@chu.fr") == []
    assert len(messages(outbox)) == 1


def test_invalid_address_is_refused_with_a_french_message(db_url):
    with pytest.raises(ValueError, match="adresse e-mail valide"):
        auth.request_sign_in("pas-une-adresse")


def test_any_validated_address_works_and_unvalidated_ones_do_not(db_url, outbox):
    user_id = make_user("main@chu.fr", "supervisor",
                        secondary={"perso@gmail.example": True, "pending@gmail.example": False})
    auth.request_sign_in("perso@gmail.example")
    auth.request_sign_in("pending@gmail.example")
    assert links_for(outbox, "pending@gmail.example") == []
    [link] = links_for(outbox, "perso@gmail.example")
    assert auth.resolve_session(auth.consume_sign_in_link(token_of(link))).user_id == user_id


def test_link_expires_after_30_minutes(db_url, outbox):
    make_user("late@chu.fr", "supervisor")
    auth.request_sign_in("late@chu.fr")
    [link] = links_for(outbox, "late@chu.fr")
    with transaction() as session:
        token = session.exec(sa.select(SignInToken)).scalars().one()
        assert token.expires_at - token.created_at == dt.timedelta(minutes=30)
        token.expires_at = utcnow() - dt.timedelta(seconds=1)
        session.add(token)
    with pytest.raises(auth.SignInError, match="30 minutes"):
        auth.consume_sign_in_link(token_of(link))


def test_only_a_hash_of_the_secret_is_stored(db_url, outbox):
    make_user("hash@chu.fr", "supervisor")
    auth.request_sign_in("hash@chu.fr")
    secret = token_of(links_for(outbox, "hash@chu.fr")[0]).split(".", 1)[1]
    with transaction() as session:
        stored = session.exec(sa.select(SignInToken.secret_hash)).scalars().one()
    assert secret not in stored and stored.startswith("$pbkdf2-sha256$")


def test_forged_or_tampered_links_are_refused(db_url, outbox):
    make_user("forge@chu.fr", "supervisor")
    auth.request_sign_in("forge@chu.fr")
    token = token_of(links_for(outbox, "forge@chu.fr")[0])
    for forged in ("", "abc", "1.", "999.secret", token[:-2] + "xx"):
        with pytest.raises(auth.SignInError):
            auth.consume_sign_in_link(forged)
    assert auth.consume_sign_in_link(token)  # the genuine link still works once


def test_repeated_requests_are_rate_limited(db_url, outbox):
    make_user("spam@chu.fr", "supervisor")
    answers = {auth.request_sign_in("spam@chu.fr") for _ in range(5)}
    assert answers == {auth.SIGN_IN_SENT_MESSAGE}
    assert len(links_for(outbox, "spam@chu.fr")) == 3


def test_disabled_user_gets_no_link(db_url, outbox):
    make_user("gone@chu.fr", "supervisor", active=False)
    auth.request_sign_in("gone@chu.fr")
    assert links_for(outbox, "gone@chu.fr") == []


def test_sign_out_and_expiry_end_the_session(db_url, outbox):
    make_user("out@chu.fr", "coordinator")
    auth.request_sign_in("out@chu.fr")
    cookie = auth.consume_sign_in_link(token_of(links_for(outbox, "out@chu.fr")[0]))
    assert auth.resolve_session(cookie) is not None
    auth.sign_out(cookie)
    assert auth.resolve_session(cookie) is None

    auth.request_sign_in("out@chu.fr")
    cookie = auth.consume_sign_in_link(token_of(links_for(outbox, "out@chu.fr")[-1]))
    with transaction() as session:
        session.execute(sa.update(UserSession).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    assert auth.resolve_session(cookie) is None
    assert auth.resolve_session("garbage") is None
    assert auth.resolve_session(cookie.split(".")[0] + ".wrong") is None


def test_each_event_sees_the_roles_and_the_account_as_they_are_now(db_url, outbox):
    """The session is resolved afresh on every event (one query, no cache): a role granted or withdrawn and a
    disabled account count at once; several grants of one role give it once, in the fixed order."""
    user_id = make_user("multi@chu.fr", "manager", "supervisor", secondary={"perso@mail.fr": True})
    with transaction() as session:
        session.add(RoleGrant(user_id=user_id, role="supervisor"))
    auth.request_sign_in("perso@mail.fr")  # signed in with a secondary address: the main one is shown
    cookie = auth.consume_sign_in_link(token_of(links_for(outbox, "perso@mail.fr")[0]))
    user = auth.resolve_session(cookie)
    assert (user.email, user.roles, user.display_name) == ("multi@chu.fr", ("supervisor", "manager"), "Camille DURAND")
    with transaction() as session:
        session.execute(sa.delete(RoleGrant).where(RoleGrant.user_id == user_id, RoleGrant.role == "manager"))
    assert auth.resolve_session(cookie).roles == ("supervisor",)
    with transaction() as session:
        session.execute(sa.delete(RoleGrant).where(RoleGrant.user_id == user_id))
    assert auth.resolve_session(cookie).roles == ()  # still signed in, with no interface open
    with transaction() as session:
        session.execute(sa.update(User).where(User.id == user_id).values(is_active=False))
    assert auth.resolve_session(cookie) is None


def test_sign_in_is_audited_and_records_last_login(db_url, outbox):
    user_id = make_user("audit@chu.fr", "manager")
    auth.request_sign_in("audit@chu.fr")
    auth.consume_sign_in_link(token_of(links_for(outbox, "audit@chu.fr")[0]))
    with transaction() as session:
        assert session.get(User, user_id).last_login_at is not None
        actions = session.exec(sa.select(AuditEntry.action).where(AuditEntry.actor_user_id == user_id)).scalars().all()
    assert actions == ["sign_in"]
