"""The route registry: every page it declares is served, and no menu or home sends someone to a page that would
turn them away."""

from __future__ import annotations

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

