"""The receipt of each wishes submission (SPEC §4: "each submission gives the student a timestamped receipt").

* A submission's audit row (``wishes.save``, entity ``student``) is its receipt: its ``before``/``after`` hold
  the whole map post id → hearts of the round, and its ``after`` also the receipt's timestamp and digest, so the
  receipt can be shown again later (``latest_receipt``) and checked (``verify_receipt``). ``receipt_record``
  builds that ``after`` (the demo writes its receipts with it too).
* The receipt: Paris timestamp, the exact list recorded (every row of the round), the sufficiency, and a digest =
  the first 12 hex characters of SHA-256 over a canonical JSON of INE, round id, the sorted (post id, hearts)
  pairs and the timestamp. It is queued for the student's main address with the wishes it proves (it leaves once,
  even if SMTP is down when they are saved).
* The receipt page always shows what is recorded: when the recorded list differs from the last receipt (or none
  was issued: data loaded by other means), ``latest_receipt`` returns the recorded list itself, marked as not
  covered by a receipt (``issued`` false, no digest).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json

import sqlalchemy as sa
from sqlmodel import Session, select

from siimop_app.db import transaction
from siimop_app.domain.calendar import to_paris
from siimop_app.models import Application, AuditEntry, Establishment, Post, Round, Site, Student, Subdivision
from siimop_app.services import audit, mail, outbox, queries
from siimop_app.services.auth import SignedInUser
from siimop_app.services.student_access import StudentRecord, signed_in_student_record
from siimop_app.services.wish_lists import NO_SUFFICIENCY, Sufficiency, hearts_in_round, sufficiency_of

RECEIPT_ACTION = "wishes.save"  # the audit action whose row is a receipt


@dataclasses.dataclass(frozen=True)
class ReceiptWish:
    """One line of a receipt: a post and the hearts recorded for it."""

    post_id: int
    post_number: int
    site: str
    establishment: str
    subdivision: str
    hearts: int


@dataclasses.dataclass(frozen=True)
class Receipt:
    """What a submission recorded, as the student keeps it."""

    at: str  # Paris time, "04/03/2024 à 14:05:09"
    at_iso: str  # the exact timestamp the digest covers
    round_number: int | None
    ine: str
    wishes: tuple[ReceiptWish, ...]  # most hearts first
    sufficiency: Sufficiency
    digest: str
    mailed_to: str
    issued: bool = True  # False: the recorded list, for which no receipt was issued (no digest)


NO_RECEIPT = Receipt(at="", at_iso="", round_number=None, ine="", wishes=(), sufficiency=NO_SUFFICIENCY, digest="",
                     mailed_to="", issued=False)  # nothing recorded yet


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


def _wish_lines(session: Session, hearts: dict[int, int]) -> list[ReceiptWish]:
    if not hearts:
        return []
    rows = session.exec(
        select(Post.id, Post.post_number, Site.name, Establishment.name, Subdivision.label)
        .join(Site, Site.id == Post.site_id)
        .join(Establishment, Establishment.id == Site.establishment_id)
        .join(Subdivision, Subdivision.id == Post.subdivision_id)
        .where(Post.id.in_(list(hearts)))
    ).all()
    lines = [ReceiptWish(pid, number, site, establishment, subdivision, hearts[pid])
             for pid, number, site, establishment, subdivision in rows]
    return sorted(lines, key=lambda w: (-w.hearts, w.post_number))


def _paris_text(moment: dt.datetime) -> str:
    return to_paris(moment).strftime("%d/%m/%Y à %H:%M:%S")


def _receipt_mail(receipt: Receipt, full_name: str) -> mail.email.message.EmailMessage:
    lines = [
        f"Bonjour {full_name},",
        "",
        f"Vos vœux du tour {receipt.round_number} ont été enregistrés le {receipt.at} (heure de Paris).",
        "",
        "Liste enregistrée :",
    ]
    for wish in receipt.wishes:
        lines.append(f"  - {wish.hearts} cœur(s) sur 5 · poste n° {wish.post_number} · {wish.site} · "
                     f"{wish.establishment} · {wish.subdivision}")
    if not receipt.wishes:
        lines.append("  (aucun vœu)")
    lines += [
        "",
        receipt.sufficiency.message,
        "",
        f"Empreinte du récépissé : {receipt.digest}",
        "Conservez ce message : l'empreinte permet de prouver ce qui a été enregistré.",
        "",
        "SiiMOP Appariement",
    ]
    return mail.build_message(to=receipt.mailed_to, subject=f"Récépissé de vos vœux (tour {receipt.round_number})",
                              text="\n".join(lines))


def issue_receipt(session: Session, *, user: SignedInUser, student: Student | StudentRecord, round_id: int,
                  round_number: int, wave_id: int, before: dict[int, int], after: dict[int, int],
                  moment: dt.datetime) -> Receipt:
    """Inside the submission's transaction: its audit row (the receipt) and the receipt's mail, queued."""
    at_iso = to_paris(moment).isoformat()
    sufficiency = sufficiency_of(session, student, wave_id, after)
    record = receipt_record(ine=student.ine, round_id=round_id, hearts=after, at_iso=at_iso,
                            sufficient=sufficiency.sufficient)
    address = user.email  # the main address by ``queries.main_email``'s rule, read with this event's session
    receipt = Receipt(
        at=_paris_text(moment), at_iso=at_iso, round_number=round_number, ine=student.ine,
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
    return receipt


def _receipt_from_audit(session: Session, student: Student | StudentRecord, entry: AuditEntry) -> Receipt | None:
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
        sufficiency=sufficiency_of(session, student, wave_id, hearts),
        digest=receipt_digest(ine=student.ine, round_id=round_id, hearts=hearts, at_iso=at_iso),
        mailed_to=queries.main_email(session, student.user_id),
    )


def receipt_entries(session: Session, student: Student | StudentRecord):
    """The audit rows that are the student's receipts, newest first."""
    return session.exec(
        select(AuditEntry).where(AuditEntry.entity == "student", AuditEntry.entity_id == student.id,
                                 AuditEntry.action == RECEIPT_ACTION)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )


def _recorded(entry: AuditEntry, key: str, kind: type):
    """``key`` of a receipt row's ``after``, as ``kind`` (None for a row that is not a readable receipt)."""
    try:
        return kind(json.loads(entry.after_json or "{}")[key])
    except (KeyError, TypeError, ValueError):
        return None


def _digest_of(entry: AuditEntry) -> str | None:
    return _recorded(entry, "digest", str)


def receipt_round(entry: AuditEntry) -> int | None:
    """The round id a receipt covers (None for a row that is not a readable receipt)."""
    return _recorded(entry, "round_id", int)


def _recorded_list(session: Session, student: Student | StudentRecord, round_: Round,
                   hearts: dict[int, int]) -> Receipt:
    """What is recorded for the round when no receipt covers it: the list as stored, with no digest."""
    changed = session.exec(
        select(sa.func.max(Application.updated_at))
        .where(Application.round_id == round_.id, Application.student_id == student.id)
    ).one()
    return Receipt(
        at=_paris_text(changed) if changed else "", at_iso="", round_number=round_.number, ine=student.ine,
        wishes=tuple(_wish_lines(session, hearts)),
        sufficiency=sufficiency_of(session, student, round_.wave_id, hearts),
        digest="", mailed_to="", issued=False,
    )


def latest_receipt(user: SignedInUser, just_issued: Receipt | None = None) -> Receipt | None:
    """What the student has recorded, as their last receipt states it (rebuilt from the audit trail; its digest is
    recomputed, so it proves the row).

    The round shown is the latest one holding the student's wishes or receipt. If the wishes recorded there are not
    exactly those of the receipt (none was issued for them), the recorded list is returned, ``issued`` false: a
    student with recorded wishes never reads that they have none.

    ``just_issued``: the receipt the save has just returned (the page the save opens). When the last receipt row is
    that one (same student, same digest), it is not rebuilt: three statements fewer (issue 13). The checks against
    what is recorded are made all the same.
    """
    with transaction() as session:
        student = signed_in_student_record(session, user)
        entry = receipt_entries(session, student).first()
        if entry is None:
            receipt = None
        elif just_issued is not None and just_issued.ine == student.ine and \
                _digest_of(entry) == just_issued.digest:
            receipt = just_issued
        else:
            receipt = _receipt_from_audit(session, student, entry)
        receipt_round_ = session.get(Round, receipt_round(entry)) if receipt else None
        wished_round = session.exec(
            select(Round).join(Application, Application.round_id == Round.id)
            .where(Application.student_id == student.id).order_by(Round.number.desc(), Round.id.desc())
        ).first()
        shown = max((r for r in (receipt_round_, wished_round) if r is not None),
                    key=lambda r: (r.number, r.id), default=None)
        if shown is None:
            return receipt
        recorded = hearts_in_round(session, student.id, shown.id)
        if receipt is not None and shown.id == receipt_round_.id and \
                {w.post_id: w.hearts for w in receipt.wishes} == recorded:
            return receipt
        return _recorded_list(session, student, shown, recorded)


def verify_receipt(user: SignedInUser, digest: str) -> Receipt | None:
    """The student's receipt with this digest, if one was issued; None otherwise."""
    digest = (digest or "").strip().lower()
    with transaction() as session:
        student = signed_in_student_record(session, user)
        for entry in receipt_entries(session, student):
            receipt = _receipt_from_audit(session, student, entry)
            if receipt is not None and receipt.digest == digest:
                return receipt
    return None
