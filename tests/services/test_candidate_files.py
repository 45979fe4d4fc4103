"""One rule for "a candidate of this post in this round" (issue 10, hole 1): the ranking board, the candidate's
file and the file route ``/files/documents/{id}`` agree. A supervisor reads a student's documents only while the
student is one of their candidates — never for an application with 0 hearts, an insufficient list or another round.

Probed as it was found: real session cookies against the route through Starlette's TestClient.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import Application, Post, Round, Student
from siimop_app.services import auth, observations, rankings
from siimop_app.services.access import AccessDenied
from tests.services.factories import make_post, make_student, make_user, make_wishes
from tests.services.test_documents_and_post_detail import (
    COUPLE,
    MIXTE,
    SIMPLE,
    _student_documents,
    cookie_for,
    demo,
    demo_post,
    fetch,
    seed_posts,
)

NOT_A_CANDIDATE = "Cet étudiant ne fait pas partie des candidatures de ce poste."


def _load_candidates(phase: str) -> None:
    """The demo RTS's seed posts (``seed_posts``) and two students of LILLE, where four posts of the specialty make a
    list of four rated posts sufficient, who rated the RTS's three posts and one in LILLE; the admin."""
    seed_posts(phase)
    lille = [make_post(site=f"URGENCES {n}", establishment="CHU DE LILLE", subdivision="LILLE") for n in range(4)]
    rts_posts = [demo_post(name) for name in (COUPLE, SIMPLE, MIXTE)]
    with transaction() as session:
        round_1 = session.exec(select(Round.id).where(Round.number == 1)).one()
    for n in range(2):
        student = make_student(f"candidat{n}@univ-lille.example", first=f"Candidat{n}", last="Lillois",
                               ine=f"00000001{n:02d}B", specialty="MED-URG", subdivision="LILLE")
        make_wishes(student, round_1, {**dict.fromkeys(rts_posts, 3), lille[n]: 2})
    make_user(demo("admin"), "admin")


def _applicants(post_id: int, round_number: int = 1) -> dict[int, int]:
    """student id -> hearts, of the post's applications in the round."""
    with transaction() as session:
        return dict(session.exec(
            select(Application.student_id, Application.hearts).join(Round, Round.id == Application.round_id)
            .where(Application.post_id == post_id, Round.number == round_number)
        ).all())


def _user_of(student_id: int) -> int:
    with transaction() as session:
        return session.get(Student, student_id).user_id


def _rts_applications(session, student_id: int) -> list[Application]:
    posts = [demo_post(name) for name in (COUPLE, SIMPLE, MIXTE)]
    return list(session.exec(select(Application).where(Application.student_id == student_id,
                                                       Application.post_id.in_(posts))))


def _set_hearts(student_id: int, hearts: int) -> None:
    with transaction() as session:
        for row in _rts_applications(session, student_id):
            row.hearts = hearts
            session.add(row)


def _move_to_round_2(student_id: int) -> None:
    with transaction() as session:
        round_2 = session.exec(select(Round.id).where(Round.number == 2)).one()
        for row in _rts_applications(session, student_id):
            row.round_id = round_2
            session.add(row)


def _drop_other_wishes(student_id: int, keep_post: int) -> None:
    """Leave the student one wish only: their list becomes insufficient."""
    with transaction() as session:
        for row in session.exec(select(Application).where(Application.student_id == student_id,
                                                          Application.post_id != keep_post)):
            session.delete(row)


@pytest.mark.parametrize("how", ["zero_hearts", "insufficient_list", "other_round"])
def test_a_supervisor_reads_documents_of_their_candidates_only(db_url, how):
    _load_candidates("ranking")
    post = demo_post(COUPLE)
    rts_cookie = cookie_for(demo("rts"))
    rts = auth.resolve_session(rts_cookie)

    board = rankings.ranking_board(rts, post)
    # Probe a student from another subdivision (this RTS is also the local coordinator, whose scope covers the
    # local students whatever their wishes); the change below applies to all this RTS's posts.
    candidates = sorted(board.cards, key=lambda sid: board.cards[sid].is_local)
    assert len(candidates) >= 2 and not board.cards[candidates[0]].is_local
    probed, candidate = candidates[0], candidates[1]
    docs = {sid: _student_documents(_user_of(sid))["cv"] for sid in (candidate, probed)}
    assert fetch(rts_cookie, docs[probed]).status_code == 200  # a candidate's CV: readable

    if how == "zero_hearts":
        _set_hearts(probed, 0)  # "never assign me there"
    elif how == "insufficient_list":
        _drop_other_wishes(probed, post)
    else:
        _move_to_round_2(probed)

    # The board, the candidate's file, the private notes and the route now all refuse the same student.
    assert probed not in rankings.ranking_board(rts, post).cards
    with pytest.raises(AccessDenied, match=NOT_A_CANDIDATE):
        rankings.candidate_file(rts, post, probed)
    with pytest.raises(AccessDenied):
        observations.read(rts, probed)
    refused = fetch(rts_cookie, docs[probed])
    assert refused.status_code == 404 and refused.text == "Document introuvable."
    # ... while the other candidate's file is still served.
    assert fetch(rts_cookie, docs[candidate]).status_code == 200
    assert rankings.candidate_file(rts, post, candidate).documents


def test_before_the_ranking_opens_supervisors_have_no_candidates_to_read(db_url):
    _load_candidates("wishes")
    post = demo_post(COUPLE)
    with transaction() as session:  # a student from elsewhere (this RTS, also local coordinator, sees locals)
        local = session.get(Post, post).subdivision_id
        applicants = [sid for sid, hearts in _applicants(post).items()
                      if hearts > 0 and session.get(Student, sid).subdivision_id != local]
    assert applicants
    cv = _student_documents(_user_of(applicants[0]))["cv"]
    assert fetch(cookie_for(demo("rts")), cv).status_code == 404
    assert fetch(cookie_for(demo("admin")), cv).status_code == 200  # staff in scope still read it
