"""Authenticated downloads of the back office's imports, mounted on the backend beside ``file_routes`` (declared in
``routes``, managers and admins only):

- ``routes.IMPORT_TEMPLATE``, ``GET /files/imports/modeles/{kind}.xlsx``: the template of a format;
- ``routes.IMPORT_FILE``, ``GET /files/imports/{batch_id}``: the stored file of an applied import (an admin, or the
  manager who loaded it).

Anything else, and anyone else, gets the same 404 as the other private files.
"""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from siimop_app import routes
from siimop_app.file_routes import SECURITY_HEADERS, _not_found, content_disposition, mount
from siimop_app.imports.templates import TEMPLATE_NAMES
from siimop_app.services import imports
from siimop_app.services.access import AccessDenied
from siimop_app.services.exports import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE

log = logging.getLogger(__name__)


def serve_template(request: Request) -> Response:
    kind = request.path_params.get("kind", "")
    if kind not in TEMPLATE_NAMES:
        return _not_found()
    try:
        data = imports.template(request.state.user, kind)
    except AccessDenied:
        return _not_found()
    headers = {**SECURITY_HEADERS, "Content-Disposition": content_disposition(TEMPLATE_NAMES[kind], inline=False)}
    return Response(data, media_type=XLSX_CONTENT_TYPE, headers=headers)


def serve_batch_file(request: Request) -> Response:
    try:
        batch_id = int(request.path_params["batch_id"])
    except (KeyError, ValueError):
        return _not_found()
    batch = imports.readable_batch(request.state.user, batch_id)
    if batch is None:
        return _not_found()
    try:
        data = imports.storage_path(batch.storage_key).read_bytes()
    except OSError:
        log.exception("import batch %s has no readable file", batch.id)
        return _not_found()
    content_type = XLSX_CONTENT_TYPE if batch.filename.lower().endswith(".xlsx") else CSV_CONTENT_TYPE
    headers = {**SECURITY_HEADERS, "Content-Disposition": content_disposition(batch.filename, inline=False)}
    return Response(data, media_type=content_type, headers=headers)


imports_api = Starlette(routes=[mount(routes.IMPORT_TEMPLATE, serve_template), mount(routes.IMPORT_FILE, serve_batch_file)])
