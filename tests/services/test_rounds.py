"""Closing a round through the service: snapshot, matching, check, one all-or-nothing write; round 3 by hand."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
import sqlalchemy as sa
from sqlmodel import select

from siimop_app import matching
from siimop_app.db import transaction
from siimop_app.demo.cli import main as demo_main
from siimop_app.domain.calendar import DatedPhase, opens_at
from siimop_app.domain.ranking_rules import Candidate, check_ranking
from siimop_app.models import (
    Application,
    Assignment,
    AuditEntry,
    Phase,
    Post,
    Ranking,
    RankingEntry,
    Round,
    Student,
    UserEmail,
)
from siimop_app.rounds_cli import main as cli_main
from siimop_app.services import calendar, in_person, rounds, student_results
from siimop_app.services.candidates import candidates_of_post, sufficient_students
from siimop_app.services.rounds import RoundError


def _round(number: int) -> Round:
    with transaction() as session:
        return session.exec(select(Round).where(Round.number == number)).one()


def _user_id(address: str) -> int:
    with transaction() as session:
        return session.exec(select(UserEmail.user_id).where(UserEmail.email == address)).one()


def _ranking_verdict(session, post: Post, round_id: int, places: int) -> tuple[bool, list[int]]:
    """Independent re-check of a post's stored ranking: (valid, ranked student ids in order)."""
    ranking = session.exec(select(Ranking).where(Ranking.round_id == round_id, Ranking.post_id == post.id)).first()
    if ranking is None:
        return False, []
    cards = {c.student_id: c for c in candidates_of_post(session, post=post, round_id=round_id)}
    entries = {e.student_id: e for e in session.exec(select(RankingEntry).where(RankingEntry.ranking_id == ranking.id))}
    ranked = [sid for _, sid in sorted((e.rank, sid) for sid, e in entries.items() if sid in cards and e.rank)]
    refused = [sid for sid in cards if sid in entries and entries[sid].refused]
    unranked = [sid for sid in cards if sid not in ranked and sid not in refused]
    verdict = check_ranking(
        places=places,
        ranked=[Candidate(s, cards[s].is_local) for s in ranked],
        unranked=[Candidate(s, cards[s].is_local) for s in unranked],
        refused=[Candidate(s, cards[s].is_local) for s in refused],
    )
    return verdict.valid, ranked


def _write_valid_ranking(session, post: Post, round_id: int) -> list[int]:
    """Rank every candidate of the post, locals first (a valid ranking); returns the order."""
    cards = candidates_of_post(session, post=post, round_id=round_id)
    order = [c.student_id for c in sorted(cards, key=lambda c: (not c.is_local, c.student_id))]
    ranking = session.exec(select(Ranking).where(Ranking.round_id == round_id, Ranking.post_id == post.id)).first()
    if ranking is None:
        ranking = Ranking(round_id=round_id, post_id=post.id)
    ranking.is_valid = True
    ranking.problems = ""
    session.add(ranking)
    session.flush()
    session.execute(sa.delete(RankingEntry).where(RankingEntry.ranking_id == ranking.id))
    session.execute(sa.insert(RankingEntry), [
        {"ranking_id": ranking.id, "student_id": sid, "rank": rank, "refused": False}
        for rank, sid in enumerate(order, start=1)
    ])
    return order


def _end_rankings_yesterday() -> None:
    """The supervisors' ranking phases are over (a round closes only then); the rankings made so far stay."""
    yesterday = calendar.now().date() - dt.timedelta(days=1)
    with transaction() as session:
        for phase in session.exec(select(Phase).where(Phase.kind == "ranking")).all():
            phase.ends_on = yesterday
            phase.starts_on = min(phase.starts_on, yesterday)
            session.add(phase)


@pytest.fixture
def demo(db_url) -> int:
    """The small demo in its ranking phase, plus valid rankings on a few posts that had none. Returns round 1's id."""
    assert demo_main(["--scale", "small", "--phase", "ranking"]) == 0
    _end_rankings_yesterday()
    round_id = _round(1).id
    with transaction() as session:
        ranked = set(session.exec(select(Ranking.post_id).where(Ranking.round_id == round_id)).all())
        wished = session.exec(
            select(Application.post_id).where(Application.round_id == round_id, Application.hearts > 0).distinct()
        ).all()
        added = 0
        for post_id in sorted(set(wished) - ranked):
            post = session.get(Post, post_id)
            if _write_valid_ranking(session, post, round_id):
                added += 1
            if added == 20:
                break
    return round_id


def _assignments(round_id: int) -> list[tuple[int, int, str]]:
    with transaction() as session:
        return session.exec(
            select(Assignment.student_id, Assignment.post_id, Assignment.method).where(Assignment.round_id == round_id)
        ).all()


def _audits(action: str) -> int:
    with transaction() as session:
        return session.exec(select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == action)).one()


def _assert_untouched(round_id: int) -> None:
    with transaction() as session:
        round_ = session.get(Round, round_id)
    assert round_.status == "open"
    assert round_.instance_json is None and round_.result_json is None and round_.certificate is None
    assert round_.closed_at is None
    assert _assignments(round_id) == []
    assert _audits("round.close") == 0


def test_close_writes_the_assignments_that_the_engine_recertifies(demo):
    steps = []
    admin = _user_id("admin@demo.siimop.fr")
    report = rounds.close_round(round_id=demo, actor_user_id=admin, progress=lambda label, f: steps.append((label, f)))
    assert not report.already_closed and report.certificate_ok
    assert report.students_placed > 100 and report.students > report.students_placed
    assert [label for label, _ in steps] == [rounds.STEP_SNAPSHOT, rounds.STEP_MATCH, rounds.STEP_CHECK,
                                            rounds.STEP_WRITE, rounds.STEP_DONE]
    assert [f for _, f in steps] == sorted(f for _, f in steps) and steps[-1][1] == 1.0
    assert set(report.timings) == {"snapshot", "match", "check", "write", "total"}

    rows = _assignments(demo)
    assert len(rows) == report.students_placed and {m for *_, m in rows} == {"matching"}
    with transaction() as session:
        round_ = session.get(Round, demo)
        assert round_.status == "closed" and round_.closed_at is not None and round_.closed_by_user_id == admin
        instance = matching.Instance.from_dict(json.loads(round_.instance_json))
        result = json.loads(round_.result_json)
        certificate = matching.check(instance, result)
        assert certificate.ok and round_.certificate == certificate.to_text()
        assert {(int(s), int(p)) for s, p in result["assignments"].items()} == {(s, p) for s, p, _ in rows}

        # Every pair: the student gave hearts, has a sufficient list, and the post's ranking is valid and ranks them.
        hearts = {(s, p): h for s, p, h in session.exec(
            select(Application.student_id, Application.post_id, Application.hearts).where(Application.round_id == demo)
        ).all()}
        sufficient = sufficient_students(session, demo)
        per_post: dict[int, int] = {}
        for student_id, post_id, _ in rows:
            assert hearts.get((student_id, post_id), 0) >= 1
            assert student_id in sufficient
            per_post[post_id] = per_post.get(post_id, 0) + 1
        for post_id, count in per_post.items():
            post = session.get(Post, post_id)
            assert count <= post.places_opened
            valid, ranked = _ranking_verdict(session, post, demo, post.places_opened)
            assert valid
            assert {s for s, p, _ in rows if p == post_id} <= set(ranked)
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "round.close")).one()
        assert audit.actor_user_id == admin and audit.entity_id == demo
        assert json.loads(audit.after_json)["students_placed"] == len(rows)
    assert rounds.check_stored(demo).ok


def test_insufficient_lists_and_invalid_rankings_are_left_out_whatever_the_stored_flag(demo):
    with transaction() as session:
        posts = {p.id: p for p in session.exec(select(Post))}
        applicants = set(session.exec(
            select(Application.student_id).join(Student, Student.id == Application.student_id)
            .where(Application.round_id == demo, Application.hearts > 0, Student.participating)
        ).all())
        sufficient = sufficient_students(session, demo)
        insufficient = applicants - sufficient
        assert insufficient
        verdicts = {}
        for ranking in session.exec(select(Ranking).where(Ranking.round_id == demo)):
            verdicts[ranking.post_id] = _ranking_verdict(session, posts[ranking.post_id], demo,
                                                         posts[ranking.post_id].places_opened)
        invalid = [pid for pid, (valid, _) in verdicts.items() if not valid]
        valid = [pid for pid, (ok, _) in verdicts.items() if ok]
        assert invalid and valid
        # Lie in the stored flags: the close must re-check, not trust them.
        session.execute(sa.update(Ranking).where(Ranking.post_id.in_(invalid[:3])).values(is_valid=True))
        session.execute(sa.update(Ranking).where(Ranking.post_id.in_(valid[:3])).values(is_valid=False))
        data = rounds.build_instance(session, demo)
    ids = {int(s["id"]) for s in data["students"]}
    assert ids == sufficient and not ids & insufficient
    assert data["tie_break_seed"] == demo and data["snapshot"]["excluded_insufficient_lists"] == len(insufficient)
    by_post = {int(p["id"]): p for p in data["posts"]}
    for pid in invalid:
        assert by_post[pid]["ranking"] == [] and by_post[pid]["ranking_status"] == "invalid"
        assert by_post[pid]["ranking_problems"]
    for pid in valid:
        assert [int(s) for s in by_post[pid]["ranking"]] == verdicts[pid][1]
    unranked_posts = set(posts) - set(verdicts)
    assert all(by_post[pid]["ranking"] == [] for pid in unranked_posts)
    assert all(set(map(int, s["wishes"])) <= set(posts) and min(s["wishes"].values()) >= 1 for s in data["students"])
    matching.Instance.from_dict(data)  # a valid instance


def test_a_second_close_returns_the_stored_report_and_changes_nothing(demo):
    first = rounds.close_round(round_id=demo, actor_user_id=None)
    rows = _assignments(demo)
    with transaction() as session:
        stored = session.get(Round, demo)
    second = rounds.close_round(round_id=demo, actor_user_id=_user_id("admin@demo.siimop.fr"))
    assert second.already_closed and second.timings == {}
    assert (second.students, second.students_placed, second.places_offered, second.certificate) == (
        first.students, first.students_placed, first.places_offered, first.certificate)
    assert _assignments(demo) == rows and _audits("round.close") == 1
    with transaction() as session:
        again = session.get(Round, demo)
    assert (again.closed_at, again.closed_by_user_id, again.result_json) == (
        stored.closed_at, stored.closed_by_user_id, stored.result_json)


def test_a_round_being_closed_is_refused(demo):
    with transaction() as session:
        session.execute(sa.update(Round).where(Round.id == demo).values(status="closing"))
    with pytest.raises(RoundError, match="déjà en cours de clôture"):
        rounds.close_round(round_id=demo, actor_user_id=None)
    assert _assignments(demo) == []
    assert rounds.release_claim(demo) is True and rounds.release_claim(demo) is False
    assert rounds.close_round(round_id=demo, actor_user_id=None).students_placed > 0


def test_two_simultaneous_closes_write_once(demo):
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def run():
        barrier.wait()
        try:
            outcomes.append(rounds.close_round(round_id=demo, actor_user_id=None))
        except RoundError as error:
            outcomes.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(outcomes) == 2
    winners = [o for o in outcomes if isinstance(o, rounds.CloseReport) and not o.already_closed]
    others = [o for o in outcomes if o not in winners]
    assert len(winners) == 1
    other = others[0]
    assert (isinstance(other, RoundError) and "déjà en cours de clôture" in str(other)) or (
        isinstance(other, rounds.CloseReport) and other.already_closed)
    assert len(_assignments(demo)) == winners[0].students_placed and _audits("round.close") == 1


def _fail_after_insert(original):
    def insert_then_fail(session, rows):
        original(session, rows)
        raise RuntimeError("disk full (injected)")
    return insert_then_fail


@pytest.mark.parametrize("where", ["bulk insert", "audit"])
def test_a_crash_during_the_write_leaves_the_round_as_it_was(demo, monkeypatch, where):
    if where == "bulk insert":
        monkeypatch.setattr(rounds, "_insert_assignments", _fail_after_insert(rounds._insert_assignments))
    else:
        def broken(*args, **kwargs):
            raise RuntimeError("audit down (injected)")
        monkeypatch.setattr(rounds.audit, "record", broken)
    with pytest.raises(RuntimeError, match="injected"):
        rounds.close_round(round_id=demo, actor_user_id=None)
    _assert_untouched(demo)
    monkeypatch.undo()
    report = rounds.close_round(round_id=demo, actor_user_id=None)
    assert not report.already_closed and len(_assignments(demo)) == report.students_placed > 0


def test_nothing_is_written_when_the_certificate_is_not_ok(demo, monkeypatch):
    def failing_check(instance, result):
        return matching.Certificate(ok=False, violations=["blocking pair (injected)"], summary="FAIL: injected")
    monkeypatch.setattr(rounds.matching, "check", failing_check)
    with pytest.raises(RoundError, match="vérification"):
        rounds.close_round(round_id=demo, actor_user_id=None)
    _assert_untouched(demo)


def test_only_managers_close_and_round_three_is_not_matched(demo):
    with pytest.raises(RoundError, match="gestionnaire"):
        rounds.close_round(round_id=demo, actor_user_id=_user_id("rts@demo.siimop.fr"))
    with pytest.raises(RoundError, match="présentiel"):
        rounds.close_round(round_id=_round(3).id, actor_user_id=None)
    _assert_untouched(demo)


def test_round_two_offers_only_the_places_left_to_the_students_not_yet_placed(demo):
    rounds.close_round(round_id=demo, actor_user_id=None)
    placed = {s: p for s, p, _ in _assignments(demo)}
    round2 = _round(2).id
    with transaction() as session:
        # Round 2 wishes: everybody repeats their round-1 list (the placed ones too: they must be left out).
        session.execute(sa.insert(Application), [
            {"round_id": round2, "student_id": s, "post_id": p, "hearts": h}
            for s, p, h in session.exec(
                select(Application.student_id, Application.post_id, Application.hearts)
                .where(Application.round_id == demo)
            ).all()
        ])
        posts = {p.id: p for p in session.exec(select(Post))}
        filled: dict[int, int] = {}
        for post_id in placed.values():
            filled[post_id] = filled.get(post_id, 0) + 1
        # A valid round-2 ranking on a post that still has a place and candidates.
        target = next(p for pid, p in sorted(posts.items())
                      if p.places_opened - filled.get(pid, 0) >= 1 and candidates_of_post(session, post=p, round_id=round2)
                      and any(c.student_id not in placed for c in candidates_of_post(session, post=p, round_id=round2)))
        order = _write_valid_ranking(session, target, round2)
        data = rounds.build_instance(session, round2)
    ids = {int(s["id"]) for s in data["students"]}
    assert ids and not ids & set(placed)
    assert data["snapshot"]["excluded_placed_earlier"] > 0
    by_post = {int(p["id"]): p for p in data["posts"]}
    for pid, post in posts.items():
        assert by_post[pid]["places"] == post.places_opened - filled.get(pid, 0)
    assert [int(s) for s in by_post[target.id]["ranking"]] == [s for s in order if s not in placed]
    assert all(by_post[pid]["ranking"] == [] for pid in posts if pid != target.id)

    report = rounds.close_round(round_id=round2, actor_user_id=None)
    assert report.places_offered == sum(p["places"] for p in data["posts"])
    with transaction() as session:
        all_rows = session.exec(select(Assignment.student_id, Assignment.post_id)).all()
    assert len({s for s, _ in all_rows}) == len(all_rows)  # nobody placed twice in the wave
    per_post: dict[int, int] = {}
    for _, pid in all_rows:
        per_post[pid] = per_post.get(pid, 0) + 1
    assert all(count <= posts[pid].places_opened for pid, count in per_post.items())


def _free_place_and_student():
    """A post with a place left and an unplaced student of its specialty (after round 1 closed)."""
    with transaction() as session:
        taken = dict(session.exec(select(Assignment.post_id, sa.func.count()).group_by(Assignment.post_id)).all())
        placed = set(session.exec(select(Assignment.student_id)).all())
        for post in session.exec(select(Post).order_by(Post.id)):
            if post.places_opened - taken.get(post.id, 0) < 1:
                continue
            student = session.exec(
                select(Student).where(Student.specialty_id == post.calling_specialty_id,
                                      Student.id.not_in(placed or {0})).order_by(Student.id)
            ).first()
            if student is not None:
                return post, student, post.places_opened - taken.get(post.id, 0)
    raise AssertionError("no free place")


def _set_in_person_phase(round_id: int, *, open_now: bool) -> None:
    """Move the in-person phase of round 3 around today (open) or after it (not yet open)."""
    today = calendar.now().date()
    with transaction() as session:
        phase = session.exec(select(Phase).where(Phase.round_id == round_id, Phase.kind == "in_person")).one()
        phase.starts_on = today - dt.timedelta(days=1) if open_now else today + dt.timedelta(days=5)
        phase.ends_on = today + dt.timedelta(days=1) if open_now else today + dt.timedelta(days=7)
        session.add(phase)


def test_in_person_placements_only_during_their_phase_and_cancellable_there(demo):
    rounds.close_round(round_id=demo, actor_user_id=None)
    round3 = _round(3).id
    admin = _user_id("admin@demo.siimop.fr")
    post, student, _ = _free_place_and_student()
    _set_in_person_phase(round3, open_now=False)
    with pytest.raises(RoundError, match="pendant sa période"):
        in_person.preview_manual(round_id=round3, student_id=student.id, post_id=post.id, actor_user_id=admin)
    with pytest.raises(RoundError, match="pendant sa période"):
        in_person.assign_manually(round_id=round3, student_id=student.id, post_id=post.id, actor_user_id=admin)
    assert (student.id, post.id, "manual") not in _assignments(round3)

    _set_in_person_phase(round3, open_now=True)
    preview = in_person.preview_manual(round_id=round3, student_id=student.id, post_id=post.id, actor_user_id=admin)
    assert f"n° {post.post_number}" in preview.confirmation() and student.ine in preview.confirmation()
    assert _assignments(round3) == []  # a preview writes nothing
    in_person.assign_manually(round_id=round3, student_id=student.id, post_id=post.id, actor_user_id=admin)
    with transaction() as session:
        assignment_id = session.exec(select(Assignment.id).where(Assignment.round_id == round3)).one()
    _set_in_person_phase(round3, open_now=False)
    with pytest.raises(RoundError, match="pendant sa période"):
        in_person.cancel_manual(assignment_id=assignment_id, actor_user_id=admin)
    _set_in_person_phase(round3, open_now=True)
    with pytest.raises(RoundError, match="périmètre"):
        in_person.cancel_manual(assignment_id=assignment_id, actor_user_id=_user_id("coordo@demo.siimop.fr"))
    in_person.cancel_manual(assignment_id=assignment_id, actor_user_id=admin)
    assert _assignments(round3) == []
    with transaction() as session:
        cancelled = session.exec(select(AuditEntry).where(AuditEntry.action == "assignment.manual_cancel")).one()
    assert cancelled.actor_user_id == admin and json.loads(cancelled.before_json)["student_id"] == student.id
    with pytest.raises(RoundError, match="n'existe pas"):
        in_person.cancel_manual(assignment_id=assignment_id, actor_user_id=admin)
    round1_assignment = _assignments(demo)[0]
    with transaction() as session:
        matched_id = session.exec(select(Assignment.id).where(Assignment.student_id == round1_assignment[0])).one()
    with pytest.raises(RoundError, match="présentiel"):
        in_person.cancel_manual(assignment_id=matched_id, actor_user_id=admin)


def test_manual_placements_in_round_three(demo):
    rounds.close_round(round_id=demo, actor_user_id=None)
    round3 = _round(3).id
    _set_in_person_phase(round3, open_now=True)
    admin = _user_id("admin@demo.siimop.fr")
    post, student, left = _free_place_and_student()
    with pytest.raises(RoundError, match="présentiel"):
        in_person.assign_manually(round_id=demo, student_id=student.id, post_id=post.id, actor_user_id=admin)
    with pytest.raises(RoundError, match="périmètre"):
        in_person.assign_manually(round_id=round3, student_id=student.id, post_id=post.id,
                               actor_user_id=_user_id("rts@demo.siimop.fr"))
    already = _assignments(demo)[0][0]
    with pytest.raises(RoundError, match="déjà affecté"):
        in_person.assign_manually(round_id=round3, student_id=already, post_id=post.id, actor_user_id=admin)

    in_person.assign_manually(round_id=round3, student_id=student.id, post_id=post.id, actor_user_id=admin)
    assert (student.id, post.id, "manual") in _assignments(round3)
    with transaction() as session:
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "assignment.manual")).one()
    assert audit.actor_user_id == admin and json.loads(audit.after_json)["student_id"] == student.id
    with pytest.raises(RoundError, match="déjà affecté"):
        in_person.assign_manually(round_id=round3, student_id=student.id, post_id=post.id, actor_user_id=admin)

    # Fill the post's remaining places, then one more is refused.
    for _ in range(left - 1):
        with transaction() as session:
            other = session.exec(
                select(Student).where(Student.specialty_id == post.calling_specialty_id,
                                      Student.id.not_in(select(Assignment.student_id))).order_by(Student.id)
            ).first()
        in_person.assign_manually(round_id=round3, student_id=other.id, post_id=post.id, actor_user_id=admin)
    with transaction() as session:
        spare = session.exec(
            select(Student).where(Student.specialty_id == post.calling_specialty_id,
                                  Student.id.not_in(select(Assignment.student_id))).order_by(Student.id)
        ).first()
    assert spare is not None
    with pytest.raises(RoundError, match="plus de place"):
        in_person.assign_manually(round_id=round3, student_id=spare.id, post_id=post.id, actor_user_id=admin)
    assert _audits("assignment.manual") == left


def test_the_students_result_page(demo):
    rounds.close_round(round_id=demo, actor_user_id=None)
    with transaction() as session:
        round1 = session.get(Round, demo)
        phase = session.exec(select(Phase).where(Phase.round_id == demo, Phase.kind == "results")).one()
        published = opens_at(DatedPhase("results", 1, phase.starts_on, phase.ends_on)) + dt.timedelta(hours=1)
        placed_id, post_id, _ = _assignments(demo)[0]
        unplaced = session.exec(
            select(Student.id).where(Student.participating, Student.id.not_in(select(Assignment.student_id)))
            .order_by(Student.id)
        ).first()
        before = student_results.round_result_for_student(session, placed_id, round1.wave_id,
                                                 published - dt.timedelta(days=1))
        won = student_results.round_result_for_student(session, placed_id, round1.wave_id, published)
        lost = student_results.round_result_for_student(session, unplaced, round1.wave_id, published)
    assert before == []
    assert len(won) == 1 and won[0].assigned and won[0].post["post_id"] == post_id and won[0].next_step == ""
    assert len(lost) == 1 and not lost[0].assigned and lost[0].status_text == "Non affecté(e)"
    assert "tour 2" in lost[0].next_step


def test_cli_close_and_check(demo, capsys):
    assert cli_main(["close", "--round", "1"]) == 0
    out = capsys.readouterr().out
    assert "Tour 1 clôturé" in out and "Écriture des affectations" in out and "Certificat : OK" in out
    assert cli_main(["check", "--round", "1"]) == 0
    assert capsys.readouterr().out.startswith("OK: weakly stable matching")
    assert cli_main(["close", "--round", "1"]) == 0
    assert "déjà clôturé" in capsys.readouterr().out
    assert cli_main(["close", "--round", "3"]) == 1
    assert cli_main(["check", "--round", "2"]) == 1
    assert cli_main(["close", "--round", "9"]) == 2
    err = capsys.readouterr().err
    assert "présentiel" in err and "n'est pas clôturé" in err and "pas de tour 9" in err and "Traceback" not in err


def test_a_round_does_not_close_while_its_ranking_phase_is_open(db_url):
    assert demo_main(["--scale", "small", "--phase", "ranking"]) == 0
    round_id = _round(1).id
    with pytest.raises(RoundError, match="ne peut pas encore être clôturé"):
        rounds.close_round(round_id=round_id, actor_user_id=None)
    _assert_untouched(round_id)


def test_result_emails_go_once_from_the_results_date(demo, capsys):
    from siimop_app.services.result_mail import notify_results
    from siimop_app.settings import get_settings
    from tests.services.mailbox import messages

    with pytest.raises(RoundError, match="n'est pas clôturé"):
        notify_results(demo)
    report = rounds.close_round(round_id=demo, actor_user_id=None)
    with pytest.raises(RoundError, match="seront publiés le"):  # the demo publishes round 1 after today
        notify_results(demo)
    with transaction() as session:
        results = session.exec(select(Phase).where(Phase.round_id == demo, Phase.kind == "results")).one()
        results.starts_on = calendar.now().date()
        session.add(results)
    assert cli_main(["notify", "--round", "1"]) == 0
    assert "Résultats du tour 1 envoyés à" in capsys.readouterr().out
    sent = messages(get_settings().outbox_dir)
    to_students = [m for m in sent if str(m["Subject"]) == "Résultat du tour 1 de l'appariement"]
    to_supervisors = [m for m in sent if str(m["Subject"]) == "Affectations du tour 1 sur vos postes"]
    assert len(to_students) == report.students and to_supervisors
    bodies = [m.get_body().get_content() for m in to_students]
    assert sum("vous êtes affecté(e) au poste" in body for body in bodies) == report.students_placed
    assert any("postes pourvus" in m.get_body().get_content() for m in to_supervisors)
    again = notify_results(demo)
    assert again.already_sent and len(messages(get_settings().outbox_dir)) == len(sent)


def test_round_two_wishes_are_for_unplaced_students_on_posts_with_places_left(demo):
    from siimop_app.models import UserEmail
    from siimop_app.services import wish_posts, wishes
    from siimop_app.services.auth import SignedInUser

    rounds.close_round(round_id=demo, actor_user_id=None)
    today = calendar.now().date()
    with transaction() as session:
        for phase in session.exec(select(Phase).where(Phase.kind == "wishes")).all():
            if phase.round_id == _round(2).id:
                phase.starts_on, phase.ends_on = today, today
            else:
                phase.starts_on, phase.ends_on = phase.starts_on, min(phase.ends_on, today - dt.timedelta(days=1))
            session.add(phase)
        placed_student, full_post = session.exec(
            select(Assignment.student_id, Assignment.post_id).join(Post, Post.id == Assignment.post_id)
            .where(Assignment.round_id == demo, Post.places_opened == 1)
        ).first()
        placed = session.get(Student, placed_student)
        unplaced = session.exec(
            select(Student).where(Student.specialty_id == placed.specialty_id,
                                  Student.id.not_in(select(Assignment.student_id)))
        ).first()
        emails = dict(session.exec(select(UserEmail.user_id, UserEmail.email)
                                   .where(UserEmail.user_id.in_([placed.user_id, unplaced.user_id]))).all())

    def as_user(student):
        return SignedInUser(student.user_id, "É", "Tudiant", emails[student.user_id], ("student",))

    with pytest.raises(wishes.WishError, match="déjà affecté"):
        wishes.save_wishes(as_user(placed), {full_post: 5})
    rows, total = wish_posts.browse_posts(as_user(unplaced), offset=0, limit=500)
    assert total == len(rows) and full_post not in {row.post_id for row in rows}
    assert all(row.places_left > 0 for row in rows)
