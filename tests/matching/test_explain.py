"""Explanations on hand-made scenarios."""

from __future__ import annotations

import pytest

from siimop_app.matching import Instance, InstanceError, explain_post, explain_student, solve
from siimop_app.matching import explain as ex

INSTANCE = {
    "tie_break_seed": 1,
    "students": [
        {"id": "A", "wishes": {"P1": 5, "P2": 3}},
        {"id": "B", "wishes": {"P1": 5, "P2": 4}},
        {"id": "C", "wishes": {"P1": 5}},          # outranked at P1
        {"id": "D", "wishes": {}},                  # list empty
        {"id": "E", "wishes": {"P3": 4}},           # refused by P3
        {"id": "F", "wishes": {"P1": 2, "P5": 5}},  # got P5, rated higher than P1
    ],
    "posts": [
        {"id": "P1", "places": 1, "ranking": ["A", "B", "C", "F"]},
        {"id": "P2", "places": 1, "ranking": ["B", "A"]},
        {"id": "P3", "places": 1, "ranking": []},          # applicants, none ranked
        {"id": "P4", "places": 2, "ranking": ["A"]},       # nobody rated it
        {"id": "P5", "places": 2, "ranking": ["F"]},       # only candidate placed here
        {"id": "P6", "places": 1, "ranking": ["B"]},
    ],
}


@pytest.fixture(scope="module")
def solved():
    inst = Instance.from_dict(INSTANCE)
    return inst, solve(inst)


def test_assignments(solved) -> None:
    _, res = solved
    assert res.assignments == {"A": "P1", "B": "P2", "F": "P5"}
    assert res.unassigned == ["C", "D", "E"]


def test_unplaced_students(solved) -> None:
    inst, res = solved
    reasons = res.explanations["unassigned_students"]
    assert reasons["C"]["reason"] == ex.OUTRANKED
    assert reasons["D"]["reason"] == ex.EMPTY_LIST
    assert reasons["E"]["reason"] == ex.REFUSED
    e = explain_student(inst, res.to_dict(), "C")
    assert "full" in e.summary and any("P1" in d and "#3" in d for d in e.details)
    assert "list empty" in explain_student(inst, res, "D").summary
    assert "P3" in explain_student(inst, res, "E").summary


def test_placed_student_why_not_higher(solved) -> None:
    inst, res = solved
    e = explain_student(inst, res, "B")
    assert e.data["assigned"] == "P2"
    assert e.data["posts"] == {"P1": ex.OUTRANKED}
    assert "P1" in e.details[0] and "#2" in e.details[0]
    top = explain_student(inst, res, "A")
    assert "no post rated higher" in top.summary


def test_unfilled_posts(solved) -> None:
    inst, res = solved
    posts = res.explanations["unfilled_posts"]
    assert posts["P3"]["reason"] == ex.NONE_RANKED
    assert posts["P4"]["reason"] == ex.NO_CANDIDATES
    assert posts["P5"]["reason"] == ex.NONE_RANKED and posts["P5"]["empty_places"] == 1
    assert posts["P6"]["reason"] == ex.NO_CANDIDATES
    assert "P1" not in posts and "P2" not in posts
    e = explain_post(inst, res, "P1")
    assert e.summary.startswith("full")
    assert any(d.startswith("F:") and "rated that post higher" in d for d in e.details)


def test_candidates_placed_higher_and_equal() -> None:
    d = {"students": [{"id": "X", "wishes": {"Q1": 5, "Q2": 3}},
                      {"id": "Y", "wishes": {"Q3": 4, "Q2": 4}}],
         "posts": [{"id": "Q1", "places": 1, "ranking": ["X"]},
                   {"id": "Q2", "places": 1, "ranking": ["X", "Y"]},
                   {"id": "Q3", "places": 1, "ranking": ["Y"]}]}
    inst = Instance.from_dict(d)
    res = solve(inst)
    assert res.assignments in ({"X": "Q1", "Y": "Q3"}, {"X": "Q1", "Y": "Q2"})
    for pid, info in res.explanations["unfilled_posts"].items():
        if pid == "Q2":
            assert info["reason"] == ex.CANDIDATES_PLACED_AS_HIGH
        else:
            assert info["reason"] == ex.CANDIDATES_PLACED_HIGHER
    only_x = {"students": [{"id": "X", "wishes": {"Q1": 5, "Q2": 3}}],
              "posts": [{"id": "Q1", "places": 1, "ranking": ["X"]},
                        {"id": "Q2", "places": 1, "ranking": ["X"]}]}
    res = solve(Instance.from_dict(only_x))
    assert res.explanations["unfilled_posts"]["Q2"]["reason"] == ex.CANDIDATES_PLACED_HIGHER


def test_explain_reports_instability_of_a_bad_result(solved) -> None:
    inst, _ = solved
    bad = {"assignments": {"B": "P2", "F": "P5"}, "unassigned": ["A", "C", "D", "E"]}
    e = explain_student(inst, bad, "A")
    assert e.data["reason"] == ex.INSTABLE
    assert explain_post(inst, bad, "P1").data["reason"] == ex.INSTABLE


def test_unknown_ids_and_malformed_result(solved) -> None:
    inst, res = solved
    with pytest.raises(InstanceError, match="unknown student 'Z'"):
        explain_student(inst, res, "Z")
    with pytest.raises(InstanceError, match="unknown post 'P9'"):
        explain_post(inst, res, "P9")
    with pytest.raises(InstanceError, match="assigned to unknown post"):
        explain_post(inst, {"assignments": {"A": "P9"}, "unassigned": []}, "P1")
