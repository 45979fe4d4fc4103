"""The route registry: every page it declares is served, and no menu or home sends someone to a page that would
turn them away."""

from __future__ import annotations

import pytest

from siimop_app import routes
from siimop_app.domain.roles import Role
from siimop_app.navigation import MENUS
from siimop_app.services.access import ROLE_HOMES


def test_every_declared_page_is_served_with_its_title():
    import siimop_app.siimop_app as application

    served = {route: page.title for route, page in application.app._unevaluated_pages.items()}
    declared = {page.path.strip("/") or "index": page.document_title for page in routes.PAGES}
    assert served == declared


def _page_at(path: str) -> routes.Page:
    return next(page for page in routes.PAGES if page.path == path)


def test_each_menu_entry_and_home_opens_for_the_role_that_sees_it():
    for role in Role:
        for entry in MENUS.get(role, ()):
            roles = _page_at(entry.href).roles
            assert roles is None or not roles or role in roles, (role, entry.href)
        roles = _page_at(ROLE_HOMES[role]).roles
        assert roles is not None and role in roles, role


# ------------------------------------------------------------------------------------------------ file routes
def _file_apis():
    from siimop_app.file_routes import files_api
    from siimop_app.import_routes import imports_api

    return files_api, imports_api


def _file_routes(apis) -> list:
    """The file routes the apps declare, without the ``Mount("")`` of Reflex's own app that Reflex appends to each
    ``api_transformer`` app once the app is built (by the browser tests' harness in the same process)."""
    from starlette.routing import Route

    return [route for api in apis for route in api.routes if isinstance(route, Route)]


def test_every_declared_file_route_is_mounted_on_the_backend_and_nothing_else():
    import siimop_app.siimop_app as application

    apis = _file_apis()
    assert all(api in application.app.api_transformer for api in apis)
    mounted = [route.path for route in _file_routes(apis)]
    assert sorted(mounted) == sorted(route.path for route in routes.FILE_ROUTES)


def test_a_file_route_link_fills_its_parameters():
    assert routes.DOCUMENT.link(document_id=12) == "/files/documents/12"
    assert routes.DOCUMENT.link_prefix == "/files/documents/"
    assert routes.TABLE_EXPORT.link(table="posts", fmt="csv") == "/files/exports/posts.csv"
    assert routes.IMPORT_FILE.link(batch_id=3) == "/files/imports/3"
    with pytest.raises(TypeError):
        routes.DOCUMENT.link(document_id=1, inline=1)


def _samples(outbox, monkeypatch) -> dict[routes.FileRoute, list[tuple[str, str]]]:
    """For each file route: (a link that serves a file, the session cookie of someone the route names; "" for the
    link alone)."""
    from siimop_app.db import transaction
    from siimop_app.file_routes import KIT_TABLES
    from siimop_app.models import DocumentKind, ImportBatch
    from siimop_app.services import documents, imports, support
    from tests.services.factories import make_user
    from tests.services.test_documents_and_post_detail import tiny_pdf
    from tests.services.test_student_table import cookie_of
    from tests.services.test_support_desk import PNG, _follow_token

    owner = make_user("etudiant@univ.example", Role.STUDENT)
    with transaction() as session:
        document = documents.store_pdf(session, owner_user_id=owner, kind=DocumentKind.CV.value, filename="cv.pdf",
                                       data=tiny_pdf())
    make_user("admin@siimop.example", Role.ADMIN)
    admin = cookie_of(outbox, "admin@siimop.example")
    monkeypatch.setattr(support, "support_is_open", lambda at=None: True)
    support.open_ticket(user_id=None, full_name="Rémi Thermidor", email="remi@gmail.example",
                        requester_status="Étudiant / Docteur Junior", university="LILLE", problem_type="Connexion",
                        subject="Je ne reçois pas le lien", description="Rien dans ma boîte.",
                        attachment=("capture.png", PNG))
    token = _follow_token(outbox, "remi@gmail.example")
    support.follow_by_link(token)
    imports.storage_path("batch.csv").parent.mkdir(parents=True, exist_ok=True)
    imports.storage_path("batch.csv").write_bytes(b"ine;nom\n")
    with transaction() as session:
        batch = ImportBatch(actor_user_id=None, kind="students", filename="etudiants.csv", sha256="0" * 64,
                            storage_key="batch.csv")
        session.add(batch)
        session.flush()
        batch_id = batch.id
    return {
        routes.DOCUMENT: [(documents.download_path(document.id), cookie_of(outbox, "etudiant@univ.example"))],
        routes.TICKET_ATTACHMENT: [(routes.TICKET_ATTACHMENT.link(token=token), "")],
        routes.TABLE_EXPORT: [(routes.TABLE_EXPORT.link(table=table.name, fmt=fmt), admin)
                              for table in KIT_TABLES for fmt in ("csv", "xlsx")],
        routes.IMPORT_TEMPLATE: [(imports.template_path("students"), admin)],
        routes.IMPORT_FILE: [(imports.batch_path(batch_id), admin)],
    }


def test_each_file_route_serves_whom_it_declares_and_refuses_anyone_else(db_url, outbox, monkeypatch):
    import warnings

    from starlette.applications import Starlette

    with warnings.catch_warnings():  # Starlette suggests "httpx2"; httpx is what is installed and works
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from siimop_app.states.session import SESSION_COOKIE
    from tests.services.factories import make_user
    from tests.services.test_student_table import cookie_of

    samples = _samples(outbox, monkeypatch)
    assert set(samples) == set(routes.FILE_ROUTES), "give each declared file route a sample here"
    client = TestClient(Starlette(routes=_file_routes(_file_apis())))
    # Someone of each role, for the routes kept to some roles.
    cookies = {}
    for role in Role:
        make_user(f"{role.value}@autre.example", role)
        cookies[role] = cookie_of(outbox, f"{role.value}@autre.example")

    def fetch(link: str, cookie: str) -> int:
        client.cookies.clear()
        if cookie:
            client.cookies.set(SESSION_COOKIE, cookie)
        return client.get(link).status_code

    for route, links in samples.items():
        for link, cookie in links:
            assert fetch(link, cookie) == 200, link
            # Without a session: only a link that is its own key is served.
            assert fetch(link, "") == (200 if route.roles is None else 404), link
            for role in Role:
                if route.roles and role not in route.roles:
                    assert fetch(link, cookies[role]) == 404, (link, role)
