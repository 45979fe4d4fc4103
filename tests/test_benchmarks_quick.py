"""Every benchmark the README lists still runs to its figures, in its quick mode (small data, SQLite).

Nothing is timed here: a benchmark that nobody runs breaks silently (bench_close_round did, when
closing during the ranking phase became forbidden). They run side by side as subprocesses
(each loads its own throwaway database), so the module costs about as long as the slowest one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# (script, a line each run prints once it got to its last figures)
BENCHMARKS = {
    "bench_matching.py": "",
    "bench_ranking.py": "ranking valid at the end:",
    "bench_close_round.py": "re-check of the stored instance/result:",
    "bench_tables.py": "== posts (ARS manager: one region)",
    "bench_wishes.py": "save (3 hearts changed)",
    "bench_imports.py": "peak memory of the process:",
    "bench_dry_run.py": "close: ",
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, subprocess.Popen]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("REFLEX_DB_URL", "SIIMOP_"))}  # each benchmark picks its own database
    env["TMPDIR"] = str(tmp_path_factory.mktemp("benchmarks"))  # their throwaway files go away with pytest's
    started = {}
    for script in BENCHMARKS:
        log = open(Path(env["TMPDIR"]) / f"{script}.log", "w+")
        started[script] = (subprocess.Popen([sys.executable, str(ROOT / "tests" / "benchmarks" / script), "--quick"],
                                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT), log)
    yield started
    for process, log in started.values():
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()


@pytest.mark.parametrize("script", BENCHMARKS)
def test_benchmark_runs_to_its_figures(runs, script):
    process, log = runs[script]
    returncode = process.wait(timeout=480)
    log.seek(0)
    output = log.read()
    assert returncode == 0, f"{script} --quick failed:\n{output[-4000:]}"
    assert BENCHMARKS[script] in output, f"{script} --quick stopped before its last figures:\n{output[-4000:]}"
