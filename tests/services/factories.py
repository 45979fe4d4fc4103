"""Small builders for service tests: a few rows, written through the same transaction helper as the app."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.demo.calendar_plan import plan
from siimop_app.demo.generator import DEMO_ACCOUNTS
from siimop_app.domain.calendar import PARIS
from siimop_app.domain.roles import Role
from siimop_app.models import Application, AuditEntry, Campaign, Establishment, Phase, Post, PostSupervisor
from siimop_app.models import RoleGrant, Round, Site, Specialty, Student, Subdivision, User, UserEmail, Wave, utcnow
from siimop_app.services import audit, calendar
from siimop_app.services.receipts import RECEIPT_ACTION, receipt_record
from siimop_app.services.auth import SignedInUser


def make_user(email: str, *roles: str, first: str = "Camille", last: str = "Durand",
              secondary: dict[str, bool] | None = None, active: bool = True, **scope) -> int:
    """A user with a validated main address, optional secondary addresses (address -> validated) and roles."""
    with transaction() as session:
        user = User(first_name=first, last_name=last, is_active=active)
        session.add(user)
        session.flush()
        session.add(UserEmail(user_id=user.id, email=email, kind="main", validated_at=utcnow()))
        for address, validated in (secondary or {}).items():
            session.add(UserEmail(user_id=user.id, email=address, kind="personal",
                                  validated_at=utcnow() if validated else None))
        for role in roles:
            session.add(RoleGrant(user_id=user.id, role=role, **scope))
        return user.id


def days_ago(days: float) -> dt.datetime:
    return utcnow() - dt.timedelta(days=days)


def make_campaign(phase: str = "ranking", *, today: dt.date | None = None) -> dict[int, int]:
    """A campaign of one wave dated as the demo's (files, posts, two matched rounds, an in-person third) so that
    ``today`` (default: the app's today, ``SIIMOP_TODAY`` included) falls in ``phase`` ("closed": it is over).
    No people, posts or wishes. Returns {round number: round id}."""
    today = today or calendar.now().date()
    with transaction() as session:
        campaign = Campaign(name=f"Campagne Mai {today.year}")
        session.add(campaign)
        session.flush()
        wave = Wave(campaign_id=campaign.id, number=1, name=f"Vague 1 Campagne Mai {today.year}",
                    subtitle="Docteurs Juniors")
        session.add(wave)
        session.flush()
        rounds = {number: Round(wave_id=wave.id, number=number, in_person=number == 3) for number in (1, 2, 3)}
        session.add_all(rounds.values())
        session.flush()
        for planned in plan(today, phase):
            round_id = rounds[planned.round_number].id if planned.round_number else None
            session.add(Phase(wave_id=wave.id, round_id=round_id, kind=planned.kind, starts_on=planned.starts_on,
                              ends_on=planned.ends_on))
        return {number: round_.id for number, round_ in rounds.items()}


def _code_id(session, model, code: str | None) -> int:
    """The id of a reference row by its code (a subdivision's "AMIENS", a DES's "MED-URG"); None: the first one."""
    query = select(model.id).order_by(model.id)
    return session.exec(query.where(model.code == code) if code else query).first()


def reference_id(model, code: str) -> int:
    """The id of a region, subdivision or DES of the reference data by its code ("HDF", "AMIENS", "MED-URG")."""
    with transaction() as session:
        return session.exec(select(model.id).where(model.code == code)).one()


def make_student(email: str, *, first: str = "Rémi", last: str = "Thermidor", participating: bool = True,
                 ine: str = "0000000001A", specialty: str | None = None, subdivision: str | None = None
                 ) -> SignedInUser:
    """A student, as signed in (no wishes, no file), of the DES and subdivision with these codes (default: the
    first of the reference data)."""
    user_id = make_user(email, Role.STUDENT, first=first, last=last)
    with transaction() as session:
        session.add(Student(user_id=user_id, ine=ine, intern_number=ine[:8],
                            subdivision_id=_code_id(session, Subdivision, subdivision),
                            specialty_id=_code_id(session, Specialty, specialty), participating=participating))
    return SignedInUser(user_id, first, last, email, (Role.STUDENT,))


def student_id(user: SignedInUser | int) -> int:
    """The student row of a person (a signed-in user or a user id)."""
    user_id = user if isinstance(user, int) else user.user_id
    with transaction() as session:
        return session.exec(select(Student.id).where(Student.user_id == user_id)).one()


def make_supervisor(email: str, *, first: str = "Isabelle", last: str = "FERNBACH") -> int:
    """A supervisor (RTS) without posts: give them some with ``make_post``."""
    return make_user(email, Role.SUPERVISOR, first=first, last=last)


def make_post(*supervisors: int, post_type: str = "simple", places: int = 1, months: int = 6, decale: bool = False,
              specialty: str = "MED-URG", subdivision: str = "AMIENS", site: str = "S.A.U. - SMUR",
              establishment: str = "CH D'ABBEVILLE", second_site: str = "SMUR", description: str = "",
              indication: str = "") -> int:
    """A post of the latest wave (``make_campaign`` first) on a new site of ``establishment``, numbered after the
    wave's last post. ``supervisors``: the référent first; a couplé or mixte post's second site belongs to the
    second one (who sees the post without ranking it). Returns the post's id."""
    with transaction() as session:
        wave_id = session.exec(select(Wave.id).order_by(Wave.id.desc())).first()
        specialty_id = _code_id(session, Specialty, specialty)
        subdivision_id = _code_id(session, Subdivision, subdivision)
        place = session.exec(select(Establishment).where(Establishment.name == establishment,
                                                         Establishment.subdivision_id == subdivision_id)).first()
        if place is None:
            place = Establishment(name=establishment, subdivision_id=subdivision_id)
            session.add(place)
            session.flush()

        def new_site(name: str, supervisor: int | None, **extra) -> int:
            row = Site(approval_number=f"AGR-{name[:10]}", site_number=f"S-{name[:10]}", name=name,
                       approval_specialty_id=specialty_id, establishment_id=place.id, subdivision_id=subdivision_id,
                       supervisor_user_id=supervisor, **extra)
            session.add(row)
            session.flush()
            return row.id

        referent = supervisors[0] if supervisors else None
        other = supervisors[1] if len(supervisors) > 1 else referent
        number = (session.exec(select(sa.func.max(Post.post_number)).where(Post.wave_id == wave_id)).one() or 0) + 1
        post = Post(wave_id=wave_id, post_number=number, site_id=new_site(site, referent, description=description),
                    second_site_id=None if post_type == "simple" else new_site(second_site, other),
                    post_type=post_type, months=months, decale=decale, places_opened=places, indication=indication,
                    calling_specialty_id=specialty_id, subdivision_id=subdivision_id)
        session.add(post)
        session.flush()
        for position, user_id in enumerate(supervisors):
            session.add(PostSupervisor(post_id=post.id, user_id=user_id, is_referent=position == 0))
        return post.id


def make_seed_posts(*, description: str = "") -> tuple[int, int, dict[str, int]]:
    """The demo RTS's three posts of the seed, in AMIENS and MÉDECINE D'URGENCE, with the demo's two supervisors
    (their addresses and names): a décalé simple post of 2 places on the RTS's Abbeville site (``description``), a
    couplé post whose référent is the RTS (second site: RTS2's), a mixte post whose référent is RTS2 (second site, a
    practice: the RTS's). Returns (the RTS's user id, RTS2's, {post type: post id})."""
    rts = make_supervisor(DEMO_ACCOUNTS["rts"][2], first=DEMO_ACCOUNTS["rts"][0], last=DEMO_ACCOUNTS["rts"][1])
    rts2 = make_supervisor(DEMO_ACCOUNTS["rts2"][2], first=DEMO_ACCOUNTS["rts2"][0], last=DEMO_ACCOUNTS["rts2"][1])
    posts = {
        "simple": make_post(rts, places=2, decale=True, description=description),
        "couple": make_post(rts, rts2, post_type="couple", months=12, site="ACCUEIL DES URGENCES ET SMUR",
                            establishment="CH DE CLERMONT"),
        "mixte": make_post(rts2, rts, post_type="mixte", months=12, site="U.A.U. S.M.U.R.",
                           establishment="CH DE SAINT-QUENTIN", second_site="MAISON DE SANTE PLURIPROFESSIONNELLE"),
    }
    return rts, rts2, posts


def make_wishes(student: SignedInUser, round_id: int, hearts: dict[int, int], *, receipt: bool = True,
                sufficient: bool = True) -> None:
    """A student's recorded wishes (post id -> hearts) in a round, with the receipt saving them writes (its audit
    row, dated now) unless ``receipt`` is False (wishes loaded by another path)."""
    sid = student_id(student)
    with transaction() as session:
        ine = session.exec(select(Student.ine).where(Student.id == sid)).one()
        session.add_all(Application(round_id=round_id, student_id=sid, post_id=post_id, hearts=value)
                        for post_id, value in hearts.items())
        if receipt:
            at = utcnow()
            record = receipt_record(ine=ine, round_id=round_id, hearts=hearts,
                                    at_iso=at.astimezone(PARIS).isoformat(), sufficient=sufficient)
            session.add(AuditEntry(at=at, actor_user_id=student.user_id, action=RECEIPT_ACTION, entity="student",
                                   entity_id=sid, before_json=None, after_json=audit.to_json(record)))
