"""Personal data retention: a closed campaign's students are anonymised once the retention period is over.

The rule (README, "Personal data"): a campaign ends on the last day of its last phase. Its students' personal
data are kept for ``RETENTION_DAYS`` (one year) after that day — the time for appeals and for the next
campaign's questions — then ``purge_campaign`` anonymises them, in one transaction:

- the campaign's students (every student whose account was created before the campaign ended and who has no
  wish or result in another campaign — the next cohort is imported after it): names become "ANONYME", the
  INE and intern number are replaced, the presentation text, every address, session and sign-in link, their
  documents (rows and files), the supervisors' private observations about them and their support tickets'
  contents are deleted, the account is deactivated; the mails of the outbox addressed to them (sent, failed or
  still waiting: the address and subject of every result, reminder and sign-in mail they were sent) are deleted;
- the campaign's wishes (hearts) and ranking entries are deleted; the audit details of the purged people are
  cleared (the rows stay, without their before/after values);
- kept: the campaign, its waves, rounds, posts, sites, supervisors and staff (they work on the next campaign),
  the results as anonymous placements, and the campaign's statistics, computed before the purge and stored in
  the audit row of the purge (students, wishes, valid rankings, placements per round and per specialty).

Nothing here runs by itself: an operator runs ``python -m siimop_app.purge CAMPAIGN_ID [--dry-run]``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import defaultdict

import sqlalchemy as sa
from sqlmodel import Session, select

from siimop_app.db import transaction
from siimop_app.domain.errors import UserError
from siimop_app.models import (
    Application,
    Assignment,
    AuditEntry,
    Campaign,
    Document,
    Observation,
    OutboxMail,
    PendingEmail,
    Phase,
    Ranking,
    RankingEntry,
    Round,
    SignInToken,
    Specialty,
    Student,
    SupportTicket,
    User,
    UserEmail,
    UserSession,
    Wave,
)
from siimop_app.services import audit, documents

log = logging.getLogger(__name__)

RETENTION_DAYS = 365
CHUNK = 900


class PurgeRefused(UserError, ValueError):
    """A purge that may not run (yet); the message is for the operator, in French."""


@dataclasses.dataclass
class PurgeReport:
    campaign: str
    ended_on: dt.date
    students: int = 0
    wishes: int = 0
    ranking_entries: int = 0
    documents: int = 0
    mails: int = 0
    statistics: dict = dataclasses.field(default_factory=dict)
    applied: bool = False

    def summary(self) -> str:
        verb = "anonymisé(s)" if self.applied else "à anonymiser"
        return (f"{self.campaign} (terminée le {self.ended_on:%d/%m/%Y}) : {self.students} étudiant(s) {verb}, "
                f"{self.wishes} vœu(x) et {self.ranking_entries} rang(s) de classement supprimés, "
                f"{self.documents} document(s), {self.mails} e-mail(s) de la file d'envoi.")


def _chunks(items: list[int]):
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def _addresses(user_ids: list[int]):
    """Every address of these users (main and secondary, validated or not): the outbox's ``to_address``."""
    return select(UserEmail.email).where(UserEmail.user_id.in_(user_ids))


def campaign_end(session: Session, campaign_id: int) -> dt.date | None:
    return session.exec(select(sa.func.max(Phase.ends_on)).join(Wave, Wave.id == Phase.wave_id)
                        .where(Wave.campaign_id == campaign_id)).one()


def _statistics(session: Session, round_ids: list[int], student_ids: list[int]) -> dict:
    """Anonymous figures of the campaign, kept after the purge."""
    labels = dict(session.exec(select(Specialty.id, Specialty.label)).all())
    per_specialty: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    for specialty_id, count in _grouped(session, select(Student.specialty_id, sa.func.count()), Student.id,
                                        student_ids, Student.specialty_id):
        per_specialty[labels.get(specialty_id, "?")]["students"] += count
    placements = session.exec(
        select(Round.number, Student.specialty_id, sa.func.count())
        .join(Assignment, Assignment.round_id == Round.id).join(Student, Student.id == Assignment.student_id)
        .where(Round.id.in_(round_ids)).group_by(Round.number, Student.specialty_id)).all()
    for number, specialty_id, count in placements:
        per_specialty[labels.get(specialty_id, "?")][f"placed_round_{number}"] += count
    wishes = session.exec(select(sa.func.count(), sa.func.avg(Application.hearts))
                          .where(Application.round_id.in_(round_ids))).one()
    rankings = session.exec(select(sa.func.count(), sa.func.sum(sa.cast(Ranking.is_valid, sa.Integer)))
                            .where(Ranking.round_id.in_(round_ids))).one()
    return {"students": len(student_ids), "wishes": wishes[0], "mean_hearts": round(float(wishes[1] or 0), 2),
            "rankings": rankings[0], "valid_rankings": int(rankings[1] or 0),
            "per_specialty": {k: dict(v) for k, v in sorted(per_specialty.items())}}


def _grouped(session: Session, query, id_column, ids: list[int], group_column):
    totals: dict = defaultdict(int)
    for chunk in _chunks(ids):
        for key, count in session.exec(query.where(id_column.in_(chunk)).group_by(group_column)).all():
            totals[key] += count
    return totals.items()


def purge_campaign(campaign_id: int, *, today: dt.date, dry_run: bool = False,
                   actor_user_id: int | None = None) -> PurgeReport:
    with transaction() as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            raise PurgeRefused(f"La campagne {campaign_id} n'existe pas.")
        ended = campaign_end(session, campaign_id)
        if ended is None or ended >= today:
            raise PurgeRefused(f"{campaign.name} n'est pas terminée : ses données personnelles sont conservées.")
        allowed = ended + dt.timedelta(days=RETENTION_DAYS)
        if today <= allowed:
            raise PurgeRefused(f"{campaign.name} s'est terminée le {ended:%d/%m/%Y} : ses données personnelles sont "
                               f"conservées {RETENTION_DAYS} jours, la purge sera possible à partir du "
                               f"{allowed + dt.timedelta(days=1):%d/%m/%Y}.")
        round_ids = session.exec(select(Round.id).join(Wave, Wave.id == Round.wave_id)
                                 .where(Wave.campaign_id == campaign_id)).all()
        other_rounds = select(Round.id).join(Wave, Wave.id == Round.wave_id).where(Wave.campaign_id != campaign_id)
        elsewhere = (select(Application.student_id).where(Application.round_id.in_(other_rounds))
                     .union(select(Assignment.student_id).where(Assignment.round_id.in_(other_rounds))))
        end_of_campaign = dt.datetime.combine(ended + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc)
        rows = session.exec(
            select(Student.id, Student.user_id).join(User, User.id == Student.user_id)
            .where(Student.id.not_in(elsewhere), User.created_at < end_of_campaign,
                   User.first_name != "ANONYME")).all()
        student_ids = [s for s, _ in rows]
        user_ids = [u for _, u in rows]
        report = PurgeReport(campaign.name, ended, students=len(student_ids))
        report.statistics = _statistics(session, round_ids, student_ids)
        report.wishes = session.exec(select(sa.func.count()).select_from(Application)
                                     .where(Application.round_id.in_(round_ids))).one()
        report.ranking_entries = session.exec(
            select(sa.func.count()).select_from(RankingEntry).join(Ranking, Ranking.id == RankingEntry.ranking_id)
            .where(Ranking.round_id.in_(round_ids))).one()
        owned = []
        for chunk in _chunks(user_ids):
            owned.extend(session.exec(select(Document).where(Document.owner_user_id.in_(chunk))).all())
        report.documents = len(owned)
        for chunk in _chunks(user_ids):
            report.mails += session.exec(select(sa.func.count()).select_from(OutboxMail)
                                         .where(OutboxMail.to_address.in_(_addresses(chunk)))).one()
        if dry_run:
            return report

        session.execute(sa.delete(Application).where(Application.round_id.in_(round_ids)))
        ranking_ids = select(Ranking.id).where(Ranking.round_id.in_(round_ids))
        session.execute(sa.delete(RankingEntry).where(RankingEntry.ranking_id.in_(ranking_ids)))
        for chunk in _chunks(student_ids):
            session.execute(sa.delete(Observation).where(Observation.student_id.in_(chunk)))
            session.execute(sa.update(Student).where(Student.id.in_(chunk))
                            .values(ine=sa.literal("ANON") + sa.cast(Student.id, sa.String), intern_number="",
                                    presentation=""))
            session.execute(sa.update(AuditEntry).where(AuditEntry.entity == "student", AuditEntry.entity_id.in_(chunk))
                            .values(before_json=None, after_json=None))
        for chunk in _chunks(user_ids):
            session.execute(sa.delete(SignInToken).where(SignInToken.user_id.in_(chunk)))
            session.execute(sa.delete(OutboxMail).where(OutboxMail.to_address.in_(_addresses(chunk))))
            session.execute(sa.delete(PendingEmail).where(PendingEmail.user_id.in_(chunk)))
            session.execute(sa.delete(UserEmail).where(UserEmail.user_id.in_(chunk)))
            session.execute(sa.delete(UserSession).where(UserSession.user_id.in_(chunk)))
            session.execute(sa.update(SupportTicket).where(SupportTicket.user_id.in_(chunk))
                            .values(full_name="ANONYME", email="", description="", subject="(purgé)",
                                    attachment_document_id=None))
            session.execute(sa.update(User).where(User.id.in_(chunk))
                            .values(first_name="ANONYME", last_name=sa.literal("ANONYME-") + sa.cast(User.id, sa.String),
                                    phone="", is_active=False, last_login_at=None))
            session.execute(sa.update(AuditEntry).where(AuditEntry.entity == "user", AuditEntry.entity_id.in_(chunk))
                            .values(before_json=None, after_json=None))
        for document in owned:
            session.delete(document)
            documents.delete_file_after_commit(session, document)
        audit.record(session, actor_user_id=actor_user_id, action="campaign.purge", entity="campaign",
                     entity_id=campaign_id, after={"summary": report.summary(), "statistics": report.statistics})
        report.applied = True
        log.info("personal data of campaign %s purged: %s", campaign_id, report.summary())
        return report
