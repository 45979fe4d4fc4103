"""The student's file (SPEC §4): the presentation text and the three documents supervisors read when ranking.

The presentation text (≤ 5,000 characters) and the three documents (CV, lettre de motivation, contrat de
formation; one PDF each, a new one replaces the previous) can be changed while the "student_files" **or** the
"wishes" phase is open: supervisors read the file during the ranking phase, so it is frozen when the wishes close.
Each change is one transaction with an audit row (entity ``student``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import Document
from siimop_app.services import audit, calendar, documents
from siimop_app.services.auth import SignedInUser
from siimop_app.services.calendar import PhaseClosedError
from siimop_app.services.documents import DocumentError
from siimop_app.services.student_access import signed_in_student

__all__ = ["MAX_PRESENTATION_CHARS", "DocumentSlot", "StudentFile", "file_is_open", "save_presentation", "student_file", "upload_document"]

MAX_PRESENTATION_CHARS = 5000
PRESENTATION_TOO_LONG = "Le texte de présentation ne doit pas dépasser 5 000 caractères."
FILE_CLOSED = ("La période de dépôt du dossier n'est pas ouverte : votre dossier ne peut plus être modifié "
               "(il reste modifiable jusqu'à la fin de la période des vœux).")
UNKNOWN_KIND = "Ce type de document n'est pas accepté."


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


@dataclasses.dataclass(frozen=True)
class DocumentSlot:
    """One of the three documents of the student's file as their home page shows it: its kind, and the file
    deposited for it (``deposited`` False and the other fields "" when there is none)."""

    kind: str
    label: str
    deposited: bool = False
    document_id: int = 0
    filename: str = ""
    uploaded: str = ""  # the Paris day, "31/12/2026"
    size: str = ""  # "1,2 Mo"
    inline_path: str = ""
    download_path: str = ""


@dataclasses.dataclass(frozen=True)
class StudentFile:
    presentation: str
    documents: list[DocumentSlot]  # one per kind, in ``documents.STUDENT_KINDS`` order
    editable: bool


def _slot(kind: str, described: documents.DocumentInfo | None) -> DocumentSlot:
    if described is None:
        return DocumentSlot(kind=kind, label=documents.KIND_LABELS[kind])
    return DocumentSlot(kind=kind, label=documents.KIND_LABELS[kind], deposited=True, document_id=described.id,
                        filename=described.filename, uploaded=described.uploaded, size=described.size,
                        inline_path=described.inline_path, download_path=described.download_path)


def student_file(user: SignedInUser) -> StudentFile:
    """The student's presentation text and documents (the newest of each kind), and whether they can change."""
    with transaction() as session:
        student = signed_in_student(session, user)
        found = documents.documents_of_student(session, student.id)
    by_kind: dict[str, documents.DocumentInfo] = {}
    for described in found:
        by_kind.setdefault(described.kind, described)
    return StudentFile(presentation=student.presentation,
                       documents=[_slot(kind, by_kind.get(kind)) for kind in documents.STUDENT_KINDS],
                       editable=file_is_open())


def save_presentation(user: SignedInUser, text: str) -> str:
    """Replace the presentation text (≤ 5,000 characters); returns the text stored."""
    text = (text or "").replace("\r\n", "\n").strip()
    _require_file_phase()
    if len(text) > MAX_PRESENTATION_CHARS:
        raise DocumentError(PRESENTATION_TOO_LONG)
    with transaction() as session:
        student = signed_in_student(session, user)
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


def upload_document(user: SignedInUser, kind: str, filename: str, data: bytes) -> documents.DocumentInfo:
    """Store a PDF of ``kind`` (cv, cover_letter, training_contract), replacing the previous one of that kind."""
    if kind not in documents.STUDENT_KINDS:
        raise DocumentError(UNKNOWN_KIND)
    _require_file_phase()
    with transaction() as session:
        student = signed_in_student(session, user)
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
