"""The mail outbox (issue 13): mail that is never lost and never sent twice.

* **Written with the action.** ``enqueue`` adds an ``outbox_mail`` row in the caller's transaction: a sign-in
  link and its token, a round marked notified and its result mails, a reminder and its row, all commit or roll
  back together. SMTP being down never fails (nor slows) the action.
* **Sent by a sender** that claims each row by a conditional UPDATE (``pending`` → ``sending``): on SQLite and
  PostgreSQL only one of several workers gets ``rowcount == 1``, so two workers never send the same mail. Each
  process runs one sender thread, woken after every commit that queued a mail and every ``POLL_SECONDS``.
* **Retries with exponential back-off** (``BACKOFF_SECONDS`` doubled each attempt, capped at ``BACKOFF_CAP``)
  while SMTP refuses; after ``SIIMOP_MAIL_MAX_ATTEMPTS`` the row is ``failed`` (counted for managers, logged).
  During an outage a pass stops at the first failure, so a dead server costs one connection per pass.
* A row left ``sending`` by a process that died mid-send is taken back after ``LEASE``: that mail may then
  leave twice (the SMTP server took it but the process died before marking it) — the only duplicate possible,
  and better than a mail lost.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.message
import logging
import os
import threading
import time

import sqlalchemy as sa
from sqlmodel import Session, select

from siimop_app.db import transaction
from siimop_app.domain.roles import MANAGER_ROLES, Role
from siimop_app.models import OutboxMail, utcnow
from siimop_app.services import audit, mail
from siimop_app.settings import get_settings

log = logging.getLogger(__name__)

POLL_SECONDS = 10.0
BACKOFF_SECONDS = 30.0
BACKOFF_CAP = 3600.0
LEASE = dt.timedelta(minutes=5)
BATCH = 200


def max_attempts() -> int:
    return int(os.environ.get("SIIMOP_MAIL_MAX_ATTEMPTS", "").strip() or "12")


def backoff(attempts: int) -> dt.timedelta:
    """Wait before attempt ``attempts + 1``: 30 s, 1 min, 2 min, … up to an hour (12 attempts ≈ 9 hours)."""
    return dt.timedelta(seconds=min(BACKOFF_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_CAP))


def enqueue(session: Session, message: email.message.EmailMessage, *, kind: str) -> OutboxMail:
    """Queue ``message`` in ``session``'s transaction; the sender is woken once it commits."""
    row = OutboxMail(kind=kind, to_address=str(message["To"])[:254], subject=str(message["Subject"])[:255],
                     message=message.as_string())
    session.add(row)
    if not session.info.get("siimop_outbox_wake"):
        session.info["siimop_outbox_wake"] = True
        sa.event.listen(session, "after_commit", lambda _s: _wake(), once=True)
    return row


# The sender's statements on one row, built once with bind parameters: every mail runs them (a save on Mes vœux
# queues a receipt), and building the statement cost more than running it (issue 13).
_OUTBOX = OutboxMail.__table__
_CLAIM = (sa.update(_OUTBOX)
          .where(_OUTBOX.c.id == sa.bindparam("row_id"), _OUTBOX.c.status == "pending",
                 _OUTBOX.c.next_attempt_at <= sa.bindparam("now"))
          .values(status="sending", claimed_at=sa.bindparam("claimed_at")))
_MARK_SENT = (sa.update(_OUTBOX).where(_OUTBOX.c.id == sa.bindparam("row_id"))
              .values(status="sent", sent_at=sa.bindparam("sent_at"), attempts=sa.bindparam("attempts"),
                      last_error=None, message=""))  # the text of a sent mail (a sign-in link) is not kept


def _claim(row_id: int, now: dt.datetime) -> bool:
    with transaction() as session:
        return session.execute(_CLAIM, {"row_id": row_id, "now": now, "claimed_at": utcnow()}).rowcount == 1


def deliver_due(*, now: dt.datetime | None = None) -> int:
    """Send the mails that are due at ``now`` (tests move it forward), each claimed first, in batches until none is
    left; returns how many left. Stops at the first failure (SMTP down: the rest wait for the next pass)."""
    now = now or utcnow()
    sent = 0
    while True:
        batch, failed, full = _deliver_batch(now)
        sent += batch
        if failed or not full:  # a batch smaller than BATCH was all that was due: no need to ask again
            return sent


def _deliver_batch(now: dt.datetime) -> tuple[int, bool, bool]:
    """One batch: how many left, whether SMTP failed, and whether the batch was full (more may be due)."""
    with transaction() as session:
        # A sender that died mid-send left its claim: after the lease the mail is someone else's to send.
        session.execute(sa.update(OutboxMail)
                        .where(OutboxMail.status == "sending", OutboxMail.claimed_at < utcnow() - LEASE)
                        .values(status="pending"))
        due = session.exec(select(OutboxMail.id, OutboxMail.message, OutboxMail.attempts, OutboxMail.kind,
                                  OutboxMail.created_at, OutboxMail.to_address, OutboxMail.subject)
                           .where(OutboxMail.status == "pending", OutboxMail.next_attempt_at <= now)
                           # A sign-in link is awaited by someone at their screen: it goes before the thousands of
                           # result mails a publication queues.
                           .order_by(sa.case((OutboxMail.kind == "sign_in", 0), else_=1), OutboxMail.next_attempt_at,
                                     OutboxMail.id).limit(BATCH)).all()
    sent = 0
    full = len(due) == BATCH
    link_expired = now - dt.timedelta(minutes=get_settings().sign_in_link_minutes)
    with mail.Sender() as sender:  # one SMTP connection for the batch
        for row_id, text, attempts, kind, created_at, to_address, subject in due:
            if not _claim(row_id, now):
                continue  # another worker has it
            if kind == "sign_in" and created_at < link_expired:
                # SMTP was down longer than the link lives: a dead link is no help, the person asks for a new one.
                _failed(row_id, max_attempts(), RuntimeError("lien de connexion expiré avant de pouvoir partir"))
                continue
            try:
                sender.send_stored(text, to=to_address, subject=subject)
            except Exception as exc:  # SMTP down or refusing: try again later, the mail stays queued
                _failed(row_id, attempts + 1, exc)
                return sent, True, full
            with transaction() as session:
                session.execute(_MARK_SENT, {"row_id": row_id, "sent_at": utcnow(), "attempts": attempts + 1})
            sent += 1
    return sent, False, full


def _failed(row_id: int, attempts: int, exc: Exception) -> None:
    final = attempts >= max_attempts()
    reason = f"{type(exc).__name__}: {exc}"[:500]
    with transaction() as session:
        session.execute(sa.update(OutboxMail).where(OutboxMail.id == row_id).values(
            status="failed" if final else "pending", attempts=attempts, last_error=reason,
            next_attempt_at=utcnow() + backoff(attempts), claimed_at=None))
    if final:
        log.error("mail %s given up after %s attempts: %s", row_id, attempts, reason)
    else:
        log.warning("mail %s not sent (attempt %s, next in %s): %s", row_id, attempts, backoff(attempts), reason)


@dataclasses.dataclass(frozen=True)
class Counts:
    pending: int  # waiting or being sent
    sent: int
    failed: int


def counts() -> Counts:
    with transaction() as session:
        by_status = dict(session.exec(select(OutboxMail.status, sa.func.count()).group_by(OutboxMail.status)).all())
    return Counts(pending=by_status.get("pending", 0) + by_status.get("sending", 0),
                  sent=by_status.get("sent", 0), failed=by_status.get("failed", 0))


def status_line(user) -> str:
    """What managers read on the rounds page: is the mail of their rounds leaving?"""
    from siimop_app.services.access import require_role  # here: access → auth → outbox would be a cycle

    require_role(user, *MANAGER_ROLES)
    c = counts()
    text = f"E-mails : {c.pending} en attente d'envoi, {c.sent} envoyé(s), {c.failed} en échec."
    if c.failed:
        text += " Les e-mails en échec n'ont pas pu partir malgré plusieurs essais : " + (
            "une fois le serveur d'envoi vérifié, renvoyez-les." if Role.ADMIN in user.roles
            else "prévenez l'exploitant.")
    return text


def retry_failed(user) -> int:
    """The operator fixed the mail server: the mails given up go back in the queue, due now, with their attempts
    counted again (admins only: the queue holds every region's mail). Sign-in links are left out, since they
    have expired by then (the person asks for a new one). Audited; returns how many were queued again."""
    from siimop_app.services.access import require_role

    require_role(user, Role.ADMIN)
    with transaction() as session:
        queued = session.execute(
            sa.update(OutboxMail).where(OutboxMail.status == "failed", OutboxMail.kind != "sign_in")
            .values(status="pending", attempts=0, next_attempt_at=utcnow(), claimed_at=None)).rowcount
        if queued:
            audit.record(session, actor_user_id=user.user_id, action="outbox.retry_failed", entity="outbox_mail",
                         entity_id=None, after={"queued": queued})
            sa.event.listen(session, "after_commit", lambda _s: _wake(), once=True)
    return queued


def next_due() -> dt.datetime | None:
    with transaction() as session:
        return session.exec(select(sa.func.min(OutboxMail.next_attempt_at))
                            .where(OutboxMail.status == "pending")).one()


def wait_until_sent(timeout: float = 15.0) -> None:
    """Deliver what is due and wait until nothing due is left waiting or being sent (command-line tools,
    benchmarks): the sender thread may have claimed a mail first, and it is only written once it has left."""
    deadline = time.monotonic() + timeout
    while True:
        deliver_due()
        with transaction() as session:
            busy = session.exec(select(sa.func.count()).select_from(OutboxMail).where(
                sa.or_(OutboxMail.status == "sending",
                       sa.and_(OutboxMail.status == "pending", OutboxMail.next_attempt_at <= utcnow())))).one()
        if not busy or time.monotonic() > deadline:
            return
        time.sleep(0.05)


# One sender thread per process, started on first need (the app starts it at boot).
_WAKE = threading.Event()
_STOP = threading.Event()
_STARTED = threading.Lock()
_thread: threading.Thread | None = None


def _loop() -> None:
    while not _STOP.is_set():
        _WAKE.clear()
        try:
            deliver_due()
            upcoming = next_due()
        except Exception:  # the database may be restarting: keep the thread alive, try again
            log.exception("mail sender pass failed")
            upcoming = None
        wait = POLL_SECONDS
        if upcoming is not None:
            wait = min(max((upcoming - utcnow()).total_seconds(), 0.05), POLL_SECONDS)
        _WAKE.wait(wait)


def start_sender() -> None:
    global _thread
    with _STARTED:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_loop, name="siimop-mail-sender", daemon=True)
            _thread.start()


def stop_sender(timeout: float = 10.0) -> None:
    """End the sender thread (tests, before the database it reads goes away); the next wake starts a new one."""
    global _thread
    with _STARTED:
        thread, _thread = _thread, None
        if thread is not None:
            _STOP.set()
            _WAKE.set()
            thread.join(timeout)
        _STOP.clear()


def _wake() -> None:
    """After a commit that queued mail (tests replace this to deliver inline)."""
    start_sender()
    _WAKE.set()


def main(argv: list[str] | None = None) -> int:
    """``python -m siimop_app.services.outbox``: send what is due now and print the counts (operators, cron)."""
    del argv
    delivered = deliver_due()
    c = counts()
    print(f"{delivered} envoyé(s) maintenant ; en attente {c.pending}, envoyés {c.sent}, en échec {c.failed}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
