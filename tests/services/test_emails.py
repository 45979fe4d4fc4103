"""Secondary addresses (SPEC §8): added, proven by a link, then usable to sign in; never someone else's."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import AuditEntry, PendingEmail, UserEmail, utcnow
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
    assert [(e.email, e.validated) for e in emails.list_emails(me)][-1] == ("camille.perso@gmail.example", False)
    auth.request_sign_in("camille.perso@gmail.example")
    assert links_for(outbox, "camille.perso@gmail.example") == []  # not before it is proven
    assert emails.validate(_validation_token(outbox, "camille.perso@gmail.example")) == "camille.perso@gmail.example"
    with pytest.raises(emails.EmailError):  # single use
        emails.validate(_validation_token(outbox, "camille.perso@gmail.example"))
    auth.request_sign_in("camille.perso@gmail.example")
    [link] = links_for(outbox, "camille.perso@gmail.example")
    assert auth.resolve_session(auth.consume_sign_in_link(token_of(link))).user_id == me.user_id
    with transaction() as session:
        actions = session.exec(select(AuditEntry.action)
                               .where(AuditEntry.entity.in_(["user_email", "pending_email"]))).all()
    assert actions == ["email.add", "email.validate"]


def test_someone_elses_address_and_bad_input_are_refused(db_url, outbox):
    make_user("other@chu.fr", "student")
    me = _me()
    # Another account's address: the same answer as a free one (no exception); only its owner's click decides.
    assert emails.add_secondary(me, "other@chu.fr", "professional") is None
    for bad in ("pas une adresse", "un@x.org,deux@x.org", "un@x.org;deux@x.org", "a@b.fr\r\nBcc: c@d.fr",
                "Jean <jean@chu.fr>", "jean@localhost", ["un@x.org"], 42, "x" * 300 + "@chu.fr"):
        with pytest.raises(emails.EmailError, match="une seule adresse e-mail valide"):
            emails.add_secondary(me, bad, "personal")
    with pytest.raises(emails.EmailError, match="type"):
        emails.add_secondary(me, "ok@chu.fr", "main")
    assert [e.email for e in emails.list_emails(me)] == ["main@chu.fr", "other@chu.fr"]
    assert [str(m["To"]) for m in messages(outbox)] == ["other@chu.fr"]


def test_expired_links_fail_and_the_main_address_cannot_be_removed(db_url, outbox):
    me = _me()
    emails.add_secondary(me, "late@chu.fr", "professional")
    with transaction() as session:
        session.execute(sa.update(PendingEmail).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    with pytest.raises(emails.EmailError, match="expiré"):
        emails.validate(_validation_token(outbox, "late@chu.fr"))
    assert [e.email for e in emails.list_emails(me)] == ["main@chu.fr"]  # an expired link is no longer pending
    emails.add_secondary(me, "late@chu.fr", "professional")
    main, pending = emails.list_emails(me)
    with pytest.raises(emails.EmailError, match="gestionnaire"):
        emails.remove_secondary(me, main.id)
    with pytest.raises(emails.EmailError, match="ne fait pas partie"):
        emails.remove_secondary(me, pending.id)  # a pending address is withdrawn, not removed
    emails.withdraw_pending(me, pending.id)
    assert [e.email for e in emails.list_emails(me)] == ["main@chu.fr"]
    intruder = _me("intruder@chu.fr")
    with pytest.raises(emails.EmailError, match="ne fait pas partie"):
        emails.remove_secondary(intruder, main.id)
    emails.add_secondary(me, "again@chu.fr", "personal")
    with pytest.raises(emails.EmailError, match="ne fait pas partie"):
        emails.withdraw_pending(intruder, emails.list_emails(me)[-1].id)  # someone else's pending address
    assert emails.list_emails(me)[-1].email == "again@chu.fr"
    with transaction() as session:
        assert session.exec(select(UserEmail).where(UserEmail.email == "main@chu.fr")).first() is not None


def test_validation_mails_are_rate_limited_per_user_and_per_target(db_url, outbox, monkeypatch):
    """Issue 10, hole 6: ten clicks used to send ten validation mails to the same stranger."""
    me = _me()
    for _ in range(10):
        try:
            emails.add_secondary(me, "stranger@chu.fr", "personal")
        except emails.EmailError as refused:
            assert "Trop de messages" in str(refused)
    assert len([m for m in messages(outbox) if str(m["To"]) == "stranger@chu.fr"]) == 2
    # Per user too: other targets, one after the other.
    for n in range(6):
        try:
            emails.add_secondary(me, f"other{n}@chu.fr", "personal")
        except emails.EmailError as refused:
            assert "Trop de messages" in str(refused) or "adresses secondaires" in str(refused)
    assert len(messages(outbox)) == 5
    # Another account cannot mail the stranger either: the per-address limit holds whoever asks.
    someone = _me("someone@chu.fr")
    with pytest.raises(emails.EmailError, match="Trop de messages"):
        emails.add_secondary(someone, "stranger@chu.fr", "personal")
    assert len([m for m in messages(outbox) if str(m["To"]) == "stranger@chu.fr"]) == 2


def _trace_of_adding(outbox, address: str, *, me_address: str) -> list:
    """Everything the person adding ``address`` can observe, with the address itself replaced by ``X``: the answer
    of each click, their list of addresses, the mails sent to it, and the rows written for them."""
    me = _me(me_address)
    trace = []
    for _ in range(4):  # past the per-address limit
        try:
            trace.append(("answer", emails.add_secondary(me, address, "personal")))
        except emails.EmailError as refused:
            trace.append(("refused", str(refused)))
    shown = {address: "X", me_address: "ME"}
    trace.append(("list", [(shown.get(e.email, e.email), e.kind, e.status) for e in emails.list_emails(me)]))
    trace.append(("mails", len([m for m in messages(outbox) if str(m["To"]) == address])))
    for n in range(6):  # then up to the per-user and "max addresses" limits
        try:
            trace.append(("answer", emails.add_secondary(me, f"{me_address}.{n}@autre.example", "professional")))
        except emails.EmailError as refused:
            trace.append(("refused", str(refused)))
    with transaction() as session:
        audit_rows = session.exec(select(AuditEntry.action).where(AuditEntry.actor_user_id == me.user_id)).all()
    trace.append(("audit", audit_rows))
    return trace


def test_adding_another_accounts_address_looks_exactly_like_adding_a_free_one(db_url, outbox):
    """Issue 10, hole 6 (residual): Mon profil must not tell whether an address belongs to an account — same
    answers, same pending row in the list, same mails, same limits — until the address's owner follows the link."""
    make_user("taken@chu.fr", "student")
    free = _trace_of_adding(outbox, "free@chu.fr", me_address="a@chu.fr")
    taken = _trace_of_adding(outbox, "taken@chu.fr", me_address="b@chu.fr")
    assert free == taken
    assert ("list", [("ME", "Principale", "Validée"), ("X", "Personnelle", "En attente de validation")]) in free
    assert ("mails", 2) in free


def test_the_conflict_is_told_to_whoever_follows_the_link_and_nothing_is_added(db_url, outbox):
    owner = make_user("taken@chu.fr", "student")
    me = _me()
    emails.add_secondary(me, "taken@chu.fr", "professional")
    with pytest.raises(emails.EmailError, match="déjà rattachée à un autre compte"):
        emails.validate(_validation_token(outbox, "taken@chu.fr"))
    with transaction() as session:
        rows = session.exec(select(UserEmail.user_id).where(UserEmail.email == "taken@chu.fr")).all()
    assert rows == [owner]
    assert [e.email for e in emails.list_emails(me)] == ["main@chu.fr"]  # the pending row is gone
    auth.request_sign_in("taken@chu.fr")
    auth.wait_for_sign_in_mails()
    [link] = links_for(outbox, "taken@chu.fr")
    assert auth.resolve_session(auth.consume_sign_in_link(token_of(link))).user_id == owner
