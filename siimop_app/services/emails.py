"""Secondary e-mail addresses (SPEC §8): a user adds personal or professional addresses, each proven by a
link sent to it; any validated address then signs them in. The main address only changes through a manager.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

import sqlalchemy as sa
from sqlmodel import select

from siimop_app import routes
from siimop_app.db import transaction
from siimop_app.domain.errors import UserError
from siimop_app.models import EmailKind, PendingEmail, UserEmail, utcnow
from siimop_app.services import audit, mail, outbox
from siimop_app.services.auth import SignedInUser, new_secret, split_token, valid_email, verify_secret
from siimop_app.settings import get_settings

log = logging.getLogger(__name__)

VALIDATION_HOURS = 24
MAX_SECONDARY = 5
SECONDARY_KINDS = {EmailKind.PERSONAL.value: "Personnelle", EmailKind.PROFESSIONAL.value: "Professionnelle"}
RATE_LIMITED = ("Trop de messages de validation ont été demandés récemment : réessayez plus tard "
                "(ou suivez le lien déjà reçu).")
ADDRESS_TAKEN = ("Cette adresse est déjà rattachée à un autre compte SiiMOP : elle n'a pas été ajoutée. Connectez-vous "
                 "avec elle pour utiliser ce compte, ou écrivez à l'assistance si vous pensez que c'est une erreur.")
LINK_INVALID = "Ce lien de validation n'est pas valide : il a déjà été utilisé ou a expiré. Ajoutez l'adresse à nouveau."


class EmailError(UserError, ValueError):
    """An address change that cannot be made; the message is for the user, in French."""


def _send_validation(session, user: SignedInUser, link_row: PendingEmail, secret: str) -> None:
    link = get_settings().base_url + routes.EMAIL_VALIDATION.link(token=f"{link_row.id}.{secret}")
    outbox.enqueue(session, mail.build_message(
        to=link_row.email,
        subject="Validez votre adresse e-mail sur SiiMOP Appariement",
        text=(f"Bonjour {user.first_name} {user.last_name},\n\nPour ajouter cette adresse à votre compte SiiMOP "
              f"Appariement, suivez ce lien (valable {VALIDATION_HOURS} heures) :\n\n{link}\n\n"
              "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : l'adresse ne sera pas ajoutée.\n"),
    ), kind="validation")
    if not get_settings().smtp_url:
        print(f"[SiiMOP] Lien de validation pour {link_row.email} : {link}", flush=True)


def _live_pending(user_id: int, now: dt.datetime):
    return (select(PendingEmail).where(PendingEmail.user_id == user_id, PendingEmail.used_at.is_(None),
                                       PendingEmail.expires_at > now)
            .order_by(PendingEmail.id))


def add_secondary(user: SignedInUser, raw_address: str, kind: str) -> None:
    """Record a pending secondary address and mail it a validation link.

    Nothing here depends on whether another account owns the address: the same pending row, the same mail, the
    same limits and the same answer, so the form cannot tell which addresses have accounts. The conflict is
    decided by ``validate`` when the address's owner follows the link. Validation mails are rate-limited per
    user and per target address, so the form cannot be used to flood a stranger's mailbox.
    """
    try:
        address = valid_email(raw_address)
    except ValueError as invalid:
        raise EmailError(str(invalid)) from None
    if kind not in SECONDARY_KINDS:
        raise EmailError("Choisissez le type d'adresse : personnelle ou professionnelle.")
    settings = get_settings()
    now = utcnow()
    since = now - dt.timedelta(minutes=settings.validation_rate_window_minutes)
    with transaction() as session:
        # Only the user's own addresses are looked at (they see them in their list anyway).
        mine = session.exec(select(UserEmail).where(UserEmail.user_id == user.user_id)).all()
        if any(row.email == address for row in mine):
            raise EmailError("Cette adresse fait déjà partie de vos adresses validées.")
        pending = {row.email for row in session.exec(_live_pending(user.user_id, now)).all()}
        secondary = sum(1 for row in mine if row.kind != EmailKind.MAIN.value)
        if address not in pending and secondary + len(pending) >= MAX_SECONDARY:
            raise EmailError(f"Vous avez déjà {MAX_SECONDARY} adresses secondaires : supprimez-en une d'abord.")
        recent = select(sa.func.count()).select_from(PendingEmail).where(PendingEmail.created_at >= since)
        by_user = session.exec(recent.where(PendingEmail.user_id == user.user_id)).one()
        by_address = session.exec(recent.where(PendingEmail.email == address)).one()
        if by_user >= settings.validation_mails_per_user or by_address >= settings.validation_mails_per_address:
            log.warning("validation mail rate limit for user %s (%s sent, %s to this address): no mail",
                        user.user_id, by_user, by_address)
            raise EmailError(RATE_LIMITED)
        # A new link replaces the user's earlier one for this address (the row stays for the rate limits).
        session.execute(sa.update(PendingEmail)
                        .where(PendingEmail.user_id == user.user_id, PendingEmail.email == address,
                               PendingEmail.used_at.is_(None))
                        .values(used_at=now))
        secret, secret_hash = new_secret()
        row = PendingEmail(user_id=user.user_id, email=address, kind=kind, secret_hash=secret_hash, created_at=now,
                           expires_at=now + dt.timedelta(hours=VALIDATION_HOURS))
        session.add(row)
        session.flush()
        _send_validation(session, user, row, secret)
        audit.record(session, actor_user_id=user.user_id, action="email.add", entity="pending_email", entity_id=row.id,
                     after={"email": address, "kind": kind})


def validate(token_value: str) -> str:
    """Use a validation link once; returns the validated address, or raises EmailError.

    Whoever follows the link owns the address, so telling them it already belongs to another account is no leak.
    """
    parsed = split_token(token_value)
    if parsed is None:
        raise EmailError(LINK_INVALID)
    link_id, secret = parsed
    now = utcnow()
    with transaction() as session:
        link = session.get(PendingEmail, link_id)
        if link is None or not verify_secret(secret, link.secret_hash):
            raise EmailError(LINK_INVALID)
        claimed = session.execute(
            sa.update(PendingEmail)
            .where(PendingEmail.id == link_id, PendingEmail.used_at.is_(None), PendingEmail.expires_at > now)
            .values(used_at=now)
        ).rowcount
        if claimed != 1:
            raise EmailError(LINK_INVALID)
        owner = session.exec(select(UserEmail).where(UserEmail.email == link.email)).first()
        if owner is not None and owner.user_id == link.user_id:
            return owner.email  # already validated through another link: nothing to do
        if owner is not None:
            log.info("pending address %s of user %s belongs to user %s: not added", link.id, link.user_id,
                     owner.user_id)
            audit.record(session, actor_user_id=link.user_id, action="email.conflict", entity="pending_email",
                         entity_id=link.id, after={"owner_user_id": owner.user_id})
            # The link is spent (committed), so it cannot be retried; the message goes to the address's owner.
            raise_after_commit = EmailError(ADDRESS_TAKEN)
        else:
            secondary = session.exec(select(sa.func.count()).select_from(UserEmail).where(
                UserEmail.user_id == link.user_id, UserEmail.kind != EmailKind.MAIN.value)).one()
            if secondary >= MAX_SECONDARY:
                raise EmailError(f"Ce compte a déjà {MAX_SECONDARY} adresses secondaires : supprimez-en une "
                                 "depuis « Mon profil », puis ajoutez l'adresse à nouveau.")
            row = UserEmail(user_id=link.user_id, email=link.email, kind=link.kind, validated_at=now)
            session.add(row)
            session.flush()
            audit.record(session, actor_user_id=link.user_id, action="email.validate", entity="user_email",
                         entity_id=row.id, after={"email": row.email, "kind": row.kind})
            return row.email
    raise raise_after_commit


def remove_secondary(user: SignedInUser, email_id: int) -> None:
    with transaction() as session:
        row = session.get(UserEmail, email_id)
        if row is None or row.user_id != user.user_id:
            raise EmailError("Cette adresse ne fait pas partie de vos adresses.")
        if row.kind == EmailKind.MAIN.value:
            raise EmailError("L'adresse principale ne peut être modifiée que par un gestionnaire Scolarité ou ARS.")
        audit.record(session, actor_user_id=user.user_id, action="email.remove", entity="user_email",
                     entity_id=row.id, before={"email": row.email, "kind": row.kind})
        session.delete(row)


def withdraw_pending(user: SignedInUser, pending_id: int) -> None:
    """Cancel an address still waiting for its link: the link dies, the row stays for the rate limits."""
    now = utcnow()
    with transaction() as session:
        row = session.get(PendingEmail, pending_id)
        if row is None or row.user_id != user.user_id or row.used_at is not None:
            raise EmailError("Cette adresse ne fait pas partie de vos adresses.")
        row.used_at = now
        session.add(row)
        audit.record(session, actor_user_id=user.user_id, action="email.withdraw", entity="pending_email",
                     entity_id=row.id, before={"email": row.email, "kind": row.kind})


@dataclasses.dataclass(frozen=True)
class EmailLine:
    """One of the user's addresses as "Mes adresses email" shows it. ``id`` is a ``UserEmail``'s, or a
    ``PendingEmail``'s when ``pending`` (removed with ``withdraw_pending``)."""

    id: int
    email: str
    kind: str  # its French label ("Principale", …)
    main: bool
    pending: bool
    validated: bool
    status: str  # "Validée" or "En attente de validation"


def list_emails(user: SignedInUser) -> list[EmailLine]:
    """The user's addresses, then those waiting for their link."""
    labels = {EmailKind.MAIN.value: "Principale", **SECONDARY_KINDS}
    with transaction() as session:
        rows = session.exec(select(UserEmail).where(UserEmail.user_id == user.user_id).order_by(UserEmail.id)).all()
        pending = session.exec(_live_pending(user.user_id, utcnow())).all()
    return [
        EmailLine(id=row.id, email=row.email, kind=labels.get(row.kind, row.kind), main=row.kind == EmailKind.MAIN.value,
                  pending=False, validated=row.validated_at is not None,
                  status="Validée" if row.validated_at else "En attente de validation")
        for row in rows
    ] + [
        EmailLine(id=row.id, email=row.email, kind=labels.get(row.kind, row.kind), main=False, pending=True,
                  validated=False, status="En attente de validation")
        for row in pending
    ]
