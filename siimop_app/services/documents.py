"""Private files (CV, letters, contracts, descriptive files of sites, ticket attachments).

The bytes live under ``documents_dir/<2-char prefix>/<random key>``, never under
Reflex's public upload folder (whose files are served without any check). They are
served only by the authenticated route of ``siimop_app.file_routes``, which asks
``can_read`` here. Only well-formed PDFs without active content are accepted, up to ``MAX_PDF_BYTES``.

A file is written when its row is added, inside the caller's transaction: if that
transaction rolls back, the new file is removed; a file replaced or removed is
deleted only after the commit (``delete_file_after_commit``), so a refused or failed
change never loses bytes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import logging
import secrets
import unicodedata
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, select

from siimop_app import routes
from siimop_app.domain.calendar import PARIS
from siimop_app.domain.errors import UserError
from siimop_app.domain.roles import Role
from siimop_app.models import Document, DocumentKind, Post, Site, Student
from siimop_app.services import candidates, post_access
from siimop_app.services import scope as scopes
from siimop_app.services.auth import SignedInUser
from siimop_app.settings import get_settings
from siimop_app.validation import log_safe

log = logging.getLogger(__name__)

MAX_PDF_BYTES = 5 * 1024 * 1024
PDF_CONTENT_TYPE = "application/pdf"
NOT_A_PDF = "Le fichier doit être un PDF (format .pdf)."
TOO_LARGE = "Le fichier dépasse la taille maximale de 5 Mo."

KIND_LABELS = {
    DocumentKind.CV.value: "CV",
    DocumentKind.COVER_LETTER.value: "Lettre de motivation",
    DocumentKind.TRAINING_CONTRACT.value: "Contrat de formation",
    DocumentKind.POST_DESCRIPTION.value: "Fichier descriptif",
    DocumentKind.TICKET_ATTACHMENT.value: "Pièce jointe",
}
STUDENT_KINDS = (DocumentKind.CV.value, DocumentKind.COVER_LETTER.value, DocumentKind.TRAINING_CONTRACT.value)


class DocumentError(UserError):
    """A file that cannot be accepted; the message is for the user, in French."""


# ------------------------------------------------------------------ storage
def _root() -> Path:
    return get_settings().documents_dir.resolve()


def _path(storage_key: str) -> Path:
    root = _root()
    path = (root / storage_key).resolve()
    if root not in path.parents:  # a key is always "<prefix>/<hex>"; refuse anything else
        raise ValueError(f"invalid storage key {storage_key!r}")
    return path


def clean_filename(filename: str) -> str:
    """The last path segment, without control characters, at most 255 characters (extension kept)."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    name = name.strip().strip(".") or "document.pdf"
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 250 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else name[:255]
    return name


ACTIVE_CONTENT = "Ce PDF contient du contenu actif (JavaScript, action automatique ou fichier joint) : il ne peut pas être accepté."
# PDF names that run or carry something: scripts, launch actions, embedded files, rich media, forms' scripts.
# (An /OpenAction or /AA that only shows a page is common in exported files: the action types are checked.)
ACTIVE_KEYS = frozenset({"/JS", "/JavaScript", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/RichMedia",
                         "/XFA", "/SubmitForm", "/ImportData", "/GoToE", "/GoToR", "/Sound", "/Movie"})
HTML_MARKERS = (b"<html", b"<script", b"<!doctype", b"<body", b"<iframe", b"<svg", b"<?xml-stylesheet")


def _active_names(value, seen: set[tuple[int, int]], depth: int = 0) -> set[str]:
    """The active-content names found anywhere under a parsed PDF object (dicts, arrays, indirect refs)."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    if depth > 60:
        return set()
    if isinstance(value, IndirectObject):
        key = (value.idnum, value.generation)
        if key in seen:
            return set()
        seen.add(key)
        value = value.get_object()
    found = set()
    if isinstance(value, DictionaryObject):
        for name, item in value.items():
            if name in ACTIVE_KEYS:
                found.add(str(name))
            if name == "/S" and isinstance(item, NameObject) and item in ACTIVE_KEYS:
                found.add(str(item))
            found |= _active_names(item, seen, depth + 1)
    elif isinstance(value, ArrayObject):
        for item in value:
            found |= _active_names(item, seen, depth + 1)
    return found


def validate_pdf(filename: str, data: bytes) -> None:
    """Refuse, with a French message, anything but a well-formed PDF of at most 5 MiB without active content.

    The file is parsed for real (pypdf, strict): every object reachable from the trailer, and every object of
    the cross-reference table, is searched for scripts, launch actions and embedded files. A file that is also
    an HTML page (a polyglot) or carries data after its end is refused too.
    """
    from pypdf import PdfReader

    if len(data) > MAX_PDF_BYTES:
        raise DocumentError(TOO_LARGE)
    if not (filename or "").lower().endswith(".pdf"):
        raise DocumentError(NOT_A_PDF)
    if not data.startswith(b"%PDF-") or not data.rstrip().endswith(b"%%EOF"):
        raise DocumentError(NOT_A_PDF)
    lowered = data.lower()
    if any(marker in lowered for marker in HTML_MARKERS):
        raise DocumentError(NOT_A_PDF)
    try:
        reader = PdfReader(io.BytesIO(data), strict=True)
        if reader.is_encrypted:
            raise DocumentError("Ce PDF est chiffré : enregistrez-le sans mot de passe puis déposez-le à nouveau.")
        if len(reader.pages) < 1:
            raise DocumentError(NOT_A_PDF)
        seen: set[tuple[int, int]] = set()
        found = _active_names(reader.trailer, seen)
        for numbers in reader.xref.values():  # objects not reachable from the trailer are searched too
            for number in numbers:
                found |= _active_names(reader.get_object(number), seen)
    except DocumentError:
        raise
    except Exception as error:  # pypdf's many parse errors: not a well-formed PDF
        log.info("PDF %s refused: %s", log_safe(filename, 100), log_safe(str(error), 200))
        raise DocumentError(NOT_A_PDF) from None
    if found:
        log.warning("PDF %s refused: active content %s", log_safe(filename, 100), sorted(found))
        raise DocumentError(ACTIVE_CONTENT)


def store_pdf(session: Session, *, owner_user_id: int, kind: str, filename: str, data: bytes) -> Document:
    """Validate and store a PDF; add its row to ``session`` (flushed, so it has an id).

    The file is removed again if the caller's transaction rolls back.
    """
    validate_pdf(filename, data)
    return store_file(session, owner_user_id=owner_user_id, kind=kind, filename=filename, data=data,
                      content_type=PDF_CONTENT_TYPE)


def store_file(session: Session, *, owner_user_id: int | None, kind: str, filename: str, data: bytes,
               content_type: str) -> Document:
    """Store bytes the caller has already validated; add the row to ``session`` (flushed, so it has an id).

    The file is removed again if the caller's transaction rolls back.
    """
    if kind not in KIND_LABELS:
        raise ValueError(f"unknown document kind {kind!r}")
    key = secrets.token_hex(20)
    storage_key = f"{key[:2]}/{key}"
    path = _path(storage_key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    sa.event.listen(session, "after_rollback", lambda _session: _unlink(path), once=True)
    document = Document(
        owner_user_id=owner_user_id,
        kind=kind,
        filename=clean_filename(filename),
        content_type=content_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_key=storage_key,
    )
    session.add(document)
    session.flush()
    return document


def read(document: Document) -> bytes:
    return _path(document.storage_key).read_bytes()


def _unlink(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:  # a leftover file is harmless; a crash here would hide the real outcome
        log.exception("could not delete %s", path)


def delete_file(document: Document) -> None:
    """Delete the bytes of a document (its row is the caller's business)."""
    _unlink(_path(document.storage_key))


def delete_file_after_commit(session: Session, document: Document) -> None:
    """Delete the bytes of ``document`` once ``session`` commits; nothing happens if it rolls back."""
    path = _path(document.storage_key)
    sa.event.listen(session, "after_commit", lambda _session: _unlink(path), once=True)


# ------------------------------------------------------------------ reading
def download_path(document_id: int, inline: bool = False) -> str:
    """The URL path of the authenticated file route (the page prefixes it with the backend's address)."""
    return routes.DOCUMENT.link(document_id=int(document_id)) + ("?inline=1" if inline else "")


def paris_date(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(PARIS).strftime("%d/%m/%Y")


@dataclasses.dataclass(frozen=True)
class DocumentInfo:
    """What a page shows of a stored file: its kind, name, size ("1,2 Mo"), Paris day of upload ("31/12/2026")
    and the authenticated route's links."""

    id: int
    kind: str
    kind_label: str
    filename: str
    size: str
    uploaded: str
    inline_path: str
    download_path: str


def describe(document: Document) -> DocumentInfo:
    """What a page shows of a file."""
    size = document.size_bytes
    if size >= 1024 * 1024:
        size_text = f"{size / (1024 * 1024):.1f} Mo".replace(".", ",")
    else:
        size_text = f"{max(1, round(size / 1024))} Ko"
    return DocumentInfo(
        id=document.id,
        kind=document.kind,
        kind_label=KIND_LABELS.get(document.kind, document.kind),
        filename=document.filename,
        size=size_text,
        uploaded=paris_date(document.uploaded_at),
        inline_path=download_path(document.id, inline=True),
        download_path=download_path(document.id, inline=False),
    )


def documents_of_student(session: Session, student_id: int) -> list[DocumentInfo]:
    """A student's application documents (CV, letter, contract), in that order, newest first within a kind.

    The caller has checked that the reader may see this student; the route re-checks each file.
    """
    rows = session.exec(
        select(Document)
        .join(Student, Student.user_id == Document.owner_user_id)
        .where(Student.id == student_id, Document.kind.in_(STUDENT_KINDS))
        .order_by(Document.uploaded_at.desc(), Document.id.desc())
    ).all()
    order = {kind: i for i, kind in enumerate(STUDENT_KINDS)}
    return [describe(d) for d in sorted(rows, key=lambda d: order[d.kind])]


# ------------------------------------------------------------ authorization
def _site_document_visible(session: Session, user: SignedInUser, document_id: int) -> bool:
    site_ids = session.exec(select(Site.id).where(Site.descriptive_document_id == document_id)).all()
    if not site_ids:
        return False
    post_ids = session.exec(
        select(Post.id).where(sa.or_(Post.site_id.in_(site_ids), Post.second_site_id.in_(site_ids)))
    ).all()
    return any(post_access.can_see_post(session, user, post_id) for post_id in post_ids)


def _student_document_visible(session: Session, user: SignedInUser, owner_user_id: int) -> bool:
    student = session.exec(select(Student).where(Student.user_id == owner_user_id)).first()
    if student is None:
        return False
    is_candidate = Role.SUPERVISOR in user.roles and candidates.is_candidate_of_supervisor(session, user.user_id, student.id)
    return is_candidate or scopes.covers_student(
        session, user.user_id, user.roles, student.id
    )


def can_read(session: Session, user: SignedInUser, document: Document) -> bool:
    """Whether ``user`` may download ``document`` (SPEC §2 and §5)."""
    if document.owner_user_id == user.user_id:
        return True
    if document.kind == DocumentKind.POST_DESCRIPTION.value:
        return _site_document_visible(session, user, document.id)
    if document.kind in STUDENT_KINDS:
        return _student_document_visible(session, user, document.owner_user_id)
    if document.kind == DocumentKind.TICKET_ATTACHMENT.value:
        from siimop_app.services import support  # support stores its attachments here: import when asked

        return support.staff_may_read_attachment(session, user, document.id)
    return False


def readable_document(session: Session, user: SignedInUser | None, document_id: int) -> Document | None:
    """The document if it exists and ``user`` may read it; None otherwise (the same answer for both)."""
    if user is None:
        return None
    document = session.get(Document, document_id)
    if document is None or not can_read(session, user, document):
        return None
    return document
