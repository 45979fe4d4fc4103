"""Reminders sent from the dry-run page (issue 15): a manager reminds, in their scope, the supervisors whose
ranking is missing or invalid and the students whose wish list is insufficient.

* **Who** is recomputed here from the round's current snapshot (``rounds.build_instance``, the rules the
  close applies), never taken from the page: the référent supervisors of the scope's posts whose ranking is
  missing or invalid — while the ranking phase is open, since only then can they fix it — and the scope's
  students whose list is insufficient — while the wishes phase is open, for the same reason.
* **What**: the supervisor gets, per post, the rules that fail in the banner's words
  (``domain.ranking_rules``); the student, how many more posts to rate. Both get the deadline and the link.
* **At most once per day per person**, Paris day, enforced by the database: the ``reminder`` row's unique
  key (user, day) is inserted in the transaction that sends the message, so two managers sending at the
  same time cannot both remind the same person.
* **Delivery as reliable as the result e-mails**: each person's message is queued in the outbox
  (``services.outbox``) in the transaction that records the reminder, so it leaves once, even when SMTP is down
  at that moment (the outbox retries). One audit row gives the counts.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict

import sqlalchemy as sa
from sqlmodel import select

from siimop_app import routes
from siimop_app.db import transaction
from siimop_app.domain.ranking_rules import BANNER, MSG_UNRANKED_LEFT
from siimop_app.models import Post, PostSupervisor, Reminder, Site, Student, User, UserEmail
from siimop_app.models.people import MANAGER_ROLES
from siimop_app.services import audit, calendar, mail, outbox, rounds
from siimop_app.services.access import require_role
from siimop_app.services.auth import SignedInUser
from siimop_app.services.dry_run import OpenRound, insufficient_lists, open_round
from siimop_app.services.scope import post_condition, scope_of, student_condition
from siimop_app.settings import get_settings

log = logging.getLogger(__name__)

REMIND_ROLES = MANAGER_ROLES


@dataclasses.dataclass(frozen=True)
class Person:
    user_id: int
    name: str
    email: str
    kind: str  # "ranking" or "wishes"
    lines: tuple[str, ...]  # per post (supervisor) or the one line of the list (student)


@dataclasses.dataclass(frozen=True)
class Targets:
    which: OpenRound
    supervisors: list[Person]
    students: list[Person]
    reminded_today: set[int]  # user ids already reminded today (they will be skipped)

    def pending(self) -> list[Person]:
        return [p for p in self.supervisors + self.students if p.user_id not in self.reminded_today]

    def question(self) -> str:
        """The confirmation the manager answers before anything is sent."""
        if self.which.phase == "ranking":
            who = f"aux {len(self.supervisors)} responsable(s) dont le classement est non valide ou manquant"
            note = ("Les listes de vœux ne peuvent plus être modifiées (période des vœux terminée) : "
                    "les étudiants ne sont pas relancés.")
        else:
            who = f"aux {len(self.students)} étudiant(s) dont la liste de vœux est insuffisante"
            note = ("Le classement n'est pas encore ouvert : les responsables seront relancés pendant la période "
                    "de classement.")
        skipped = len([p for p in self.supervisors + self.students if p.user_id in self.reminded_today])
        return (f"Envoyer un e-mail de rappel {who}, dans votre périmètre ? {note} "
                f"{skipped} personne(s) déjà relancée(s) aujourd'hui ne le seront pas à nouveau "
                f"({len(self.pending())} message(s) à envoyer).")


@dataclasses.dataclass(frozen=True)
class ReminderReport:
    round_number: int
    supervisors: int
    students: int
    already_today: int
    failed: int

    def summary(self) -> str:
        text = (f"Rappels envoyés : {self.supervisors} responsable(s) et {self.students} étudiant(s). "
                f"{self.already_today} personne(s) déjà relancée(s) aujourd'hui.")
        if self.failed:
            text += f" {self.failed} envoi(s) ont échoué : relancez-les plus tard."
        return text


def _main_emails(session, user_ids) -> dict[int, str]:
    if not user_ids:
        return {}
    return dict(session.exec(select(UserEmail.user_id, UserEmail.email)
                             .where(UserEmail.user_id.in_(list(user_ids)), UserEmail.kind == "main")).all())


def reminder_targets(user: SignedInUser) -> Targets:
    """Who a reminder would go to now, in the manager's scope, with what it would say (nothing sent)."""
    require_role(user, *REMIND_ROLES)
    which = open_round()
    today = calendar.now().date()
    with transaction() as session:
        scope = scope_of(session, user.user_id, REMIND_ROLES)
        data = rounds.build_instance(session, which.round_id)
        supervisors: list[Person] = []
        students: list[Person] = []
        if which.phase == "ranking":
            failing = {int(p["id"]): p for p in data["posts"] if p["ranking_status"] in ("invalid", "missing")}
            lines: dict[int, list[str]] = defaultdict(list)
            names: dict[int, str] = {}
            if failing:
                for pid, number, site, uid, first, last in session.exec(
                    select(Post.id, Post.post_number, Site.name, User.id, User.first_name, User.last_name)
                    .join(Site, Site.id == Post.site_id)
                    .join(PostSupervisor, sa.and_(PostSupervisor.post_id == Post.id, PostSupervisor.is_referent))
                    .join(User, User.id == PostSupervisor.user_id)
                    .where(Post.id.in_(list(failing)), post_condition(scope))
                    .order_by(Post.post_number)
                ).all():
                    post = failing[pid]
                    problems = post.get("ranking_problems") or [MSG_UNRANKED_LEFT + " (aucun candidat n'est encore classé)"]
                    lines[uid].append(f"Poste n° {number} ({site}) : {BANNER} " + " ".join(problems))
                    names[uid] = f"{first} {last.upper()}"
            emails = _main_emails(session, lines)
            supervisors = [Person(uid, names[uid], emails.get(uid, ""), "ranking", tuple(lines[uid]))
                           for uid in sorted(lines, key=lambda u: names[u])]
        else:
            short = insufficient_lists(session, which.round_id, data)
            rows = session.exec(
                select(Student.id, User.id, User.first_name, User.last_name)
                .join(User, User.id == Student.user_id)
                .where(Student.participating, student_condition(scope))
            ).all() if short else []
            emails = _main_emails(session, [uid for sid, uid, *_ in rows if sid in short])
            for sid, uid, first, last in sorted(rows, key=lambda r: (r[3], r[2])):
                if sid not in short:
                    continue
                info = short[sid]
                missing = max(info["required"] - info["rated"], 0)
                line = (f"Votre liste compte {info['rated']} poste(s) noté(s) d'au moins un cœur ; il en faut au moins "
                        f"{info['required']} : notez encore {missing} poste(s).")
                students.append(Person(uid, f"{first} {last.upper()}", emails.get(uid, ""), "wishes", (line,)))
        reminded = set(session.exec(select(Reminder.user_id).where(Reminder.day == today)).all())
    return Targets(which, supervisors, students, reminded)


def _message(person: Person, which: OpenRound) -> mail.email.message.EmailMessage:
    base = get_settings().base_url
    deadline = f"{which.ends_on:%d/%m/%Y} à 23h59 (heure de Paris)"
    if person.kind == "ranking":
        subject = f"Rappel : votre classement des candidatures (tour {which.round_number})"
        body = ("Le classement des candidatures de vos postes ci-dessous ne sera pas pris en compte dans "
                f"l'appariement du tour {which.round_number} s'il reste en l'état :\n\n"
                + "\n".join(f"- {line}" for line in person.lines)
                + f"\n\nVous pouvez le compléter jusqu'au {deadline} : {base}{routes.RANKING_LIST.path}\n")
    else:
        subject = f"Rappel : votre liste de vœux est insuffisante (tour {which.round_number})"
        body = (f"{person.lines[0]}\n\nUne liste insuffisante n'est pas prise en compte dans l'appariement du tour "
                f"{which.round_number}. Vous pouvez la compléter jusqu'au {deadline} : {base}{routes.WISHES.path}\n")
    return mail.build_message(to=person.email, subject=subject,
                              text=f"Bonjour {person.name},\n\n{body}\nSiiMOP Appariement\n")


def send_reminders(user: SignedInUser) -> ReminderReport:
    """Send the reminders of ``reminder_targets`` to those not yet reminded today; one audit row with the counts."""
    targets = reminder_targets(user)
    which = targets.which
    today = calendar.now().date()
    sent = {"ranking": 0, "wishes": 0}
    already, failed = len(targets.supervisors) + len(targets.students) - len(targets.pending()), 0
    try:
        for person in targets.pending():
            if not person.email:
                failed += 1
                log.warning("reminder: user %s has no main address", person.user_id)
                continue
            try:
                with transaction() as session:
                    session.add(Reminder(user_id=person.user_id, day=today, kind=person.kind,
                                         round_id=which.round_id, sent_by_user_id=user.user_id))
                    session.flush()  # the unique (user, day) key: a reminder sent meanwhile stops this one
                    outbox.enqueue(session, _message(person, which), kind="reminder")
                sent[person.kind] += 1
            except sa.exc.IntegrityError:
                already += 1
            except Exception:
                failed += 1
                log.exception("reminder to user %s could not be sent", person.user_id)
    finally:
        with transaction() as session:
            audit.record(session, actor_user_id=user.user_id, action="reminders.send", entity="round",
                         entity_id=which.round_id,
                         after={"phase": which.phase, "supervisors": sent["ranking"], "students": sent["wishes"],
                                "already_reminded_today": already, "failed": failed})
    log.info("reminders of round %s by user %s: %s supervisors, %s students, %s skipped, %s failed",
             which.round_id, user.user_id, sent["ranking"], sent["wishes"], already, failed)
    return ReminderReport(which.round_number, sent["ranking"], sent["wishes"], already, failed)
