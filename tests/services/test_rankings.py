"""Supervisors' rankings through the service: every move saved, audited, checked by the server."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.demo.cli import main as demo_main
from siimop_app.domain.ranking_rules import MSG_UNRANKED_LEFT
from siimop_app.models import Application, AuditEntry, Post, PostSupervisor, Ranking, RankingEntry, UserEmail
from siimop_app.services import rankings
from siimop_app.services.access import AccessDenied
from siimop_app.services.auth import SignedInUser
from siimop_app.services.calendar import PhaseClosedError
from siimop_app.services.candidates import CandidateCard
from tests.services.test_documents_and_post_detail import tiny_pdf


def _user(address: str) -> SignedInUser:
    with transaction() as session:
        user_id = session.exec(select(UserEmail.user_id).where(UserEmail.email == address)).one()
    return SignedInUser(user_id, "Demo", "User", address, ("supervisor",))


def _posts(user: SignedInUser, *, referent: bool) -> list[Post]:
    with transaction() as session:
        return list(session.exec(
            select(Post).join(PostSupervisor, PostSupervisor.post_id == Post.id)
            .where(PostSupervisor.user_id == user.user_id, PostSupervisor.is_referent == referent)
            .order_by(Post.post_number)
        ))


@pytest.fixture
def rts(db_url) -> SignedInUser:
    assert demo_main(["--scale", "small", "--phase", "ranking"]) == 0
    return _user("rts@demo.siimop.fr")


def _stored(post_id: int) -> tuple[bool, list[tuple[int, int | None, bool]]]:
    with transaction() as session:
        ranking = session.exec(select(Ranking).where(Ranking.post_id == post_id)).one()
        entries = session.exec(
            select(RankingEntry.student_id, RankingEntry.rank, RankingEntry.refused)
            .where(RankingEntry.ranking_id == ranking.id).order_by(RankingEntry.student_id)
        ).all()
    return ranking.is_valid, list(entries)


def test_ranking_everyone_locals_first_makes_a_valid_ranking_that_reloads_identically(rts):
    post = _posts(rts, referent=True)[0]
    view = rankings.ranking_board(rts, post.id)
    assert view.editable and len(view.cards) >= 2
    assert not view.check.valid and MSG_UNRANKED_LEFT in view.check.problems
    order = sorted(view.cards.values(), key=lambda c: not c.is_local)
    for card in order:
        view = rankings.apply_move(rts, post.id, "rank", card.student_id)
    assert view.check.valid and view.check.problems == ()
    assert [view.cards[s].student_id for s in view.board.ranked] == [c.student_id for c in order]
    reloaded = rankings.ranking_board(rts, post.id)
    assert reloaded.board == view.board and reloaded.check == view.check
    valid, entries = _stored(post.id)
    assert valid and sorted(rank for _, rank, _ in entries) == list(range(1, len(order) + 1))
    with transaction() as session:
        audited = session.exec(select(sa.func.count()).select_from(AuditEntry)
                               .where(AuditEntry.action == "ranking.rank", AuditEntry.actor_user_id == rts.user_id)).one()
    assert audited == len(order)


def test_arrows_direct_rank_refuse_and_restore(rts):
    post = _posts(rts, referent=True)[0]
    view = rankings.ranking_board(rts, post.id)
    ids = list(view.cards)
    for sid in ids:
        view = rankings.apply_move(rts, post.id, "rank", sid)
    first, second = view.board.ranked[:2]
    view = rankings.apply_move(rts, post.id, "down", first)
    assert view.board.ranked[:2] == (second, first)
    view = rankings.apply_move(rts, post.id, "rank", first, 1)
    assert view.board.ranked[0] == first
    view = rankings.apply_move(rts, post.id, "refuse", first)
    assert first in view.board.refused and first not in view.board.ranked
    view = rankings.apply_move(rts, post.id, "unrank", first)
    assert first in view.board.unranked
    assert rankings.ranking_board(rts, post.id).board == view.board


def test_refusing_one_of_fewer_than_five_candidates_is_invalid(rts):
    post = _posts(rts, referent=True)[0]
    view = rankings.ranking_board(rts, post.id)
    ids = list(view.cards)[:4]
    _keep_only_candidates(post.id, ids)
    view = rankings.ranking_board(rts, post.id)
    assert len(view.cards) == 4
    locals_first = sorted(view.cards.values(), key=lambda c: not c.is_local)
    for card in locals_first[:-1]:
        view = rankings.apply_move(rts, post.id, "rank", card.student_id)
    view = rankings.apply_move(rts, post.id, "refuse", locals_first[-1].student_id)
    assert not view.check.valid
    assert any("80 %" in problem for problem in view.check.problems)


def test_an_outsider_first_while_a_local_exists_is_invalid(rts):
    post = _posts(rts, referent=True)[0]
    view = rankings.ranking_board(rts, post.id)
    local = [c for c in view.cards.values() if c.is_local]
    outsiders = [c for c in view.cards.values() if not c.is_local]
    assert local and outsiders, "the demo post has local and outside candidates"
    for card in outsiders + local:
        view = rankings.apply_move(rts, post.id, "rank", card.student_id)
    assert not view.check.valid
    assert any("subdivision" in problem for problem in view.check.problems)
    assert _stored(post.id)[0] is False


def test_non_referent_and_foreign_posts_are_refused_and_nothing_changes(rts):
    mixte = _posts(rts, referent=False)[0]
    view = rankings.ranking_board(rts, mixte.id)
    assert not view.editable and "pas le responsable référent" in view.notice
    some = next(iter(view.cards))
    with pytest.raises(AccessDenied, match="référent"):
        rankings.apply_move(rts, mixte.id, "rank", some)
    other = _user("rts2@demo.siimop.fr")
    mine = _posts(rts, referent=True)[0]
    with pytest.raises(AccessDenied, match="ne fait pas partie de vos postes"):
        rankings.apply_move(other, mine.id, "rank", some)
    with pytest.raises(AccessDenied):
        rankings.ranking_board(other, mine.id)
    with transaction() as session:
        assert session.exec(select(sa.func.count()).select_from(Ranking)
                            .where(Ranking.post_id.in_([mixte.id, mine.id]))).one() == 0


def test_forged_ranks_and_students_are_refused(rts):
    post = _posts(rts, referent=True)[0]
    view = rankings.ranking_board(rts, post.id)
    sid = next(iter(view.cards))
    with pytest.raises(rankings.RankingEditError, match="entre 1 et 1"):
        rankings.apply_move(rts, post.id, "rank", sid, 7)
    with pytest.raises(rankings.RankingEditError, match="ne fait pas partie"):
        rankings.apply_move(rts, post.id, "rank", 10**9)
    with pytest.raises(rankings.RankingEditError):
        rankings.apply_move(rts, post.id, "delete", sid)


def test_after_the_ranking_deadline_nothing_can_change(db_url):
    assert demo_main(["--scale", "small", "--phase", "results"]) == 0
    rts = _user("rts@demo.siimop.fr")
    post = _posts(rts, referent=True)[0]
    view = rankings.ranking_board(rts, post.id)
    assert not view.editable and "terminée" in view.notice
    with pytest.raises(PhaseClosedError):
        rankings.apply_move(rts, post.id, "rank", next(iter(view.cards)))


def test_supervisors_never_see_hearts_and_insufficient_lists_are_not_candidates(rts):
    assert "hearts" not in {f.name for f in dataclasses.fields(CandidateCard)}
    post = _posts(rts, referent=True)[0]
    view = rankings.ranking_board(rts, post.id)
    victim = next(iter(view.cards))
    with transaction() as session:  # the student keeps only this wish: their list becomes insufficient
        session.execute(sa.update(Application).where(Application.student_id == victim, Application.post_id != post.id)
                        .values(hearts=0))
    assert victim not in rankings.ranking_board(rts, post.id).cards


def test_the_posts_list_shows_candidates_and_ranking_status(rts):
    post = _posts(rts, referent=True)[0]
    view = rankings.ranking_board(rts, post.id)
    rows = {row.post_id: row for row in rankings.ranking_posts(rts, _wave_id())}
    assert rows[post.id].candidates == len(view.cards)
    assert rows[post.id].ranking_status == "Classement non commencé"
    for sid in sorted(view.cards, key=lambda s: not view.cards[s].is_local):
        rankings.apply_move(rts, post.id, "rank", sid)
    rows = {row.post_id: row for row in rankings.ranking_posts(rts, _wave_id())}
    assert rows[post.id].ranking_status == "Classement valide"


def _wave_id() -> int:
    from siimop_app.services import calendar

    return calendar.current_wave().wave_id


def _keep_only_candidates(post_id: int, keep: list[int]) -> None:
    with transaction() as session:
        session.execute(sa.update(Application).where(Application.post_id == post_id,
                                                     Application.student_id.not_in(keep)).values(hearts=0))


MINIMAL_PDF = tiny_pdf()  # a well-formed PDF: uploads are parsed for real


def test_the_candidate_file_shows_documents_and_private_notes_only_to_their_author(rts):
    from siimop_app.models import DocumentKind, Student
    from siimop_app.services import documents, observations

    post = _posts(rts, referent=True)[0]
    view = rankings.ranking_board(rts, post.id)
    # The demo student applied to every demo post, so both demo supervisors may keep notes on them.
    sid = next(s for s, card in view.cards.items() if card.full_name == "RÉMI THERMIDOR")
    with transaction() as session:
        student = session.get(Student, sid)
        student.presentation = "Interne motivé par la médecine d'urgence."
        session.add(student)
        documents.store_pdf(session, owner_user_id=student.user_id, kind=DocumentKind.CV.value,
                            filename="CV_candidat.pdf", data=MINIMAL_PDF)
    file = rankings.candidate_file(rts, post.id, sid)
    assert file.presentation == "Interne motivé par la médecine d'urgence."
    assert [d.kind_label for d in file.documents] == ["CV"]
    assert observations.read(rts, sid) == ""
    observations.save(rts, sid, "  Très bon entretien.  ")
    assert observations.read(rts, sid) == "Très bon entretien."
    other = _user("rts2@demo.siimop.fr")
    assert observations.read(other, sid) == ""  # a co-supervisor has their own notes, never the author's
    with pytest.raises(AccessDenied):
        rankings.candidate_file(other, post.id, sid)  # not rts2's post
    with pytest.raises(AccessDenied):
        rankings.candidate_file(rts, post.id, 10**9)


def test_a_closed_round_freezes_its_rankings(rts):
    from siimop_app.models import Round

    post = _posts(rts, referent=True)[0]
    sid = next(iter(rankings.ranking_board(rts, post.id).cards))
    with transaction() as session:
        session.execute(sa.update(Round).where(Round.number == 1).values(status="closed"))
    view = rankings.ranking_board(rts, post.id)
    assert not view.editable and "clôturé" in view.notice
    with pytest.raises(rankings.RankingEditError, match="clôturé"):
        rankings.apply_move(rts, post.id, "rank", sid)


def test_a_candidate_withdrawn_by_a_correction_leaves_the_stored_verdict_true(rts):
    """A ranking left with one candidate unranked is "non valide". When the manager withdraws that student from
    the campaign (a correction of the students' data), the candidate leaves the board: the ranking's stored
    verdict, which the coordinators' tables count and filter on, turns valid at once and the change is audited
    (before, the tables kept "non valide" until the supervisor's next move)."""
    from siimop_app.models import Student
    from siimop_app.services.imports import correct_student, student_values

    post = next(p for p in _posts(rts, referent=True) if len(rankings.ranking_board(rts, p.id).cards) >= 3)
    view = rankings.ranking_board(rts, post.id)
    for student_id in view.board.ranked + view.board.refused:
        view = rankings.apply_move(rts, post.id, "unrank", student_id)
    left_out, *others = sorted(view.cards, key=lambda sid: view.cards[sid].is_local)  # an outsider if any
    for position, student_id in enumerate(sorted(others, key=lambda sid: not view.cards[sid].is_local), start=1):
        view = rankings.apply_move(rts, post.id, "rank", student_id, position)
    assert not view.check.valid and _stored(post.id)[0] is False
    with transaction() as session:
        ine = session.get(Student, left_out).ine
        admin_id = session.exec(select(UserEmail.user_id).where(UserEmail.email == "admin@demo.siimop.fr")).one()
    admin = SignedInUser(admin_id, "Demo", "Admin", "admin@demo.siimop.fr", ("admin",))
    report = correct_student(admin, {**student_values(admin, ine), "participating": "non"})
    assert report.applied, report.errors
    assert left_out not in rankings.ranking_board(rts, post.id).cards
    assert rankings.ranking_board(rts, post.id).check.valid
    assert _stored(post.id)[0] is True
    with transaction() as session:
        ranking_id = session.exec(select(Ranking.id).where(Ranking.post_id == post.id)).one()
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "ranking.revalidate",
                                                      AuditEntry.entity_id == ranking_id)).one()
    assert audit.actor_user_id == admin_id and '"valid": false' in audit.before_json


def test_the_bulk_recheck_agrees_with_every_board(rts):
    """The bulk re-check that imports run finds nothing to change in a campaign whose verdicts are right, and
    its verdict on each ranking is the one its board shows (the same rules on the same candidates)."""
    from siimop_app.services.ranking_verdicts import refresh_open_verdicts

    with transaction() as session:
        assert refresh_open_verdicts(session) == []
        stored = dict(session.exec(select(Ranking.post_id, Ranking.is_valid)).all())
        session.execute(sa.update(Ranking).values(is_valid=sa.not_(Ranking.is_valid)))
        session.expire_all()
        assert len(refresh_open_verdicts(session)) == len(stored) > 10
    for post in _posts(rts, referent=True) + _posts(rts, referent=False):
        if post.id in stored:
            assert rankings.ranking_board(rts, post.id).check.valid == stored[post.id]


def test_the_board_names_the_referent_establishment_and_site_and_lists_the_other_supervisors_of_a_shared_post(rts):
    from siimop_app.models import Establishment, Site, User

    for post in _posts(rts, referent=True) + _posts(rts, referent=False):
        view = rankings.ranking_board(rts, post.id)
        with transaction() as session:
            site, establishment = session.exec(
                select(Site.name, Establishment.name).join(Establishment, Establishment.id == Site.establishment_id)
                .where(Site.id == post.site_id)).one()
            supervisors = session.exec(
                select(PostSupervisor.is_referent, User.id, User.first_name, User.last_name)
                .join(User, User.id == PostSupervisor.user_id).where(PostSupervisor.post_id == post.id)).all()
        referent = next(s for s in supervisors if s.is_referent)
        assert view.title == f"{referent.first_name} {referent.last_name}".upper() + f" - {establishment} - {site}"
        others = [s for s in supervisors if s.id != rts.user_id]
        if post.post_type == "simple":
            assert view.other_supervisors == ()
        else:
            assert len(view.other_supervisors) == len(others) > 0
            assert all(any(o.last_name.upper() in line for line in view.other_supervisors) for o in others)
