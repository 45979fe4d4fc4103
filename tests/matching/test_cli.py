"""CLI via subprocess: solve, check (good and tampered), explain, malformed input."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from matching_testlib import random_instance

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, hashseed: str = "0") -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONHASHSEED": hashseed, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "siimop_app.matching", *args],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    inst = random_instance(random.Random(7), 40, 12, max_places=2, levels=(3, 4, 5, 5))
    ip = tmp / "instance.json"
    ip.write_text(json.dumps(inst))
    rp = tmp / "result.json"
    proc = run("solve", str(ip), "-o", str(rp))
    assert proc.returncode == 0, proc.stderr
    return tmp, ip, rp, inst


def test_solve_output_is_byte_identical_across_processes(files) -> None:
    _, ip, rp, _ = files
    a = run("solve", str(ip), hashseed="1")
    b = run("solve", str(ip), hashseed="12345")
    assert a.returncode == b.returncode == 0
    assert a.stdout == b.stdout == rp.read_text(encoding="utf-8")
    res = json.loads(a.stdout)
    assert set(res) >= {"assignments", "unassigned", "stats"}
    assert {"baseline", "final", "improvement", "tie_break_seed"} <= set(res["stats"])


def test_timings_flag(files) -> None:
    _, ip, _, _ = files
    proc = run("solve", str(ip), "--timings")
    assert proc.returncode == 0
    assert "total" in json.loads(proc.stdout)["stats"]["timings_s"]


def test_check_good_result(files) -> None:
    _, ip, rp, _ = files
    proc = run("check", str(ip), str(rp))
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.startswith("OK")


def test_check_tampered_result_lists_violations(files) -> None:
    tmp, ip, rp, inst = files
    res = json.loads(rp.read_text())
    student = res["unassigned"][0] if res["unassigned"] else next(iter(res["assignments"]))
    # overfill a post, assign an unacceptable pair, and drop a placed student
    post = inst["posts"][0]
    dropped = next(s for s in res["assignments"] if s != student)
    res["assignments"].pop(dropped)
    res["assignments"][student] = post["id"]
    if student in res["unassigned"]:
        res["unassigned"].remove(student)
    for s in inst["students"][: post["places"] + 1]:
        res["assignments"][s["id"]] = post["id"]
        if s["id"] in res["unassigned"]:
            res["unassigned"].remove(s["id"])
    bad = tmp / "tampered.json"
    bad.write_text(json.dumps(res))
    proc = run("check", str(ip), str(bad))
    assert proc.returncode == 1
    out = proc.stdout
    assert out.startswith("INVALID")
    assert "capacity exceeded at " + post["id"] in out
    assert f"student '{dropped}' is neither assigned nor listed as unassigned" in out
    assert "unacceptable pair" in out or "blocking pair" in out


def test_check_detects_blocking_pair(tmp_path) -> None:
    inst = {"students": [{"id": "S1", "wishes": {"P1": 5, "P2": 3}}, {"id": "S2", "wishes": {"P1": 4}}],
            "posts": [{"id": "P1", "places": 1, "ranking": ["S1", "S2"]},
                      {"id": "P2", "places": 1, "ranking": ["S1"]}]}
    ip, rp = tmp_path / "i.json", tmp_path / "r.json"
    ip.write_text(json.dumps(inst))
    rp.write_text(json.dumps({"assignments": {"S1": "P2", "S2": "P1"}, "unassigned": []}))
    proc = run("check", str(ip), str(rp))
    assert proc.returncode == 1
    assert "blocking pair (S1, P1)" in proc.stdout and "above its assigned S2" in proc.stdout


def test_explain_student_and_post(files) -> None:
    _, ip, rp, _ = files
    res = json.loads(rp.read_text())
    sid = next(iter(res["assignments"]))
    proc = run("explain", str(ip), str(rp), "--student", sid)
    assert proc.returncode == 0 and proc.stdout.startswith(f"student {sid}: placed at {res['assignments'][sid]}")
    if res["unassigned"]:
        proc = run("explain", str(ip), str(rp), "--student", res["unassigned"][0])
        assert proc.returncode == 0 and "not placed" in proc.stdout
    proc = run("explain", str(ip), str(rp), "--post", "P0", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["id"] == "P0"
    proc = run("explain", str(ip), str(rp), "--post", "NOPE")
    assert proc.returncode == 2 and "unknown post 'NOPE'" in proc.stderr


def test_malformed_instance_exits_nonzero_without_traceback(tmp_path) -> None:
    ip = tmp_path / "bad.json"
    ip.write_text(json.dumps({"students": [{"id": "S1", "wishes": {"PX": 3}}], "posts": []}))
    proc = run("solve", str(ip))
    assert proc.returncode == 2
    assert 'student "S1": wish for unknown post "PX"' in proc.stderr
    assert "Traceback" not in proc.stderr
    (tmp_path / "broken.json").write_text("{not json")
    proc = run("check", str(tmp_path / "broken.json"), str(ip))
    assert proc.returncode == 2 and "not valid JSON" in proc.stderr and "Traceback" not in proc.stderr
    proc = run("solve", str(tmp_path / "missing.json"))
    assert proc.returncode == 2 and "cannot read instance file" in proc.stderr


def test_exact_and_fast_modes_are_byte_identical_across_processes(tmp_path) -> None:
    from matching_testlib import single_market

    ip = tmp_path / "market.json"
    ip.write_text(json.dumps(single_market(60, 5)))  # the heuristic misses the maximum here
    for mode in ("exact", "fast"):
        a = run("solve", str(ip), "--mode", mode, hashseed="3")
        b = run("solve", str(ip), "--mode", mode, hashseed="98765")
        assert a.returncode == b.returncode == 0, a.stderr
        assert a.stdout == b.stdout
        stats = json.loads(a.stdout)["stats"]
        assert stats["mode"] == mode and "timings_s" not in stats
    exact, fast = (json.loads(run("solve", str(ip), "--mode", m).stdout)["stats"] for m in ("exact", "fast"))
    assert exact["optimal"] and exact["final"]["students_placed"] > fast["final"]["students_placed"]
    assert exact["exact"]["markets"][0]["stopped_by"] == "optimal"
    out = run("solve", str(ip), "-o", str(tmp_path / "r.json"))
    assert out.returncode == 0 and "exact mode, proven maximum" in out.stdout
    proc = run("check", str(ip), str(tmp_path / "r.json"))
    assert proc.returncode == 0 and proc.stdout.splitlines()[1].startswith("Solver claim (HiGHS")
