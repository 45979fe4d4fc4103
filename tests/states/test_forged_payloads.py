"""Issue 10, hole 7: arbitrary payloads sent to every event handler of every state, as a forged websocket frame
would (wrong types, huge values, unicode digits, nesting, unknown arguments).

Each payload goes through the app's one gate, ``validation.check_payload`` (what ``web_security.EventGuard``
runs before any handler): a refused payload never reaches the handler, so nothing changes. A payload the gate
lets through is handed to the handler, as anonymous, as a signed-in user without any role, and as an
administrator: no exception may escape, no exception text may reach the page, and for the first two nothing
may change in the database. Bounded examples keep it quick.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import siimop_app.siimop_app  # noqa: F401  (registers every page and state)
from siimop_app.db import get_engine, transaction
from siimop_app.demo.cli import main as demo_main
from siimop_app.migrations import upgrade_to_head
from siimop_app.models import AuditEntry
from siimop_app.services import auth, outbox
from siimop_app.settings import get_settings
from siimop_app.states.session import AppState
from siimop_app.validation import InvalidInput, check_payload
from tests.services.factories import make_user
from tests.services.mailbox import links_for, token_of
from tests.states.reflex_state import page_state

LEAKS = ("Traceback", "Error:", "Exception", "object has no attribute", "invalid literal", "NoneType")


def _all_states(cls=AppState):
    yield cls
    for sub in cls.get_substates():
        yield from _all_states(sub)


HANDLERS = sorted(
    {(state, name) for state in _all_states() for name, handler in state.event_handlers.items()
     # sign_out revokes the session and audits it, whatever its arguments: tests/states/test_guards.py
     if name not in ("setvar", "sign_out") and not handler.is_background},
    key=lambda item: (item[0].get_full_name(), item[1]),
)

UNICODE_DIGITS = st.sampled_from(["²", "١٢", "٣", "𝟓", "Ⅻ", "½", "-0", "1e9", "0x1F", " 7 ", "9" * 40, "\x00", "\r\n"])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), UNICODE_DIGITS,
    st.text(max_size=30), st.sampled_from(["a" * 25_000, "é" * 100_000]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4),
    # a form as the frontend sends it, with forged entries
    st.lists(st.tuples(st.sampled_from(["email", "q", "kind_label", "phase_id", "description"]), inner).map(list),
             max_size=3).map(lambda entries: {"__reflex_form_data__": entries})), max_leaves=12)


def _payloads(handler) -> st.SearchStrategy[dict]:
    names = [p for p in inspect.signature(handler.fn).parameters if p != "self"]
    known = st.fixed_dictionaries({}, optional={name: VALUES for name in names})
    extra = st.dictionaries(st.sampled_from(["__class__", "self", "x", "payload"]), VALUES, max_size=1)
    return st.builds(lambda a, b: {**a, **b}, known, extra)


@pytest.fixture(scope="module")
def cookies(tmp_path_factory):
    """One demo database for the whole module; cookies of an anonymous visitor, a user without roles, an admin."""
    data = tmp_path_factory.mktemp("forged")
    saved = {k: os.environ.get(k) for k in ("REFLEX_DB_URL", "SIIMOP_DATA_DIR", "SIIMOP_SMTP_URL", "SIIMOP_TODAY")}
    url = f"sqlite:///{data / 'siimop.db'}"
    os.environ.update({"REFLEX_DB_URL": url, "SIIMOP_DATA_DIR": str(data)})
    os.environ.pop("SIIMOP_SMTP_URL", None)
    os.environ.pop("SIIMOP_TODAY", None)
    get_settings.cache_clear()
    upgrade_to_head(url)
    assert demo_main(["--scale", "small", "--phase", "ranking"]) == 0
    make_user("sans-role@chu.example", first="Paul", last="Sansrole")

    def cookie(address: str) -> str:
        auth._send_sign_in_link(address)
        # Module scope: the per-test fixture that delivers at once is not in place yet, and a sender thread
        # started by earlier (end-to-end) tests of this run may be the one sending it.
        outbox.wait_until_sent()
        deadline = time.monotonic() + 15
        while not links_for(Path(get_settings().outbox_dir), address) and time.monotonic() < deadline:
            time.sleep(0.05)
        return auth.consume_sign_in_link(token_of(links_for(Path(get_settings().outbox_dir), address)[-1]))

    yield {"anonymous": "", "no_role": cookie("sans-role@chu.example"), "admin": cookie("admin@demo.siimop.fr")}
    get_engine(url).dispose()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()


def _audit_rows() -> int:
    with transaction() as session:
        return session.exec(sa.select(sa.func.count()).select_from(AuditEntry)).one()


def _run(state, handler, payload):
    result = handler.fn(state, **payload)
    if inspect.iscoroutine(result):
        result = asyncio.run(result)
    if inspect.isgenerator(result):
        result = list(result)
    return result


def _page_text(state) -> str:
    return repr({name: getattr(state, name) for name in state.base_vars})


@pytest.mark.parametrize(("state_cls", "name"), HANDLERS, ids=[f"{s.__name__}.{n}" for s, n in HANDLERS])
def test_no_forged_payload_escapes_or_changes_anything(cookies, state_cls, name):
    handler = state_cls.event_handlers[name]

    @settings(max_examples=6, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                     HealthCheck.data_too_large, HealthCheck.large_base_example])
    @given(payload=_payloads(handler))
    def probe(payload):
        try:
            check_payload(handler.fn, payload)
        except InvalidInput as refused:
            assert str(refused) and "Error" not in str(refused)  # refused before the handler: nothing ran
            return
        for who, cookie in cookies.items():
            state = page_state(state_cls, cookie)
            audit_before = _audit_rows()
            _run(state, handler, payload)  # no exception may escape
            text = _page_text(state)
            assert not any(leak in text for leak in LEAKS), (who, payload, text[:500])
            if who != "admin":
                assert _audit_rows() == audit_before, (who, payload)

    probe()


def test_every_handler_is_covered():
    assert len(HANDLERS) > 60
    assert not [s for s, n in HANDLERS if n == "setvar"]
