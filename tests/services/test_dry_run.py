"""The dry run of an open round: the same projection as the real close, shown within the viewer's scope,
audited, and refused outside the wishes/ranking phases and to students and supervisors."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
import sqlalchemy as sa
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.demo.cli import main as demo_main
from siimop_app.models import Assignment, AuditEntry, Phase, Post, Ranking, Round, Specialty, Student, Subdivision
from siimop_app.services import calendar, dry_run, rounds
from siimop_app.services.access import AccessDenied
from tests.services.test_post_table import signed_in
from tests.services.test_rounds import _end_rankings_yesterday, _write_valid_ranking


@pytest.fixture
def demo(db_url) -> int:
    """The small demo during round 1's ranking phase; returns round 1's id."""
    assert demo_main(["--scale", "small", "--phase", "ranking"]) == 0
    with transaction() as session:
        return session.exec(select(Round.id).where(Round.number == 1)).one()


def _count(model, *where) -> int:
    with transaction() as session:
        return session.exec(select(sa.func.count()).select_from(model).where(*where)).one()


def test_the_projection_is_what_the_close_then_writes(demo):
    report = dry_run.run_dry_run(signed_in("admin"))
    assert report.round_number == 1 and report.phase == "ranking"
    assert 0 < report.round_placed == len(report.projected) < report.round_students
    assert _count(Assignment) == 0  # nothing written...
    with transaction() as session:  # ...but who ran it, when and the counts are audited
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "round.dry_run")).one()
        assert session.get(Round, demo).status == "open"
    assert entry.entity_id == demo and entry.actor_user_id == signed_in("admin").user_id
    assert json.loads(entry.after_json)["round_placed"] == report.round_placed

    _end_rankings_yesterday()
    closed = rounds.close_round(round_id=demo, actor_user_id=None)
    with transaction() as session:
        written = dict(session.exec(select(Assignment.student_id, Assignment.post_id)
                                    .where(Assignment.round_id == demo)).all())
    assert written == report.projected and closed.students_placed == report.round_placed


def count_exact_solves(monkeypatch) -> list[str]:
    """The engine's exact solves from now on, one entry each (the fast heuristic's runs are not counted)."""
    exact_solves = []
    solve = rounds.matching.solve

    def counted(instance, mode="exact", **options):
        if mode == "exact":
            exact_solves.append(mode)
        return solve(instance, mode=mode, **options)

    monkeypatch.setattr(rounds.matching, "solve", counted)
    return exact_solves


def test_dry_runs_on_unchanged_data_and_the_close_that_follows_solve_the_round_once(demo, monkeypatch):
    """Issue 15: the national optimiser takes tens of seconds; a manager re-running the dry run, or closing the
    round right after it, waits for it once. Any change to the data is a new snapshot, solved again."""
    exact_solves = count_exact_solves(monkeypatch)
    first = dry_run.run_dry_run(signed_in("admin"))
    again = dry_run.run_dry_run(signed_in("manager"))
    assert exact_solves == ["exact"] and again.projected == first.projected
    with transaction() as session:  # one supervisor ranks: the next dry run sees it
        post = session.exec(select(Post).where(Post.id == int(next(iter(first.projected.values()))))).one()
        _write_valid_ranking(session, post, demo)
    dry_run.run_dry_run(signed_in("admin"))
    assert exact_solves == ["exact", "exact"]
    _end_rankings_yesterday()
    closed = rounds.close_round(round_id=demo, actor_user_id=None)
    assert exact_solves == ["exact", "exact"] and closed.students_placed > 0


def test_the_engine_solves_in_its_own_thread_and_the_progress_only_goes_forward(demo, monkeypatch):
    """The solve starts once the instance is read, beside the report's reading and the what-ifs; the steps of
    both reach the page in one forward-only progress."""
    solved_in = []
    solve = rounds.matching.solve

    def spy(instance, **options):
        solved_in.append(threading.current_thread().name)
        return solve(instance, **options)

    monkeypatch.setattr(rounds.matching, "solve", spy)
    steps: list[tuple[str, float]] = []
    report = dry_run.run_dry_run(signed_in("admin"), progress=lambda label, f: steps.append((label, f)))
    assert len(solved_in) == 1 and solved_in[0].startswith("siimop-dry-run-match")
    fractions = [f for _, f in steps]
    assert fractions == sorted(fractions) and steps[0] == (dry_run.STEP_SNAPSHOT, 0.0)
    assert steps[-1] == (dry_run.STEP_DONE, 1.0) and report.round_placed == len(report.projected) > 0


def test_an_engine_failing_before_its_instance_is_the_dry_runs_error(demo, monkeypatch):
    def broken(cls, data):
        raise RuntimeError("snapshot unreadable")

    monkeypatch.setattr(rounds.matching.Instance, "from_dict", classmethod(broken))
    with pytest.raises(RuntimeError, match="snapshot unreadable"):
        dry_run.run_dry_run(signed_in("admin"))


def test_the_matching_is_national_and_the_display_follows_the_scope(demo):
    admin = dry_run.run_dry_run(signed_in("admin"))
    manager = dry_run.run_dry_run(signed_in("manager"))
    coordinator = dry_run.run_dry_run(signed_in("coordinator"))
    assert admin.projected == manager.projected == coordinator.projected  # one national matching
    assert coordinator.students < manager.students < admin.students == admin.round_students
    with transaction() as session:
        specialty = session.exec(select(Specialty.label).where(Specialty.code == "MED-URG")).one()
        subdivision = session.exec(select(Subdivision.label).where(Subdivision.code == "AMIENS")).one()
        in_scope = session.exec(select(sa.func.count()).select_from(Student)
                                .join(Subdivision, Subdivision.id == Student.subdivision_id)
                                .join(Specialty, Specialty.id == Student.specialty_id)
                                .where(Subdivision.code == "AMIENS", Specialty.code == "MED-URG")).one()
    assert [row.label for row in coordinator.by_specialty] == [specialty]
    assert [row.label for row in coordinator.by_subdivision] == [subdivision]
    assert coordinator.students <= in_scope
    assert all((r.specialty, r.subdivision) == (specialty, subdivision) for r in coordinator.unplaced)
    assert all((r.specialty, r.subdivision) == (specialty, subdivision) for r in coordinator.empty_posts)
    assert coordinator.unplaced_total == coordinator.students - coordinator.placed
    assert sum(row.placed for row in admin.by_specialty) == admin.placed == admin.round_placed
    assert {r.code for r in admin.unplaced} <= {"insufficient", "refused", "outranked"}
    assert any(r.code == "insufficient" and r.reason.startswith("Liste insuffisante : ") for r in admin.unplaced)
    assert admin.rankings_sentence().startswith(f"{admin.fix_rankings.gain} étudiant(s) de plus seraient affecté(s) "
                                                f"si les {admin.fix_rankings.count} classements non valides")


def test_fixing_the_rankings_places_more_students_and_names_the_supervisors(demo):
    coordinator = signed_in("coordinator")
    before = dry_run.run_dry_run(coordinator)
    assert before.fix_rankings.count > 0 and before.fix_rankings.gain > 0
    assert {p.status for p in before.fix_rankings.people} <= {"Classement non valide", "Classement manquant"}
    assert "Isabelle FERNBACH" in {p.supervisor for p in before.fix_rankings.people}
    # The supervisors of the scope fix their rankings: nothing is left to fix, and the projection improves.
    numbers = {p.post_number for p in before.fix_rankings.people}
    with transaction() as session:
        wave_id = session.get(Round, before.round_id).wave_id
        for post in session.exec(select(Post).where(Post.wave_id == wave_id, Post.post_number.in_(numbers))).all():
            _write_valid_ranking(session, post, before.round_id)
    after = dry_run.run_dry_run(coordinator)
    assert after.fix_rankings.count == 0 and after.fix_rankings.people == []
    assert after.rankings_sentence() == "Aucun classement non valide ou manquant dans votre périmètre."
    assert after.placed > before.placed and after.round_placed > before.round_placed


def test_counting_the_insufficient_lists_names_the_students_and_what_they_miss(demo):
    report = dry_run.run_dry_run(signed_in("manager"))
    assert report.fix_lists.count > 0 and report.fix_lists.gain >= 0
    assert all(p.missing == p.required - p.rated > 0 for p in report.fix_lists.people)
    assert report.lists_sentence().endswith("listes de vœux insuffisantes étaient complétées.")


def test_refused_to_students_supervisors_and_outside_the_wishes_and_ranking_phases(demo):
    for account in ("student", "rts2"):
        with pytest.raises(AccessDenied):
            dry_run.run_dry_run(signed_in(account))
    # After round 1's ranking phase (and before round 2's wishes): nothing to simulate.
    _end_rankings_yesterday()
    today = calendar.now().date()
    with transaction() as session:
        for phase in session.exec(select(Phase).where(Phase.kind == "wishes")).all():
            if phase.starts_on <= today <= phase.ends_on:
                phase.starts_on = phase.ends_on = today - dt.timedelta(days=1)
                session.add(phase)
    with pytest.raises(dry_run.DryRunError, match="période des vœux ou du classement"):
        dry_run.run_dry_run(signed_in("admin"))
    assert _count(AuditEntry, AuditEntry.action == "round.dry_run") == 0
    assert _count(Ranking) > 0 and _count(Assignment) == 0
