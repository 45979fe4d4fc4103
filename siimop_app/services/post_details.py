"""Mes postes, one post in detail (seed: "Détail du terrain de stage"), and the référent's edits.

Any supervisor attached to a post reads it; only its référent writes the site's
description and descriptive file (SPEC §2), and only while the "posts" phase of the
post's wave is open. Each change is one transaction with an audit row (entity
"site"); a replaced or removed file's bytes are deleted only after the commit.
"""

from __future__ import annotations

import dataclasses

from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from siimop_app.db import transaction
from siimop_app.models import (
    Document,
    DocumentKind,
    Establishment,
    Post,
    PostSupervisor,
    PostType,
    Site,
    Specialty,
    SpecialtyOption,
    User,
)
from siimop_app.services import audit, calendar, documents, post_access, posts, queries
from siimop_app.services.access import AccessDenied
from siimop_app.services.auth import SignedInUser
from siimop_app.services.calendar import PhaseClosedError
from siimop_app.services.documents import DocumentError

__all__ = [
    "AccessDenied", "DocumentError", "MAX_DESCRIPTION_CHARS", "NO_POST", "PhaseClosedError",
    "SupervisedPost", "post_detail", "remove_descriptive_file", "replace_descriptive_file", "update_description",
]

MAX_DESCRIPTION_CHARS = 5000
DESCRIPTION_TOO_LONG = "La description ne doit pas dépasser 5 000 caractères."
NO_FILE = "Aucun fichier descriptif n'a été téléchargé."


@dataclasses.dataclass(frozen=True)
class SupervisedPost:
    """A post as its supervisor sees it on its detail page, ready to show (``NO_POST``: nothing shown)."""

    post_id: int  # 0: no post
    site_id: int
    site_name: str
    establishment: str
    supervisor: str  # the site's supervisor's name
    approval_specialty: str
    site_number: str
    approval_number: str
    option: str  # "Pas d'option" when none
    description: str
    file: documents.DocumentInfo | None  # the site's descriptive PDF
    card: posts.PostCard | None  # the seed's post card, linking nowhere
    is_referent: bool
    phase_open: bool  # the "posts" phase of the post's wave
    can_edit: bool  # the référent, while that phase is open
    other_supervisor: str  # couplé and mixte posts: the second supervisor's name ("" if none) and address
    other_supervisor_email: str


NO_POST = SupervisedPost(post_id=0, site_id=0, site_name="", establishment="", supervisor="", approval_specialty="",
                         site_number="", approval_number="", option="", description="", file=None, card=None,
                         is_referent=False, phase_open=False, can_edit=False, other_supervisor="",
                         other_supervisor_email="")


def _full_name(first: str | None, last: str | None) -> str:
    return f"{first or ''} {(last or '').upper()}".strip()


def _phase_is_open(post: Post) -> bool:
    try:
        _require_posts_phase(post)
    except PhaseClosedError:
        return False
    return True


def _require_posts_phase(post: Post) -> None:
    """The "posts" phase must be open now, in the wave of this post."""
    opened = calendar.require_open("posts")
    if opened.wave.wave_id != post.wave_id:
        raise PhaseClosedError(
            f"La période « {calendar.PHASE_LABELS['posts']} » de la vague de ce poste n'est pas ouverte : "
            "cette action n'est pas possible aujourd'hui."
        )


def post_detail(user: SignedInUser, post_id: int) -> SupervisedPost:
    """The detail of a post its supervisor opens from Mes postes; AccessDenied (French) for anyone else."""
    with transaction() as session:
        post, link = post_access.supervised_post(session, user, post_id, referent=False)
        site_supervisor = aliased(User)
        site, establishment, approval_specialty, site_option, first, last = session.exec(
            select(Site, Establishment.name, Specialty.label, SpecialtyOption.label,
                   site_supervisor.first_name, site_supervisor.last_name)
            .join(Establishment, Establishment.id == Site.establishment_id)
            .join(Specialty, Specialty.id == Site.approval_specialty_id)
            .outerjoin(SpecialtyOption, SpecialtyOption.id == Site.option_id)
            .outerjoin(site_supervisor, site_supervisor.id == Site.supervisor_user_id)
            .where(Site.id == post.site_id)
        ).one()
        option = site_option
        if option is None and post.option_id is not None:
            option = session.get(SpecialtyOption, post.option_id).label
        document = session.get(Document, site.descriptive_document_id) if site.descriptive_document_id else None
        card = next(
            (c for c in posts.supervisor_post_cards(session, user_id=user.user_id, wave_id=post.wave_id)
             if c.post_id == post.id),
            None,
        )
        other, other_email = "", ""
        if post.post_type in (PostType.COUPLE.value, PostType.MIXTE.value):
            row = session.exec(
                select(User.id, User.first_name, User.last_name)
                .join(PostSupervisor, PostSupervisor.user_id == User.id)
                .where(PostSupervisor.post_id == post.id, PostSupervisor.user_id != user.user_id)
                .order_by(PostSupervisor.is_referent.desc(), PostSupervisor.id)
            ).first()
            if row is not None:
                other, other_email = _full_name(row[1], row[2]), queries.main_email(session, row[0])
    is_referent = bool(link and link.is_referent)
    phase_open = _phase_is_open(post)
    return SupervisedPost(
        post_id=post.id,
        site_id=site.id,
        site_name=site.name,
        establishment=establishment,
        supervisor=_full_name(first, last),
        approval_specialty=approval_specialty,
        site_number=site.site_number,
        approval_number=site.approval_number,
        option=option or "Pas d'option",
        description=site.description,
        file=documents.describe(document) if document else None,
        card=dataclasses.replace(card, href="") if card else None,
        is_referent=is_referent,
        phase_open=phase_open,
        can_edit=is_referent and phase_open,
        other_supervisor=other,
        other_supervisor_email=other_email,
    )


def _editable_site(session: Session, user: SignedInUser, post_id: int) -> tuple[Post, Site]:
    """The post and its main site, if ``user`` is its référent and the posts phase is open; else refuse."""
    post = post_access.require_supervised_post(session, user, post_id, referent=True)
    _require_posts_phase(post)
    site = session.get(Site, post.site_id)
    return post, site


def _file_audit(document: Document | None) -> dict | None:
    if document is None:
        return None
    return {"document_id": document.id, "filename": document.filename, "sha256": document.sha256}


def update_description(user: SignedInUser, post_id: int, text: str) -> str:
    """Replace the site's description (at most 5,000 characters); returns the text stored."""
    text = (text or "").replace("\r\n", "\n").strip()
    with transaction() as session:
        _post, site = _editable_site(session, user, post_id)
        if len(text) > MAX_DESCRIPTION_CHARS:
            raise DocumentError(DESCRIPTION_TOO_LONG)
        before = site.description
        if before == text:
            return text
        site.description = text
        session.add(site)
        audit.record(session, actor_user_id=user.user_id, action="site.description.update", entity="site",
                     entity_id=site.id, before={"description": before, "post_id": post_id},
                     after={"description": text, "post_id": post_id})
    return text


def replace_descriptive_file(user: SignedInUser, post_id: int, filename: str, data: bytes) -> documents.DocumentInfo:
    """Store a new descriptive PDF for the post's site, replacing the previous one; returns its description."""
    with transaction() as session:
        _post, site = _editable_site(session, user, post_id)
        documents.validate_pdf(filename, data)  # before anything is written
        previous = session.get(Document, site.descriptive_document_id) if site.descriptive_document_id else None
        document = documents.store_pdf(session, owner_user_id=user.user_id, kind=DocumentKind.POST_DESCRIPTION.value,
                                       filename=filename, data=data)
        site.descriptive_document_id = document.id
        session.add(site)
        session.flush()  # the site no longer points at the old row before it goes
        if previous is not None:
            documents.delete_file_after_commit(session, previous)
            session.delete(previous)
        audit.record(session, actor_user_id=user.user_id, action="site.descriptive_file.replace", entity="site",
                     entity_id=site.id, before=_file_audit(previous), after=_file_audit(document))
        described = documents.describe(document)
    return described


def remove_descriptive_file(user: SignedInUser, post_id: int) -> None:
    """Remove the site's descriptive file (its bytes go after the commit)."""
    with transaction() as session:
        _post, site = _editable_site(session, user, post_id)
        if site.descriptive_document_id is None:
            raise DocumentError(NO_FILE)
        previous = session.get(Document, site.descriptive_document_id)
        site.descriptive_document_id = None
        session.add(site)
        session.flush()
        if previous is not None:
            documents.delete_file_after_commit(session, previous)
            session.delete(previous)
        audit.record(session, actor_user_id=user.user_id, action="site.descriptive_file.remove", entity="site",
                     entity_id=site.id, before=_file_audit(previous), after=None)
