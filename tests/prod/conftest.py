"""The real production command (``python -m siimop_app.prod``) with two workers, on a throwaway PostgreSQL server
holding the small demo campaign and on Redis database 5, driven by Chromium pages doing real events.

The PostgreSQL server is these tests' own (``PrivatePostgres``), started from the machine's PostgreSQL programs:
the fault tests stop and restart it, and the machine's server goes on serving the other test process meanwhile
(``.ci/run`` runs two; stopping the shared server failed a test of the other process in CI).

The frontend build is cached by the production command itself (``.web-prod``, keyed by the sources): the first run
on a fresh clone builds it once (about 30 s here), later runs start in seconds.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from siimop_app.db import get_engine
from siimop_app.demo.cli import main as demo_main
from siimop_app.settings import PROJECT_ROOT, get_settings
from tests.e2e.conftest import browser  # noqa: F401  (the same Chromium as the end-to-end tests)

REDIS_URL = os.environ.get("SIIMOP_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
PORTS = range(3300, 3310)
WORKERS = 2


def _redis():
    import redis

    return redis.Redis.from_url(REDIS_URL)


def _free_port(ports: range = PORTS) -> int:
    for port in ports:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


def http_status(url: str, timeout: float = 5) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


class PrivatePostgres:
    """A PostgreSQL server of its own on a free port, in a throwaway folder, with trust authentication on loopback.

    As root the programs run as the ``postgres`` account (PostgreSQL refuses root), so the folder lives outside
    pytest's private temporary directory."""

    def __init__(self) -> None:
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        initdb = binaries[-1] if binaries else shutil.which("initdb")
        if not initdb:
            pytest.fail("PostgreSQL's programs (initdb, pg_ctl) are not installed: the production tests need them")
        self.bin = Path(initdb).parent
        self.port = _free_port(range(54330, 54400))
        self.folder = Path(tempfile.mkdtemp(prefix="siimop-pg-"))
        self.data = self.folder / "data"
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_owner:
            shutil.chown(self.folder, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        self.start()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *arguments: str) -> None:
        subprocess.run([*self.as_owner, str(self.bin / program), *arguments], check=True, capture_output=True,
                       timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "server.log"), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="package")
def private_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    try:
        yield server
    finally:
        server.remove()


@dataclass
class ProdServer:
    process: subprocess.Popen
    base_url: str
    db_url: str
    log: Path

    def worker_pids(self) -> set[int]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True, text=True)
        return {int(pid) for pid in out.stdout.split()}

    def wait_for_workers(self, count: int = WORKERS, *, excluding: set[int] = frozenset(), timeout: float = 60) -> set[int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the server exited:\n{self.log.read_text()[-3000:]}"
            pids = self.worker_pids() - set(excluding)
            if len(pids) >= count and "Started worker" in self.log.read_text():
                return pids
            time.sleep(0.2)
        raise AssertionError(f"workers not running:\n{self.log.read_text()[-3000:]}")

    def url(self, path: str) -> str:
        return self.base_url + path


# Package scope: the environment set here (database, Redis, sign-in limits) must not outlive these tests.
@pytest.fixture(scope="package")
def prod_server(tmp_path_factory, private_postgres: PrivatePostgres) -> Iterator[ProdServer]:
    try:
        _redis().ping()
    except Exception as error:  # noqa: BLE001
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: {error}")
    data = tmp_path_factory.mktemp("prod")
    db_url = private_postgres.url
    port = _free_port()
    env = {
        "REFLEX_DB_URL": db_url,
        "REFLEX_REDIS_URL": REDIS_URL,
        "SIIMOP_DATA_DIR": str(data),
        "SIIMOP_PORT": str(port),
        "SIIMOP_WORKERS": str(WORKERS),
        "SIIMOP_SIGN_IN_MAX_REQUESTS": "1000",
        # Workers compare their clients every second, and hand some over from 5 over their share: the load tool's
        # 50 tabs even out within the worker-killed test; the browser tests' few pages never reach it.
        "SIIMOP_BALANCE_SECONDS": "1",
        "SIIMOP_BALANCE_MIN_EXCESS": "5",
        "SIIMOP_BASE_URL": f"http://localhost:{port}",
    }
    environ = pytest.MonkeyPatch()  # this test process reads the same database and outbox as the server
    for key, value in env.items():
        environ.setenv(key, value)
    for key in ("SIIMOP_SMTP_URL", "SIIMOP_TODAY"):
        environ.delenv(key, raising=False)
    get_settings.cache_clear()
    _redis().flushdb()
    assert demo_main(["--scale", "small", "--phase", "ranking"]) == 0
    log = data / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "siimop_app.prod"], cwd=PROJECT_ROOT, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    server = ProdServer(process=process, base_url=f"http://localhost:{port}", db_url=db_url, log=log)
    try:
        deadline = time.monotonic() + 600  # a first build on a fresh clone
        while http_status(server.url("/ping")) != 200:
            assert process.poll() is None, f"the production command exited:\n{log.read_text()[-4000:]}"
            assert time.monotonic() < deadline, f"not serving after 10 min:\n{log.read_text()[-4000:]}"
            time.sleep(0.5)
        server.wait_for_workers()
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        get_engine(db_url).dispose()
        _redis().flushdb()
        environ.undo()
        get_settings.cache_clear()
