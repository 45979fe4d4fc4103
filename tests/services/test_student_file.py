"""The student's file (presentation text, CV, lettre, contrat de formation): changed in its phases only, audited.

A campaign's calendar and one student are all these tests need (``tests.services.factories``)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import AuditEntry, Document, Phase
from siimop_app.services import documents, student_file
from siimop_app.services.calendar import PhaseClosedError
from siimop_app.services.documents import DocumentError
from tests.services.factories import make_campaign, make_student
from tests.services.test_documents_and_post_detail import tiny_pdf

STUDENT = "etudiant@example.fr"


def test_presentation_and_documents(db_url):
    make_campaign("wishes")
    user = make_student(STUDENT)
    assert student_file.save_presentation(user, "  Urgentiste motivé.\r\nDisponible.  ") == "Urgentiste motivé.\nDisponible."
    with pytest.raises(DocumentError, match="5 000"):
        student_file.save_presentation(user, "x" * 5001)
    first = student_file.upload_document(user, "cv", "mon cv.pdf", tiny_pdf("CV 1"))
    with transaction() as session:
        old_key = session.get(Document, first.id).storage_key
    second = student_file.upload_document(user, "cv", "cv-2024.pdf", tiny_pdf("CV 2"))
    student_file.upload_document(user, "cover_letter", "lettre.pdf", tiny_pdf("Lettre"))
    with pytest.raises(DocumentError, match="PDF"):
        student_file.upload_document(user, "training_contract", "contrat.docx", b"PK...")
    with pytest.raises(DocumentError):
        student_file.upload_document(user, "post_description", "x.pdf", tiny_pdf())
    found = student_file.student_file(user)
    assert found.presentation == "Urgentiste motivé.\nDisponible." and found.editable
    by_kind = {d.kind: d for d in found.documents}
    assert by_kind["cv"].document_id == second.id and by_kind["cv"].filename == "cv-2024.pdf"
    assert by_kind["cover_letter"].filename == "lettre.pdf" and not by_kind["training_contract"].deposited
    assert not (documents._root() / old_key).exists()  # the replaced bytes are gone after the commit
    with transaction() as session:
        assert session.get(Document, first.id) is None
        actions = [a for (a,) in session.execute(sa.select(AuditEntry.action).where(
            AuditEntry.action.like("student.%")).order_by(AuditEntry.id))]
    assert actions == ["student.presentation.update", "student.document.replace", "student.document.replace",
                       "student.document.replace"]


def test_the_file_is_frozen_once_the_wishes_close(db_url):
    make_campaign("ranking")
    user = make_student(STUDENT)
    assert not student_file.student_file(user).editable
    with pytest.raises(PhaseClosedError, match="dépôt du dossier"):
        student_file.save_presentation(user, "Trop tard")
    with pytest.raises(PhaseClosedError):
        student_file.upload_document(user, "cv", "cv.pdf", tiny_pdf())
    with transaction() as session:
        assert session.exec(select(Phase).where(Phase.kind == "wishes")).first() is not None
        assert session.exec(select(Document).where(Document.kind == "cv")).first() is None
