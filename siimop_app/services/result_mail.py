"""Result e-mails of a closed round (SPEC §6, issue 5): one to each student of the round, one to each
supervisor of a post offered in it — sent once, from the round's results date.

Everything is read from the round's stored instance and result (the matching as it was closed) in a
few grouped queries. Messages are queued in the outbox (``services.outbox``) in the transaction that marks the
round as notified: every message and the mark commit together, so each person gets their mail once, even when
SMTP is down at that moment (the outbox retries).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections import defaultdict

import sqlalchemy as sa
from sqlmodel import select

from siimop_app import routes
from siimop_app.db import transaction
from siimop_app.domain.calendar import DatedPhase, opens_at
from siimop_app.models import (
    Establishment,
    Phase,
    PhaseKind,
    Post,
    PostSupervisor,
    Round,
    RoundStatus,
    Site,
    Student,
    Subdivision,
    User,
    UserEmail,
    utcnow,
)
from siimop_app.services import audit, calendar, mail, outbox
from siimop_app.services.rounds import RoundError
from siimop_app.settings import get_settings

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class NotifyReport:
    round_number: int
    students: int
    supervisors: int
    already_sent: bool


def _main_addresses(session, user_ids) -> dict[int, tuple[str, str, str]]:
    rows = session.exec(
        select(User.id, User.first_name, User.last_name, UserEmail.email)
        .join(UserEmail, sa.and_(UserEmail.user_id == User.id, UserEmail.kind == "main"))
        .where(User.id.in_(list(user_ids)))
    ).all()
    return {uid: (first, last, email) for uid, first, last, email in rows}


def notify_results(round_id: int, *, actor_user_id: int | None = None) -> NotifyReport:
    base_url = get_settings().base_url
    with transaction() as session:
        round_ = session.exec(select(Round).where(Round.id == round_id).with_for_update()).first()
        if round_ is None:
            raise RoundError("Ce tour n'existe pas.")
        if round_.status != RoundStatus.CLOSED.value or not round_.result_json:
            raise RoundError(f"Le tour {round_.number} n'est pas clôturé : il n'y a pas de résultat à envoyer.")
        if round_.results_notified_at is not None:
            return NotifyReport(round_.number, 0, 0, already_sent=True)
        results = session.exec(
            select(Phase).where(Phase.round_id == round_id, Phase.kind == PhaseKind.RESULTS.value)
        ).first()
        if results is not None:
            published = DatedPhase(results.kind, round_.number, results.starts_on, results.ends_on)
            if calendar.now() < opens_at(published):
                raise RoundError(f"Les résultats du tour {round_.number} seront publiés le "
                                 f"{results.starts_on:%d/%m/%Y} : les e-mails partiront à cette date.")
        instance = json.loads(round_.instance_json)
        assignments = {int(s): int(p) for s, p in json.loads(round_.result_json)["assignments"].items()}
        student_ids = [int(s["id"]) for s in instance["students"]]
        post_ids = [int(p["id"]) for p in instance["posts"] if p.get("places", 0) > 0]

        posts = {
            pid: (site, establishment, subdivision, opened)
            for pid, site, establishment, subdivision, opened in session.exec(
                select(Post.id, Site.name, Establishment.name, Subdivision.label, Post.places_opened)
                .join(Site, Site.id == Post.site_id)
                .join(Establishment, Establishment.id == Site.establishment_id)
                .join(Subdivision, Subdivision.id == Post.subdivision_id)
                .where(Post.id.in_(post_ids + list(assignments.values())))
            ).all()
        }
        student_users = dict(session.exec(select(Student.id, Student.user_id).where(Student.id.in_(student_ids))).all())
        people = _main_addresses(session, student_users.values())
        supervisors: dict[int, list[int]] = defaultdict(list)
        for post_id, user_id in session.exec(
            select(PostSupervisor.post_id, PostSupervisor.user_id).where(PostSupervisor.post_id.in_(post_ids))
        ).all():
            supervisors[user_id].append(post_id)
        people |= _main_addresses(session, supervisors.keys())

        sent_students = 0
        for student_id in student_ids:
            first, last, address = people.get(student_users.get(student_id), (None, None, None))
            if address is None:
                continue
            post = assignments.get(student_id)
            if post is not None:
                site, establishment, subdivision, _ = posts[post]
                outcome = f"vous êtes affecté(e) au poste {site} – {establishment} ({subdivision})."
            else:
                outcome = ("vous n'êtes pas affecté(e) à l'issue de ce tour. Connectez-vous à SiiMOP Appariement "
                           "pour connaître la suite (tour suivant ou tour en présentiel).")
            outbox.enqueue(session, mail.build_message(
                to=address,
                subject=f"Résultat du tour {round_.number} de l'appariement",
                text=f"Bonjour {first} {last},\n\nRésultat du tour {round_.number} : {outcome}\n\n{base_url}\n",
            ), kind="result")
            sent_students += 1

        names = {sid: f"{people[uid][0]} {people[uid][1].upper()}" for sid, uid in student_users.items() if uid in people}
        filled: dict[int, list[str]] = defaultdict(list)
        for student_id, post_id in assignments.items():
            filled[post_id].append(names.get(student_id, ""))
        sent_supervisors = 0
        for user_id, their_posts in supervisors.items():
            if user_id not in people:
                continue
            first, last, address = people[user_id]
            lines = []
            for post_id in sorted(their_posts):
                site, establishment, _, opened = posts[post_id]
                who = ", ".join(sorted(filled[post_id])) or "aucun étudiant"
                lines.append(f"- {site} – {establishment} : {len(filled[post_id])} / {opened} postes pourvus ({who})")
            outbox.enqueue(session, mail.build_message(
                to=address,
                subject=f"Affectations du tour {round_.number} sur vos postes",
                text=(f"Bonjour {first} {last},\n\nAffectations du tour {round_.number} :\n" + "\n".join(lines)
                      + f"\n\nDétail dans l'onglet Affectations : {base_url}{routes.SUPERVISOR_ASSIGNMENTS.path}\n"),
            ), kind="result")
            sent_supervisors += 1

        round_.results_notified_at = utcnow()
        session.add(round_)
        audit.record(session, actor_user_id=actor_user_id, action="round.notify_results", entity="round",
                     entity_id=round_.id, after={"students": sent_students, "supervisors": sent_supervisors})
        log.info("round %s results mailed to %s students and %s supervisors", round_.id, sent_students, sent_supervisors)
        return NotifyReport(round_.number, sent_students, sent_supervisors, already_sent=False)
