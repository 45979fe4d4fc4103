"""Issue 10 probed again as it was found: forged HTTP requests with a real client (httpx, raw sockets) and forged
websocket frames against the running app (AppHarness), with a real session obtained in Chromium."""

from __future__ import annotations

import datetime as dt
import json
import socket
import time
import uuid
from urllib.parse import quote, urlsplit

import httpx
import pytest
import sqlalchemy as sa
import websocket
from playwright.sync_api import expect

from siimop_app.db import transaction
from siimop_app.models import UserSession, utcnow
from siimop_app.pages.supervisor.ranking import RankingBoardState
from siimop_app.states.session import SESSION_COOKIE
from tests.e2e.conftest import sign_in, url

pytestmark = pytest.mark.e2e

EVIL = "https://evil.example"
EXPORTS = ("students", "posts", "supervisors", "coordinators", "results")


def _backend() -> str:
    from reflex.config import get_config

    return get_config().api_url.rstrip("/")


def _own_origin(harness) -> str:
    parts = urlsplit(harness.frontend_url)
    return f"{parts.scheme}://{parts.netloc}"


def _cookie(address: str) -> str:
    """A real session without a browser: the link is mailed (the harness shares this process) and used."""
    from siimop_app.services import auth, outbox
    from siimop_app.settings import get_settings
    from tests.services.mailbox import links_for, token_of

    before = len(links_for(get_settings().outbox_dir, address))
    auth._send_sign_in_link(address)
    outbox.deliver_due()  # the server's sender thread may take it first: either way the link is written once
    deadline = time.monotonic() + 15
    while len(links_for(get_settings().outbox_dir, address)) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    return auth.consume_sign_in_link(token_of(links_for(get_settings().outbox_dir, address)[-1]))


def _token(page) -> str:
    return page.evaluate("window.sessionStorage.getItem('token')")


# ------------------------------------------------------------------ hole 2: origins
def test_only_the_apps_own_origin_reads_with_credentials_or_opens_the_socket(harness):
    cookies = {SESSION_COOKIE: _cookie("admin@demo.siimop.fr")}
    own = _own_origin(harness)
    with httpx.Client(base_url=_backend(), cookies=cookies) as client:
        for path in ("/files/exports/students.csv", "/files/documents/1", "/ping"):
            foreign = client.get(path, headers={"Origin": EVIL})
            assert foreign.status_code == 403, path
            assert "access-control-allow-origin" not in foreign.headers
            preflight = client.options(path, headers={"Origin": EVIL, "Access-Control-Request-Method": "GET"})
            # (Reflex's outermost CORS middleware answers the preflight itself: 400, no allow-origin.)
            assert preflight.status_code in (400, 403) and "access-control-allow-origin" not in preflight.headers
            ours = client.get(path, headers={"Origin": own})
            assert ours.status_code in (200, 404), path
            assert ours.headers["access-control-allow-origin"] == own
            assert ours.headers["access-control-allow-credentials"] == "true"
        # A sandboxed frame's "null" origin is foreign too.
        assert client.get("/files/exports/students.csv", headers={"Origin": "null"}).status_code == 403

    socket_url = _backend().replace("http", "ws", 1) + f"/_event/?EIO=4&transport=websocket&token={uuid.uuid4()}"
    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection(socket_url, origin=EVIL, timeout=10)
    accepted = websocket.create_connection(socket_url, origin=own, timeout=10)
    assert accepted.recv().startswith("0{")  # the engine.io handshake
    accepted.close()


# ------------------------------------------------------------------ hole 11: headers
def test_routes_answer_with_security_headers(harness):
    with httpx.Client(base_url=_backend()) as client:
        for path in ("/ping", "/files/documents/1", "/files/exports/students.csv"):
            response = client.get(path)
            assert response.headers["x-content-type-options"] == "nosniff", path
            assert response.headers["referrer-policy"] == "no-referrer"
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


# ------------------------------------------------------------------ hole 7: route arguments
def test_malformed_route_arguments_get_400_in_french_never_500(harness):
    with httpx.Client(base_url=_backend(), cookies={SESSION_COOKIE: _cookie("admin@demo.siimop.fr")}) as client:
        for table in EXPORTS:
            for query in ({"region": "²"}, {"subdivision": "١٢"}, {"specialty": "9" * 40}, {"q": "x" * 5000}):
                response = client.get(f"/files/exports/{table}.csv", params=query)
                assert response.status_code == 400, (table, query)
                assert response.text.startswith("Paramètre invalide")
            assert client.get(f"/files/exports/{table}.csv", params={"region": "all"}).status_code == 200
        for bad in ("²", "-1", "1e3", "0x10", "9" * 30):
            assert client.get(f"/files/documents/{quote(bad)}").status_code == 404
    # A forged session cookie with a unicode digit is simply no session (it used to raise in every route).
    forged = httpx.get(_backend() + "/files/exports/students.csv",
                       headers=[(b"cookie", f"{SESSION_COOKIE}=².secret".encode())])
    assert forged.status_code == 404


# ------------------------------------------------------------------ hole 8: uploads
def _raw_post(path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, bytes]:
    """An HTTP request written by hand: the server must answer before the announced body arrives."""
    parts = urlsplit(_backend())
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as raw:
        head = f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        raw.sendall(head.encode() + b"\r\n" + body)
        answer = raw.recv(65536)
    status = int(answer.split(b" ", 2)[1])
    return status, answer


def test_big_or_anonymous_uploads_are_refused_before_being_read(page, harness):
    handler = "reflex___state____state.siimop_app___states___session____app_state." \
              "siimop_app___pages___student___home____student_home_state.upload_cv"
    big = {"Content-Type": "multipart/form-data; boundary=x", "Content-Length": str(60 * 1024 * 1024),
           "reflex-client-token": str(uuid.uuid4()), "reflex-event-handler": handler}
    status, _ = _raw_post("/_upload", big)  # 60 MB announced, not one byte sent
    assert status == 413
    small = {**big, "Content-Length": "10"}
    status, _ = _raw_post("/_upload", small, b"0123456789")  # no valid session behind this client token
    assert status == 403
    # The same small upload from a signed-in tab's token passes the guard (Reflex then reads it).
    sign_in(page, harness, "etudiant@demo.siimop.fr")
    status, _ = _raw_post("/_upload", {**small, "reflex-client-token": _token(page)}, b"0123456789")
    assert status not in (403, 411, 413)
    # A signed-in tab's chunked body of 8 MB announcing 10 bytes (it passed the announced-size check, then an
    # exception cut it inside Reflex's route: 400 here), then without any Content-Length (411 before): 413 both.
    assert _chunked_post("/_upload", {**small, "reflex-client-token": _token(page)}, 8 * 1024 * 1024) == 413
    chunked = {k: v for k, v in small.items() if k != "Content-Length"}
    assert _chunked_post("/_upload", {**chunked, "reflex-client-token": _token(page)}, 8 * 1024 * 1024) == 413


def _chunked_post(path: str, headers: dict[str, str], size: int) -> int:
    """A chunked upload written by hand, sent until the server answers (it must answer before the end)."""
    import select

    parts = urlsplit(_backend())
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as raw:
        head = f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nTransfer-Encoding: chunked\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in headers.items())
        raw.sendall(head.encode() + b"\r\n")
        chunk = b"%x\r\n" % (64 * 1024) + b"x" * (64 * 1024) + b"\r\n"
        try:
            for _ in range(size // (64 * 1024)):
                if select.select([raw], [], [], 0)[0]:
                    break  # the answer came before the body's end
                raw.sendall(chunk)
            else:
                raw.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading: its answer is waiting
        answer = raw.recv(65536)
    return int(answer.split(b" ", 2)[1])


# ------------------------------------------------------------------ forged websocket events
class ForgedSocket:
    """A socket.io client written by hand, with a tab's token and without any cookie. (While the tab is still
    connected Reflex hands this second connection a new token, i.e. a fresh state.)"""

    def __init__(self, harness, token: str) -> None:
        address = _backend().replace("http", "ws", 1) + f"/_event/?EIO=4&transport=websocket&token={token}"
        self.ws = websocket.create_connection(address, origin=_own_origin(harness), timeout=10)
        assert self.ws.recv().startswith("0{")
        self.ws.send("40/_event,{}")
        self.greeting = []
        while not (frame := self.ws.recv()).startswith("40/_event"):
            self.greeting.append(frame)

    def send(self, name: str, payload: dict, pathname: str, query: dict | None = None) -> None:
        event = {"name": name, "payload": payload,
                 "router_data": {"pathname": pathname, "asPath": pathname, "query": query or {}}}
        self.ws.send("42/_event," + json.dumps(["event", event]))

    def replies(self, until: str, limit: int = 15) -> str:
        """Frames received until one contains ``until`` (decoded JSON text)."""
        seen = []
        for _ in range(limit):
            frame = self.ws.recv()
            if frame == "2":  # engine.io ping
                self.ws.send("3")
                continue
            text = json.dumps(json.loads(frame[frame.index("["):]), ensure_ascii=False) if "[" in frame else frame
            seen.append(text)
            if until in text:
                return "\n".join(seen)
        raise AssertionError(f"{until!r} never came back:\n" + "\n".join(seen))

    def close(self) -> None:
        self.ws.close()


def test_forged_payloads_are_refused_in_french_and_change_nothing(page, harness):
    sign_in(page, harness, "rts@demo.siimop.fr")
    page.goto(url(harness, "/rts/classement"))
    page.locator("a[href^='/rts/classement/']").first.click()
    page.wait_for_url("**/rts/classement/*")
    expect(page.locator(".unranked-card, .ranked-card").first).to_be_visible()
    post_id = page.url.rstrip("/").rsplit("/", 1)[1]
    before = page.locator("#ranking-board, main").first.inner_text()
    forged = ForgedSocket(harness, _token(page))
    board = RankingBoardState.get_full_name()
    where = ("/rts/classement/[post_id]", {"post_id": post_id})
    try:
        for payload in ({"student_id": ["1"], "value": "1"}, {"student_id": 1, "value": {"$gt": 1}},
                        {"student_id": "²", "value": "1"}, {"student_id": 1, "value": "1", "extra": 1},
                        {"student_id": 10**30, "value": "1"}):
            forged.send(f"{board}.set_rank", payload, *where)
            replies = forged.replies("prise en compte")  # "… n'a pas été prise en compte." (JS-escaped accents)
            assert "Traceback" not in replies and "Error" not in replies
        forged.send(f"{board}.setvar", {"var_name": "editable", "value": True}, *where)
        assert "prise en compte" in forged.replies("prise en compte")
        forged.send(f"{board}.set_rank", {"student_id": 1, "value": "²"}, *where)  # well typed, not a number
        assert "Le rang doit être un nombre entier" in forged.replies("Le rang doit")
    finally:
        forged.close()
    page.reload()
    expect(page.locator(".unranked-card, .ranked-card").first).to_be_visible()
    assert page.locator("#ranking-board, main").first.inner_text() == before


# ------------------------------------------------------------------ hole 5: sign-out and expiry
@pytest.mark.parametrize("how", ["sign_out", "expiry"])
def test_once_signed_out_or_expired_the_tabs_token_gets_nothing_back(browser, harness, how):
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, harness, "coordo@demo.siimop.fr")
    page.goto(url(harness, "/coordonnateur/postes"))
    first_row = page.locator("table tbody tr").first
    expect(first_row).to_be_visible()
    private = first_row.inner_text().split("\n")[0].strip()
    assert private
    token = _token(page)
    if how == "sign_out":
        page.locator("#sign-out").click()
        page.wait_for_url("**/connexion")
    else:  # the session ends on the server while the tab still holds the rows
        with transaction() as session:
            session.execute(sa.update(UserSession).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    context.close()  # the tab is gone; a thief replays its token without any cookie
    forged = ForgedSocket(harness, token)
    try:
        forged.send("reflex___state____state.hydrate_and_load", {"vars": {}}, "/coordonnateur/postes")
        snapshot = forged.replies("is_hydrated")
    finally:
        forged.close()
    assert not any("new_token" in frame for frame in forged.greeting)  # the very tab's state was reached
    assert private not in snapshot
