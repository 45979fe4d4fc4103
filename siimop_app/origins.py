"""The app's own origins: the only ones that may read with the user's credentials or open the event socket.

``SIIMOP_BASE_URL``, Reflex's ``deploy_url`` (the frontend's address: in development and under the test harness
the frontend and the backend listen on different ports) and ``SIIMOP_ALLOWED_ORIGINS`` (comma separated); a
loopback origin stands for its other loopback names (``localhost`` and ``127.0.0.1``). Read on each request,
because the test harness learns the frontend's address after the app started. Imported by ``rxconfig.py``:
no database, no app modules here.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from siimop_app.settings import get_settings

LOOPBACK = ("localhost", "127.0.0.1", "[::1]")


def origin_of(url: str | None) -> str | None:
    """``scheme://host[:port]`` in lower case, default ports dropped; None when ``url`` has no host."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    host = f"[{host}]" if ":" in host else host
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def allowed_origins(*, with_reflex: bool = True) -> frozenset[str]:
    settings = get_settings()
    configured = [settings.base_url, *settings.allowed_origins]
    if with_reflex:  # not while rxconfig.py itself is being loaded
        try:
            from reflex.config import get_config

            configured.append(get_config().deploy_url or "")
        except Exception:  # no Reflex config loaded (a plain service test): the settings alone
            pass
    found = set()
    for origin in filter(None, map(origin_of, configured)):
        found.add(origin)
        parts = urlsplit(origin)
        host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
        if host in LOOPBACK:
            found.update(f"{parts.scheme}://{alias}" + (f":{parts.port}" if parts.port else "") for alias in LOOPBACK)
    return frozenset(found)


def origin_allowed(origin: str | None, environ: object = None) -> bool:
    """No Origin (not a cross-site browser request) or exactly one of ours. Also the socket.io server's test."""
    if origin is None:
        return True
    return isinstance(origin, str) and origin.lower() in allowed_origins()


class OwnOrigins(tuple):
    """For ``rx.Config(cors_allowed_origins=...)``: Reflex's CORS middleware asks ``origin in allowed`` on each
    request; the tuple itself lists the origins known at startup (never ``"*"``)."""

    def __new__(cls):
        return super().__new__(cls, sorted(allowed_origins(with_reflex=False)))

    def __contains__(self, origin: object) -> bool:
        return isinstance(origin, str) and origin != "*" and origin_allowed(origin)
