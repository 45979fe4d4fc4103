"""Malformed instances: InstanceError whose message names the offending item."""

from __future__ import annotations

import copy

import pytest

from siimop_app.matching import Instance, InstanceError

GOOD = {
    "tie_break_seed": 42,
    "students": [
        {"id": "S1", "wishes": {"P1": 5, "P2": 5, "P3": 2}, "name": "Alice", "subdivision": "IDF"},
        {"id": "S2", "wishes": {"P1": 3, "P2": 0}},
    ],
    "posts": [
        {"id": "P1", "places": 2, "ranking": ["S2", "S1"], "subdivision": "IDF"},
        {"id": "P2", "places": 1, "ranking": ["S1"]},
        {"id": "P3", "places": 0, "ranking": []},
    ],
}


def test_good_instance_and_extra_fields_ignored() -> None:
    inst = Instance.from_dict(GOOD)
    assert [s.id for s in inst.students] == ["S1", "S2"]
    assert dict(inst.students[1].wishes) == {"P1": 3}  # zero hearts dropped
    assert inst.posts[0].ranking == ("S2", "S1")
    assert inst.tie_break_seed == 42
    assert Instance.from_dict(inst.to_dict()) == inst


def test_missing_optional_parts_default_to_empty() -> None:
    inst = Instance.from_dict({"students": [{"id": "S1"}], "posts": [{"id": "P1", "places": 1}]})
    assert inst.tie_break_seed == 0
    assert dict(inst.students[0].wishes) == {}
    assert inst.posts[0].ranking == ()


def _mutated(path: str, value) -> dict:
    d = copy.deepcopy(GOOD)
    *keys, last = path.split(".")
    target = d
    for k in keys:
        target = target[int(k)] if k.isdigit() else target[k]
    if last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return d


CASES = [
    (lambda: _mutated("students.0.wishes", {"P9": 3}), ['student "S1"', 'unknown post "P9"']),
    (lambda: _mutated("students.1.id", "S1"), ['duplicate student id "S1"']),
    (lambda: _mutated("posts.1.id", "P1"), ['duplicate post id "P1"']),
    (lambda: _mutated("students.0.wishes", {"P1": 6}), ['student "S1"', '"P1"', "0..5", "6"]),
    (lambda: _mutated("students.0.wishes", {"P2": -1}), ['student "S1"', '"P2"', "-1"]),
    (lambda: _mutated("students.0.wishes", {"P2": 2.5}), ['student "S1"', '"P2"', "2.5"]),
    (lambda: _mutated("students.0.wishes", {"P2": True}), ['student "S1"', '"P2"', "True"]),
    (lambda: _mutated("posts.0.places", -1), ['post "P1"', "places", "-1"]),
    (lambda: _mutated("posts.0.places", "2"), ['post "P1"', "places", '"2"']),
    (lambda: _mutated("posts.0.ranking", ["S1", "S2", "S1"]), ['post "P1"', 'student "S1" appears twice']),
    (lambda: _mutated("posts.1.ranking", ["S1", "S7"]), ['post "P2"', 'unknown student "S7"']),
    (lambda: _mutated("posts.1.ranking", "S1"), ['post "P2"', "ranking must be a list"]),
    (lambda: _mutated("students.0.id", 12), ["students[0]", "id", "12"]),
    (lambda: _mutated("students.0.wishes", ["P1"]), ['student "S1"', "wishes"]),
    (lambda: _mutated("tie_break_seed", "abc"), ["tie_break_seed", '"abc"']),
    (lambda: _mutated("posts", {"P1": 1}), ['"posts" must be a list']),
    (lambda: [], ["top level must be a JSON object"]),
]


@pytest.mark.parametrize("make,fragments", CASES)
def test_malformed_instance_message_names_item(make, fragments) -> None:
    with pytest.raises(InstanceError) as err:
        Instance.from_dict(make())
    msg = str(err.value)
    for frag in fragments:
        assert frag in msg, (frag, msg)
    assert isinstance(err.value, ValueError)


def test_all_errors_are_reported() -> None:
    d = copy.deepcopy(GOOD)
    d["students"][0]["wishes"] = {"P9": 1, "P1": 7}
    d["posts"][2]["places"] = -3
    with pytest.raises(InstanceError) as err:
        Instance.from_dict(d)
    assert len(err.value.errors) == 3
