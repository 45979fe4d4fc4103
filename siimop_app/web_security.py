"""The app's edges, hardened (issue 10): who may talk to the backend, what it accepts, what it answers.

* **Origins** (``siimop_app.origins``): ``EdgeGuard`` refuses any request or socket carrying a foreign
  ``Origin`` before it reaches Reflex's CORS middleware or the socket.io server (which check it too).
* **Uploads.** ``EdgeGuard`` refuses ``/_upload`` bodies announced larger than the largest accepted file (plus
  the multipart overhead) before reading them, and uploads from a client without a valid session; it then reads
  the body itself up to that limit (413 beyond it, whatever the Content-Length said, chunked or not).
* **Headers.** Every HTTP answer carries ``X-Content-Type-Options``, ``Referrer-Policy`` and, on pages and
  routes (not the socket), a Content-Security-Policy with ``frame-ancestors 'none'``.
* **Events.** ``EventGuard`` checks every event's payload against its handler's annotations
  (``validation.check_payload``) before the handler runs, refuses Reflex's generic ``setvar`` on the app's
  states, and, when a tab comes back without a valid session, drops the private state it still holds.
* **Errors.** The exception handlers log client text escaped and never show exception text to the user.
"""

from __future__ import annotations

import functools
import logging
import traceback

import anyio
import reflex as rx
import redis.exceptions
import sqlalchemy.exc
from reflex.middleware.middleware import Middleware
from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse

from siimop_app import worker_balance
from siimop_app.origins import origin_allowed
from siimop_app.services.documents import MAX_PDF_BYTES
from siimop_app.validation import INVALID_INPUT, InvalidInput, check_payload, log_safe

log = logging.getLogger(__name__)

SESSION_COOKIE = "siimop_session"
MAX_UPLOAD_BYTES = MAX_PDF_BYTES + 64 * 1024  # the largest file plus the multipart envelope
# The database is unreachable (restart, failover): the transaction was rolled back, the pool reconnects by itself.
_STORE_DOWN = (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError, redis.exceptions.ConnectionError,
               redis.exceptions.TimeoutError)
DATABASE_UNAVAILABLE = ("Le service est momentanément indisponible : votre dernière action n'a pas été enregistrée. "
                        "Réessayez dans quelques instants.")
UNEXPECTED_ERROR = "Une erreur est survenue : votre demande n'a pas été prise en compte. Réessayez ou contactez l'assistance."
FOREIGN_ORIGIN = "Origine non autorisée."
UPLOAD_TOO_LARGE = "Le fichier dépasse la taille maximale de 5 Mo."
UPLOAD_NEEDS_SESSION = "Votre session a expiré : veuillez vous reconnecter."


# ------------------------------------------------------------------ headers
CSP = "; ".join((
    "default-src 'self'",
    # Reflex's bundle evaluates event chains with new Function() and Radix injects inline styles.
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self' ws: wss: http: https:",
    "frame-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
SECURITY_HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"no-referrer",
    b"x-frame-options": b"DENY",
}


FILE_CSP = "frame-ancestors 'none'"  # PDFs and exports: a stricter policy would blank the browser's PDF viewer


def _with_headers(headers: list) -> list:
    present = {name.lower(): value for name, value in headers}
    extra = [(name, value) for name, value in SECURITY_HEADERS.items() if name not in present]
    if b"content-security-policy" not in present:
        html = present.get(b"content-type", b"").startswith(b"text/html")
        extra.append((b"content-security-policy", (CSP if html else FILE_CSP).encode()))
    return [*headers, *extra]


# ------------------------------------------------------------------ the ASGI guard
class EdgeGuard:
    """Outermost ASGI middleware (``rx.App(api_transformer=[..., EdgeGuard])``)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is not None and not origin_allowed(origin):
            log.warning("refused %s %s from foreign origin %s", scope["type"], log_safe(scope.get("path", ""), 200),
                        log_safe(origin, 200))
            if scope["type"] == "websocket":
                return await send({"type": "websocket.close", "code": 1008})
            return await self._respond(scope, receive, send, FOREIGN_ORIGIN, 403)
        if scope["type"] == "http" and scope.get("path", "").rstrip("/").endswith("/_upload"):
            refusal = await self._check_upload(headers)
            if refusal is None:
                # The Content-Length may lie (or be absent with chunked bodies): the body itself is read here, up
                # to the limit, and only a whole body under it is handed on; Reflex's route never sees more.
                receive, seen = await _read_capped(receive, MAX_UPLOAD_BYTES)
                if receive is None:
                    refusal = f"body over {MAX_UPLOAD_BYTES} bytes ({seen} read)", UPLOAD_TOO_LARGE, 413
            if refusal is not None:
                log.warning("refused upload: %s", refusal[0])
                return await self._respond(scope, _disconnected, send, *refusal[1:])
        if scope["type"] == "websocket":
            return await self.app(scope, receive, send)
        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": _with_headers(list(message.get("headers", [])))}
            await send(message)

        return await self.app(scope, receive, send_with_headers)

    @staticmethod
    async def _respond(scope, receive, send, text: str, status: int):
        response = PlainTextResponse(text, status_code=status,
                                     headers={k.decode(): v.decode() for k, v in SECURITY_HEADERS.items()})
        await response(scope, receive, send)

    async def _check_upload(self, headers: Headers) -> tuple[str, str, int] | None:
        length = headers.get("content-length")
        if length is not None and (not length.isascii() or not length.isdigit()):
            return "malformed Content-Length", UPLOAD_TOO_LARGE, 400
        if length is not None and int(length) > MAX_UPLOAD_BYTES:
            return f"body of {length} bytes", UPLOAD_TOO_LARGE, 413
        token = headers.get("reflex-client-token", "")
        cookie = await _session_cookie_of_token(token) if token else ""
        user = await anyio.to_thread.run_sync(_resolve, cookie)
        if user is None:
            return "no valid session for the client token", UPLOAD_NEEDS_SESSION, 403
        return None


def _resolve(cookie: str):
    from siimop_app.services import auth

    return auth.resolve_session(cookie)


async def _session_cookie_of_token(token: str) -> str:
    """The session cookie held by this client's state (the dev frontend uploads without cookies)."""
    from reflex.istate.manager.token import BaseStateToken
    from reflex.utils.prerequisites import get_and_validate_app

    from siimop_app.states.session import AppState

    try:
        app = get_and_validate_app().app
        state = await app.state_manager.get_state(BaseStateToken(ident=token, cls=AppState))
        app_state = state if isinstance(state, AppState) else await state.get_state(AppState)
        return app_state.session_cookie or ""
    except Exception:
        log.exception("no state for upload token %s", log_safe(token, 80))
        return ""


async def _read_capped(receive, limit: int):
    """Reads the whole request body, stopping as soon as more than ``limit`` bytes came.

    Returns (a receive replaying the body, bytes read), or (None, bytes read) when the body is over the limit."""
    messages, seen = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            messages.append(message)  # the client went away: the app sees the disconnect as it would have
            break
        seen += len(message.get("body", b""))
        if seen > limit:
            return None, seen
        messages.append(message)
        if not message.get("more_body", False):
            break

    async def replay():
        return messages.pop(0) if messages else await receive()

    return replay, seen


async def _disconnected():
    return {"type": "http.disconnect"}


# ------------------------------------------------------------------ events
@functools.lru_cache(maxsize=1024)  # asked on every event; the state classes never change (bounded: names are input)
def _handler_of(event_name: str):
    """(state class, handler) for an event name, or (None, None) for Reflex's own events."""
    from reflex.state import State

    from siimop_app.states.session import AppState

    path, _, name = event_name.rpartition(".")
    try:
        cls = State.get_class_substate(path)
    except Exception:
        return None, None
    if not issubclass(cls, AppState):
        return None, None
    return cls, cls.event_handlers.get(name)


class EventGuard(Middleware):
    """Runs before every event handler (Reflex middleware); refusing raises InvalidInput, so nothing changes."""

    async def preprocess(self, app, state, event):
        from reflex_base.constants import CompileVars, RouteVar

        # A busy client's socket is not the one the balancer closes.
        worker_balance.note_event(event.router_data.get(RouteVar.CLIENT_TOKEN, ""))
        if event.name.endswith("." + CompileVars.HYDRATE + "_and_load") or event.name.endswith(".hydrate_and_load"):
            await _drop_if_signed_out(state, event)
            return None
        cls, handler = _handler_of(event.name)
        if cls is None:
            return None
        if handler is None or event.name.endswith(".setvar"):
            raise InvalidInput(f"event {log_safe(event.name, 200)} is not one of the app's handlers")
        try:
            check_payload(handler.fn, event.payload)
        except InvalidInput as refused:
            raise InvalidInput(f"{log_safe(event.name, 200)}: {refused.detail}") from None
        return None


async def _drop_if_signed_out(root, event) -> None:
    """A tab reconnecting without a valid session gets nothing of what its state still holds (hole 5)."""
    from siimop_app.states.session import AppState

    app_state = await root.get_state(AppState)
    if not app_state.user_name:  # nothing private was ever loaded in this tab
        return
    vars_ = (event.payload or {}).get("vars") or {}
    cookie = next((v for k, v in vars_.items() if k.startswith(AppState.get_full_name() + ".session_cookie")), "")
    user = await anyio.to_thread.run_sync(_resolve, cookie if isinstance(cookie, str) else "")
    if user is None:
        app_state._drop_private_state()


# ------------------------------------------------------------------ exception handlers
def frontend_error(exception: Exception) -> None:
    """Frontend errors are client text: one escaped line each, never a forged log line."""
    log.error("frontend exception: %s", log_safe(str(exception), 2000))


def backend_error(exception: Exception):
    """The user sees a French message, never the exception's text; the log gets the details, escaped."""
    if isinstance(exception, InvalidInput):
        log.warning("refused input: %s", log_safe(exception.detail, 1000))
        return rx.toast.error(str(exception) or INVALID_INPUT, id="backend_error")
    if isinstance(exception, _STORE_DOWN):
        # PostgreSQL, or Redis (the states of several workers) restarting: the same calm message, nothing written.
        log.warning("database unavailable during an event: %s", log_safe(str(exception).splitlines()[0], 500))
        return rx.toast.error(DATABASE_UNAVAILABLE, id="backend_error")
    details = "".join(traceback.format_exception(type(exception), exception, exception.__traceback__))
    log.error("event handler failed: %s", log_safe(details, 8000))
    return rx.toast.error(UNEXPECTED_ERROR, id="backend_error")
