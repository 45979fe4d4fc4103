"""The ranking page's handlers, without a browser: each one asks the server who is asking."""

from __future__ import annotations

from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import Post, PostSupervisor, Ranking, UserEmail
from siimop_app.pages.supervisor.ranking import RankingBoardState, RankingListState
from tests.states.reflex_state import settle
from tests.states.test_guards import demo_address, load_demo, page_state, redirects, sign_in


def _board(cookie: str, post_id) -> RankingBoardState:
    return page_state(RankingBoardState, cookie, path="/rts/classement/[post_id]", params={"post_id": post_id})


def _posts_of(address: str, *, referent: bool) -> list[int]:
    with transaction() as session:
        return list(session.exec(
            select(Post.id).join(PostSupervisor, PostSupervisor.post_id == Post.id)
            .join(UserEmail, UserEmail.user_id == PostSupervisor.user_id)
            .where(UserEmail.email == address, PostSupervisor.is_referent == referent).order_by(Post.post_number)
        ).all())


def test_the_referent_loads_and_ranks(db_url, outbox):
    load_demo("ranking")
    post_id = _posts_of(demo_address("rts"), referent=True)[0]
    state = _board(sign_in(outbox, demo_address("rts")), post_id)
    assert redirects(settle(state.load())) == []
    assert state.editable and state.unranked and not state.ranked
    first = state.unranked[0].id
    settle(state.rank_last(first))
    assert [card.id for card in state.ranked] == [first] and state.error == ""
    assert not hasattr(state.ranked[0], "hearts")


def test_a_forged_event_on_another_supervisors_post_changes_nothing(db_url, outbox):
    load_demo("ranking")
    mine = _posts_of(demo_address("rts"), referent=True)[0]
    owner = _board(sign_in(outbox, demo_address("rts")), mine)
    settle(owner.load())
    victim = owner.unranked[0].id
    intruder = _board(sign_in(outbox, demo_address("rts2")), mine)
    settle(intruder.load())
    assert intruder.error == "Ce poste ne fait pas partie de vos postes." and intruder.unranked == []
    settle(intruder.rank_last(victim))  # an event forged in the browser
    assert intruder.error == "Ce poste ne fait pas partie de vos postes."
    with transaction() as session:
        assert session.exec(select(Ranking).where(Ranking.post_id == mine)).first() is None


def test_a_non_referent_cannot_rank_and_a_student_cannot_even_load(db_url, outbox):
    load_demo("ranking")
    mixte = _posts_of(demo_address("rts"), referent=False)[0]
    state = _board(sign_in(outbox, demo_address("rts")), mixte)
    settle(state.load())
    assert not state.editable
    settle(state.rank_last(state.unranked[0].id))
    assert "référent" in state.error and state.ranked == []
    student = _board(sign_in(outbox, demo_address("student")), mixte)
    assert redirects(settle(student.load())) == ["/"]
    assert student.unranked == []


def test_garbage_post_ids_and_ranks_are_refused_in_french(db_url, outbox):
    load_demo("ranking")
    cookie = sign_in(outbox, demo_address("rts"))
    state = _board(cookie, "1 OR 1=1")
    settle(state.load())
    assert state.error == "Ce poste ne fait pas partie de vos postes."
    post_id = _posts_of(demo_address("rts"), referent=True)[0]
    state = _board(cookie, post_id)
    settle(state.load())
    sid = state.unranked[0].id
    settle(state.set_rank(sid, "abc"))
    assert state.error == "Le rang doit être un nombre entier."
    settle(state.set_rank(sid, "99"))
    assert state.error.startswith("Le rang doit être un nombre entier entre 1 et")
    assert state.ranked == []


def test_the_posts_list_is_only_for_supervisors(db_url, outbox):
    load_demo("ranking")
    listing = page_state(RankingListState, sign_in(outbox, demo_address("rts")))
    assert redirects(listing.load()) == [] and len(listing.posts) == 3
    anonymous = page_state(RankingListState)
    assert redirects(anonymous.load()) == ["/connexion"] and anonymous.posts == []
