"""The one place the state tests read Reflex's internals: how a client's state tree is built, and what a handler's
returned events say (redirects, toasts). An upgrade of Reflex that moves these internals is fixed here only.
"""

from __future__ import annotations

import asyncio
import codecs
import inspect

import reflex as rx
from reflex.istate.data import PageData

from siimop_app.states.session import AppState


def page_state(cls: type[AppState], cookie: str = "", *, path: str = "", params: dict[str, str] | None = None):
    """A fresh client's state tree, as Reflex builds it; returns the page's substate with the session cookie set.

    ``path`` and ``params`` open a dynamic route as the browser would (``/rts/postes/[post_id]``, {"post_id": "3"}).
    """
    root = rx.State(_reflex_internal_init=True)
    if path:
        root.rx_router_page = PageData(path=path, params={key: str(value) for key, value in (params or {}).items()})
    state = root.get_substate(cls.get_full_name().split("."))
    state.session_cookie = cookie
    return state


def settle(result):
    """A handler's result as Reflex gets it: awaited when the handler is async (its database work in a thread)."""
    return asyncio.run(result) if inspect.iscoroutine(result) else result


def specs(result) -> list:
    """The events a handler returned, as a list."""
    if result is None:
        return []
    return list(result) if isinstance(result, (list, tuple)) else [result]


def redirects(result) -> list[str]:
    """The paths of the ``rx.redirect`` events a handler returned (``rx.redirect`` is the server-side "_redirect")."""
    paths = []
    for spec in specs(result):
        if spec.handler.fn.__qualname__ == "_redirect":
            args = {name._js_expr: value._var_value for name, value in spec.args}
            paths.append(args["path"])
    return paths


def toasts(result) -> list[str]:
    """The JavaScript of the toast calls a handler returned, with its escapes decoded (to read the French text)."""
    return [
        codecs.decode(str(value), "unicode_escape")
        for spec in specs(result)
        if spec.handler.fn.__qualname__ == "_call_function"
        for name, value in spec.args
        if name._js_expr == "function" and "__toast" in str(value)
    ]


def sent_vars(state) -> set[str]:
    """The vars of ``state`` (not of its parents) that the last events changed: what Reflex sends back for it."""
    return set(state.dirty_vars)


def shell_sent(state) -> set[str]:
    """The shell's vars (``AppState``, the parent of every page state) that the last events changed."""
    return set(state._get_root_state().get_substate(AppState.get_full_name().split(".")).dirty_vars)


def forget_sent(state) -> None:
    """As after Reflex sent the delta: no var of the client's state tree is marked changed any more."""
    state._get_root_state()._clean()
