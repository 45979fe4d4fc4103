"""The edge guard as an ASGI middleware (issue 10, holes 2, 8, 11), driven by Starlette's TestClient around a
stand-in app: the production build serves its pages through the same wrapped ASGI app, so the headers checked
here on an HTML answer are the pages' headers. Plus the one e-mail validator, log escaping and export cells."""

from __future__ import annotations

import io
import logging

import openpyxl
import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from siimop_app import origins, web_security
from siimop_app.services import auth, exports
from siimop_app.settings import get_settings
from siimop_app.validation import SafeLogFormatter, check_query, log_safe, parse_int

BODY_READ: list[bytes] = []


async def _page(request):
    return HTMLResponse("<html><body>page</body></html>")


async def _upload(request):
    BODY_READ.append(await request.body())
    return PlainTextResponse("ok")


def _client() -> TestClient:
    inner = Starlette(routes=[Route("/", _page), Route("/_upload", _upload, methods=["POST"]),
                              Route("/files/x", lambda r: PlainTextResponse("pdf"))])
    return TestClient(web_security.EdgeGuard(inner))


@pytest.fixture(autouse=True)
def base_url(monkeypatch):
    monkeypatch.setenv("SIIMOP_BASE_URL", "https://siimop.example.fr")
    monkeypatch.setenv("SIIMOP_ALLOWED_ORIGINS", "https://www.siimop.example.fr")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_only_own_origins_get_through():
    assert origins.origin_allowed(None)
    assert origins.origin_allowed("https://siimop.example.fr")
    assert origins.origin_allowed("https://www.siimop.example.fr")
    for foreign in ("https://evil.example", "null", "https://siimop.example.fr.evil.example",
                    "http://siimop.example.fr", "https://siimop.example.fr:8443", ""):
        assert not origins.origin_allowed(foreign), foreign
        assert foreign not in origins.OwnOrigins()
    assert "*" not in origins.OwnOrigins() and "*" not in tuple(origins.OwnOrigins())
    client = _client()
    assert client.get("/", headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.get("/", headers={"Origin": "https://siimop.example.fr"}).status_code == 200


def test_pages_and_files_carry_the_security_headers():
    page = _client().get("/")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    file = _client().get("/files/x")
    assert file.headers["content-security-policy"] == "frame-ancestors 'none'"  # keeps the PDF viewer working


def test_big_or_sessionless_uploads_are_refused_before_the_body_is_read(db_url):
    BODY_READ.clear()
    client = _client()
    huge = client.post("/_upload", content=b"x" * (web_security.MAX_UPLOAD_BYTES + 1),
                       headers={"reflex-client-token": "t"})
    assert huge.status_code == 413 and "5 Mo" in huge.text
    anonymous = client.post("/_upload", content=b"x" * 10, headers={"reflex-client-token": "unknown-token"})
    assert anonymous.status_code == 403
    assert BODY_READ == []


@pytest.mark.parametrize("raw", ["un@x.org,deux@x.org", "a@b.fr\r\nBcc: c@d.fr", "Jean <j@chu.fr>", "a@localhost",
                                 "a b@chu.fr", ["a@chu.fr"], None, "x" * 260])
def test_one_strict_email_validator(raw):
    with pytest.raises(ValueError, match="une seule adresse"):
        auth.valid_email(raw)


def test_the_strict_validator_keeps_real_addresses():
    assert auth.valid_email("  Jean.Dupont@CHU-Lille.fr ") == "jean.dupont@chu-lille.fr"


def test_sign_in_does_the_same_work_for_known_and_unknown_addresses(db_url, monkeypatch):
    """The request only validates and hands over: no database work, no mail in the request, for any address."""
    from tests.services.factories import make_user

    make_user("known@chu.fr")
    jobs = []
    monkeypatch.setattr(auth, "_dispatch", lambda job, *args: jobs.append((job, args)))
    assert auth.request_sign_in("known@chu.fr") == auth.request_sign_in("unknown@chu.fr") == auth.SIGN_IN_SENT_MESSAGE
    assert [(job.__name__, args) for job, args in jobs] == [("_send_sign_in_link", ("known@chu.fr",)),
                                                           ("_send_sign_in_link", ("unknown@chu.fr",))]


def test_ascii_digits_only():
    assert parse_int("42") == 42 and parse_int(" 7 ") == 7 and parse_int(3) == 3
    for bad in ("²", "١٢", "𝟓", "1e3", "0x1", "", "-", True, 2.0, None, ["1"], "9" * 11):
        assert parse_int(bad) is None, bad
    assert parse_int("-1") is None and parse_int("-1", lo=-5) == -1
    check_query({"region": "12", "q": "dupont", "subdivision": "all"})
    for bad in ({"region": "²"}, {"q": "x" * 300}, {"q": "a\nb"}):
        with pytest.raises(ValueError):
            check_query(bad)


def test_client_text_cannot_forge_a_log_line(caplog):
    assert log_safe("ok\n2026-01-01 INFO forged\x1b[31m") == "ok\\n2026-01-01 INFO forged\\x1b[31m"
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "frontend said %s", ("a\nINFO forged\r",), None)
    text = SafeLogFormatter("%(levelname)s %(message)s").format(record)
    assert text.splitlines()[1].startswith("    | ") and "\\r" in text
    with caplog.at_level(logging.ERROR):
        web_security.frontend_error(Exception("boom\n2026 INFO forged"))
    assert "boom\\n2026 INFO forged" in caplog.text


def test_spreadsheet_formulas_are_neutralised_in_both_formats():
    columns = [exports.ExportColumn("name", "Nom"), exports.ExportColumn("n", "N", kind="number")]
    evil = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rx", " =1", "Dupont"]
    rows = [{"name": value, "n": -3} for value in evil]
    csv_text = b"".join(exports.iter_csv(columns, rows)).decode("utf-8-sig")
    cells = [line.split(";")[0].strip('"') for line in csv_text.split("\r\n")[1:-1]]
    assert all(cell.startswith("'") for cell in cells[:-1]) and cells[-1] == "Dupont"
    assert all(line.split(";")[1] == "-3" for line in csv_text.split("\r\n")[1:-1])  # numbers stay numbers
    out = io.BytesIO()
    exports.write_xlsx(columns, rows, out)
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    values = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "s" and str(cell.value).startswith("'") for cell in values[:-1])
    assert [row[1].value for row in sheet.iter_rows(min_row=2)] == [-3] * len(evil)


def _drive(guard, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> tuple[int, bytes]:
    """Calls the guard as the server would, with a body sent in ``chunks`` whatever the headers announce."""
    import anyio

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/_upload", "raw_path": b"/_upload", "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), (b"content-type", b"multipart/form-data; boundary=x"),
                         (b"reflex-client-token", b"signed-in-tab"), *headers],
             "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}
    incoming = [{"type": "http.request", "body": chunk, "more_body": n < len(chunks) - 1}
                for n, chunk in enumerate(chunks)]
    answer = {"status": 0, "body": b""}

    async def receive():
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    anyio.run(guard, scope, receive, send)
    return answer["status"], answer["body"]


def test_an_upload_lying_about_its_length_gets_413_not_500(monkeypatch):
    """Issue 10, hole 8 (residual): a body bigger than its Content-Length, or chunked without one, used to be cut
    by an exception inside Reflex's upload route (500)."""
    async def cookie_of(token):
        return "cookie"

    monkeypatch.setattr(web_security, "_session_cookie_of_token", cookie_of)
    monkeypatch.setattr(web_security, "_resolve", lambda cookie: object())
    inner = Starlette(routes=[Route("/_upload", _upload, methods=["POST"])])
    guard = web_security.EdgeGuard(inner)
    megabyte = b"x" * (1024 * 1024)
    BODY_READ.clear()
    status, text = _drive(guard, [(b"content-length", b"100")], [megabyte] * 8)
    assert (status, BODY_READ) == (413, []) and "5 Mo" in text.decode()
    status, text = _drive(guard, [(b"transfer-encoding", b"chunked")], [megabyte] * 8)
    assert (status, BODY_READ) == (413, []) and "5 Mo" in text.decode()
    # An honest chunked upload under the limit reaches the route whole.
    status, _ = _drive(guard, [(b"transfer-encoding", b"chunked")], [b"abc", b"def"])
    assert status == 200 and BODY_READ == [b"abcdef"]
