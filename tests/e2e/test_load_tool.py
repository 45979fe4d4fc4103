"""The load tool against a real backend started here: its journeys land in the database, and it refuses any
target that is not this machine. No browser: the tool is the browser; the last test is the person in Chromium
beside it (bench_browser.py)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from siimop_app.loadtest.run import Refused, check_loopback

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp: Path) -> dict[str, str]:
    return {**os.environ, "REFLEX_DB_URL": f"sqlite:///{tmp / 'load.db'}", "SIIMOP_DATA_DIR": str(tmp / "data"),
            "REFLEX_TELEMETRY_ENABLED": "false", "REFLEX_CHECK_LATEST_VERSION": "false",
            "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ.get('PATH', '')}"}


def _python(env, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("load")
    env = _env(tmp)
    assert _python(env, "-m", "siimop_app.demo", "--scale", "small", "--phase", "ranking", "--reset").returncode == 0
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "reflex", "run", "--env", "dev", "--backend-only", "--backend-host", "127.0.0.1",
         "--backend-port", str(port), "--loglevel", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                with urllib.request.urlopen(f"{url}/ping", timeout=2):
                    break
            except OSError:
                if server.poll() is not None:
                    pytest.fail("the backend exited at start")
                time.sleep(0.5)
        else:
            pytest.fail("the backend did not answer within 2 minutes")
        yield url, env
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def _load(env, url: str, *args: str) -> str:
    run = _python(env, "-m", "siimop_app.loadtest", "--url", url, "--ramp", "1", "--think", "1", *args)
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


def _line(output: str, action: str) -> list[str]:
    return next(line.split() for line in output.splitlines() if line.startswith(action + " "))


def test_supervisors_rank_coordinators_watch_and_people_sign_in_and_it_is_all_in_the_database(backend):
    url, env = backend
    out = _load(env, url, "--supervisors", "2", "--idle", "2", "--coordinators", "1", "--sign-ins", "2",
                "--duration", "6")
    moves = int(_line(out, "supervisor.move")[1])
    assert _line(out, "idle.open")[1:3] == ["2", "0"], out  # two more boards held open, doing nothing
    assert moves >= 2 and _line(out, "supervisor.move")[2] == "0", out
    assert f"database: {moves} supervisor.move row(s) written for {moves} answered by the server" in out
    assert "database: 2 signin.link row(s) written for 2 answered by the server" in out
    assert "error rate 0.00 %" in out and "p95" in out and "events/s" in out
    # Its own CPU is that of the run, the sessions made before it apart: what it takes from the server's cores.
    cores = re.search(r"load tool's CPU during the run: \d+ s \((\d+\.\d+) cores\)", out)
    assert cores and 0 < float(cores[1]) < 2, out


def test_students_rate_and_save_their_wishes_and_the_receipts_are_in_the_database(backend):
    url, env = backend
    assert _python(env, "-m", "siimop_app.demo", "--scale", "small", "--phase", "wishes", "--reset").returncode == 0
    # Up to 6 hearts between two saves, each after a pause of 0.5-1.5 s: 12 s leave room for a save each.
    out = _load(env, url, "--supervisors", "0", "--students", "2", "--duration", "12")
    saves = int(_line(out, "student.save")[1])
    assert saves >= 1 and f"database: {saves} student.save row(s) written for {saves} answered" in out, out
    assert "error rate 0.00 %" in out


@pytest.mark.parametrize("target", ["http://192.0.2.10:8000", "http://example.com", "ftp://127.0.0.1"])
def test_any_target_but_this_machine_is_refused(target):
    with pytest.raises(Refused):
        check_loopback(target)
    check_loopback("http://127.0.0.1:8000")
    check_loopback("http://localhost:3000")


def _ranking_of(post_id: int) -> tuple[list[int], set[tuple[int, int | None, bool]]]:
    """(the post's ranking ids, what its entries say: ranked or refused candidates)."""
    from sqlmodel import select

    from siimop_app.db import transaction
    from siimop_app.models import Ranking, RankingEntry

    with transaction() as session:
        ids = list(session.exec(select(Ranking.id).where(Ranking.post_id == post_id)).all())
        entries = session.exec(select(RankingEntry).where(RankingEntry.ranking_id.in_(ids))).all()
        return ids, {(e.student_id, e.rank, e.refused) for e in entries if e.rank is not None or e.refused}


def test_the_browser_journey_beside_the_load_tool_moves_cards_saves_each_move_and_leaves_the_board_as_it_was(
        page, harness):
    """bench_browser.py's journey (signed in by a real link, cards moved up and down): every move the page showed
    is an audit row, and the ranking says at the end what it said at the start."""
    import sqlalchemy as sa

    from siimop_app.db import transaction
    from siimop_app.loadtest.run import referent_boards
    from siimop_app.models import Ranking, RankingEntry
    from tests.benchmarks.bench_browser import journey

    _, post_id = referent_boards()[-1]
    rankings_before, said_before = _ranking_of(post_id)
    try:
        timings = journey(page, harness.frontend_url, moves=4)
        assert len(timings["moves"]) >= 4 and timings["saved"] == len(timings["moves"])
        # Timed in the page's clock from the click's input event to the frame that shows the new order.
        assert all(0 < seconds < 30 for seconds in timings["moves"] + timings["before_click"])
        assert _ranking_of(post_id)[1] == said_before
    finally:  # a ranking the journey started (this post had none) goes: later tests count the demo's rankings
        created = [i for i in _ranking_of(post_id)[0] if i not in rankings_before]
        with transaction() as session:
            session.execute(sa.delete(RankingEntry).where(RankingEntry.ranking_id.in_(created)))
            session.execute(sa.delete(Ranking).where(Ranking.id.in_(created)))
