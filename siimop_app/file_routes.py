"""The authenticated routes that serve private files, as ``routes.FILE_ROUTES`` declares them: documents
(``GET /files/documents/{id}?inline=1``), tickets' attachments by private link, the staff tables' exports.

Mounted on the backend through ``rx.App(api_transformer=files_api)``. ``mount`` reads the
same session cookie as the pages (``siimop_session``), re-resolves the user from the
database and refuses whoever the route's declared roles leave out; the handler then serves the bytes only when
the file's own rule allows it (``documents.can_read``, the table's scope). Unknown,
forbidden and anonymous requests get the same 404, so ids cannot be probed.

Pages link to it through ``ui.backend.backend_url(path)``: in development the backend listens on
another port than the frontend, so the link must point at the backend's address as
the browser sees it (the same rule Reflex uses for its websocket and uploads).
"""

from __future__ import annotations

import logging
import tempfile
import unicodedata
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from siimop_app import routes
from siimop_app.db import transaction
from siimop_app.services import (
    auth,
    coordinator_table,
    documents,
    exports,
    post_table,
    result_table,
    student_table,
    supervisor_table,
    support,
)
from siimop_app.services.table_kit import Table
from siimop_app.states.session import SESSION_COOKIE
from siimop_app.validation import InvalidInput, check_query, parse_int

log = logging.getLogger(__name__)

NOT_FOUND = "Document introuvable."
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",
}


def content_disposition(filename: str, inline: bool) -> str:
    """``inline``/``attachment`` with an ASCII fallback name and the exact UTF-8 name (RFC 6266)."""
    name = documents.clean_filename(filename)
    ascii_name = "".join(
        ch if ch.isascii() and (ch.isalnum() or ch in "._- ()") else ("" if unicodedata.combining(ch) else "_")
        for ch in unicodedata.normalize("NFKD", name)
    ).strip() or "document.pdf"
    disposition = "inline" if inline else "attachment"
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _not_found() -> Response:
    return PlainTextResponse(NOT_FOUND, status_code=404, headers=SECURITY_HEADERS)


def may_fetch(route: routes.FileRoute, user: auth.SignedInUser | None) -> bool:
    """Whether the route's declared roles let ``user`` (None: no session) fetch from it at all."""
    if route.roles is None:
        return True
    return user is not None and (not route.roles or bool(set(user.roles) & set(route.roles)))


def mount(route: routes.FileRoute, handler) -> Route:
    """``handler`` at the route's declared path, behind its declared roles: whoever they leave out gets the 404 every
    refusal gets. The handler finds the signed-in user (or None) in ``request.state.user``.

    Synchronous on purpose: Starlette runs it in a worker thread, like every database call here."""
    def guarded(request: Request) -> Response:
        user = auth.resolve_session(request.cookies.get(SESSION_COOKIE, "")) if route.roles is not None else None
        if not may_fetch(route, user):
            return _not_found()
        request.state.user = user
        return handler(request)

    guarded.__name__ = handler.__name__
    return Route(route.path, guarded, methods=["GET"])


def serve_document(request: Request) -> Response:
    document_id = parse_int(request.path_params.get("document_id", ""), lo=1)
    if document_id is None:
        return _not_found()
    with transaction() as session:
        document = documents.readable_document(session, request.state.user, document_id)
    if document is None:
        return _not_found()
    return _serve(document, inline=request.query_params.get("inline") in ("1", "true"))


def _serve(document, *, inline: bool = False) -> Response:
    try:
        data = documents.read(document)
    except (OSError, ValueError):
        log.exception("document %s has no readable file", document.id)
        return _not_found()
    headers = {**SECURITY_HEADERS, "Content-Disposition": content_disposition(document.filename, inline)}
    return Response(data, media_type=document.content_type or documents.PDF_CONTENT_TYPE, headers=headers)


def serve_ticket_attachment(request: Request) -> Response:
    """A ticket's attachment for whoever holds the ticket's private link (a requester without an account)."""
    document = support.attachment_by_link(request.path_params.get("token", ""))
    return _not_found() if document is None else _serve(document)


EXPORT_WRITERS = {"csv": (exports.write_csv, exports.CSV_CONTENT_TYPE),
                  "xlsx": (exports.write_xlsx, exports.XLSX_CONTENT_TYPE)}


# The staff tables built on the kit: each is exported at routes.TABLE_EXPORT with its name.
KIT_TABLES = (student_table.TABLE, post_table.TABLE, supervisor_table.TABLE, coordinator_table.TABLE, result_table.TABLE)
TABLES_BY_NAME: dict[str, Table] = {table.name: table for table in KIT_TABLES}


def serve_export(request: Request) -> Response:
    """A table's export with the page's filters (query string), in the viewer's scope (the tables' queries apply
    it); an unknown table or format: 404.

    The file is written in this worker thread into a spooled temporary file (the rows stream from the database),
    then streamed back: the whole table never sits in memory or in Reflex state.
    """
    table = TABLES_BY_NAME.get(request.path_params.get("table", ""))
    fmt = request.path_params.get("fmt", "")
    if table is None or fmt not in EXPORT_WRITERS:
        return _not_found()
    user, stem, columns, rows_for = request.state.user, table.file_stem, table.export_columns(), table.export_rows
    params = request.query_params
    try:
        check_query(params)
    except InvalidInput as invalid:
        log.warning("export %s refused: %s", stem, invalid.detail)
        return PlainTextResponse(str(invalid), status_code=400, headers=SECURITY_HEADERS)
    writer, content_type = EXPORT_WRITERS[fmt]
    spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    writer(columns, rows_for(user, filters=dict(params), sort=params.get("sort", ""),
                             descending=params.get("desc") in ("1", "true")), spool)
    spool.seek(0)

    def chunks():
        with spool:
            while block := spool.read(256 * 1024):
                yield block

    headers = {**SECURITY_HEADERS,
               "Content-Disposition": content_disposition(exports.export_filename(stem, fmt), inline=False)}
    return StreamingResponse(chunks(), media_type=content_type, headers=headers)


files_api = Starlette(
    routes=[
        mount(routes.DOCUMENT, serve_document),
        mount(routes.TICKET_ATTACHMENT, serve_ticket_attachment),
        mount(routes.TABLE_EXPORT, serve_export),
    ],
)
