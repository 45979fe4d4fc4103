"""Assistance tickets (SPEC §8–9): opened from any page, answered by the managers of the requester's subdivision.

- Opening is possible only during a campaign (the deck: "La plateforme support est fermée en dehors des
  campagnes d'appariement"); the server refuses it too.
- Every ticket gets a private link ``/assistance/suivi/<id>.<secret>``, mailed to the requester; only a
  passlib hash of its secret is stored, like sign-in links. A ticket opened signed out reaches no manager
  until that link is opened once: opening it proves the address (``confirmed_at``). Signed-out tickets are
  rate-limited per address and per IP.
- Managers see the tickets of their scope (``scope.ticket_condition``); an admin sees all of them,
  escalated ones included. Every change is one transaction with its audit row; mail leaves after commit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging

import sqlalchemy as sa
from sqlmodel import Session, select

from siimop_app import routes
from siimop_app.db import transaction
from siimop_app.models import (
    Document,
    DocumentKind,
    RoleGrant,
    Site,
    Student,
    Subdivision,
    SupportMessage,
    SupportTicket,
    User,
    utcnow,
)
from siimop_app.models.people import MANAGER_ROLES
from siimop_app.services import audit, auth, calendar, documents, mail, outbox
from siimop_app.services import scope as scopes
from siimop_app.services.access import require_role
from siimop_app.services.overview import Choice
from siimop_app.settings import get_settings
from siimop_app.validation import UserInputError

log = logging.getLogger(__name__)

REQUESTER_STATUSES = (
    "Étudiant / Docteur Junior",
    "Praticien hospitalier ou libéral",
    "Coordonnateur",
    "Gestionnaire ARS / Scolarité",
)
PROBLEM_TYPES = (
    "Connexion",
    "Données d'un poste erronées (demande de correction)",
    "Dossier étudiant",
    "Vœux",
    "Classement des candidatures",
    "Affectations",
    "Autre",
)
STATUS_LABELS = {
    "new": "Nouveau",
    "in_progress": "En cours",
    "waiting_user": "En attente de l'utilisateur",
    "resolved": "Résolu",
}
DESK_ROLES = MANAGER_ROLES  # who answers the tickets of their scope (coordinators do not)

FIELD_LABELS = {
    "full_name": "Nom complet",
    "email": "Adresse email",
    "requester_status": "Statut",
    "university": "Université de rattachement",
    "problem_type": "Problème",
    "subject": "Sujet",
    "description": "Description",
}
REQUIRED_FIELDS = ("full_name", "email", "requester_status", "problem_type", "subject", "description")
# The column sizes of SupportTicket: checked here so a long text gets a French message, not a database error.
MAX_LENGTHS = {"full_name": 200, "email": 254, "university": 120, "subject": 200, "description": 10000}
MAX_MESSAGE = 10000

CLOSED_MESSAGE = (
    "La plateforme support est fermée en dehors des campagnes d'appariement. Le support n'est donc pas assuré "
    "avant la prochaine campagne. Merci de contacter directement votre administration - Scolarité ou ARS."
)
LINK_INVALID = "Ce lien de suivi n'est pas valide. Vérifiez qu'il est complet, tel que reçu par e-mail."
NOT_FOUND = "Ticket introuvable."
RATE_LIMITED = "Vous avez déjà ouvert plusieurs tickets récemment : merci de patienter une heure avant d'en ouvrir un autre."
CLOSED_TICKET = "Ce ticket est résolu : ouvrez un nouveau ticket si le problème revient."

# Signed-out tickets within an hour: a mailbox or a network cannot flood the managers.
RATE_WINDOW = dt.timedelta(hours=1)
MAX_PER_ADDRESS = 3
MAX_PER_IP = 10

# The attachment: one screenshot or document, recognised by its first bytes, not by its name.
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
ATTACHMENT_TYPES = (  # (magic bytes, content type, extensions)
    (b"\x89PNG\r\n\x1a\n", "image/png", (".png",)),
    (b"\xff\xd8\xff", "image/jpeg", (".jpg", ".jpeg")),
    (b"%PDF-", "application/pdf", (".pdf",)),
)
BAD_ATTACHMENT = "La pièce jointe doit être une image PNG ou JPEG, ou un PDF."
ATTACHMENT_TOO_LARGE = "La pièce jointe dépasse la taille maximale de 5 Mo."


class TicketError(UserInputError):
    """A ticket or message that cannot be recorded, or a link that does not work; the message is in French,
    ``fields`` names the ticket form's fields at fault."""


@dataclasses.dataclass(frozen=True)
class OpenedTicket:
    id: int
    confirmed: bool  # False: signed out, waiting for the requester to open the mailed link


def _refuse(message: str, *fields: str) -> None:
    log.info("support refused: %s", message)
    raise TicketError(message, fields=fields)


def support_is_open(at: dt.datetime | None = None) -> bool:
    return calendar.current_wave(at) is not None


def _paris(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(calendar.PARIS).strftime("%d/%m/%Y %H:%M")


def university_choices() -> list[Choice]:
    """The subdivisions, as the "Université de rattachement" list (a subdivision is the territory of one CHU)."""
    with transaction() as session:
        rows = session.exec(select(Subdivision.code, Subdivision.label).order_by(Subdivision.label)).all()
    return [Choice(code, label) for code, label in rows]


def _subdivision_of(session: Session, user_id: int | None) -> int | None:
    """Where the requester works: their student file, else their first site, else the subdivision of a role grant."""
    if user_id is None:
        return None
    for query in (
        select(Student.subdivision_id).where(Student.user_id == user_id),
        select(Site.subdivision_id).where(Site.supervisor_user_id == user_id).order_by(Site.id),
        select(RoleGrant.subdivision_id)
        .where(RoleGrant.user_id == user_id, RoleGrant.subdivision_id.is_not(None))
        .order_by(RoleGrant.id),
    ):
        found = session.exec(query).first()
        if found is not None:
            return found
    return None


def attachment_type(filename: str, data: bytes) -> str:
    """The content type of an acceptable attachment, or TicketError in French."""
    if len(data) > MAX_ATTACHMENT_BYTES:
        _refuse(ATTACHMENT_TOO_LARGE, "attachment")
    name = (filename or "").lower()
    for magic, content_type, extensions in ATTACHMENT_TYPES:
        if data.startswith(magic) and name.endswith(extensions):
            if content_type == "application/pdf" and b"%%EOF" not in data[-1024:]:
                break
            return content_type
    _refuse(BAD_ATTACHMENT, "attachment")
    raise AssertionError  # unreachable: _refuse raises


def _ip_hash(client_ip: str) -> str | None:
    # Only a hash: enough to count, and no address kept in clear.
    return hashlib.sha256(client_ip.encode()).hexdigest() if client_ip else None


def _follow_link(ticket_id: int, secret: str) -> str:
    return get_settings().base_url + routes.FOLLOW_TICKET.link(ticket_token=f"{ticket_id}.{secret}")


def _send(to: str, subject: str, text: str) -> None:
    """After the commit: queued in the outbox (retried while SMTP is down); the ticket is recorded either way."""
    try:
        with transaction() as session:
            outbox.enqueue(session, mail.build_message(to=to, subject=subject, text=text), kind="support")
    except Exception:
        log.exception("support mail to %s could not be queued: %s", to, subject)


def open_ticket(
    *,
    user_id: int | None,
    full_name: str,
    email: str,
    requester_status: str,
    university: str,
    problem_type: str,
    subject: str,
    description: str,
    client_ip: str = "",
    attachment: tuple[str, bytes] | None = None,
    at: dt.datetime | None = None,
) -> OpenedTicket:
    """Record a ticket and mail its private link. ``university`` is a subdivision code of ``university_choices``."""
    fields = {
        "full_name": full_name.strip(),
        "email": email.strip().lower(),
        "requester_status": requester_status,
        "university": university.strip(),
        "problem_type": problem_type,
        "subject": subject.strip(),
        "description": description.strip(),
    }
    if not support_is_open(at):
        _refuse(CLOSED_MESSAGE)
    required = REQUIRED_FIELDS + (() if user_id else ("university",))  # signed out, the subdivision is the choice
    missing = [key for key in FIELD_LABELS if key in required and not fields[key]]
    if missing:
        _refuse("Champs obligatoires manquants : " + ", ".join(FIELD_LABELS[key] for key in missing) + ".", *missing)
    if not auth.looks_like_email(fields["email"]):
        _refuse("L'adresse email n'est pas valide.", "email")
    if requester_status not in REQUESTER_STATUSES or problem_type not in PROBLEM_TYPES:
        _refuse("Veuillez choisir un statut et un problème dans les listes proposées.",
                *(() if requester_status in REQUESTER_STATUSES else ("requester_status",)),
                *(() if problem_type in PROBLEM_TYPES else ("problem_type",)))
    too_long = [key for key, limit in MAX_LENGTHS.items() if len(fields[key]) > limit]
    if too_long:
        _refuse("Texte trop long : " + ", ".join(f"{FIELD_LABELS[key]} ({MAX_LENGTHS[key]} caractères)"
                                                 for key in too_long) + ".", *too_long)
    content_type = attachment_type(*attachment) if attachment else None
    now = utcnow()
    secret, secret_hash = auth.new_secret()
    with transaction() as session:
        chosen = None
        if fields["university"]:
            chosen = session.exec(select(Subdivision).where(Subdivision.code == fields["university"])).first()
            if chosen is None:
                _refuse("Veuillez choisir votre université de rattachement dans la liste proposée.", "university")
            fields["university"] = chosen.label[:120]
        ip_hash = _ip_hash(client_ip)
        if user_id is None:
            since = now - RATE_WINDOW
            recent = lambda condition: session.exec(  # noqa: E731
                select(sa.func.count()).select_from(SupportTicket)
                .where(SupportTicket.user_id.is_(None), SupportTicket.created_at >= since, condition)).one()
            if recent(SupportTicket.email == fields["email"]) >= MAX_PER_ADDRESS or (
                    ip_hash and recent(SupportTicket.requester_ip_sha256 == ip_hash) >= MAX_PER_IP):
                log.warning("support rate limit reached for %r (ip hash %s)", fields["email"], (ip_hash or "")[:12])
                raise TicketError(RATE_LIMITED)
        subdivision_id = _subdivision_of(session, user_id) or (chosen.id if chosen else None)
        document_id = None
        if attachment:
            document_id = documents.store_file(
                session, owner_user_id=user_id, kind=DocumentKind.TICKET_ATTACHMENT.value, filename=attachment[0],
                data=attachment[1], content_type=content_type).id
        ticket = SupportTicket(
            user_id=user_id, subdivision_id=subdivision_id, created_at=now, updated_at=now,
            follow_secret_hash=secret_hash, requester_ip_sha256=ip_hash, attachment_document_id=document_id,
            confirmed_at=now if user_id else None, **fields)
        session.add(ticket)
        session.flush()
        ticket_id = ticket.id
        audit.record(session, actor_user_id=user_id, action="open_ticket", entity="support_ticket",
                     entity_id=ticket_id, after={"subject": fields["subject"], "problem_type": problem_type})
    log.info("support ticket %s opened (subdivision %s, %s)", ticket_id, subdivision_id,
             "signed in" if user_id else "waiting for address confirmation")
    link = _follow_link(ticket_id, secret)
    if user_id:
        text = (f"Bonjour {fields['full_name']},\n\nVotre ticket n° {ticket_id} « {fields['subject']} » a été transmis "
                "aux gestionnaires ARS et Scolarité de votre subdivision.\n\n"
                f"Suivez-le et répondez-leur avec ce lien personnel (ne le transmettez pas) :\n\n{link}\n\n"
                "Vous le retrouvez aussi dans « Mes tickets » une fois connecté(e).\n")
    else:
        text = (f"Bonjour {fields['full_name']},\n\nVous avez ouvert le ticket n° {ticket_id} « {fields['subject']} ».\n\n"
                "Pour qu'il soit transmis aux gestionnaires ARS et Scolarité de votre subdivision, confirmez votre "
                f"adresse en ouvrant ce lien personnel (il vous servira ensuite à suivre le ticket) :\n\n{link}\n\n"
                "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : le ticket ne sera transmis "
                "à personne.\n")
    _send(fields["email"], f"Ticket d'assistance n° {ticket_id} : {fields['subject']}", text)
    return OpenedTicket(ticket_id, bool(user_id))


# ------------------------------------------------------------------ reading
def _names(session: Session, user_ids) -> dict[int, str]:
    ids = {i for i in user_ids if i}
    if not ids:
        return {}
    rows = session.exec(select(User.id, User.first_name, User.last_name).where(User.id.in_(ids))).all()
    return {uid: f"{first} {last.upper()}" for uid, first, last in rows}


@dataclasses.dataclass(frozen=True)
class TicketMessage:
    """One message of a ticket's thread as the pages show it (``at`` in Paris time)."""

    id: int
    at: str
    author: str  # the requester's name, or a manager's (for managers) / "Gestionnaire ARS / Scolarité"
    body: str
    from_requester: bool
    internal: bool  # a note between managers: never in a requester's view


@dataclasses.dataclass(frozen=True)
class TicketView:
    """What a page shows of a ticket (``NO_TICKET``: none). ``colleagues`` (managers' views only): whom the ticket
    may be assigned to."""

    id: int
    subject: str
    description: str
    status: str
    status_label: str
    is_open: bool
    created: str  # Paris time
    full_name: str
    email: str
    requester_status: str
    university: str
    problem_type: str
    subdivision: str
    assigned: str  # the assignee's name, "" if nobody
    escalated: bool
    attachment_name: str
    attachment_id: int  # 0: no attachment
    messages: list[TicketMessage] = dataclasses.field(default_factory=list)
    colleagues: list[Choice] = dataclasses.field(default_factory=list)


NO_TICKET = TicketView(id=0, subject="", description="", status="", status_label="", is_open=False, created="",
                       full_name="", email="", requester_status="", university="", problem_type="", subdivision="",
                       assigned="", escalated=False, attachment_name="", attachment_id=0)


def _view(session: Session, ticket: SupportTicket, *, staff: bool) -> TicketView:
    """What a page shows of a ticket: internal notes and the colleagues only for managers."""
    query = select(SupportMessage).where(SupportMessage.ticket_id == ticket.id)
    if not staff:
        query = query.where(SupportMessage.internal.is_(False))
    messages = session.exec(query.order_by(SupportMessage.at, SupportMessage.id)).all()
    names = _names(session, [m.author_user_id for m in messages] + [ticket.assigned_user_id])
    subdivision = session.get(Subdivision, ticket.subdivision_id) if ticket.subdivision_id else None
    attachment = session.get(Document, ticket.attachment_document_id) if ticket.attachment_document_id else None
    return TicketView(
        id=ticket.id,
        subject=ticket.subject,
        description=ticket.description,
        status=ticket.status,
        status_label=STATUS_LABELS[ticket.status],
        is_open=ticket.status != "resolved",
        created=_paris(ticket.created_at),
        full_name=ticket.full_name,
        email=ticket.email,
        requester_status=ticket.requester_status,
        university=ticket.university,
        problem_type=ticket.problem_type,
        subdivision=subdivision.label if subdivision else "",
        assigned=names.get(ticket.assigned_user_id, ""),
        escalated=ticket.escalated_at is not None,
        attachment_name=attachment.filename if attachment else "",
        attachment_id=attachment.id if attachment else 0,
        messages=[
            TicketMessage(
                id=m.id,
                at=_paris(m.at),
                author=ticket.full_name if m.from_requester else (
                    names.get(m.author_user_id, "Gestionnaire") if staff else "Gestionnaire ARS / Scolarité"),
                body=m.body,
                from_requester=m.from_requester,
                internal=m.internal,
            )
            for m in messages
        ],
        colleagues=colleagues(session, ticket) if staff else [],
    )


def _by_link(session: Session, token: str) -> SupportTicket:
    parsed = auth.split_token(token)
    ticket = session.get(SupportTicket, parsed[0]) if parsed else None
    if ticket is None or not ticket.follow_secret_hash or not auth.verify_secret(parsed[1], ticket.follow_secret_hash):
        log.info("support follow link refused (ticket %s)", parsed[0] if parsed else "?")
        raise TicketError(LINK_INVALID)
    return ticket


def follow_by_link(token: str) -> TicketView:
    """The ticket behind a private link; its first opening confirms a signed-out requester's address."""
    with transaction() as session:
        ticket = _by_link(session, token)
        if ticket.confirmed_at is None:
            ticket.confirmed_at = utcnow()
            session.add(ticket)
            audit.record(session, actor_user_id=None, action="confirm_ticket", entity="support_ticket",
                         entity_id=ticket.id)
            log.info("support ticket %s confirmed by its requester: it now reaches the managers", ticket.id)
        return _view(session, ticket, staff=False)


@dataclasses.dataclass(frozen=True)
class MyTicketLine:
    """One of the user's tickets as "Mes tickets" lists it."""

    id: int
    subject: str
    created: str  # in Paris time, as the page shows it
    status_label: str


def my_tickets(user: auth.SignedInUser) -> list[MyTicketLine]:
    with transaction() as session:
        rows = session.exec(select(SupportTicket).where(SupportTicket.user_id == user.user_id)
                            .order_by(SupportTicket.created_at.desc(), SupportTicket.id.desc())).all()
        return [MyTicketLine(id=t.id, subject=t.subject, created=_paris(t.created_at),
                             status_label=STATUS_LABELS[t.status]) for t in rows]


def _own(session: Session, user: auth.SignedInUser, ticket_id: int) -> SupportTicket:
    ticket = session.get(SupportTicket, ticket_id)
    if ticket is None or ticket.user_id != user.user_id:
        log.warning("user %s asked for ticket %s, which is not theirs", user.user_id, ticket_id)
        raise TicketError(NOT_FOUND)
    return ticket


def my_ticket(user: auth.SignedInUser, ticket_id: int) -> TicketView:
    with transaction() as session:
        return _view(session, _own(session, user, ticket_id), staff=False)


def _clean_body(body: str) -> str:
    text = (body or "").strip()
    if not text:
        _refuse("Le message est vide.")
    if len(text) > MAX_MESSAGE:
        _refuse(f"Le message est trop long ({MAX_MESSAGE} caractères au plus).")
    return text


def _requester_message(session: Session, ticket: SupportTicket, body: str, actor: int | None) -> TicketView:
    if ticket.status == "resolved":
        _refuse(CLOSED_TICKET)
    now = utcnow()
    session.add(SupportMessage(ticket_id=ticket.id, at=now, author_user_id=actor, from_requester=True, body=body))
    before = ticket.status
    if ticket.status == "waiting_user":
        ticket.status = "in_progress"
    ticket.updated_at = now
    session.add(ticket)
    audit.record(session, actor_user_id=actor, action="ticket_requester_reply", entity="support_ticket",
                 entity_id=ticket.id, before={"status": before}, after={"status": ticket.status})
    session.flush()
    return _view(session, ticket, staff=False)


def reply_by_link(token: str, body: str) -> TicketView:
    text = _clean_body(body)
    with transaction() as session:
        return _requester_message(session, _by_link(session, token), text, None)


def reply_as_user(user: auth.SignedInUser, ticket_id: int, body: str) -> TicketView:
    text = _clean_body(body)
    with transaction() as session:
        return _requester_message(session, _own(session, user, ticket_id), text, user.user_id)


# ------------------------------------------------------------------ managers
def staff_condition(session: Session, user: auth.SignedInUser) -> sa.ColumnElement[bool]:
    """The tickets a manager or admin may see: confirmed, in their scope (an admin's scope is everything)."""
    require_role(user, *DESK_ROLES)
    scope = scopes.scope_of(session, user.user_id, DESK_ROLES)
    return sa.and_(SupportTicket.confirmed_at.is_not(None),
                   scopes.ticket_condition(scope, SupportTicket.subdivision_id))


def _staff_ticket(session: Session, user: auth.SignedInUser, ticket_id: int) -> SupportTicket:
    ticket = session.exec(select(SupportTicket).where(SupportTicket.id == ticket_id,
                                                      staff_condition(session, user))).first()
    if ticket is None:
        log.warning("user %s asked for ticket %s outside their scope", user.user_id, ticket_id)
        raise TicketError(NOT_FOUND)
    return ticket


def staff_may_read_attachment(session: Session, user: auth.SignedInUser, document_id: int) -> bool:
    if not set(DESK_ROLES) & set(user.roles):
        return False
    return session.exec(select(SupportTicket.id).where(SupportTicket.attachment_document_id == document_id,
                                                       staff_condition(session, user))).first() is not None


def attachment_by_link(token: str) -> Document | None:
    """The attachment of the ticket behind a private link (how a requester without an account reads it)."""
    with transaction() as session:
        try:
            ticket = _by_link(session, token)
        except TicketError:
            return None
        return session.get(Document, ticket.attachment_document_id) if ticket.attachment_document_id else None


def colleagues(session: Session, ticket: SupportTicket) -> list[Choice]:
    """The managers and admins who see this ticket: whom it may be assigned to."""
    grants = session.exec(select(RoleGrant).where(RoleGrant.role.in_(DESK_ROLES))).all()
    region_of = dict(session.exec(select(Subdivision.id, Subdivision.region_id)).all())
    allowed = set()
    for grant in grants:
        if grant.specialty_id is not None:
            continue
        if grant.subdivision_id is not None and grant.subdivision_id != ticket.subdivision_id:
            continue
        if grant.region_id is not None and region_of.get(ticket.subdivision_id) != grant.region_id:
            continue
        allowed.add(grant.user_id)
    names = _names(session, allowed)
    return [Choice(str(uid), names[uid]) for uid in sorted(allowed, key=lambda u: names.get(u, ""))
            if uid in names]


def staff_ticket(user: auth.SignedInUser, ticket_id: int) -> TicketView:
    with transaction() as session:
        return _view(session, _staff_ticket(session, user, ticket_id), staff=True)


def _staff_change(user: auth.SignedInUser, ticket_id: int, action: str, change) -> tuple[TicketView, SupportTicket]:
    with transaction() as session:
        ticket = _staff_ticket(session, user, ticket_id)
        before = {"status": ticket.status, "assigned_user_id": ticket.assigned_user_id,
                  "escalated": ticket.escalated_at is not None}
        now = utcnow()
        detail = change(session, ticket, now) or {}
        ticket.updated_at = now
        session.add(ticket)
        after = {"status": ticket.status, "assigned_user_id": ticket.assigned_user_id,
                 "escalated": ticket.escalated_at is not None, **detail}
        audit.record(session, actor_user_id=user.user_id, action=action, entity="support_ticket",
                     entity_id=ticket.id, before=before, after=after)
        session.flush()
        log.info("support ticket %s: %s by user %s", ticket.id, action, user.user_id)
        return _view(session, ticket, staff=True), ticket


def staff_reply(user: auth.SignedInUser, ticket_id: int, body: str) -> TicketView:
    """Answer the requester: shown on the ticket's page and mailed to them; the ticket waits for them."""
    text = _clean_body(body)

    def change(session, ticket, now):
        session.add(SupportMessage(ticket_id=ticket.id, at=now, author_user_id=user.user_id, body=text))
        ticket.status = "waiting_user"
        ticket.first_answer_at = ticket.first_answer_at or now
        if ticket.assigned_user_id is None:
            ticket.assigned_user_id = user.user_id

    view, ticket = _staff_change(user, ticket_id, "ticket_reply", change)
    _send(ticket.email, f"Réponse à votre ticket d'assistance n° {ticket.id} : {ticket.subject}",
          f"Bonjour {ticket.full_name},\n\nUn gestionnaire a répondu à votre ticket n° {ticket.id} :\n\n{text}\n\n"
          "Pour lui répondre ou suivre le ticket, ouvrez le lien personnel reçu à son ouverture"
          " (ou « Mes tickets » si vous êtes connecté(e)).\n")
    return view


def staff_note(user: auth.SignedInUser, ticket_id: int, body: str) -> TicketView:
    """A note between managers: never shown nor mailed to the requester."""
    text = _clean_body(body)

    def change(session, ticket, now):
        session.add(SupportMessage(ticket_id=ticket.id, at=now, author_user_id=user.user_id, internal=True, body=text))
        if ticket.status == "new":
            ticket.status = "in_progress"

    return _staff_change(user, ticket_id, "ticket_note", change)[0]


def assign(user: auth.SignedInUser, ticket_id: int, assignee_id: int) -> TicketView:
    def change(session, ticket, now):
        if str(assignee_id) not in {c.value for c in colleagues(session, ticket)}:
            log.warning("user %s tried to assign ticket %s to user %s, who cannot see it",
                        user.user_id, ticket.id, assignee_id)
            raise TicketError("Ce collègue ne peut pas traiter ce ticket : choisissez-en un dans la liste.")
        ticket.assigned_user_id = assignee_id
        if ticket.status == "new":
            ticket.status = "in_progress"

    return _staff_change(user, ticket_id, "ticket_assign", change)[0]


def escalate(user: auth.SignedInUser, ticket_id: int) -> TicketView:
    """Hand a technical problem to the platform team (the admins), who see every escalated ticket."""
    def change(session, ticket, now):
        if ticket.escalated_at is not None:
            raise TicketError("Ce ticket est déjà transmis à l'équipe SiiMOP.")
        ticket.escalated_at = now
        if ticket.status in ("new", "resolved"):
            ticket.status = "in_progress"

    return _staff_change(user, ticket_id, "ticket_escalate", change)[0]


def resolve(user: auth.SignedInUser, ticket_id: int) -> TicketView:
    def change(session, ticket, now):
        if ticket.status == "resolved":
            raise TicketError("Ce ticket est déjà résolu.")
        ticket.status = "resolved"

    return _staff_change(user, ticket_id, "ticket_resolve", change)[0]

