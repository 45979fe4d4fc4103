"""Every setting of SiiMOP Appariement, read from the environment once, with defaults.

The database URL is read from ``REFLEX_DB_URL`` because Reflex (``reflex db
migrate``, ``rx.session``) reads that same variable: one variable, one database.
Runtime files (SQLite database, outbox, private documents) live under a hidden
data folder so the dev server's hot reload never watches them.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


@dataclasses.dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    base_url: str
    allowed_origins: tuple[str, ...]
    smtp_url: str | None
    mail_from: str
    outbox_dir: Path
    documents_dir: Path
    sign_in_link_minutes: int
    sign_in_requests_per_window: int
    sign_in_rate_window_minutes: int
    validation_mails_per_user: int
    validation_mails_per_address: int
    validation_rate_window_minutes: int
    session_hours: int
    timezone: str
    news_url: str
    today_override: str | None
    matching_time_limit: float
    matching_threads: int | None
    warm_dry_run: bool
    warm_dry_run_delay: float
    warm_dry_run_max_load: float
    memory_reclaim_seconds: float
    gc_pause_log_ms: float
    balance_seconds: float
    balance_min_excess: int

    @classmethod
    def from_env(cls) -> "Settings":
        data_dir = Path(_env("SIIMOP_DATA_DIR", str(PROJECT_ROOT / ".data"))).resolve()
        return cls(
            data_dir=data_dir,
            database_url=_env("REFLEX_DB_URL", f"sqlite:///{data_dir / 'siimop.db'}"),
            base_url=_env("SIIMOP_BASE_URL", "http://localhost:3000").rstrip("/"),
            # Other origins of this very app (e.g. a second public name); never a third party's.
            allowed_origins=tuple(o.strip() for o in os.environ.get("SIIMOP_ALLOWED_ORIGINS", "").split(",") if o.strip()),
            smtp_url=os.environ.get("SIIMOP_SMTP_URL") or None,
            mail_from=_env("SIIMOP_MAIL_FROM", "SiiMOP Appariement <no-reply@siimop.example.fr>"),
            outbox_dir=Path(_env("SIIMOP_OUTBOX_DIR", str(data_dir / "outbox"))),
            documents_dir=Path(_env("SIIMOP_DOCUMENTS_DIR", str(data_dir / "documents"))),
            sign_in_link_minutes=int(_env("SIIMOP_SIGN_IN_LINK_MINUTES", "30")),
            sign_in_requests_per_window=int(_env("SIIMOP_SIGN_IN_MAX_REQUESTS", "3")),
            sign_in_rate_window_minutes=int(_env("SIIMOP_SIGN_IN_RATE_WINDOW_MINUTES", "15")),
            # Mon profil: validation mails per user and per target address in the window (anti-flooding).
            validation_mails_per_user=int(_env("SIIMOP_VALIDATION_MAILS_PER_USER", "5")),
            validation_mails_per_address=int(_env("SIIMOP_VALIDATION_MAILS_PER_ADDRESS", "2")),
            validation_rate_window_minutes=int(_env("SIIMOP_VALIDATION_RATE_WINDOW_MINUTES", "60")),
            session_hours=int(_env("SIIMOP_SESSION_HOURS", "12")),
            timezone=_env("SIIMOP_TIMEZONE", "Europe/Paris"),
            news_url=_env(
                "SIIMOP_NEWS_URL",
                "https://www.uness.fr/actualites/calendrier-2024-de-appariement-des-docteurs-juniors",
            ),
            # "YYYY-MM-DD" or ISO datetime: pins "now" for demos and tests.
            today_override=os.environ.get("SIIMOP_TODAY") or None,
            # Seconds the exact matching may take when a round closes (whole solve, every market).
            matching_time_limit=float(_env("SIIMOP_MATCHING_TIME_LIMIT", "60")),
            # Markets the exact matching searches at once (one HiGHS search per thread; the result is the same).
            # Unset: the engine's default, two (one on a one-core machine).
            matching_threads=int(os.environ["SIIMOP_MATCHING_THREADS"]) if os.environ.get("SIIMOP_MATCHING_THREADS")
            else None,
            # Each backend process solves the open round once at start (services.warm_up); "0" turns it off.
            warm_dry_run=_env("SIIMOP_WARM_DRY_RUN", "1") != "0",
            warm_dry_run_delay=float(_env("SIIMOP_WARM_DRY_RUN_DELAY", "5")),
            # ... and only once the machine's load average per core is at most this: never beside a load.
            warm_dry_run_max_load=float(_env("SIIMOP_WARM_DRY_RUN_MAX_LOAD", "0.5")),
            # How often a worker checks whether clients left to give their memory back (worker_memory.py); 0: never.
            memory_reclaim_seconds=float(_env("SIIMOP_MEMORY_RECLAIM_SECONDS", "60")),
            # A garbage collection that held a worker at least this long is logged (worker_memory.PauseLog); 0: never.
            gc_pause_log_ms=float(_env("SIIMOP_GC_PAUSE_LOG_MS", "100")),
            # With Redis, how often workers compare their connected clients and the busiest hands some over
            # (worker_balance.py: after a worker died, its clients all reconnected to the survivors); 0: never.
            balance_seconds=float(_env("SIIMOP_BALANCE_SECONDS", "10")),
            # ... and the fewest sockets over its fair share for which a worker closes some.
            balance_min_excess=int(_env("SIIMOP_BALANCE_MIN_EXCESS", "20")),
        )


@functools.cache
def get_settings() -> Settings:
    """The settings of this process; tests call ``get_settings.cache_clear()`` after changing the environment."""
    return Settings.from_env()


def prepare_sqlite_folder(url: str) -> None:
    """SQLite cannot create the folder of its file: make it (a no-op for other databases)."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and ":memory:" not in url:
        Path(url.removeprefix(prefix)).parent.mkdir(parents=True, exist_ok=True)
