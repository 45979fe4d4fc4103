"""Passwordless sign-in (SPEC §8): single-use links by e-mail, sessions, sign-out.

- A link is ``/connexion/jeton/<id>.<secret>``; only a passlib hash of the secret is
  stored, so a database leak gives no usable link.
- Any validated address of an active user works. An unknown, unvalidated or
  rate-limited address gets exactly the same answer, at the same speed (the lookup
  and the mail happen in a background worker), and no mail (no account
  enumeration); the reason is only in the log.
- A link is valid ``sign_in_link_minutes`` (30) and works once: it is marked used by
  a conditional UPDATE, so two tabs racing on the same link cannot both sign in.
- A session cookie holds ``<id>.<secret>``; sessions expire after ``session_hours``.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import hashlib
import hmac
import logging
import secrets

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from passlib.hash import pbkdf2_sha256
from sqlmodel import Session, select

from siimop_app import routes
from siimop_app.db import hot, read_rows, transaction
from siimop_app.domain.errors import UserError
from siimop_app.domain.roles import Role
from siimop_app.models import RoleGrant, SignInToken, User, UserEmail, UserSession, utcnow
from siimop_app.services import audit, calendar, mail, outbox
from siimop_app.settings import get_settings
from siimop_app.validation import UserInputError, log_safe, parse_int

log = logging.getLogger(__name__)

SIGN_IN_SENT_MESSAGE = (
    "Un message contenant un jeton de connexion a été envoyé. "
    "Veuillez également vérifier vos messages indésirables."
)
LINK_INVALID_MESSAGE = (
    "Ce lien de connexion n'est pas valide : il a déjà été utilisé ou a expiré (il n'est valable que 30 minutes). "
    "Demandez un nouveau lien."
)
_HASHER = pbkdf2_sha256.using(rounds=10000)


class SignInError(UserError):
    """A sign-in link that cannot be used; the message is for the user, in French."""


@dataclasses.dataclass(frozen=True)
class SignedInUser:
    user_id: int
    first_name: str
    last_name: str
    email: str
    roles: tuple[str, ...]

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name.upper()}"


INVALID_EMAIL = "Veuillez saisir une seule adresse e-mail valide (par exemple prenom.nom@chu.fr)."


def normalize_email(raw: str) -> str:
    return raw.strip().lower()


def valid_email(raw: object) -> str:
    """The one strict check of an address typed by someone: a single, well-formed address (``email-validator``,
    no DNS lookup), normalised to lower case; else ValueError with a French message. Lists, display names and
    CR/LF (header injection) are refused."""
    if not isinstance(raw, str) or len(raw) > 254:
        raise UserInputError(INVALID_EMAIL)
    text = raw.strip()
    if any(ch in text for ch in ",;<>\r\n\t ") or text.count("@") != 1:
        raise UserInputError(INVALID_EMAIL)
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise UserInputError(INVALID_EMAIL) from None


def looks_like_email(address: str) -> bool:
    try:
        valid_email(address)
    except ValueError:
        return False
    return True


# One background worker sends sign-in mails: the request returns at once, and the same way for a known and an
# unknown address (no timing difference for an attacker to measure, and a slow SMTP server never delays a page).
_MAIL_WORKER = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="siimop-sign-in-mail")


def _dispatch(job, *args) -> None:
    """Run ``job`` in the background worker (tests replace this to run it inline)."""
    _MAIL_WORKER.submit(_logged, job, *args)


def wait_for_sign_in_mails() -> None:
    """Block until every sign-in mail asked for so far has been handed over (command-line tools, benchmarks)."""
    _MAIL_WORKER.submit(lambda: None).result()
    outbox.wait_until_sent()


def _logged(job, *args) -> None:
    try:
        job(*args)
    except Exception:  # the user already has their answer; the operator needs the reason
        log.exception("background sign-in job failed")


def request_sign_in(raw_email: str) -> str:
    """Send a sign-in link if the address belongs to someone; always return the same French answer at once.

    The request path does the same work for every well-formed address (validate, hand over to the background
    worker); the lookup, rate limit, token and mail happen in ``_send_sign_in_link``.
    """
    _dispatch(_send_sign_in_link, valid_email(raw_email))
    return SIGN_IN_SENT_MESSAGE


def _send_sign_in_link(address: str) -> None:
    settings = get_settings()
    now = utcnow()
    with transaction() as session:
        row = session.exec(
            select(UserEmail, User)
            .join(User, User.id == UserEmail.user_id)
            .where(UserEmail.email == address)
        ).first()
        if row is None or row[0].validated_at is None or not row[1].is_active:
            _HASHER.hash("siimop-dummy-secret")  # the same hashing work as a real link
            log.info("sign-in requested for unknown or unvalidated address %s: no link sent", log_safe(address))
            return
        user_email, user = row
        window_start = now - dt.timedelta(minutes=settings.sign_in_rate_window_minutes)
        recent = session.exec(
            select(sa.func.count())
            .select_from(SignInToken)
            .where(SignInToken.user_id == user.id, SignInToken.created_at >= window_start)
        ).one()
        if recent >= settings.sign_in_requests_per_window:
            log.warning("sign-in rate limit reached for user %s (%s links in %s min): no link sent",
                        user.id, recent, settings.sign_in_rate_window_minutes)
            return
        secret = secrets.token_urlsafe(32)
        token = SignInToken(
            user_id=user.id,
            email_id=user_email.id,
            secret_hash=_HASHER.hash(secret),
            created_at=now,
            expires_at=now + dt.timedelta(minutes=settings.sign_in_link_minutes),
        )
        session.add(token)
        session.flush()
        link = settings.base_url + routes.SIGN_IN_LINK.link(token=f"{token.id}.{secret}")
        message = mail.build_message(
            to=address,
            subject="Votre lien de connexion à SiiMOP Appariement",
            text=(
                f"Bonjour {user.first_name} {user.last_name},\n\n"
                "Vous avez demandé à recevoir un lien de connexion à SiiMOP Appariement. "
                "Pour vous connecter, merci de suivre le lien suivant :\n\n"
                f"{link}\n\n"
                f"Ce lien n'est valide que {settings.sign_in_link_minutes} minutes et ne peut être utilisé "
                "qu'une seule fois. Si vous n'êtes pas à l'origine de cette demande, merci d'ignorer cet e-mail.\n"
            ),
        )
        # Queued in the token's transaction: the link leaves once, even if SMTP is down right now (the outbox retries).
        outbox.enqueue(session, message, kind="sign_in")
    if not settings.smtp_url:
        # Development: no mail server, so the operator reads the link on the console.
        print(f"[SiiMOP] Lien de connexion pour {address} : {link}", flush=True)


def new_secret() -> tuple[str, str]:
    """A random link secret and the only thing stored of it: its passlib hash."""
    secret = secrets.token_urlsafe(32)
    return secret, _HASHER.hash(secret)


def verify_secret(secret: str, stored_hash: str) -> bool:
    return _HASHER.verify(secret, stored_hash)


def split_token(value: str) -> tuple[int, str] | None:
    """``<id>.<secret>`` → (id, secret), or None when malformed."""
    return _split(value)


def _split(value: str) -> tuple[int, str] | None:
    ident, _, secret = (value if isinstance(value, str) else "").partition(".")
    number = parse_int(ident, lo=1)
    if number is None or not secret or len(secret) > 200:
        return None
    return number, secret


def consume_sign_in_link(token_value: str) -> str:
    """Use a link once: return a new session cookie value, or raise SignInError."""
    settings = get_settings()
    parsed = _split(token_value)
    if parsed is None:
        raise SignInError(LINK_INVALID_MESSAGE)
    token_id, secret = parsed
    now = utcnow()
    with transaction() as session:
        token = session.get(SignInToken, token_id)
        if token is None or not _HASHER.verify(secret, token.secret_hash):
            log.warning("sign-in link %s: unknown id or wrong secret ", token_id)
            raise SignInError(LINK_INVALID_MESSAGE)
        claimed = session.execute(
            sa.update(SignInToken)
            .where(SignInToken.id == token_id, SignInToken.used_at.is_(None), SignInToken.expires_at > now)
            .values(used_at=now)
        ).rowcount
        if claimed != 1:
            log.warning("sign-in link %s refused: already used or expired", token_id)
            raise SignInError(LINK_INVALID_MESSAGE)
        user = session.get(User, token.user_id)
        if user is None or not user.is_active:
            raise SignInError(LINK_INVALID_MESSAGE)
        session_secret = secrets.token_urlsafe(32)
        user_session = UserSession(
            user_id=user.id,
            secret_sha256=hashlib.sha256(session_secret.encode()).hexdigest(),
            created_at=now,
            expires_at=now + dt.timedelta(hours=settings.session_hours),
        )
        session.add(user_session)
        user.last_login_at = now
        session.add(user)
        session.flush()
        audit.record(session, actor_user_id=user.id, action="sign_in", entity="user", entity_id=user.id,
                     after={"email_id": token.email_id})
        return f"{user_session.id}.{session_secret}"


def _roles(session: Session, user_id: int) -> tuple[str, ...]:
    held = set(session.exec(select(RoleGrant.role).where(RoleGrant.user_id == user_id)).all())
    return tuple(role for role in Role if role in held)  # in Role's order: student first


# Built once with a bind parameter: every event of every page runs it (issue 13).
_SESSIONS, _USERS, _EMAILS, _GRANTS = (model.__table__ for model in (UserSession, User, UserEmail, RoleGrant))
_MAIN_EMAIL = (
    sa.select(_EMAILS.c.email).where(_EMAILS.c.user_id == _USERS.c.id)
    .order_by((_EMAILS.c.kind != "main"), _EMAILS.c.id).limit(1)
    .correlate(_USERS).scalar_subquery()
)
_SESSION_AND_USER = hot(
    sa.select(_SESSIONS.c.secret_sha256, _SESSIONS.c.revoked_at, _SESSIONS.c.expires_at, _USERS.c.id,
              _USERS.c.first_name, _USERS.c.last_name, _USERS.c.is_active, _MAIN_EMAIL, _GRANTS.c.role,
              calendar.VERSION)
    .select_from(_SESSIONS)
    .join(_USERS, _USERS.c.id == _SESSIONS.c.user_id)
    .outerjoin(_GRANTS, _GRANTS.c.user_id == _USERS.c.id)
    .where(_SESSIONS.c.id == sa.bindparam("session_id"))
)


def resolve_session(cookie_value: str) -> SignedInUser | None:
    """The user behind a session cookie, or None if it is unknown, expired, revoked or the user is disabled.

    Every event of every page asks this, so it is one query (issue 13: it was three, ~15 % of a move): the
    session, its user, the main address and one row per role grant. Never cached: a sign-out, a disabled
    account or a role withdrawn counts from the very next event, on every worker. The same statement reads the
    calendar's version, so the event reads the calendar itself only if it changed (``calendar.saw_version``).
    """
    parsed = _split(cookie_value)
    if parsed is None:
        return None
    session_id, secret = parsed
    rows = read_rows(_SESSION_AND_USER, {"session_id": session_id})
    if not rows:
        return None
    secret_sha256, revoked_at, expires_at, user_id, first_name, last_name, is_active, email, _, version = rows[0]
    calendar.saw_version(version)
    if (
        not hmac.compare_digest(hashlib.sha256(secret.encode()).hexdigest(), secret_sha256)
        or revoked_at is not None
        or expires_at <= utcnow()
        or not is_active
    ):
        return None
    held = {row.role for row in rows}
    return SignedInUser(user_id=user_id, first_name=first_name, last_name=last_name, email=email or "",
                        roles=tuple(role for role in Role if role in held))


def sign_out(cookie_value: str) -> None:
    parsed = _split(cookie_value)
    if parsed is None:
        return
    session_id, secret = parsed
    with transaction() as session:
        user_session = session.get(UserSession, session_id)
        if user_session is None or user_session.revoked_at is not None:
            return
        if not hmac.compare_digest(hashlib.sha256(secret.encode()).hexdigest(), user_session.secret_sha256):
            return
        user_session.revoked_at = utcnow()
        session.add(user_session)
        audit.record(session, actor_user_id=user_session.user_id, action="sign_out", entity="user",
                     entity_id=user_session.user_id)
