"""A student's wishes (0–5 hearts per post), their receipt, and the student's file (SPEC §4).

Wishes
------
* The student rates the posts of **their specialty in the current wave** (any
  subdivision); the list is browsed with filters and paged in SQL.
* Saving is only possible while the "wishes" phase is open; it writes the round of
  that phase. Hearts are integers 0–5; a post outside the student's specialty or
  wave, or a bad value, refuses the whole submission in French and writes nothing.
* A row is upserted per post given; a post set to 0 keeps its row at 0 ("never assign
  me there") if it had one, and gets no row otherwise (0 and "not rated" mean the same
  to the matching).
* Each submission is one transaction with one audit row (``wishes.save``, entity
  ``student``) whose ``before``/``after`` hold the whole map post id → hearts of the
  round, and whose ``after`` also holds the receipt's timestamp and digest: the
  receipt can be shown again later (``latest_receipt``) and checked (``verify_receipt``).
  ``receipt_record`` builds that ``after`` (the demo writes its receipts with it too).
* The receipt page always shows what is recorded: when the recorded list differs from the
  last receipt (or none was issued: data loaded by other means), ``latest_receipt`` returns
  the recorded list itself, marked as not covered by a receipt (``issued`` false, no digest).
* The receipt: Paris timestamp, the exact list recorded (every row of the round),
  the sufficiency, and a digest = the first 12 hex characters of SHA-256 over a
  canonical JSON of INE, round id, the sorted (post id, hearts) pairs and the
  timestamp. It is mailed to the student's main address after the commit (a mail
  failure is logged; the wishes stay saved).
* Sufficiency counts the posts rated ≥ 1 heart, against the posts offered to the
  student's specialty **in the student's subdivision** (README, Decisions; the same
  count as ``services.candidates``).

Student file
------------
The presentation text (≤ 5,000 characters) and the three documents (CV, lettre de
motivation, contrat de formation; one PDF each, a new one replaces the previous) can
be changed while the "student_files" **or** the "wishes" phase is open: supervisors
read the file during the ranking phase, so it is frozen when the wishes close.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from siimop_app.db import transaction
from siimop_app.domain.calendar import PARIS, DatedPhase
from siimop_app.domain.errors import UserError
from siimop_app.domain.roles import Role
from siimop_app.domain.sufficiency import MAX_HEARTS, Sufficiency, check_sufficiency
from siimop_app.models import (
    POST_TYPE_LABELS,
    Application,
    AuditEntry,
    Document,
    Establishment,
    Post,
    Region,
    Round,
    Site,
    Specialty,
    SpecialtyOption,
    Student,
    Subdivision,
    User,
    UserEmail,
    utcnow,
)
from siimop_app.services import audit, calendar, documents, mail, outbox
from siimop_app.services.access import AccessDenied, require_role
from siimop_app.services.auth import SignedInUser
from siimop_app.services.calendar import PhaseClosedError
from siimop_app.services.candidates import placed_in_wave, posts_offered
from siimop_app.services.documents import DocumentError, download_path
from siimop_app.services.posts import assigned_count_subquery, card_of
from siimop_app.validation import parse_int

log = logging.getLogger(__name__)

__all__ = [
    "AccessDenied", "DocumentError", "PhaseClosedError", "Receipt", "WishError",
    "browse_posts", "carried_over_hearts", "current_hearts", "filter_options", "latest_receipt", "receipt_digest",
    "receipt_record", "save_presentation",
    "save_wishes", "student_file", "sufficiency_for", "upload_document", "verify_receipt", "wishes_window",
]

MAX_PRESENTATION_CHARS = 5000
MAX_PAGE_SIZE = 100
NO_STUDENT = "Aucun dossier étudiant n'est rattaché à votre compte."
NOT_PARTICIPATING = "Vous ne participez pas à cette campagne : vous ne pouvez pas enregistrer de vœux."
NOT_YOUR_POST = "Le poste {ref} ne fait pas partie des postes de votre spécialité dans cette vague."
BAD_HEARTS = "Le nombre de cœurs doit être un nombre entier entre 0 et 5 (poste {ref})."
PRESENTATION_TOO_LONG = "Le texte de présentation ne doit pas dépasser 5 000 caractères."
FILE_CLOSED = ("La période de dépôt du dossier n'est pas ouverte : votre dossier ne peut plus être modifié "
               "(il reste modifiable jusqu'à la fin de la période des vœux).")
UNKNOWN_KIND = "Ce type de document n'est pas accepté."
DECALE_FILTER = {"oui": True, "non": False}
RECEIPT_ACTION = "wishes.save"  # the audit action whose row is a receipt


class WishError(UserError, ValueError):
    """A refused submission; the message is for the student, in French."""


# ---------------------------------------------------------------- helpers
def _student(session: Session, user: SignedInUser) -> Student:
    require_role(user, Role.STUDENT)
    student = session.exec(select(Student).where(Student.user_id == user.user_id)).first()
    if student is None:
        raise AccessDenied(NO_STUDENT)
    return student


def _paris(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(PARIS)


def _fmt_day(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def _display_phase(wave: calendar.WaveCalendar, at: dt.datetime) -> DatedPhase | None:
    """The wishes phase a student sees: the one the side menu shows too (``domain.calendar.phase_in_view``)."""
    return wave.in_view("wishes", at)


@dataclasses.dataclass(frozen=True)
class Window:
    """Where the wishes stand for the student's wave: which round is shown, and whether it can change."""

    wave_id: int | None
    round_id: int | None
    round_number: int | None
    editable: bool
    starts: str
    ends: str
    text: str


def wishes_window(at: dt.datetime | None = None) -> Window:
    at = at or calendar.now()
    wave = calendar.current_wave(at)
    phase = _display_phase(wave, at) if wave else None
    if wave is None or phase is None:
        return Window(wave.wave_id if wave else None, None, None, False, "", "",
                      "Aucune période de vœux n'est prévue dans la campagne en cours.")
    round_id = wave.round_id(phase.round_number)
    starts, ends = _fmt_day(phase.starts_on), _fmt_day(phase.ends_on)
    editable = wave.open_phase("wishes", at) is not None
    if editable:
        text = f"Vœux du tour {phase.round_number} : ouverts du {starts} au {ends} (23h59, heure de Paris)."
    elif phase.starts_on > at.date():
        text = (f"Les vœux du tour {phase.round_number} ouvriront le {starts} et fermeront le {ends} (23h59, heure "
                "de Paris). Votre liste est en lecture seule d'ici là.")
    else:
        text = (f"La période des vœux du tour {phase.round_number} est terminée (du {starts} au {ends}). "
                "Votre liste est en lecture seule.")
        following = wave.current_or_next("wishes", at)
        if following is not None and following.starts_on > phase.starts_on:
            text += (f" Si vous n'êtes pas affecté(e), les vœux du tour {following.round_number} seront ouverts du "
                     f"{_fmt_day(following.starts_on)} au {_fmt_day(following.ends_on)}.")
    return Window(wave.wave_id, round_id, phase.round_number, editable, starts, ends, text)


def _hearts_map(session: Session, student_id: int, round_id: int | None) -> dict[int, int]:
    if round_id is None:
        return {}
    rows = session.exec(
        select(Application.post_id, Application.hearts)
        .where(Application.round_id == round_id, Application.student_id == student_id)
    ).all()
    return {post_id: hearts for post_id, hearts in rows}


def current_hearts(user: SignedInUser) -> dict[int, int]:
    """The student's saved hearts (post id → hearts) in the round the wishes page shows."""
    window = wishes_window()
    with transaction() as session:
        student = _student(session, user)
        return _hearts_map(session, student.id, window.round_id)


def carried_over_hearts(user: SignedInUser) -> dict[int, int]:
    """Round 2's pre-filled hearts (issue 15): while a later matched round's wishes are open, for a student not
    placed in the wave who has not saved wishes in that round yet, the hearts they gave in the previous matched
    round on the posts still offered (places left) — post id → hearts; empty otherwise.

    They are proposed as *unsaved changes* by the wishes page, not written at the close: a list enters the
    matching only once its student saves it and gets its receipt, as in round 1.
    """
    window = wishes_window()
    if not window.editable or window.round_id is None or (window.round_number or 1) <= 1:
        return {}
    with transaction() as session:
        student = _student(session, user)
        if not student.participating or placed_in_wave(session, window.wave_id, [student.id]):
            return {}
        if _hearts_map(session, student.id, window.round_id) or any(
                json.loads(entry.after_json or "{}").get("round_id") == window.round_id
                for entry in _receipts(session, student)):
            return {}  # the student already chose their list for this round
        previous = session.exec(
            select(Round.id).where(Round.wave_id == window.wave_id, Round.number < window.round_number,
                                   Round.in_person.is_(False))
            .order_by(Round.number.desc())
        ).first()
        if previous is None:
            return {}
        assigned = assigned_count_subquery(session, published_only=False)  # the offer counts every placement
        rows = session.exec(
            select(Application.post_id, Application.hearts)
            .join(Post, Post.id == Application.post_id)
            .outerjoin(assigned, assigned.c.post_id == Post.id)
            .where(Application.round_id == previous, Application.student_id == student.id, Application.hearts > 0,
                   Post.wave_id == window.wave_id, Post.calling_specialty_id == student.specialty_id,
                   Post.places_opened > sa.func.coalesce(assigned.c.assigned, 0))
        ).all()
    return {post_id: hearts for post_id, hearts in rows}


# ------------------------------------------------------------ sufficiency
def _sufficiency(session: Session, student: Student, wave_id: int | None, hearts: dict[int, int]) -> Sufficiency:
    offered = 0
    if wave_id is not None:
        key = (student.specialty_id, student.subdivision_id)
        offered = posts_offered(session, wave_id, [key]).get(key, 0)
    return check_sufficiency(hearts=list(hearts.values()), posts_offered=offered)


def _sufficiency_dict(found: Sufficiency) -> dict:
    return {"sufficient": found.sufficient, "rated": found.rated, "required": found.required,
            "missing": found.missing, "message": found.message}


def sufficiency_for(user: SignedInUser, draft: dict[int, int] | None = None) -> dict:
    """The live counter: the saved hearts of the shown round, with ``draft`` (unsaved changes) applied."""
    window = wishes_window()
    with transaction() as session:
        student = _student(session, user)
        hearts = _hearts_map(session, student.id, window.round_id)
        for post_id, value in (draft or {}).items():
            hearts[int(post_id)] = _valid_hearts(value, post_id)
        return _sufficiency_dict(_sufficiency(session, student, window.wave_id, hearts))


# ---------------------------------------------------------------- browsing
def _card_query(session: Session, student: Student, wave_id: int, round_id: int | None):
    """One query for the cards of the student's specialty in the wave, with places and the student's hearts."""
    # Which posts a round offers depends on every stored placement (as the round close counts them).
    assigned = assigned_count_subquery(session, published_only=False)
    site_supervisor = aliased(User)
    hearts = (
        sa.func.coalesce(Application.hearts, 0)
        if round_id is not None else sa.literal(0)
    )
    query = (
        select(
            Post,
            Site.name,
            Specialty.label,
            SpecialtyOption.label,
            Establishment.name,
            Subdivision.label,
            site_supervisor.first_name,
            site_supervisor.last_name,
            sa.func.coalesce(assigned.c.assigned, 0),
            hearts.label("hearts"),
            Site.description,
            Site.descriptive_document_id,
        )
        .join(Site, Site.id == Post.site_id)
        .join(Specialty, Specialty.id == Post.calling_specialty_id)
        .join(Establishment, Establishment.id == Site.establishment_id)
        .join(Subdivision, Subdivision.id == Post.subdivision_id)
        .outerjoin(SpecialtyOption, SpecialtyOption.id == Post.option_id)
        .outerjoin(site_supervisor, site_supervisor.id == Site.supervisor_user_id)
        .outerjoin(assigned, assigned.c.post_id == Post.id)
        .where(Post.wave_id == wave_id, Post.calling_specialty_id == student.specialty_id,
               # Round 2 offers only the places left.
               Post.places_opened > sa.func.coalesce(assigned.c.assigned, 0))
    )
    if round_id is not None:
        query = query.outerjoin(Application, sa.and_(
            Application.post_id == Post.id, Application.round_id == round_id, Application.student_id == student.id))
    return query, site_supervisor


def _apply_filters(query, filters: dict, site_supervisor, round_id: int | None):
    filters = filters or {}
    region = parse_int(filters.get("region"))
    if region is not None:
        query = query.where(Subdivision.region_id == region)
    subdivision = parse_int(filters.get("subdivision"))
    if subdivision is not None:
        query = query.where(Post.subdivision_id == subdivision)
    post_type = str(filters.get("post_type") or "")
    if post_type in POST_TYPE_LABELS:
        query = query.where(Post.post_type == post_type)
    months = parse_int(filters.get("months"))
    if months in (6, 12):
        query = query.where(Post.months == months)
    decale = filters.get("decale")
    if isinstance(decale, str):
        decale = DECALE_FILTER.get(decale)
    if isinstance(decale, bool):
        query = query.where(Post.decale == decale)
    if filters.get("rated_only"):
        query = query.where(Application.hearts > 0) if round_id is not None else query.where(sa.false())
    text = " ".join(str(filters.get("search") or "").split())[:100]
    if text:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        supervisor_name = sa.func.coalesce(site_supervisor.first_name, "") + " " + sa.func.coalesce(
            site_supervisor.last_name, "")
        fields = (Site.name, Establishment.name, Post.indication, supervisor_name, site_supervisor.last_name)
        query = query.where(sa.or_(*(sa.func.lower(f).like(pattern.lower(), escape="\\") for f in fields)))
    return query


def browse_posts(user: SignedInUser, *, filters: dict | None = None, offset: int = 0,
                 limit: int = 20) -> tuple[list[dict], int]:
    """One page of the posts of the student's specialty in the current wave, with the student's saved hearts.

    Filters (all optional): ``region`` / ``subdivision`` (ids), ``post_type`` (simple/couple/mixte),
    ``months`` (6/12), ``decale`` ("oui"/"non" or a bool), ``search`` (site, establishment, supervisor,
    indication), ``rated_only``. The student's own subdivision comes first. Returns (rows, total).
    """
    window = wishes_window()
    offset = max(0, int(offset or 0))
    limit = min(MAX_PAGE_SIZE, max(1, int(limit or 20)))
    with transaction() as session:
        student = _student(session, user)
        if window.wave_id is None:
            return [], 0
        query, site_supervisor = _card_query(session, student, window.wave_id, window.round_id)
        query = _apply_filters(query, filters or {}, site_supervisor, window.round_id)
        total = session.exec(select(sa.func.count()).select_from(query.order_by(None).subquery())).one()
        rows = session.exec(
            query.order_by((Post.subdivision_id != student.subdivision_id), Subdivision.label, Site.name,
                           Post.post_number).offset(offset).limit(limit)
        ).all()
    result = []
    for (post, site_name, specialty, option, establishment, subdivision, first, last, taken, hearts,
         description, document_id) in rows:
        card = card_of(post, site_name=site_name, specialty=specialty, option=option, establishment=establishment,
                       subdivision=subdivision, supervisor_first=first, supervisor_last=last, assigned=taken,
                       type_and_access=POST_TYPE_LABELS[post.post_type])
        result.append({**card.as_dict(), "href": "", "hearts": int(hearts or 0),
                       "local": post.subdivision_id == student.subdivision_id,
                       # What the supervisor wrote about the post, and its descriptive PDF (SPEC §2).
                       "description": description or "",
                       "file_path": download_path(document_id, inline=True) if document_id else ""})
    return result, int(total)


def filter_options(user: SignedInUser) -> dict:
    """The regions and subdivisions that hold posts of the student's specialty in the wave (for the filters)."""
    window = wishes_window()
    with transaction() as session:
        student = _student(session, user)
        if window.wave_id is None:
            return {"regions": [], "subdivisions": []}
        rows = session.exec(
            select(Region.id, Region.name, Subdivision.id, Subdivision.label)
            .join(Subdivision, Subdivision.region_id == Region.id)
            .join(Post, Post.subdivision_id == Subdivision.id)
            .where(Post.wave_id == window.wave_id, Post.calling_specialty_id == student.specialty_id)
            .distinct()
        ).all()
    regions = sorted({(rid, name) for rid, name, _, _ in rows}, key=lambda r: r[1])
    subdivisions = sorted({(sid, label, rid) for rid, _, sid, label in rows}, key=lambda s: s[1])
    return {
        "regions": [{"id": str(rid), "label": name} for rid, name in regions],
        "subdivisions": [{"id": str(sid), "label": label, "region": str(rid)} for sid, label, rid in subdivisions],
    }


# ------------------------------------------------------------------ saving
@dataclasses.dataclass(frozen=True)
class Receipt:
    """What a submission recorded, as the student keeps it."""

    at: str  # Paris time, "04/03/2024 à 14:05:09"
    at_iso: str  # the exact timestamp the digest covers
    round_number: int | None
    ine: str
    wishes: tuple[dict, ...]  # post_number, site, establishment, subdivision, hearts
    sufficiency: dict
    digest: str
    mailed_to: str
    issued: bool = True  # False: the recorded list, for which no receipt was issued (no digest)

    def as_dict(self) -> dict:
        return {**dataclasses.asdict(self), "wishes": [dict(w) for w in self.wishes]}


def _valid_hearts(value, ref) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_HEARTS:
        if isinstance(value, str) and value.strip().isdigit() and 0 <= int(value) <= MAX_HEARTS:
            return int(value)
        raise WishError(BAD_HEARTS.format(ref=ref))
    return value


def receipt_digest(*, ine: str, round_id: int, hearts: dict[int, int], at_iso: str) -> str:
    """First 12 hex characters of SHA-256 over the canonical JSON of what was recorded."""
    canonical = json.dumps(
        {"ine": ine, "round": int(round_id), "wishes": sorted([int(p), int(h)] for p, h in hearts.items()),
         "at": at_iso},
        separators=(",", ":"), sort_keys=True, ensure_ascii=True,
    )
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()[:12]


def receipt_record(*, ine: str, round_id: int, hearts: dict[int, int], at_iso: str, sufficient: bool) -> dict:
    """The ``after`` of the audit row that is a receipt: the round, the whole list recorded, when, its digest."""
    return {"round_id": round_id, "hearts": {str(k): v for k, v in sorted(hearts.items())}, "receipt_at": at_iso,
            "digest": receipt_digest(ine=ine, round_id=round_id, hearts=hearts, at_iso=at_iso),
            "sufficient": sufficient}


def _main_email(session: Session, user_id: int) -> str:
    return session.exec(
        select(UserEmail.email).where(UserEmail.user_id == user_id)
        .order_by((UserEmail.kind != "main"), UserEmail.id)
    ).first() or ""


def _wish_lines(session: Session, hearts: dict[int, int]) -> list[dict]:
    if not hearts:
        return []
    rows = session.exec(
        select(Post.id, Post.post_number, Site.name, Establishment.name, Subdivision.label)
        .join(Site, Site.id == Post.site_id)
        .join(Establishment, Establishment.id == Site.establishment_id)
        .join(Subdivision, Subdivision.id == Post.subdivision_id)
        .where(Post.id.in_(list(hearts)))
    ).all()
    lines = [{"post_id": pid, "post_number": number, "site": site, "establishment": establishment,
              "subdivision": subdivision, "hearts": hearts[pid]}
             for pid, number, site, establishment, subdivision in rows]
    return sorted(lines, key=lambda w: (-w["hearts"], w["post_number"]))


def _paris_text(moment: dt.datetime) -> str:
    return _paris(moment).strftime("%d/%m/%Y à %H:%M:%S")


def _receipt_mail(receipt: Receipt, full_name: str) -> mail.email.message.EmailMessage:
    lines = [
        f"Bonjour {full_name},",
        "",
        f"Vos vœux du tour {receipt.round_number} ont été enregistrés le {receipt.at} (heure de Paris).",
        "",
        "Liste enregistrée :",
    ]
    for wish in receipt.wishes:
        lines.append(f"  - {wish['hearts']} cœur(s) sur 5 · poste n° {wish['post_number']} · {wish['site']} · "
                     f"{wish['establishment']} · {wish['subdivision']}")
    if not receipt.wishes:
        lines.append("  (aucun vœu)")
    lines += [
        "",
        receipt.sufficiency["message"],
        "",
        f"Empreinte du récépissé : {receipt.digest}",
        "Conservez ce message : l'empreinte permet de prouver ce qui a été enregistré.",
        "",
        "SiiMOP Appariement",
    ]
    return mail.build_message(to=receipt.mailed_to, subject=f"Récépissé de vos vœux (tour {receipt.round_number})",
                              text="\n".join(lines))


def save_wishes(user: SignedInUser, hearts_by_post: dict[int, int]) -> Receipt:
    """Record the student's hearts for the open round; returns the receipt (and mails it)."""
    opened = calendar.require_open("wishes")
    if opened.round_id is None:
        raise PhaseClosedError("Aucun tour n'est associé à la période des vœux : cette action n'est pas possible.")
    round_id = opened.round_id
    cleaned: dict[int, int] = {}
    for raw_post, raw_hearts in (hearts_by_post or {}).items():
        post_id = parse_int(raw_post)
        if post_id is None:
            raise WishError(NOT_YOUR_POST.format(ref=repr(str(raw_post))[:40]))
        cleaned[post_id] = _valid_hearts(raw_hearts, f"{post_id}")
    moment = utcnow().replace(microsecond=0)
    with transaction() as session:
        student = _student(session, user)
        if not student.participating:
            raise WishError(NOT_PARTICIPATING)
        if placed_in_wave(session, opened.wave.wave_id, [student.id]):
            raise WishError("Vous êtes déjà affecté(e) pour cette vague : vous ne pouvez plus formuler de vœux.")
        if cleaned:
            allowed = set(session.exec(
                select(Post.id).where(Post.id.in_(list(cleaned)), Post.wave_id == opened.wave.wave_id,
                                      Post.calling_specialty_id == student.specialty_id)
            ).all())
            for post_id in cleaned:
                if post_id not in allowed:
                    raise WishError(NOT_YOUR_POST.format(ref=f"{post_id}"))
        existing = {a.post_id: a for a in session.exec(
            select(Application).where(Application.round_id == round_id, Application.student_id == student.id))}
        before = {post_id: a.hearts for post_id, a in existing.items()}
        for post_id, value in cleaned.items():
            row = existing.get(post_id)
            if row is None:
                if value == 0:
                    continue
                row = Application(round_id=round_id, student_id=student.id, post_id=post_id, hearts=value,
                                  updated_at=moment)
                existing[post_id] = row
            elif row.hearts == value:
                continue
            else:
                row.hearts = value
                row.updated_at = moment
            session.add(row)
        after = {post_id: a.hearts for post_id, a in existing.items()}
        at_iso = _paris(moment).isoformat()
        sufficiency = _sufficiency_dict(_sufficiency(session, student, opened.wave.wave_id, after))
        record = receipt_record(ine=student.ine, round_id=round_id, hearts=after, at_iso=at_iso,
                                sufficient=sufficiency["sufficient"])
        address = _main_email(session, user.user_id)
        receipt = Receipt(
            at=_paris_text(moment), at_iso=at_iso, round_number=opened.phase.round_number, ine=student.ine,
            wishes=tuple(_wish_lines(session, after)), sufficiency=sufficiency, digest=record["digest"],
            mailed_to=address,
        )
        audit.record(
            session, actor_user_id=user.user_id, action=RECEIPT_ACTION, entity="student", entity_id=student.id,
            before={"round_id": round_id, "hearts": {str(k): v for k, v in sorted(before.items())}},
            after=record,
        )
        if address:  # queued with the wishes it proves: it leaves once, even if SMTP is down now
            outbox.enqueue(session, _receipt_mail(receipt, user.display_name), kind="receipt")
        session.flush()
    return receipt


def _receipt_from_audit(session: Session, student: Student, entry: AuditEntry) -> Receipt | None:
    try:
        after = json.loads(entry.after_json or "{}")
        hearts = {int(k): int(v) for k, v in after["hearts"].items()}
        round_id = int(after["round_id"])
        at_iso = after["receipt_at"]
    except (KeyError, TypeError, ValueError):
        return None
    moment = dt.datetime.fromisoformat(at_iso)
    round_ = session.get(Round, round_id)
    wave_id = round_.wave_id if round_ else None
    return Receipt(
        at=_paris_text(moment), at_iso=at_iso, round_number=round_.number if round_ else None, ine=student.ine,
        wishes=tuple(_wish_lines(session, hearts)),
        sufficiency=_sufficiency_dict(_sufficiency(session, student, wave_id, hearts)),
        digest=receipt_digest(ine=student.ine, round_id=round_id, hearts=hearts, at_iso=at_iso),
        mailed_to=_main_email(session, student.user_id),
    )


def _receipts(session: Session, student: Student):
    return session.exec(
        select(AuditEntry).where(AuditEntry.entity == "student", AuditEntry.entity_id == student.id,
                                 AuditEntry.action == RECEIPT_ACTION)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )


def _receipt_round(entry: AuditEntry) -> int | None:
    try:
        return int(json.loads(entry.after_json or "{}")["round_id"])
    except (KeyError, TypeError, ValueError):
        return None


def _recorded_list(session: Session, student: Student, round_: Round, hearts: dict[int, int]) -> Receipt:
    """What is recorded for the round when no receipt covers it: the list as stored, with no digest."""
    changed = session.exec(
        select(sa.func.max(Application.updated_at))
        .where(Application.round_id == round_.id, Application.student_id == student.id)
    ).one()
    return Receipt(
        at=_paris_text(changed) if changed else "", at_iso="", round_number=round_.number, ine=student.ine,
        wishes=tuple(_wish_lines(session, hearts)),
        sufficiency=_sufficiency_dict(_sufficiency(session, student, round_.wave_id, hearts)),
        digest="", mailed_to="", issued=False,
    )


def latest_receipt(user: SignedInUser) -> Receipt | None:
    """What the student has recorded, as their last receipt states it (rebuilt from the audit trail; its digest is
    recomputed, so it proves the row).

    The round shown is the latest one holding the student's wishes or receipt. If the wishes recorded there are not
    exactly those of the receipt (none was issued for them), the recorded list is returned, ``issued`` false: a
    student with recorded wishes never reads that they have none.
    """
    with transaction() as session:
        student = _student(session, user)
        entry = _receipts(session, student).first()
        receipt = _receipt_from_audit(session, student, entry) if entry else None
        receipt_round = session.get(Round, _receipt_round(entry)) if receipt else None
        wished_round = session.exec(
            select(Round).join(Application, Application.round_id == Round.id)
            .where(Application.student_id == student.id).order_by(Round.number.desc(), Round.id.desc())
        ).first()
        shown = max((r for r in (receipt_round, wished_round) if r is not None),
                    key=lambda r: (r.number, r.id), default=None)
        if shown is None:
            return receipt
        recorded = _hearts_map(session, student.id, shown.id)
        if receipt is not None and shown.id == receipt_round.id and \
                {w["post_id"]: w["hearts"] for w in receipt.wishes} == recorded:
            return receipt
        return _recorded_list(session, student, shown, recorded)


def verify_receipt(user: SignedInUser, digest: str) -> Receipt | None:
    """The student's receipt with this digest, if one was issued; None otherwise."""
    digest = (digest or "").strip().lower()
    with transaction() as session:
        student = _student(session, user)
        for entry in _receipts(session, student):
            receipt = _receipt_from_audit(session, student, entry)
            if receipt is not None and receipt.digest == digest:
                return receipt
    return None


# ------------------------------------------------------------ student file
def file_is_open(at: dt.datetime | None = None) -> bool:
    try:
        _require_file_phase(at)
    except PhaseClosedError:
        return False
    return True


def _require_file_phase(at: dt.datetime | None = None) -> None:
    try:
        calendar.require_open("student_files", at)
    except PhaseClosedError:
        try:
            calendar.require_open("wishes", at)
        except PhaseClosedError:
            raise PhaseClosedError(FILE_CLOSED) from None


def student_file(user: SignedInUser) -> dict:
    """The student's presentation text and documents (one per kind, newest), and whether they can change."""
    with transaction() as session:
        student = _student(session, user)
        found = documents.documents_of_student(session, student.id)
    by_kind: dict[str, dict] = {}
    for described in found:
        by_kind.setdefault(described["kind"], described)
    return {
        "presentation": student.presentation,
        "documents": [
            {"kind": kind, "label": documents.KIND_LABELS[kind], "file": by_kind.get(kind)}
            for kind in documents.STUDENT_KINDS
        ],
        "editable": file_is_open(),
    }


def save_presentation(user: SignedInUser, text: str) -> str:
    """Replace the presentation text (≤ 5,000 characters); returns the text stored."""
    text = (text or "").replace("\r\n", "\n").strip()
    _require_file_phase()
    if len(text) > MAX_PRESENTATION_CHARS:
        raise DocumentError(PRESENTATION_TOO_LONG)
    with transaction() as session:
        student = _student(session, user)
        before = student.presentation
        if before == text:
            return text
        student.presentation = text
        session.add(student)
        audit.record(session, actor_user_id=user.user_id, action="student.presentation.update", entity="student",
                     entity_id=student.id, before={"presentation": before}, after={"presentation": text})
    return text


def _file_audit(document: Document | None) -> dict | None:
    if document is None:
        return None
    return {"document_id": document.id, "kind": document.kind, "filename": document.filename,
            "sha256": document.sha256}


def upload_document(user: SignedInUser, kind: str, filename: str, data: bytes) -> dict:
    """Store a PDF of ``kind`` (cv, cover_letter, training_contract), replacing the previous one of that kind."""
    if kind not in documents.STUDENT_KINDS:
        raise DocumentError(UNKNOWN_KIND)
    _require_file_phase()
    with transaction() as session:
        student = _student(session, user)
        documents.validate_pdf(filename, data)  # before anything is written
        previous = session.exec(
            select(Document).where(Document.owner_user_id == user.user_id, Document.kind == kind)
        ).all()
        document = documents.store_pdf(session, owner_user_id=user.user_id, kind=kind, filename=filename, data=data)
        for old in previous:
            documents.delete_file_after_commit(session, old)
            session.delete(old)
        audit.record(session, actor_user_id=user.user_id, action="student.document.replace", entity="student",
                     entity_id=student.id, before=[_file_audit(d) for d in previous] or None,
                     after=_file_audit(document))
        described = documents.describe(document)
    return described
