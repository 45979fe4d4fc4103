"""The manager's rounds page and the student's results page, without a browser."""

from __future__ import annotations

from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import Assignment, Post, Round, Student, UserEmail
from siimop_app.pages.manager.rounds import ManagerRoundsState
from siimop_app.pages.student.results import StudentResultsState
from siimop_app.services import rounds
from tests.states.test_guards import demo_address, load_demo, page_state, redirects, sign_in


def test_only_managers_and_admins_reach_the_rounds_page(db_url, outbox):
    load_demo("ranking")
    manager = page_state(ManagerRoundsState, sign_in(outbox, demo_address("manager")))
    assert redirects(manager.load()) == []
    assert [r["title"] for r in manager.rounds] == ["Tour 1", "Tour 2", "Tour 3 (en présentiel)"]
    assert {r["status_label"] for r in manager.rounds} == {"Ouvert"}
    for account in ("coordinator", "rts", "student"):
        state = page_state(ManagerRoundsState, sign_in(outbox, demo_address(account)))
        assert redirects(state.load()) == ["/"] and state.rounds == []
        state.assign({"round_id": "3", "ine": "X", "post_number": "1"})  # a forged form submission
        assert state.error == "Vous n'avez pas accès à cette page."


def test_an_in_person_placement_by_ine_and_post_number(db_url, outbox):
    load_demo("ranking")
    manager = page_state(ManagerRoundsState, sign_in(outbox, demo_address("manager")))
    manager.load()
    in_person = next(r for r in manager.rounds if r["in_person"])
    with transaction() as session:
        ine = session.exec(select(Student.ine).join(UserEmail, UserEmail.user_id == Student.user_id)
                           .where(UserEmail.email == demo_address("student"))).one()
        post_number = session.exec(select(Post.post_number).order_by(Post.post_number)).first()
    manager.assign({"round_id": str(in_person["id"]), "ine": "inconnu", "post_number": str(post_number)})
    assert "introuvable" in manager.error
    manager.assign({"round_id": str(in_person["id"]), "ine": ine.lower(), "post_number": str(post_number)})
    assert manager.error == "" and manager.message == f"L'étudiant {ine} est affecté au poste n° {post_number}."
    assert next(r for r in manager.rounds if r["in_person"])["placed"] == 1
    manager.assign({"round_id": str(in_person["id"]), "ine": ine, "post_number": str(post_number)})
    assert manager.error  # already placed: refused in French, nothing written twice
    with transaction() as session:
        assert len(session.exec(select(Assignment).where(Assignment.round_id == in_person["id"])).all()) == 1


def test_the_student_sees_their_round_result_once_published(db_url, outbox):
    load_demo("results")  # round 1's results are published today
    student = page_state(StudentResultsState, sign_in(outbox, demo_address("student")))
    assert redirects(student.load()) == []
    assert student.results == [] or all(not r["assigned"] for r in student.results)
    with transaction() as session:
        round_id = session.exec(select(Round.id).where(Round.number == 1)).one()
    rounds.close_round(round_id=round_id, actor_user_id=None)
    student.load()
    assert student.results and student.results[0]["title"] == "Tour 1"
    first = student.results[0]
    assert first["status_text"].startswith("Affecté(e)") or first["status_text"] == "Non affecté(e)"
    supervisor = page_state(StudentResultsState, sign_in(outbox, demo_address("rts2")))
    assert redirects(supervisor.load()) == ["/"] and supervisor.results == []


def test_before_publication_the_student_is_told_the_date(db_url, outbox):
    load_demo("ranking")
    student = page_state(StudentResultsState, sign_in(outbox, demo_address("student")))
    student.load()
    assert student.results == [] and student.notice.startswith("Les résultats du premier tour seront publiés le ")


def test_sending_results_is_for_managers_only_and_only_once_closed(db_url, outbox):
    load_demo("results")
    with transaction() as session:
        round_id = session.exec(select(Round.id).where(Round.number == 1)).one()
    manager = page_state(ManagerRoundsState, sign_in(outbox, demo_address("manager")))
    manager.load()
    manager.notify(round_id)
    assert "n'est pas clôturé" in manager.error
    rounds.close_round(round_id=round_id, actor_user_id=None)
    coordinator = page_state(ManagerRoundsState, sign_in(outbox, demo_address("coordinator")))
    coordinator.notify(round_id)  # forged from the browser
    assert coordinator.error == "Vous n'avez pas accès à cette page."
    manager.notify(round_id)
    assert manager.message.startswith("Résultats du tour 1 envoyés à")
    assert next(r for r in manager.rounds if r["id"] == round_id)["notified"]
