"""Hypothesis profile for the matching tests (reproducible: derandomized) and
import path so the tests run from any working directory."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
for p in (ROOT, HERE):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

settings.register_profile(
    "matching", derandomize=True, deadline=None, max_examples=150, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("matching")


@pytest.fixture(autouse=True)
def _no_market_remembered_from_another_test():
    """Exact mode reuses markets solved earlier in the process (``matching.memo``): each
    test starts without them, since some tests replace the solver by a broken one."""
    from siimop_app.matching.memo import MARKETS

    MARKETS.clear()
