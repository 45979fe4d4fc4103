"""The post detail page's state, without a browser: every handler re-checks who may read and who may change."""

from __future__ import annotations

import asyncio
import io

from sqlmodel import select
from starlette.datastructures import UploadFile as StarletteUploadFile

import siimop_app.siimop_app  # noqa: F401  (registers the pages and their "[post_id]" argument)
from siimop_app.db import transaction
from siimop_app.models import AuditEntry, Site
from siimop_app.pages.supervisor.post_detail import PostDetailState
from siimop_app.services import documents, post_access, post_details
from tests.services.test_documents_and_post_detail import COUPLE, MIXTE, SIMPLE, demo_post, site_of, tiny_pdf
from tests.states.reflex_state import page_state, settle
from tests.states.test_guards import demo_address, load_demo, redirects, sign_in


def detail_state(post_id, cookie: str = "") -> PostDetailState:
    """The page's state as the browser opens /rts/postes/<post_id>."""
    return page_state(PostDetailState, cookie, path="/rts/postes/[post_id]", params={"post_id": post_id})


def upload(state: PostDetailState, filename: str, data: bytes) -> None:
    from reflex_components_core.core._upload import _upload_file_from_starlette

    file = _upload_file_from_starlette(StarletteUploadFile(io.BytesIO(data), filename=filename, size=len(data)))
    asyncio.run(state.upload_file([file]))


def audit_count() -> int:
    with transaction() as session:
        return len(session.exec(select(AuditEntry).where(AuditEntry.entity == "site")).all())


def test_anonymous_and_other_roles_get_nothing(db_url, outbox):
    load_demo("posts")
    couple = demo_post(COUPLE)
    state = detail_state(couple)
    assert redirects(settle(state.load())) == ["/connexion"]
    assert state.detail == post_details.NO_POST and state.loaded is False
    student = detail_state(couple, sign_in(outbox, demo_address("student")))
    assert redirects(settle(student.load())) == ["/"]
    assert student.detail == post_details.NO_POST and student.user_name == ""


def test_another_supervisors_post_is_refused_in_french_and_nothing_is_loaded(db_url, outbox):
    load_demo("posts")
    cookie = sign_in(outbox, demo_address("rts2"))  # rts2 is not attached to the simple post
    for post_id in (demo_post(SIMPLE), 999_999, "abc", ""):
        state = detail_state(post_id, cookie)
        assert redirects(settle(state.load())) == []
        assert state.error == post_access.NOT_YOUR_POST
        assert state.detail == post_details.NO_POST and state.loaded is False
        # Handlers called directly (a forged event) are refused the same way and change nothing.
        before = site_of(demo_post(SIMPLE)).description
        settle(state.save_description({"description": "Piratage"}))
        assert state.error == post_access.NOT_YOUR_POST and state.detail == post_details.NO_POST
        upload(state, "fiche.pdf", tiny_pdf())
        assert state.error == post_access.NOT_YOUR_POST
        assert site_of(demo_post(SIMPLE)).description == before
    assert audit_count() == 0


def test_the_non_referent_reads_only_and_updates_are_refused(db_url, outbox):
    load_demo("posts")
    mixte = demo_post(MIXTE)  # the demo RTS is attached to it, but rts2 is its référent
    state = detail_state(mixte, sign_in(outbox, demo_address("rts")))
    assert redirects(settle(state.load())) == []
    assert state.loaded and state.error == ""
    assert state.detail.is_referent is False and state.detail.can_edit is False
    assert state.detail.other_supervisor == "Carole BARTHELEMY"
    before = site_of(mixte).description

    state.start_editing()
    assert state.editing_description is False and state.error == post_access.NOT_REFERENT
    settle(state.save_description({"description": "Je ne suis pas référent"}))
    assert state.error == post_access.NOT_REFERENT
    upload(state, "fiche.pdf", tiny_pdf())
    assert state.error == post_access.NOT_REFERENT
    settle(state.remove_file())
    assert state.error == post_access.NOT_REFERENT
    assert site_of(mixte).description == before and site_of(mixte).descriptive_document_id is None
    assert state.detail.description == before  # still shown, read-only
    assert audit_count() == 0


def test_the_referent_edits_during_the_posts_phase(db_url, outbox):
    load_demo("posts")
    couple = demo_post(COUPLE)
    state = detail_state(couple, sign_in(outbox, demo_address("rts")))
    settle(state.load())
    assert state.detail.can_edit is True
    state.start_editing()
    assert state.editing_description is True
    settle(state.save_description({"description": "Urgences et SMUR, 40 000 passages par an."}))
    assert state.error == "" and state.notice == "La description a été mise à jour."
    assert state.editing_description is False
    assert state.detail.description == "Urgences et SMUR, 40 000 passages par an."

    upload(state, "notes.txt.pdf", b"plain text")
    assert state.error == documents.NOT_A_PDF and state.detail.file is None
    upload(state, "gros.pdf", b"%PDF-1.4\n" + b"0" * documents.MAX_PDF_BYTES + b"\n%%EOF\n")
    assert state.error == documents.TOO_LARGE and state.detail.file is None
    upload(state, "Fiche du service.pdf", tiny_pdf())
    assert state.error == "" and state.detail.file.filename == "Fiche du service.pdf"
    assert state.detail.file.inline_path.endswith("?inline=1")
    settle(state.remove_file())
    assert state.error == "" and state.detail.file is None
    with transaction() as session:
        assert session.get(Site, site_of(couple).id).descriptive_document_id is None


def test_outside_the_posts_phase_the_referent_is_refused(db_url, outbox):
    load_demo("ranking")
    couple = demo_post(COUPLE)
    state = detail_state(couple, sign_in(outbox, demo_address("rts")))
    settle(state.load())
    assert state.detail.is_referent is True and state.detail.can_edit is False
    settle(state.save_description({"description": "Hors période"}))
    assert "« Mes postes » n'est pas ouverte" in state.error
    upload(state, "fiche.pdf", tiny_pdf())
    assert "« Mes postes » n'est pas ouverte" in state.error
    assert site_of(couple).description == "" and audit_count() == 0
