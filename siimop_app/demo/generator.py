"""Generate a realistic demo campaign straight into the database.

Rows are built in memory with explicit ids and written with bulk INSERTs (one
statement per chunk, not one per row): the national campaign (7,400 students,
6,000 posts, ~75,000 wishes) is written in seconds on SQLite and PostgreSQL.

Decisions the generator makes (they shape the demo, not the product rules):
- "Posts offered to the specialty" for the sufficiency rule are the posts of the
  student's specialty in the student's subdivision: the matching is national but
  students mostly apply at home, and with ~10 wishes each a national 20 % would
  make every list insufficient. About 6 % of students get a deliberately short list.
- Each specialty opens at least 107 % as many places as it has students (≈ 110 %).
- During the ranking phase, rankings exist for about 70 % of the posts that have
  candidates (the phase is under way); about 15 % of those are invalid. Once the
  phase is over (``results``, ``closed``) the rankings are those of a finished
  phase: about 98 % of the posts with candidates are ranked and about 4 % of those
  are invalid, so closing round 1 places ~96 % of the students in it, as real
  campaigns do (2020: 1,179 of 1,226). The rest are valid by construction.
  Validity is always computed by ``siimop_app.domain.ranking_rules``.
- Every student with wishes has the receipt of their last submission (an audit row made by
  ``services.receipts.receipt_record``, as saving does), dated inside round 1's wishes phase.
- The demo accounts' own posts are left unranked during the ranking phase so a
  visitor can rank them; once it is over they are ranked like the others.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import SQLModel

from siimop_app.demo import reference_data as ref
from siimop_app.demo.calendar_plan import plan
from siimop_app.domain.ranking_rules import Candidate, check_ranking
from siimop_app.domain.calendar import PARIS
from siimop_app.domain.roles import Role
from siimop_app.domain.round_status import RoundStatus
from siimop_app.domain.sufficiency import required_wishes
from siimop_app.models import (
    Application,
    AuditEntry,
    Campaign,
    Establishment,
    Phase,
    Post,
    PostSupervisor,
    Ranking,
    RankingEntry,
    RoleGrant,
    Round,
    Site,
    Student,
    User,
    UserEmail,
    Wave,
    utcnow,
)
from siimop_app.services import audit
from siimop_app.services.receipts import RECEIPT_ACTION, receipt_record
from siimop_app.reference import ReferenceIds

DEMO_DOMAIN = "demo.siimop.fr"
# Demo phases in which round 1's ranking phase is over: its rankings are final.
FINISHED_RANKING_PHASES = ("results", "closed")


@dataclasses.dataclass(frozen=True)
class Scale:
    students: int
    specialty_codes: tuple[str, ...] | None  # None: every specialty
    subdivision_codes: tuple[str, ...] | None  # None: every subdivision


SCALES = {
    "small": Scale(
        students=320,
        specialty_codes=("MED-URG", "PEDIATRIE", "PSYCHIATRIE", "ANESTH-REA", "GYNECO-OBST", "RHUMATO"),
        subdivision_codes=("AMIENS", "LILLE", "ROUEN", "CAEN", "REIMS"),
    ),
    "national": Scale(students=7400, specialty_codes=None, subdivision_codes=None),
}

# The fixed demo accounts (README lists them). The RTS, the second RTS, the student
# and the coordinator work in emergency medicine around Amiens and Lille, as in the seed.
DEMO_ACCOUNTS = {
    "rts": ("Isabelle", "Fernbach", f"rts@{DEMO_DOMAIN}"),
    "rts2": ("Carole", "Barthelemy", f"rts2@{DEMO_DOMAIN}"),
    Role.STUDENT: ("Rémi", "Thermidor", f"etudiant@{DEMO_DOMAIN}"),
    Role.COORDINATOR: ("Sophie", "Moreau-Thiberge", f"coordo@{DEMO_DOMAIN}"),
    Role.MANAGER: ("Arnaud", "Monier", f"ars@{DEMO_DOMAIN}"),
    Role.ADMIN: ("Admin", "Siimop", f"admin@{DEMO_DOMAIN}"),
}
DEMO_SPECIALTY = "MED-URG"
DEMO_RTS_SUBDIVISION = "AMIENS"
DEMO_STUDENT_SUBDIVISION = "LILLE"
STUDENT_SECONDARY_EMAIL = f"etudiant.perso@{DEMO_DOMAIN}"
# What two demo supervisors wrote about their sites ("Mes postes", Description).
DEMO_SITE_DESCRIPTIONS = (
    "Service d'accueil des urgences adultes et pédiatriques (environ 38 000 passages par an) avec SMUR terrestre. "
    "Le Docteur Junior prend en charge les patients en autonomie supervisée, participe aux sorties SMUR avec un "
    "senior et assure une garde par semaine. Staff quotidien à 8 h 30, bibliographie le jeudi.",
    "Unité d'accueil des urgences avec SMUR, couplée à une maison de santé pluriprofessionnelle : deux jours par "
    "semaine en soins non programmés en ville. Logement possible à l'internat.",
)


@dataclasses.dataclass
class DemoReport:
    students: int = 0
    posts: int = 0
    places: int = 0
    applications: int = 0
    insufficient_lists: int = 0
    rankings: int = 0
    valid_rankings: int = 0
    supervisors: int = 0
    seconds: float = 0.0


class _Rows:
    """Rows per table, with explicit ids, written in bulk at the end."""

    def __init__(self) -> None:
        self.by_table: dict[type[SQLModel], list[dict]] = defaultdict(list)

    def add(self, model: type[SQLModel], **values) -> int:
        rows = self.by_table[model]
        values["id"] = len(rows) + 1
        rows.append(values)
        return values["id"]


class DemoGenerator:
    def __init__(self, *, scale: str, seed: int, today: dt.date, phase: str, reference: ReferenceIds) -> None:
        self.scale = SCALES[scale]
        self.reference = reference
        self.rng = random.Random(seed)
        # The receipts' times have their own stream: the rest of the demo stays the same for a given seed.
        self.receipt_rng = random.Random(f"receipts-{seed}")
        self.today = today
        self.phase = phase
        self.rows = _Rows()
        self.now = utcnow()
        self.used_emails: set[str] = set()
        self.used_ine: set[str] = set()
        self.report = DemoReport()

    # ---------------------------------------------------------------- helpers
    def _unique_email(self, first: str, last: str, domain: str) -> str:
        base = ref.email_local_part(first, last)
        candidate, n = f"{base}@{domain}", 1
        while candidate in self.used_emails:
            n += 1
            candidate = f"{base}{n}@{domain}"
        self.used_emails.add(candidate)
        return candidate

    def _user(self, first: str, last: str, email: str, *roles: tuple[str, dict], logged_in: bool = False) -> int:
        user_id = self.rows.add(
            User,
            first_name=first,
            last_name=last,
            phone="",
            is_active=True,
            created_at=self.now,
            last_login_at=self.now - dt.timedelta(hours=self.rng.randint(1, 400)) if logged_in else None,
        )
        self.used_emails.add(email)
        self.rows.add(UserEmail, user_id=user_id, email=email, kind="main", validated_at=self.now, created_at=self.now)
        for role, scope in roles:
            self.rows.add(RoleGrant, user_id=user_id, role=role, region_id=scope.get("region_id"),
                          subdivision_id=scope.get("subdivision_id"), specialty_id=scope.get("specialty_id"))
        return user_id

    def _random_person(self) -> tuple[str, str]:
        return self.rng.choice(ref.FIRST_NAMES), self.rng.choice(ref.LAST_NAMES)

    def _ine(self) -> str:
        while True:
            value = f"{self.rng.randrange(10**9, 10**10)}{self.rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ')}"
            if value not in self.used_ine:
                self.used_ine.add(value)
                return value

    # -------------------------------------------------------------- reference
    def _references(self) -> None:
        # Regions, subdivisions, specialties and options are the national reference data, already in the
        # database (siimop_app/reference.py); the demo only points at them.
        ids = self.reference
        wanted_subdivisions = [
            s for s in ref.SUBDIVISIONS
            if self.scale.subdivision_codes is None or s.code in self.scale.subdivision_codes
        ]
        self.region_ids = dict(ids.regions)
        self.subdivisions = wanted_subdivisions
        self.subdivision_ids = {s.code: ids.subdivisions[s.code] for s in wanted_subdivisions}
        self.subdivision_region = {s.code: s.region_code for s in wanted_subdivisions}
        self.specialties = [
            s for s in ref.SPECIALTIES if self.scale.specialty_codes is None or s.code in self.scale.specialty_codes
        ]
        self.specialty_ids = {s.code: ids.specialties[s.code] for s in self.specialties}
        self.option_ids: dict[str, list[int]] = {
            s.code: [ids.options[o.code] for o in s.options] for s in self.specialties
        }
        self.establishments: dict[str, list[int]] = {}
        for sub in wanted_subdivisions:
            self.establishments[sub.code] = [
                self.rows.add(Establishment, name=name, city=sub.city, postal_code="",
                              subdivision_id=self.subdivision_ids[sub.code])
                for name in ref.establishment_names(sub.code)
            ]

    # --------------------------------------------------------------- calendar
    def _calendar(self) -> None:
        year = self.today.year
        campaign_id = self.rows.add(Campaign, name=f"Campagne Mai {year}", news_url="", created_at=self.now)
        self.wave_id = self.rows.add(Wave, campaign_id=campaign_id, number=1,
                                     name=f"Vague 1 Campagne Mai {year}", subtitle="Docteurs Juniors")
        self.round_ids = {
            number: self.rows.add(Round, wave_id=self.wave_id, number=number, in_person=number == 3, status=RoundStatus.OPEN.value,
                                  closed_at=None, closed_by_user_id=None, instance_json=None, result_json=None,
                                  certificate=None)
            for number in (1, 2, 3)
        }
        for phase in plan(self.today, self.phase):
            if phase.kind == "wishes" and phase.round_number == 1:
                self.wishes_days = (phase.starts_on, phase.ends_on)
            self.rows.add(Phase, wave_id=self.wave_id,
                          round_id=self.round_ids[phase.round_number] if phase.round_number else None,
                          kind=phase.kind, starts_on=phase.starts_on, ends_on=phase.ends_on)

    # ----------------------------------------------------------------- people
    def _students(self) -> None:
        rng = self.rng
        spec_weights = [s.weight for s in self.specialties]
        sub_weights = [s.weight for s in self.subdivisions]
        # (specialty code, subdivision code) of each generated student.
        self.student_keys: list[tuple[str, str]] = [
            (rng.choices(self.specialties, spec_weights)[0].code, rng.choices(self.subdivisions, sub_weights)[0].code)
            for _ in range(self.scale.students - 1)
        ]
        self.student_keys.append((DEMO_SPECIALTY, DEMO_STUDENT_SUBDIVISION))  # the demo student, last
        self.students: list[dict] = []
        for index, (spec, sub) in enumerate(self.student_keys):
            is_demo = index == len(self.student_keys) - 1
            if is_demo:
                first, last, email = DEMO_ACCOUNTS[Role.STUDENT]
            else:
                first, last = self._random_person()
                email = self._unique_email(first, last, f"etu.{DEMO_DOMAIN}")
            user_id = self._user(first, last, email, (Role.STUDENT, {}), logged_in=is_demo or rng.random() < 0.4)
            if is_demo:
                self.rows.add(UserEmail, user_id=user_id, email=STUDENT_SECONDARY_EMAIL, kind="personal",
                              validated_at=self.now, created_at=self.now)
            options = self.option_ids.get(spec, [])
            student = {
                "user_id": user_id,
                "ine": self._ine(),
                "intern_number": f"{rng.randrange(10**7, 10**8)}",
                "subdivision_id": self.subdivision_ids[sub],
                "specialty_id": self.specialty_ids[spec],
                "option_id": rng.choice(options) if options and rng.random() < 0.25 else None,
                "semestre_decale": is_demo or rng.random() < 0.05,
                "participating": is_demo or rng.random() < 0.95,
                "presentation": "",
            }
            student["id"] = self.rows.add(Student, **student)
            student["spec"], student["sub"] = spec, sub
            self.students.append(student)
        self.report.students = len(self.students)

    # ------------------------------------------------------------------ posts
    def _supervisor(self, spec: str, sub: str, pool: dict, *, fresh: bool = False) -> int:
        """A supervisor of this specialty and subdivision; most supervise one site, some two or three."""
        existing = pool[(spec, sub)]
        if existing and not fresh and self.rng.random() < 0.25:
            return self.rng.choice(existing)
        first, last = self._random_person()
        user_id = self._user(first, last, self._unique_email(first, last, f"chu.{DEMO_DOMAIN}"),
                             (Role.SUPERVISOR, {}), logged_in=self.rng.random() < 0.5)
        existing.append(user_id)
        self.report.supervisors += 1
        return user_id

    def _site(self, spec: str, sub: str, supervisor_id: int, *, name: str | None = None, ambulatory: bool = False,
              establishment_id: int | None = None, description: str = "") -> int:
        rng = self.rng
        names = ref.AMBULATORY_SITE_NAMES if ambulatory else ref.SITE_NAMES.get(spec) or ("SERVICE HOSPITALIER",)
        establishment_id = establishment_id or rng.choice(self.establishments[sub])
        approval = f"{rng.randrange(10**7, 10**8)}"
        return self.rows.add(
            Site,
            approval_number=f"{approval}{rng.randrange(1000, 9999)}",
            site_number=approval,
            name=name or rng.choice(names),
            is_university=not ambulatory and rng.random() < 0.6,
            approval_specialty_id=self.specialty_ids[spec],
            option_id=None,
            establishment_id=establishment_id,
            subdivision_id=self.subdivision_ids[sub],
            supervisor_user_id=supervisor_id,
            description=description,
            descriptive_document_id=None,
        )

    def _post(self, spec: str, sub: str, *, places: int, post_type: str, decale: bool, site_id: int,
              second_site_id: int | None, referent: int, other: int | None, months: int | None = None) -> int:
        self.post_number += 1
        post_id = self.rows.add(
            Post,
            wave_id=self.wave_id,
            post_number=self.post_number,
            site_id=site_id,
            second_site_id=second_site_id,
            post_type=post_type,
            months=months or (12 if self.rng.random() < 0.3 else 6),
            indication=self.rng.choice(ref.INDICATIONS),
            decale=decale,
            places_opened=places,
            calling_specialty_id=self.specialty_ids[spec],
            option_id=None,
            subdivision_id=self.subdivision_ids[sub],
            validated_by_ars=self.rng.random() < 0.8,
            validated_at=self.now,
            updated_at=self.now,
        )
        self.rows.add(PostSupervisor, post_id=post_id, user_id=referent, is_referent=True)
        if other is not None and other != referent:
            self.rows.add(PostSupervisor, post_id=post_id, user_id=other, is_referent=False)
        self.posts.append({"id": post_id, "spec": spec, "sub": sub, "places": places})
        self.report.places += places
        return post_id

    def _posts(self) -> None:
        rng = self.rng
        self.post_number = 0
        self.posts: list[dict] = []
        pool: dict[tuple[str, str], list[int]] = defaultdict(list)
        self._demo_posts(pool)
        students_per_key: dict[tuple[str, str], int] = defaultdict(int)
        for key in self.student_keys:
            students_per_key[key] += 1
        for spec in (s.code for s in self.specialties):
            spec_students = sum(n for (s, _), n in students_per_key.items() if s == spec)
            target_places = math.ceil(spec_students * 1.10) + 1
            # Places follow the students: each subdivision gets its share, at least one post.
            subs = [s.code for s in self.subdivisions]
            weights = [students_per_key.get((spec, sub), 0) + 0.3 for sub in subs]
            per_sub_places = {sub: max(1, round(target_places * w / sum(weights))) for sub, w in zip(subs, weights)}
            placed = sum(per_sub_places.values()) + sum(p["places"] for p in self.posts if p["spec"] == spec)
            while placed < target_places:
                sub = rng.choices(subs, weights)[0]
                per_sub_places[sub] += 1
                placed += 1
            for sub, sub_places in per_sub_places.items():
                remaining = sub_places
                while remaining > 0:
                    places = min(remaining, rng.choices((1, 2, 3), (0.64, 0.27, 0.09))[0])
                    remaining -= places
                    kind = rng.choices(("simple", "couple", "mixte"), (0.8, 0.12, 0.08))[0]
                    referent = self._supervisor(spec, sub, pool)
                    site_id = self._site(spec, sub, referent)
                    second_site_id = other = None
                    if kind != "simple":
                        other = self._supervisor(spec, sub, pool, fresh=True)
                        second_site_id = self._site(spec, sub, other, ambulatory=kind == "mixte")
                    self._post(spec, sub, places=places, post_type=kind, decale=rng.random() < 0.08,
                               site_id=site_id, second_site_id=second_site_id, referent=referent, other=other)
        self.report.posts = len(self.posts)

    def _demo_posts(self, pool: dict) -> None:
        """The demo RTS's posts, as in the seed: a décalé simple post, a couplé (référent) and a mixte (not référent)."""
        spec, sub = DEMO_SPECIALTY, DEMO_RTS_SUBDIVISION
        first, last, email = DEMO_ACCOUNTS["rts"]
        # Like many RTS, the demo one also coordinates the specialty locally: the shell links both interfaces.
        local = {"subdivision_id": self.subdivision_ids[sub], "specialty_id": self.specialty_ids[spec]}
        rts = self._user(first, last, email, (Role.SUPERVISOR, {}), (Role.COORDINATOR, local), logged_in=True)
        first, last, email = DEMO_ACCOUNTS["rts2"]
        rts2 = self._user(first, last, email, (Role.SUPERVISOR, {}), logged_in=True)
        self.report.supervisors += 2
        by_name = {name: i for i, name in zip(self.establishments[sub], ref.establishment_names(sub))}

        def establishment(fragment: str) -> int | None:
            return next((i for name, i in by_name.items() if fragment in name), None)

        abbeville = self._site(spec, sub, rts, name="S.A.U. - SMUR", establishment_id=establishment("ABBEVILLE"),
                               description=DEMO_SITE_DESCRIPTIONS[0])
        clermont = self._site(spec, sub, rts, name="ACCUEIL DES URGENCES ET SMUR", establishment_id=establishment("CLERMONT"))
        clermont_second = self._site(spec, sub, rts2, name="SMUR", establishment_id=establishment("BEAUVAIS"))
        saint_quentin = self._site(spec, sub, rts2, name="U.A.U. S.M.U.R.", establishment_id=establishment("SAINT-QUENTIN"),
                                   description=DEMO_SITE_DESCRIPTIONS[1])
        practice = self._site(spec, sub, rts, ambulatory=True, name="MAISON DE SANTE PLURIPROFESSIONNELLE")
        self.demo_post_ids = [
            self._post(spec, sub, places=2, post_type="simple", decale=True, site_id=abbeville, second_site_id=None,
                       referent=rts, other=None, months=6),
            self._post(spec, sub, places=1, post_type="couple", decale=False, site_id=clermont,
                       second_site_id=clermont_second, referent=rts, other=rts2, months=12),
            self._post(spec, sub, places=1, post_type="mixte", decale=False, site_id=saint_quentin,
                       second_site_id=practice, referent=rts2, other=rts, months=12),
        ]

    # ----------------------------------------------------------- coordinators
    def _staff(self) -> None:
        first, last, email = DEMO_ACCOUNTS[Role.COORDINATOR]
        self._user(first, last, email, (Role.COORDINATOR, {"subdivision_id": self.subdivision_ids[DEMO_RTS_SUBDIVISION],
                                                         "specialty_id": self.specialty_ids[DEMO_SPECIALTY]}),
                   logged_in=True)
        first, last, email = DEMO_ACCOUNTS[Role.MANAGER]
        region = self.subdivision_region[DEMO_RTS_SUBDIVISION]
        self._user(first, last, email, (Role.MANAGER, {"region_id": self.region_ids[region]}), logged_in=True)
        first, last, email = DEMO_ACCOUNTS[Role.ADMIN]
        self._user(first, last, email, (Role.ADMIN, {}), logged_in=True)
        # One coordinator per specialty and subdivision that has students, as in a real campaign.
        for spec, sub in sorted(set(self.student_keys)):
            first, last = self._random_person()
            self._user(first, last, self._unique_email(first, last, f"univ.{DEMO_DOMAIN}"),
                       (Role.COORDINATOR, {"subdivision_id": self.subdivision_ids[sub],
                                        "specialty_id": self.specialty_ids[spec]}),
                       logged_in=self.rng.random() < 0.7)

    # ----------------------------------------------------------------- wishes
    def _hearts(self, count: int) -> list[int]:
        """Hearts for a list, best first, with ties, as students really rate (a few favourites, then a plateau)."""
        hearts, level = [], 5
        for _ in range(count):
            hearts.append(level)
            if self.rng.random() < 0.45 and level > 1:
                level -= 1
        if count > 3 and self.rng.random() < 0.15:
            hearts[-1] = 0  # "never send me there"
        return hearts

    def _wishes(self) -> None:
        if self.phase in ("student_files", "posts"):
            return
        rng = self.rng
        round_id = self.round_ids[1]
        posts_by_spec_sub: dict[tuple[str, str], list[dict]] = defaultdict(list)
        posts_by_spec_region: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for post in self.posts:
            post["popularity"] = rng.paretovariate(1.2)
            posts_by_spec_sub[(post["spec"], post["sub"])].append(post)
            posts_by_spec_region[(post["spec"], self.subdivision_region[post["sub"]])].append(post)
        self.candidates: dict[int, list[int]] = defaultdict(list)  # post id -> student ids
        demo_student = self.students[-1]
        for student in self.students:
            if not student["participating"]:
                continue
            home = posts_by_spec_sub[(student["spec"], student["sub"])]
            required = required_wishes(len(home))
            region_pool = posts_by_spec_region[(student["spec"], self.subdivision_region[student["sub"]])]
            short_list = student is not demo_student and rng.random() < 0.06
            wanted = rng.randint(1, max(1, required - 1)) if short_list else max(required, round(rng.gauss(11.5, 2.5)))
            picked: dict[int, dict] = {}
            if student is demo_student:
                for post_id in self.demo_post_ids:
                    picked[post_id] = {"id": post_id}
            for pool in (home, region_pool):
                if len(picked) >= wanted:
                    break
                need = wanted - len(picked)
                available = [p for p in pool if p["id"] not in picked]
                weights = [p["popularity"] for p in available]
                while available and need > 0:
                    choice = rng.choices(range(len(available)), weights)[0]
                    post = available.pop(choice)
                    weights.pop(choice)
                    picked[post["id"]] = post
                    need -= 1
            hearts = self._hearts(len(picked))
            rated = 0
            saved_at = self._wishes_saved_at()
            for post_id, heart in zip(picked, hearts):
                self.rows.add(Application, round_id=round_id, student_id=student["id"], post_id=post_id,
                              hearts=heart, updated_at=saved_at)
                rated += heart > 0
            if rated >= required:
                # Only a sufficient list makes a candidate (README, Decisions): supervisors never see, hence never
                # rank, the others, and a stored validity computed with them would disagree with the rules.
                for post_id, heart in zip(picked, hearts):
                    if heart > 0:
                        self.candidates[post_id].append(student["id"])
            self._receipt(student, round_id, dict(zip(picked, hearts)), saved_at, sufficient=rated >= required)
            self.report.applications += len(picked)
            self.report.insufficient_lists += rated < required

    def _wishes_saved_at(self) -> dt.datetime:
        """When a student saved their list: a day of round 1's wishes phase before today, in the daytime (UTC)."""
        first, last = self.wishes_days
        last = max(first, min(last, self.today - dt.timedelta(days=1)))
        rng = self.receipt_rng
        day = first + dt.timedelta(days=rng.randint(0, (last - first).days))
        moment = dt.datetime.combine(day, dt.time(rng.randint(8, 22), rng.randint(0, 59), rng.randint(0, 59)),
                                     tzinfo=PARIS)
        return moment.astimezone(dt.UTC)

    def _receipt(self, student: dict, round_id: int, hearts: dict[int, int], saved_at: dt.datetime, *,
                 sufficient: bool) -> None:
        """The receipt of the student's submission, exactly as saving the wishes writes it."""
        record = receipt_record(ine=student["ine"], round_id=round_id, hearts=hearts,
                                at_iso=saved_at.astimezone(PARIS).isoformat(), sufficient=sufficient)
        self.rows.add(AuditEntry, at=saved_at, actor_user_id=student["user_id"], action=RECEIPT_ACTION,
                      entity="student", entity_id=student["id"], before_json=None, after_json=audit.to_json(record))

    # --------------------------------------------------------------- rankings
    def _rankings(self) -> None:
        if self.phase not in ("ranking", *FINISHED_RANKING_PHASES):
            return
        rng = self.rng
        round_id = self.round_ids[1]
        student_sub = {s["id"]: s["subdivision_id"] for s in self.students}
        finished = self.phase in FINISHED_RANKING_PHASES
        # (share of posts with candidates that are ranked, share of those rankings that are invalid)
        ranked_share, invalid_share = (0.98, 0.04) if finished else (0.7, 0.15)
        demo_posts = set() if finished else set(self.demo_post_ids)
        for post in self.posts:
            candidates = self.candidates.get(post["id"], [])
            if not candidates or post["id"] in demo_posts or rng.random() > ranked_share:
                continue
            post_sub = self.subdivision_ids[post["sub"]]
            local = [c for c in candidates if student_sub[c] == post_sub]
            others = [c for c in candidates if student_sub[c] != post_sub]
            rng.shuffle(local)
            rng.shuffle(others)
            ranked, unranked, refused = local + others, [], []
            if post["id"] not in self.demo_post_ids and rng.random() < invalid_share:
                # An invalid ranking, the way supervisors get it wrong: a candidate forgotten, or an outsider first.
                if len(ranked) > 1 and local and others and rng.random() < 0.5:
                    ranked.insert(0, ranked.pop(len(local)))
                else:
                    unranked.append(ranked.pop())
            elif len(ranked) >= 5 and rng.random() < 0.3:
                refused.append(ranked.pop())
            check = check_ranking(
                places=post["places"],
                ranked=[Candidate(c, student_sub[c] == post_sub) for c in ranked],
                unranked=[Candidate(c, student_sub[c] == post_sub) for c in unranked],
                refused=[Candidate(c, student_sub[c] == post_sub) for c in refused],
            )
            ranking_id = self.rows.add(Ranking, round_id=round_id, post_id=post["id"], is_valid=check.valid,
                                       problems="\n".join(check.problems), updated_at=self.now,
                                       updated_by_user_id=None)
            for rank, student_id in enumerate(ranked, start=1):
                self.rows.add(RankingEntry, ranking_id=ranking_id, student_id=student_id, rank=rank, refused=False)
            for student_id in unranked:
                self.rows.add(RankingEntry, ranking_id=ranking_id, student_id=student_id, rank=None, refused=False)
            for student_id in refused:
                self.rows.add(RankingEntry, ranking_id=ranking_id, student_id=student_id, rank=None, refused=True)
            self.report.rankings += 1
            self.report.valid_rankings += check.valid

    def build(self) -> _Rows:
        self._references()
        self._calendar()
        self._students()
        self._posts()
        self._staff()
        self._wishes()
        self._rankings()
        return self.rows


# Insertion order respects foreign keys.
TABLE_ORDER: tuple[type[SQLModel], ...] = (
    Establishment, Campaign, Wave, User, UserEmail, RoleGrant,
    Round, Phase, Student, Site, Post, PostSupervisor, Application, Ranking, RankingEntry, AuditEntry,
)


def _chunks(rows: list[dict], size: int) -> Iterable[list[dict]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def write(connection: sa.Connection, rows: _Rows) -> None:
    for model in TABLE_ORDER:
        table = model.__table__
        for chunk in _chunks(rows.by_table.get(model, []), 5000):
            connection.execute(table.insert(), chunk)
    # Fresh planner statistics: right after a bulk load PostgreSQL believes the tables are tiny and picks
    # nested loops that make the coordinators' tables 30x slower until autovacuum catches up.
    connection.execute(sa.text("ANALYZE"))
    if connection.dialect.name == "postgresql":
        # Ids were given explicitly: move each sequence past them.
        for model in TABLE_ORDER:
            name = model.__table__.name
            connection.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"
            ))


def erase_all(connection: sa.Connection) -> None:
    """Delete every row of every table (children first)."""
    for table in reversed(SQLModel.metadata.sorted_tables):
        connection.execute(table.delete())
