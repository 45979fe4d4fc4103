"""One browser tab on the Reflex 0.10.1 event socket, as ``.web/utils/state.js`` drives it.

* The socket is Engine.IO 4 over a websocket: ``/_event/?token=<tab token>&EIO=4&transport=websocket``; the
  server opens with ``0{...}``, pings with ``2`` (we answer ``3``).
* The tab joins the ``/_event`` namespace with a CONNECT packet whose auth carries the boot event
  ``<root>.hydrate_and_load`` (client storage — here the sign-in cookie — in ``payload.vars``, and the page in
  ``router_data``): the server hydrates and queues the page's on_load in one step.
* Events are ``42/_event,["event",{name, payload, router_data}]``; updates come back the same way
  (``{"delta": {substate: {var: value}}, "events": [...]}``). The server chains backend events itself; a
  ``_redirect`` is followed as a client-side navigation (``on_load_internal`` with the new route); other
  frontend events (scripts, toasts) are only read. A page is loaded when ``is_hydrated`` turns true again.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import websockets

ROOT = "reflex___state____state"
ON_LOAD_INTERNAL = f"{ROOT}.reflex___state____on_load_internal_state.on_load_internal"
FIELD_MARKER = "_rx_state_"


class SocketError(Exception):
    """The socket closed or refused: counted as an error by the run."""


@dataclass
class Update:
    at: float
    delta: dict
    events: list


@dataclass
class Tab:
    """A browser tab: its socket, what the server sent, and the merged state it holds."""

    base_url: str  # http://127.0.0.1:port of the backend
    cookies: dict[str, str] = field(default_factory=dict)  # full client-storage var name → value
    cookie_header: str = ""  # what the browser's cookie jar sends with the socket's handshake
    timeout: float = 15.0
    token: str = field(default_factory=lambda: str(uuid.uuid4()))
    state: dict[str, dict] = field(default_factory=dict)
    path: str = "/"
    params: dict[str, str] = field(default_factory=dict)
    received_bytes: int = 0
    updates: int = 0
    _ws: Any = None
    _reader: asyncio.Task | None = None
    _queue: asyncio.Queue | None = None

    # -- connection -------------------------------------------------------------------------------------------
    async def open(self, path: str, params: dict[str, str] | None = None) -> float:
        """Connect on ``path`` (hydrate + on_load); returns the seconds until the page's data arrived."""
        self.path, self.params = path, dict(params or {})
        url = self.base_url.replace("http", "ws", 1) + f"/_event/?token={self.token}&EIO=4&transport=websocket"
        start = time.perf_counter()
        try:
            headers = [("Cookie", self.cookie_header)] if self.cookie_header else None
            # As a browser's socket: no WebSocket ping frames of its own (Engine.IO's pings are the liveness check;
            # the library's every 20 s cost the tool ~3 % of its CPU with 2,000 tabs), no proxy looked up per tab
            # (the target is on loopback).
            self._ws = await asyncio.wait_for(
                websockets.connect(url, max_size=2**24, open_timeout=self.timeout, additional_headers=headers,
                                   ping_interval=None, proxy=None),
                self.timeout)
            opening = await asyncio.wait_for(self._ws.recv(), self.timeout)
        except (OSError, asyncio.TimeoutError, websockets.WebSocketException) as exc:
            raise SocketError(f"connect: {type(exc).__name__}: {exc}") from None
        if not str(opening).startswith("0"):
            raise SocketError(f"unexpected opening {str(opening)[:80]!r}")
        self._queue = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())
        boot = self._event(f"{ROOT}.hydrate_and_load", {"vars": dict(self.cookies)} if self.cookies else {})
        await self._send("40/_event," + json.dumps({"event": boot}))
        await self._until_loaded(1)
        return time.perf_counter() - start

    def connected(self) -> bool:
        """Whether the socket is still read (its reader ends when the server closes it or goes away)."""
        return self._reader is not None and not self._reader.done()

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self._ws is not None:
            try:
                await self._ws.close()
            except Exception:  # already gone: nothing to release
                pass

    async def _send(self, frame: str) -> None:
        try:
            await self._ws.send(frame)
        except websockets.WebSocketException as exc:
            raise SocketError(f"send: {type(exc).__name__}: {exc}") from None

    async def _read(self) -> None:
        try:
            async for frame in self._ws:
                self.received_bytes += len(frame)
                if frame == "2":
                    await self._ws.send("3")
                elif frame.startswith("42/_event,"):
                    name, body = json.loads(frame[len("42/_event,"):])[:2]
                    if name == "event":
                        update = Update(time.perf_counter(), body.get("delta") or {}, body.get("events") or [])
                        self._merge(update.delta)
                        self.updates += 1
                        await self._queue.put(update)
                elif frame.startswith("44/_event"):
                    await self._queue.put(SocketError(f"connect refused: {frame[:200]}"))
        except websockets.WebSocketException:
            pass
        finally:
            if self._queue is not None:
                await self._queue.put(SocketError("socket closed"))

    def _merge(self, delta: dict) -> None:
        for substate, values in delta.items():
            self.state.setdefault(substate, {}).update(
                {k.removesuffix(FIELD_MARKER): v for k, v in values.items()})

    # -- events -----------------------------------------------------------------------------------------------
    def _event(self, name: str, payload: dict) -> dict:
        query = dict(self.params)
        return {"name": name, "payload": payload,
                "router_data": {"pathname": self.path, "asPath": self.path, **({"query": query} if query else {})}}

    async def _emit(self, name: str, payload: dict | None = None) -> None:
        await self._send("42/_event," + json.dumps(["event", self._event(name, payload or {})]))

    def _drain(self) -> None:
        """Late deltas of earlier events (already merged) answer nothing that is asked next."""
        while not self._queue.empty():
            if isinstance(stale := self._queue.get_nowait(), SocketError):
                raise stale

    async def _next(self) -> Update:
        try:
            item = await asyncio.wait_for(self._queue.get(), self.timeout)
        except asyncio.TimeoutError:
            raise SocketError(f"no answer within {self.timeout:.0f} s") from None
        if isinstance(item, SocketError):
            raise item
        return item

    async def _frontend_events(self, update: Update) -> int:
        """Do what the frontend does with the events of an update; returns the navigations it started.

        The server runs chained backend events itself; what reaches the tab is for the browser: a ``_redirect``
        is a client-side navigation (the new page's ``on_load_internal``), a toast or a script is only read."""
        started = 0
        for event in update.events:
            name = event.get("name", "")
            payload = event.get("payload") or {}
            if name == "_redirect":
                self.path, self.params = str(payload.get("path", "/")).split("?")[0], {}
                await self._emit(ON_LOAD_INTERNAL)
                started += 1
            elif "toast" in json.dumps(payload) and "error" in json.dumps(payload):
                self.toast_errors += 1
                self.error_toast = json.dumps(payload, ensure_ascii=False)[:300]
        return started

    async def _until_loaded(self, navigations: int) -> None:
        """Each page load (hydrate, ``on_load_internal``) ends when the server sets ``is_hydrated`` back to true:
        one client's events run in order, so counting them is enough."""
        while navigations > 0:
            update = await self._next()
            navigations += await self._frontend_events(update)
            if update.delta.get(ROOT, {}).get(f"is_hydrated{FIELD_MARKER}") is True:
                navigations -= 1

    async def send(self, name: str, payload: dict | None = None, *, answer: str = "",
                   redirects: bool = False) -> float:
        """Emit one event; returns the seconds to its answer: the first update, or with ``answer`` the first one
        that changes the substate whose name ends with it (a script may come first). With ``redirects`` (a save
        that moves on to another page), also wait for the redirect and that page's load (untimed)."""
        self._drain()
        self.error_toast = ""
        start = time.perf_counter()
        await self._emit(name, payload)
        navigations, seconds = 0, None
        while seconds is None or (redirects and not navigations and not self.error_toast):
            update = await self._next()
            navigations += await self._frontend_events(update)
            # An error toast is an answer too: the server refused or could not (its database down, say), and the
            # person reads why at once (``error_toast``).
            if seconds is None and (not answer or self.error_toast or any(k.endswith(answer) for k in update.delta)):
                seconds = update.at - start
        await self._until_loaded(navigations)
        return seconds

    async def navigate(self, path: str, params: dict[str, str] | None = None) -> float:
        """A client-side navigation (a link): the new page's on_load on the same socket, until it is loaded."""
        self._drain()
        self.path, self.params = path, dict(params or {})
        start = time.perf_counter()
        await self._emit(ON_LOAD_INTERNAL)
        await self._until_loaded(1)
        return time.perf_counter() - start

    toast_errors: int = 0
    error_toast: str = ""  # the error toast that answered the last ``send``, if one did

    def var(self, state_suffix: str, name: str, default: Any = None) -> Any:
        """A var of the substate whose full name ends with ``state_suffix`` (as the tab holds it)."""
        for substate, values in self.state.items():
            if substate.endswith(state_suffix) and name in values:
                return values[name]
        return default
