"""Secondary e-mail addresses (SPEC §8): a user adds personal or professional addresses, each proven by a
link sent to it; any validated address then signs them in. The main address only changes through a manager.
"""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import EmailKind, EmailValidation, UserEmail, utcnow
from siimop_app.services import audit, mail, outbox
from siimop_app.services.auth import SignedInUser, new_secret, split_token, valid_email, verify_secret
from siimop_app.settings import get_settings

log = logging.getLogger(__name__)

VALIDATION_HOURS = 24
MAX_SECONDARY = 5
SECONDARY_KINDS = {EmailKind.PERSONAL.value: "Personnelle", EmailKind.PROFESSIONAL.value: "Professionnelle"}
RATE_LIMITED = ("Trop de messages de validation ont été demandés récemment : réessayez plus tard "
                "(ou suivez le lien déjà reçu).")
LINK_INVALID = "Ce lien de validation n'est pas valide : il a déjà été utilisé ou a expiré. Ajoutez l'adresse à nouveau."


class EmailError(ValueError):
    """An address change that cannot be made; the message is for the user, in French."""


def _send_validation(session, user: SignedInUser, row: UserEmail) -> None:
    secret, secret_hash = new_secret()
    now = utcnow()
    link_row = EmailValidation(user_email_id=row.id, secret_hash=secret_hash, created_at=now,
                               expires_at=now + dt.timedelta(hours=VALIDATION_HOURS))
    session.add(link_row)
    session.flush()
    link = f"{get_settings().base_url}/profil/validation/{link_row.id}.{secret}"
    outbox.enqueue(session, mail.build_message(
        to=row.email,
        subject="Validez votre adresse e-mail sur SiiMOP Appariement",
        text=(f"Bonjour {user.first_name} {user.last_name},\n\nPour ajouter cette adresse à votre compte SiiMOP "
              f"Appariement, suivez ce lien (valable {VALIDATION_HOURS} heures) :\n\n{link}\n\n"
              "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : l'adresse ne sera pas ajoutée.\n"),
    ), kind="validation")
    if not get_settings().smtp_url:
        print(f"[SiiMOP] Lien de validation pour {row.email} : {link}", flush=True)


def add_secondary(user: SignedInUser, raw_address: str, kind: str) -> None:
    """Record a pending secondary address and mail it a validation link.

    The answer is the same whether or not the address belongs to another account (no account enumeration: the
    reason is only in the log), and validation mails are rate-limited per user and per target address, so the
    form cannot be used to flood a stranger's mailbox.
    """
    try:
        address = valid_email(raw_address)
    except ValueError as invalid:
        raise EmailError(str(invalid)) from None
    if kind not in SECONDARY_KINDS:
        raise EmailError("Choisissez le type d'adresse : personnelle ou professionnelle.")
    settings = get_settings()
    since = utcnow() - dt.timedelta(minutes=settings.validation_rate_window_minutes)
    with transaction() as session:
        existing = session.exec(select(UserEmail).where(UserEmail.email == address)).first()
        if existing is not None and existing.user_id != user.user_id:
            # Two accounts can't share an address (their histories would merge): nothing happens, silently.
            log.info("user %s asked to add an address of another account: nothing done", user.user_id)
            return
        if existing is not None and existing.validated_at is not None:
            raise EmailError("Cette adresse fait déjà partie de vos adresses validées.")
        count = session.exec(select(sa.func.count()).select_from(UserEmail)
                             .where(UserEmail.user_id == user.user_id, UserEmail.kind != EmailKind.MAIN.value)).one()
        if existing is None and count >= MAX_SECONDARY:
            raise EmailError(f"Vous avez déjà {MAX_SECONDARY} adresses secondaires : supprimez-en une d'abord.")
        recent = select(sa.func.count()).select_from(EmailValidation).join(
            UserEmail, UserEmail.id == EmailValidation.user_email_id).where(EmailValidation.created_at >= since)
        by_user = session.exec(recent.where(UserEmail.user_id == user.user_id)).one()
        by_address = session.exec(recent.where(UserEmail.email == address)).one()
        if by_user >= settings.validation_mails_per_user or by_address >= settings.validation_mails_per_address:
            log.warning("validation mail rate limit for user %s (%s sent, %s to this address): no mail",
                        user.user_id, by_user, by_address)
            raise EmailError(RATE_LIMITED)
        row = existing or UserEmail(user_id=user.user_id, email=address, kind=kind, validated_at=None)
        row.kind = kind
        session.add(row)
        session.flush()
        _send_validation(session, user, row)
        audit.record(session, actor_user_id=user.user_id, action="email.add", entity="user_email", entity_id=row.id,
                     after={"email": address, "kind": kind})


def validate(token_value: str) -> str:
    """Use a validation link once; returns the validated address, or raises EmailError."""
    parsed = split_token(token_value)
    if parsed is None:
        raise EmailError(LINK_INVALID)
    link_id, secret = parsed
    now = utcnow()
    with transaction() as session:
        link = session.get(EmailValidation, link_id)
        if link is None or not verify_secret(secret, link.secret_hash):
            raise EmailError(LINK_INVALID)
        claimed = session.execute(
            sa.update(EmailValidation)
            .where(EmailValidation.id == link_id, EmailValidation.used_at.is_(None), EmailValidation.expires_at > now)
            .values(used_at=now)
        ).rowcount
        row = session.get(UserEmail, link.user_email_id)
        if claimed != 1 or row is None:
            raise EmailError(LINK_INVALID)
        row.validated_at = now
        session.add(row)
        audit.record(session, actor_user_id=row.user_id, action="email.validate", entity="user_email",
                     entity_id=row.id, after={"email": row.email})
        return row.email


def remove_secondary(user: SignedInUser, email_id: int) -> None:
    with transaction() as session:
        row = session.get(UserEmail, email_id)
        if row is None or row.user_id != user.user_id:
            raise EmailError("Cette adresse ne fait pas partie de vos adresses.")
        if row.kind == EmailKind.MAIN.value:
            raise EmailError("L'adresse principale ne peut être modifiée que par un gestionnaire Scolarité ou ARS.")
        session.execute(sa.delete(EmailValidation).where(EmailValidation.user_email_id == row.id))
        audit.record(session, actor_user_id=user.user_id, action="email.remove", entity="user_email",
                     entity_id=row.id, before={"email": row.email, "kind": row.kind})
        session.delete(row)


def list_emails(user: SignedInUser) -> list[dict]:
    labels = {EmailKind.MAIN.value: "Principale", **SECONDARY_KINDS}
    with transaction() as session:
        rows = session.exec(select(UserEmail).where(UserEmail.user_id == user.user_id).order_by(UserEmail.id)).all()
    return [
        {
            "id": row.id,
            "email": row.email,
            "kind": labels.get(row.kind, row.kind),
            "main": row.kind == EmailKind.MAIN.value,
            "validated": row.validated_at is not None,
            "status": "Validée" if row.validated_at else "En attente de validation",
        }
        for row in rows
    ]
