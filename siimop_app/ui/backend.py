"""Links from a page to a backend route (authenticated files and exports): the backend's origin as the browser sees it."""

from __future__ import annotations

import reflex as rx
from reflex.vars.base import Var, VarData

# The backend's origin as the browser sees it. Reflex's getBackendURL() already maps
# "localhost"/"0.0.0.0" to the page's host; a loopback backend (127.0.0.1, as under
# AppHarness) is mapped too, so the browser sends the session cookie it holds for the page's host.
_BACKEND_ORIGIN = Var(
    _js_expr=(
        "((u) => { if (typeof window !== 'undefined' && ['127.0.0.1', '[::1]'].includes(u.hostname) "
        "&& ['localhost', '127.0.0.1', '[::1]'].includes(window.location.hostname)) "
        "{ u.hostname = window.location.hostname; } return u.origin; })(getBackendURL(env.PING))"
    ),
    _var_data=VarData(
        imports={
            "$/utils/state": "getBackendURL",
            "$/env.json": rx.ImportVar(tag="env", is_default=True),
        }
    ),
).to(str)


def backend_url(path: str | Var) -> Var:
    """A link to a backend route (e.g. ``documents.download_path(...)``), for ``rx.link(href=...)``."""
    return _BACKEND_ORIGIN + path
