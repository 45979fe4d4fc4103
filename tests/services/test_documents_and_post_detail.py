"""Private files and the "Détail du terrain de stage": storage, the authenticated route's authorization
matrix (through Starlette's TestClient and a real session cookie), and the référent's edits in and out of phase."""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

with warnings.catch_warnings():  # Starlette suggests "httpx2"; httpx is what is installed and works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from siimop_app.db import transaction
from siimop_app.demo.cli import main as demo_main
from siimop_app.demo.generator import DEMO_ACCOUNTS, DEMO_SITE_DESCRIPTIONS
from siimop_app.file_routes import files_api
from siimop_app.models import (
    Application,
    AuditEntry,
    Document,
    Post,
    PostSupervisor,
    RoleGrant,
    Round,
    Site,
    Specialty,
    Student,
    Subdivision,
    UserEmail,
)
from siimop_app.services import auth, documents, post_access, post_details
from siimop_app.services.access import AccessDenied
from siimop_app.services.calendar import PhaseClosedError
from siimop_app.services.documents import DocumentError
from siimop_app.settings import get_settings
from siimop_app.states.session import SESSION_COOKIE
from tests.services.factories import make_campaign, make_seed_posts, make_student, make_user, reference_id
from tests.services.mailbox import links_for, token_of


# ------------------------------------------------------------------ helpers
def tiny_pdf(text: str = "Terrain de stage") -> bytes:
    """A small, valid one-page PDF showing ``text`` (ASCII)."""
    content = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def oversized_pdf() -> bytes:
    body = tiny_pdf()
    return body[:-6] + b"%" * (documents.MAX_PDF_BYTES + 10 - len(body)) + b"\n%%EOF\n"


def load_demo(phase: str) -> None:
    assert demo_main(["--scale", "small", "--phase", phase]) == 0


def seed_posts(phase: str) -> None:
    """A campaign in ``phase`` with the demo RTS's three posts of the seed only (the Abbeville site described as in
    the demo), a student of their specialty elsewhere and the specialty's coordinator in AMIENS."""
    make_campaign(phase)
    make_seed_posts(description=DEMO_SITE_DESCRIPTIONS[0])
    make_student(demo("student"), specialty="MED-URG", subdivision="LILLE")
    make_user(demo("coordinator"), "coordinator", subdivision_id=reference_id(Subdivision, "AMIENS"),
              specialty_id=reference_id(Specialty, "MED-URG"))


def cookie_for(address: str) -> str:
    """A real session: request a link, read it from the outbox, use it."""
    assert auth.request_sign_in(address) == auth.SIGN_IN_SENT_MESSAGE
    return auth.consume_sign_in_link(token_of(links_for(get_settings().outbox_dir, address)[-1]))


def user_of(address: str) -> auth.SignedInUser:
    return auth.resolve_session(cookie_for(address))


def demo(account: str) -> str:
    return DEMO_ACCOUNTS[account][2]


def demo_post(site_name: str) -> int:
    """One of the demo RTS's three posts, by its site's name (other sites may share the name)."""
    with transaction() as session:
        return session.exec(
            select(Post.id)
            .join(Site, Site.id == Post.site_id)
            .join(PostSupervisor, PostSupervisor.post_id == Post.id)
            .join(UserEmail, UserEmail.user_id == PostSupervisor.user_id)
            .where(Site.name == site_name, UserEmail.email == demo("rts"))
        ).one()


COUPLE, SIMPLE, MIXTE = "ACCUEIL DES URGENCES ET SMUR", "S.A.U. - SMUR", "U.A.U. S.M.U.R."


def site_of(post_id: int) -> Site:
    with transaction() as session:
        return session.get(Site, session.get(Post, post_id).site_id)


def audit_rows(entity: str = "site") -> list[AuditEntry]:
    with transaction() as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.entity == entity).order_by(AuditEntry.id)))


def stored_files() -> list[Path]:
    root = get_settings().documents_dir
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def address_where(condition) -> str:
    with transaction() as session:
        return session.exec(
            select(UserEmail.email).join(RoleGrant, RoleGrant.user_id == UserEmail.user_id).where(condition)
            .order_by(UserEmail.id)
        ).first()


def fetch(cookie: str | None, document_id: int, inline: bool = False):
    client = TestClient(files_api)
    if cookie is not None:
        client.cookies.set(SESSION_COOKIE, cookie)
    return client.get(documents.download_path(document_id, inline=inline))


# ------------------------------------------------------------------ storage
def test_store_read_and_delete_a_pdf(db_url):
    owner = make_user("rts@example.fr", "supervisor")  # storage needs only an owner
    data = tiny_pdf()
    with transaction() as session:
        document = documents.store_pdf(session, owner_user_id=owner, kind="post_description",
                                       filename="../../Présentation du service.pdf", data=data)
    assert document.id and document.filename == "Présentation du service.pdf"
    assert document.sha256 == hashlib.sha256(data).hexdigest() and document.size_bytes == len(data)
    prefix, key = document.storage_key.split("/")
    assert len(prefix) == 2 and key.startswith(prefix) and len(key) >= 32
    path = get_settings().documents_dir / document.storage_key
    assert path.read_bytes() == data and documents.read(document) == data
    assert "_upload" not in str(path) and "uploaded_files" not in str(path)
    documents.delete_file(document)
    assert not path.exists()


@pytest.mark.parametrize(("filename", "data", "message"), [
    ("cv.pdf", b"Bonjour, ceci est un texte.", documents.NOT_A_PDF),
    ("cv.pdf", b"%PDF-1.4\nbut truncated, no end marker", documents.NOT_A_PDF),
    ("cv.pdf", b"", documents.NOT_A_PDF),
    ("cv.docx", tiny_pdf(), documents.NOT_A_PDF),
    ("cv.pdf", oversized_pdf(), documents.TOO_LARGE),
])
def test_store_refuses_what_is_not_a_small_pdf(db_url, filename, data, message):
    owner = make_user("etudiant@example.fr", "student")
    with pytest.raises(DocumentError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        with transaction() as session:
            documents.store_pdf(session, owner_user_id=owner, kind="cv", filename=filename, data=data)
    assert "Le fichier" in message
    with transaction() as session:
        assert session.exec(select(sa.func.count()).select_from(Document)).one() == 0
    assert stored_files() == []


def test_a_rolled_back_transaction_leaves_no_file(db_url):
    owner = make_user("etudiant@example.fr", "student")
    with pytest.raises(RuntimeError):
        with transaction() as session:
            documents.store_pdf(session, owner_user_id=owner, kind="cv", filename="cv.pdf", data=tiny_pdf())
            assert len(stored_files()) == 1
            raise RuntimeError("something else failed")
    assert stored_files() == []


# ------------------------------------------------------- the file route
def _student_documents(student_user_id: int) -> dict[str, int]:
    ids = {}
    with transaction() as session:
        for kind, name in (("cv", "CV_candidat.pdf"), ("cover_letter", "Lettre_motivation.pdf"),
                           ("training_contract", "Contrat_formation.pdf")):
            ids[kind] = documents.store_pdf(session, owner_user_id=student_user_id, kind=kind, filename=name,
                                            data=tiny_pdf(kind)).id
    return ids


def test_the_route_serves_each_file_only_to_whom_may_read_it(db_url):
    load_demo("posts")
    couple = demo_post(COUPLE)
    rts_cookie = cookie_for(demo("rts"))
    rts = auth.resolve_session(rts_cookie)
    post_details.replace_descriptive_file(rts, couple, "Présentation « SMUR ».pdf", tiny_pdf("SMUR"))
    site_document = site_of(couple).descriptive_document_id

    with transaction() as session:
        med_urg = session.exec(select(Specialty.id).where(Specialty.code == "MED-URG")).one()
        lille = session.exec(select(Subdivision.id).where(Subdivision.code == "LILLE")).one()
        amiens = session.exec(select(Subdivision.id).where(Subdivision.code == "AMIENS")).one()
        student = session.exec(
            select(Student).join(UserEmail, UserEmail.user_id == Student.user_id).where(UserEmail.email == demo("student"))
        ).one()
        # The demo student applies to the couplé post; before the ranking opens its supervisors have no candidates.
        round_id = session.exec(select(Round.id).where(Round.number == 1)).first()
        if not session.exec(select(Application).where(Application.student_id == student.id,
                                                      Application.post_id == couple)).first():
            session.add(Application(round_id=round_id, student_id=student.id, post_id=couple, hearts=4))
        attached = select(PostSupervisor.user_id).where(PostSupervisor.post_id == couple)
        applied = select(PostSupervisor.user_id).join(Application, Application.post_id == PostSupervisor.post_id).where(
            Application.student_id == student.id)
    student_docs = _student_documents(student.user_id)

    foreign_supervisor = address_where(sa.and_(RoleGrant.role == "supervisor", RoleGrant.user_id.not_in(attached),
                                               RoleGrant.user_id.not_in(applied)))
    coordinator_lille = address_where(sa.and_(RoleGrant.role == "coordinator", RoleGrant.subdivision_id == lille,
                                              RoleGrant.specialty_id == med_urg))
    coordinator_elsewhere = address_where(sa.and_(RoleGrant.role == "coordinator", RoleGrant.specialty_id != med_urg))
    assert foreign_supervisor and coordinator_lille and coordinator_elsewhere
    with transaction() as session:  # the demo coordinator works in AMIENS, the student in LILLE
        assert session.exec(select(RoleGrant).join(UserEmail, UserEmail.user_id == RoleGrant.user_id).where(
            UserEmail.email == demo("coordinator"), RoleGrant.subdivision_id == amiens)).first()

    cookies = {
        "rts": rts_cookie,
        "rts2": cookie_for(demo("rts2")),
        "student": cookie_for(demo("student")),
        "foreign_supervisor": cookie_for(foreign_supervisor),
        "coordinator_amiens": cookie_for(demo("coordinator")),
        "coordinator_lille": cookie_for(coordinator_lille),
        "coordinator_elsewhere": cookie_for(coordinator_elsewhere),
        "manager": cookie_for(demo("manager")),
        "admin": cookie_for(demo("admin")),
        "anonymous": None,
        "forged": "1.not-a-secret",
    }
    expected = {
        # descriptive file: whoever sees the post (its supervisors, students of the specialty, staff in scope)
        site_document: {"rts", "rts2", "student", "coordinator_amiens", "manager", "admin"},
        # a student's documents: the student and staff whose scope covers the student (supervisors only read their
        # candidates', once the ranking opens: tests/services/test_candidate_files.py)
        **{doc: {"student", "coordinator_lille", "manager", "admin"} for doc in student_docs.values()},
    }
    for document_id, allowed in expected.items():
        for who, cookie in cookies.items():
            response = fetch(cookie, document_id)
            if who in allowed:
                assert response.status_code == 200, (who, document_id)
                assert response.content.startswith(b"%PDF-")
            else:
                assert response.status_code == 404, (who, document_id)
                assert response.text == "Document introuvable."
                assert response.headers["cache-control"] == "private, no-store"

    # Unknown ids get the very same answer as forbidden ones.
    missing = fetch(rts_cookie, 999_999)
    assert missing.status_code == 404 and missing.text == "Document introuvable."
    assert TestClient(files_api).get("/files/documents/abc").status_code == 404

    # Headers: type, disposition (inline or attachment, sanitised name), no sniffing, no caching.
    inline = fetch(rts_cookie, site_document, inline=True)
    assert inline.headers["content-type"] == "application/pdf"
    assert inline.headers["content-disposition"].startswith('inline; filename="Presentation _ SMUR _.pdf"')
    assert "filename*=UTF-8''Pr%C3%A9sentation%20%C2%AB%20SMUR%20%C2%BB.pdf" in inline.headers["content-disposition"]
    assert inline.headers["x-content-type-options"] == "nosniff"
    assert inline.headers["cache-control"] == "private, no-store"
    attachment = fetch(cookies["student"], student_docs["cv"])  # the owner
    assert attachment.headers["content-disposition"].startswith('attachment; filename="CV_candidat.pdf"')
    assert attachment.content == tiny_pdf("cv")

    # A signed-out session no longer opens anything.
    auth.sign_out(cookies["rts2"])
    assert fetch(cookies["rts2"], site_document).status_code == 404


def test_documents_of_student_lists_labels_and_paris_dates(db_url):
    load_demo("posts")
    with transaction() as session:
        student = session.exec(
            select(Student).join(UserEmail, UserEmail.user_id == Student.user_id).where(UserEmail.email == demo("student"))
        ).one()
    ids = _student_documents(student.user_id)
    with transaction() as session:
        rows = documents.documents_of_student(session, student.id)
        assert documents.documents_of_student(session, student.id + 10_000) == []
    assert [r.kind_label for r in rows] == ["CV", "Lettre de motivation", "Contrat de formation"]
    assert [r.id for r in rows] == [ids["cv"], ids["cover_letter"], ids["training_contract"]]
    assert rows[0].filename == "CV_candidat.pdf"
    assert len(rows[0].uploaded) == 10 and rows[0].uploaded[2] == "/" and rows[0].uploaded[5] == "/"
    assert rows[0].download_path == f"/files/documents/{ids['cv']}"
    assert rows[0].inline_path == f"/files/documents/{ids['cv']}?inline=1"


def test_paris_date_uses_paris_time():
    import datetime as dt

    assert documents.paris_date(dt.datetime(2022, 6, 22, 22, 30, tzinfo=dt.timezone.utc)) == "23/06/2022"
    assert documents.download_path(7, inline=True) == "/files/documents/7?inline=1"


# --------------------------------------------------------- the post detail
def test_post_detail_shows_the_site_for_its_supervisors_only(db_url):
    seed_posts("posts")
    rts, rts2 = user_of(demo("rts")), user_of(demo("rts2"))
    couple, simple, mixte = demo_post(COUPLE), demo_post(SIMPLE), demo_post(MIXTE)

    detail = post_details.post_detail(rts, couple)
    assert detail.site_name == COUPLE and "CLERMONT" in detail.establishment.upper()
    assert detail.supervisor == "Isabelle FERNBACH"
    assert detail.approval_specialty and detail.site_number and detail.approval_number
    assert detail.option == "Pas d'option"
    assert detail.is_referent is True and detail.phase_open is True and detail.can_edit is True
    assert detail.file is None and detail.description == ""
    assert (detail.other_supervisor, detail.other_supervisor_email) == ("Carole BARTHELEMY", demo("rts2"))
    assert detail.card.post_id == couple and "Couplé : Accès référent" in detail.card.type_and_access

    simple_detail = post_details.post_detail(rts, simple)
    assert simple_detail.description == DEMO_SITE_DESCRIPTIONS[0] and simple_detail.other_supervisor == ""

    not_referent = post_details.post_detail(rts, mixte)
    assert not_referent.is_referent is False and not_referent.can_edit is False
    assert (not_referent.other_supervisor, not_referent.other_supervisor_email) == ("Carole BARTHELEMY", demo("rts2"))

    for user, post_id in ((rts2, simple), (rts, 999_999)):
        with pytest.raises(AccessDenied, match="ne fait pas partie de vos postes"):
            post_details.post_detail(user, post_id)
    with pytest.raises(AccessDenied):  # a student of the specialty sees the post elsewhere, not this page
        post_details.post_detail(user_of(demo("student")), couple)


def test_only_the_referent_updates_the_description_with_an_audit_row(db_url):
    seed_posts("posts")
    rts, rts2 = user_of(demo("rts")), user_of(demo("rts2"))
    couple, mixte = demo_post(COUPLE), demo_post(MIXTE)
    text = "Service d'urgences de 45 000 passages par an.\r\nSMUR et régulation."

    assert post_details.update_description(rts, couple, text) == text.replace("\r\n", "\n")
    assert site_of(couple).description == text.replace("\r\n", "\n")
    [entry] = audit_rows()
    assert entry.action == "site.description.update" and entry.entity_id == site_of(couple).id
    assert entry.actor_user_id == rts.user_id
    assert '"description": ""' in entry.before_json and "45 000 passages" in entry.after_json

    # The non-référent supervisor, someone else, and an oversized text are refused; nothing changes.
    mixte_before = site_of(mixte).description
    with pytest.raises(AccessDenied, match=post_access.NOT_REFERENT):
        post_details.update_description(rts, mixte, "Tentative")
    with pytest.raises(AccessDenied, match="ne fait pas partie de vos postes"):
        post_details.update_description(user_of(demo("coordinator")), couple, "Tentative")
    with pytest.raises(DocumentError, match="5 000 caractères"):
        post_details.update_description(rts, couple, "x" * 5001)
    assert site_of(mixte).description == mixte_before
    assert site_of(couple).description == text.replace("\r\n", "\n")
    assert len(audit_rows()) == 1
    # 5,000 characters are fine; rts2 is the référent of the mixte post.
    post_details.update_description(rts, couple, "é" * 5000)
    post_details.update_description(rts2, mixte, "Nouvelle description")
    assert site_of(mixte).description == "Nouvelle description" and len(audit_rows()) == 3


def test_outside_the_posts_phase_nothing_can_be_changed(db_url):
    seed_posts("ranking")
    rts = user_of(demo("rts"))
    couple = demo_post(COUPLE)
    detail = post_details.post_detail(rts, couple)
    assert detail.is_referent is True and detail.phase_open is False and detail.can_edit is False
    for attempt in (
        lambda: post_details.update_description(rts, couple, "Hors période"),
        lambda: post_details.replace_descriptive_file(rts, couple, "fiche.pdf", tiny_pdf()),
        lambda: post_details.remove_descriptive_file(rts, couple),
    ):
        with pytest.raises(PhaseClosedError, match="« Mes postes » n'est pas ouverte"):
            attempt()
    assert site_of(couple).description == "" and site_of(couple).descriptive_document_id is None
    assert audit_rows() == [] and stored_files() == []


def test_the_referent_replaces_and_removes_the_descriptive_file(db_url):
    seed_posts("posts")
    rts = user_of(demo("rts"))
    couple, mixte = demo_post(COUPLE), demo_post(MIXTE)

    first = post_details.replace_descriptive_file(rts, couple, "fiche.pdf", tiny_pdf("v1"))
    assert first.filename == "fiche.pdf" and site_of(couple).descriptive_document_id == first.id
    [first_file] = stored_files()
    assert post_details.post_detail(rts, couple).file.id == first.id

    second = post_details.replace_descriptive_file(rts, couple, "fiche-2025.pdf", tiny_pdf("v2"))
    [second_file] = stored_files()
    assert second_file != first_file and second_file.read_bytes() == tiny_pdf("v2")
    with transaction() as session:
        assert session.get(Document, first.id) is None
    assert site_of(couple).descriptive_document_id == second.id

    # Refusals leave the current file in place: a non-PDF, an oversized file, a non-référent.
    for filename, data, error in (("fiche.pdf", b"pas un pdf", DocumentError),
                                  ("fiche.pdf", oversized_pdf(), DocumentError)):
        with pytest.raises(error):
            post_details.replace_descriptive_file(rts, couple, filename, data)
    with pytest.raises(AccessDenied, match=post_access.NOT_REFERENT):
        post_details.replace_descriptive_file(rts, mixte, "fiche.pdf", tiny_pdf())
    with pytest.raises(AccessDenied, match=post_access.NOT_REFERENT):
        post_details.remove_descriptive_file(rts, mixte)
    assert stored_files() == [second_file] and site_of(couple).descriptive_document_id == second.id

    post_details.remove_descriptive_file(rts, couple)
    assert site_of(couple).descriptive_document_id is None and stored_files() == []
    with pytest.raises(DocumentError, match="Aucun fichier descriptif"):
        post_details.remove_descriptive_file(rts, couple)
    actions = [(e.action, e.entity) for e in audit_rows()]
    assert actions == [("site.descriptive_file.replace", "site")] * 2 + [("site.descriptive_file.remove", "site")]
    assert audit_rows()[1].before_json and str(first.id) in audit_rows()[1].before_json
