"""Files, audit trail, sign-in secrets and support tickets."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from siimop_app.models._base import utcnow


class DocumentKind(str, enum.Enum):
    CV = "cv"
    COVER_LETTER = "cover_letter"
    TRAINING_CONTRACT = "training_contract"
    POST_DESCRIPTION = "post_description"
    TICKET_ATTACHMENT = "ticket_attachment"


class Document(SQLModel, table=True):
    """A private file. The bytes live under the documents folder (never the public upload folder)."""

    __table_args__ = (Index("ix_document_owner_kind", "owner_user_id", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    # None only for the attachment of a ticket opened signed out (its reader is whoever holds the ticket's link).
    owner_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    kind: str = Field(max_length=30)
    filename: str = Field(max_length=255)
    content_type: str = Field(default="application/pdf", max_length=100)
    size_bytes: int = 0
    sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=255, unique=True)
    uploaded_at: dt.datetime = Field(default_factory=utcnow)


class AuditEntry(SQLModel, table=True):
    """Who changed what, when: one row per change, with the values before and after (JSON)."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, index=True)
    actor_user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    action: str = Field(max_length=60)
    entity: str = Field(max_length=40)
    entity_id: int | None = None
    before_json: str | None = None
    after_json: str | None = None


class SignInToken(SQLModel, table=True):
    """A single-use sign-in link. Only a passlib hash of its secret is stored."""

    __tablename__ = "sign_in_token"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    email_id: int = Field(foreign_key="user_email.id")
    secret_hash: str = Field(max_length=255)
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
    expires_at: dt.datetime
    used_at: dt.datetime | None = None


class PendingEmail(SQLModel, table=True):
    """A secondary address a user asked to add, with the link that proves it (only a passlib hash of its secret).

    Kept apart from ``UserEmail`` so that asking for any address writes the same row whether or not another
    account owns it (no account enumeration); the conflict is decided when the link is followed. Rows stay after
    use (``used_at``) because the validation-mail rate limits count them."""

    __tablename__ = "pending_email"
    __table_args__ = (
        CheckConstraint("kind IN ('personal', 'professional')", name="ck_pending_email_kind"),
    )
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    email: str = Field(max_length=254, index=True)
    kind: str = Field(max_length=20)
    secret_hash: str = Field(max_length=255)
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
    expires_at: dt.datetime
    used_at: dt.datetime | None = None


class UserSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds ``id.secret``; only a SHA-256 of the secret is stored
    (a fast hash is right here: the secret is 256 random bits, checked on every page)."""

    __tablename__ = "user_session"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    secret_sha256: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow)
    expires_at: dt.datetime
    revoked_at: dt.datetime | None = None


TICKET_STATUSES = ("new", "in_progress", "waiting_user", "resolved")


class SupportTicket(SQLModel, table=True):
    """An "assistance" request; it goes to the managers of the user's subdivision.

    A ticket opened signed out reaches nobody until its requester opens the link mailed to them
    (``confirmed_at``). Only a passlib hash of that private link's secret is stored.
    """

    __tablename__ = "support_ticket"
    __table_args__ = (
        CheckConstraint("status IN ('new', 'in_progress', 'waiting_user', 'resolved')", name="ck_ticket_status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    full_name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    requester_status: str = Field(max_length=60)  # "Praticien hospitalier", "Étudiant"...
    university: str = Field(default="", max_length=120)
    problem_type: str = Field(max_length=120)
    subject: str = Field(max_length=200)
    description: str
    attachment_document_id: int | None = Field(default=None, foreign_key="document.id")
    subdivision_id: int | None = Field(default=None, foreign_key="subdivision.id", index=True)
    status: str = Field(default="new", max_length=20)
    follow_secret_hash: str | None = Field(default=None, max_length=255)
    confirmed_at: dt.datetime | None = None
    requester_ip_sha256: str | None = Field(default=None, max_length=64)  # rate limit of signed-out tickets
    assigned_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    escalated_at: dt.datetime | None = None
    first_answer_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


class SupportMessage(SQLModel, table=True):
    """One message of a ticket's thread: the requester's or a manager's reply, or a managers' internal note."""

    __tablename__ = "support_message"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="support_ticket.id", index=True)
    at: dt.datetime = Field(default_factory=utcnow)
    author_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    from_requester: bool = False
    internal: bool = False  # a note between managers, never shown to the requester
    body: str


class Reminder(SQLModel, table=True):
    """A reminder e-mail sent from the dry-run page (issue 15). The unique key is the rule "each person at
    most once per day" (Paris day), enforced by the database whatever page or process sends."""

    __table_args__ = (
        UniqueConstraint("user_id", "day", name="uq_reminder_user_day"),
        CheckConstraint("kind IN ('ranking', 'wishes')", name="ck_reminder_kind"),
    )
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    day: dt.date
    kind: str = Field(max_length=10)  # "ranking": a supervisor's ranking; "wishes": a student's list
    round_id: int = Field(foreign_key="matching_round.id", index=True)
    sent_by_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    sent_at: dt.datetime = Field(default_factory=utcnow)


class OutboxMail(SQLModel, table=True):
    """A mail waiting to leave (issue 13): written in the transaction of the action that causes it, so a mail is
    never lost when SMTP is down and never sent for an action that was rolled back. The sender claims a row by a
    conditional UPDATE (``pending`` → ``sending``), so two workers never send the same one."""

    __tablename__ = "outbox_mail"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="ck_outbox_mail_status"),
        Index("ix_outbox_mail_due", "status", "next_attempt_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # sign_in, result, reminder, validation, receipt, support: for the counts
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=255)
    message: str  # the whole RFC 5322 message, as built when the action happened
    status: str = Field(default="pending", max_length=10)
    attempts: int = 0
    created_at: dt.datetime = Field(default_factory=utcnow)
    next_attempt_at: dt.datetime = Field(default_factory=utcnow)
    claimed_at: dt.datetime | None = None
    sent_at: dt.datetime | None = None
    last_error: str | None = Field(default=None, max_length=500)
