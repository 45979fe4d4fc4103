"""The manager's rounds page and the student's results page, without a browser."""

from __future__ import annotations

import datetime as dt
import re

from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import Assignment, Campaign, Phase, Post, Round, Student, UserEmail
from siimop_app.pages.manager.rounds import ManagerRoundsState
from siimop_app.pages.student.results import StudentResultsState
from siimop_app.services import auth, calendar, campaign_setup, rounds
from tests.states.test_guards import demo_address, load_demo, page_state, redirects, sign_in


def test_only_managers_and_admins_reach_the_rounds_page(db_url, outbox):
    load_demo("ranking")
    manager = page_state(ManagerRoundsState, sign_in(outbox, demo_address("manager")))
    assert redirects(manager.load()) == []
    assert [r.title for r in manager.rounds] == ["Tour 1", "Tour 2", "Tour 3 (en présentiel)"]
    assert {r.status_label for r in manager.rounds} == {"Ouvert"}
    for account in ("coordinator", "rts", "student"):
        state = page_state(ManagerRoundsState, sign_in(outbox, demo_address(account)))
        assert redirects(state.load()) == ["/"] and state.rounds == []
        state.ine, state.post_number = "X", "1"
        state.ask_assign(3)  # a forged event
        assert state.error == "Vous n'avez pas accès à cette page."
        state._pending = ("assign", 3, "X", "1")  # even a confirmation forged past the dialog
        state.confirm()
        assert state.error == "Vous n'avez pas accès à cette page."


def test_the_rounds_page_opens_on_todays_wave_and_earlier_or_later_ones_stay_readable(db_url, outbox):
    """With next year's campaign already created, the page still opens on the wave whose calendar runs today
    (it showed the newest wave's rounds, so today's round could not be closed from the page); any wave can be
    chosen, a forged one changes nothing."""
    load_demo("ranking")
    manager = page_state(ManagerRoundsState, sign_in(outbox, demo_address("admin")))
    manager.load()
    today_wave, today_rounds = manager.wave_id, [r.id for r in manager.rounds]
    admin = auth.resolve_session(manager.session_cookie)
    with transaction() as session:
        demo_campaign = session.exec(select(Campaign.id)).one()
    campaign_setup.create_campaign(admin, name="Campagne Mai 2099", copy_from=demo_campaign, shift_weeks=52)
    manager.load()
    assert manager.wave_id == today_wave and [r.id for r in manager.rounds] == today_rounds
    assert [w.label for w in manager.waves][0].startswith("Campagne Mai 2099")
    next_wave = manager.waves[0].value
    manager.set_wave(next_wave)
    assert manager.wave_id == next_wave
    assert [r.title for r in manager.rounds] == ["Tour 1", "Tour 2", "Tour 3 (en présentiel)"]
    assert not set(r.id for r in manager.rounds) & set(today_rounds)
    manager.set_wave("999999")
    assert manager.wave_id == next_wave
    manager.set_wave(today_wave)
    assert [r.id for r in manager.rounds] == today_rounds


def _open_in_person_phase(round_id: int) -> None:
    today = calendar.now().date()
    with transaction() as session:
        phase = session.exec(select(Phase).where(Phase.round_id == round_id, Phase.kind == "in_person")).one()
        phase.starts_on, phase.ends_on = today - dt.timedelta(days=1), today + dt.timedelta(days=1)
        session.add(phase)


def test_an_in_person_placement_is_confirmed_then_can_be_cancelled_in_its_phase(db_url, outbox):
    load_demo("ranking")
    manager = page_state(ManagerRoundsState, sign_in(outbox, demo_address("manager")))
    manager.load()
    in_person = next(r for r in manager.rounds if r.in_person)
    with transaction() as session:
        ine = session.exec(select(Student.ine).join(UserEmail, UserEmail.user_id == Student.user_id)
                           .where(UserEmail.email == demo_address("student"))).one()
        post_number = session.exec(select(Post.post_number).order_by(Post.post_number)).first()
    # During round 1's ranking phase: refused, and what was typed stays in the form.
    manager.set_ine(ine)
    manager.set_post_number(str(post_number))
    manager.ask_assign(in_person.id)
    assert "pendant sa période" in manager.error and not manager.confirm_open
    assert (manager.ine, manager.post_number) == (ine, str(post_number))

    _open_in_person_phase(in_person.id)
    manager.set_ine("inconnu")
    manager.ask_assign(in_person.id)
    assert "introuvable" in manager.error and manager.ine == "inconnu"
    manager.set_ine(ine.lower())
    manager.ask_assign(in_person.id)
    assert manager.error == "" and manager.confirm_open
    assert f"poste n° {post_number}" in manager.confirm_text and "Il restera" in manager.confirm_text
    with transaction() as session:  # nothing written before the confirmation
        assert session.exec(select(Assignment).where(Assignment.round_id == in_person.id)).all() == []
    manager.confirm()
    assert manager.error == "" and manager.message.endswith(f"est affecté(e) au poste n° {post_number}.")
    assert (manager.ine, manager.post_number) == ("", "")
    assert next(r for r in manager.rounds if r.in_person).placed == 1
    assert [p.ine for p in manager.placements] == [ine]
    manager.set_ine(ine)
    manager.set_post_number(str(post_number))
    manager.ask_assign(in_person.id)
    assert "déjà affecté" in manager.error  # already placed: refused in French, nothing written twice

    manager.ask_cancel(manager.placements[0].id)
    assert manager.confirm_open and "Annuler l'affectation" in manager.confirm_text
    manager.confirm()
    assert manager.message == "L'affectation a été annulée." and manager.placements == []
    with transaction() as session:
        assert session.exec(select(Assignment).where(Assignment.round_id == in_person.id)).all() == []


def test_closing_a_round_asks_for_confirmation_with_its_counts(db_url, outbox):
    load_demo("ranking")
    manager = page_state(ManagerRoundsState, sign_in(outbox, demo_address("manager")))
    manager.load()
    round_one = manager.rounds[0].id
    manager.ask_close(round_one)  # the ranking phase is still open
    assert "ne peut pas encore être clôturé" in manager.error and not manager.confirm_open
    yesterday = calendar.now().date() - dt.timedelta(days=1)
    with transaction() as session:
        for phase in session.exec(select(Phase).where(Phase.round_id == round_one)).all():
            if phase.kind in ("wishes", "ranking"):
                phase.starts_on, phase.ends_on = min(phase.starts_on, yesterday), yesterday
                session.add(phase)
    manager.ask_close(round_one)
    assert manager.confirm_open and "irréversible" in manager.confirm_text
    assert "étudiant(s) aux listes suffisantes" in manager.confirm_text
    manager.dismiss(False)
    assert not manager.confirm_open
    manager.confirm()  # nothing pending any more: nothing happens
    with transaction() as session:
        assert session.get(Round, round_one).status == "open"


def test_the_student_sees_their_round_result_once_published(db_url, outbox):
    load_demo("results")  # round 1's results are published today
    student = page_state(StudentResultsState, sign_in(outbox, demo_address("student")))
    assert redirects(student.load()) == []
    assert student.results == [] or all(not r.assigned for r in student.results)
    with transaction() as session:
        round_id = session.exec(select(Round.id).where(Round.number == 1)).one()
    rounds.close_round(round_id=round_id, actor_user_id=None)
    student.load()
    assert student.results and student.results[0].title == "Tour 1"
    first = student.results[0]
    assert first.status_text.startswith("Affecté(e)") or first.status_text == "Non affecté(e)"
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
    assert next(r for r in manager.rounds if r.id == round_id).notified
    queued = sum(int(n) for n in re.findall(r"envoyés à (\d+) étudiants et (\d+) responsables", manager.message)[0])
    # Each result mail went through the outbox, once (with the manager's and coordinator's sign-in links): the
    # manager sees them sent, none waiting or failed.
    assert manager.mail_status == f"E-mails : 0 en attente d'envoi, {queued + 2} envoyé(s), 0 en échec."


def test_an_admin_queues_the_failed_mails_again_once_the_server_is_back(db_url, outbox):
    """Mails given up after their attempts (SMTP down for hours) are not lost: the admin sees them counted and
    queues them again, with a confirmation; a manager is told to warn the operator and cannot forge the action."""
    import sqlalchemy as sa

    from siimop_app.models import AuditEntry, OutboxMail
    from siimop_app.services import mail
    from siimop_app.services import outbox as mail_outbox

    load_demo("results")
    with transaction() as session:
        for n in range(3):
            row = mail_outbox.enqueue(session, mail.build_message(to=f"e{n}@etu.fr", subject="Résultats", text="…"),
                                      kind="result")
            row.status, row.attempts, row.last_error = "failed", 12, "ConnectionRefusedError: down"
        session.add(OutboxMail(kind="sign_in", to_address="x@etu.fr", subject="Lien", message="…", status="failed"))
    manager = page_state(ManagerRoundsState, sign_in(outbox, demo_address("manager")))
    manager.load()
    assert "4 en échec" in manager.mail_status and "prévenez l'exploitant" in manager.mail_status
    assert not manager.can_retry_mail
    manager.ask_retry_mail()  # forged: the button is not shown to managers
    assert manager.error == "Vous n'avez pas accès à cette page." and not manager.confirm_open
    manager._pending = ("retry_mail",)  # forged past the dialog
    manager.confirm()
    assert manager.error == "Vous n'avez pas accès à cette page."
    admin = page_state(ManagerRoundsState, sign_in(outbox, demo_address("admin")))
    admin.load()
    assert admin.can_retry_mail and "renvoyez-les" in admin.mail_status
    admin.ask_retry_mail()
    assert admin.confirm_open and "4 e-mail(s)" in admin.confirm_text
    admin.confirm()
    assert admin.message == "3 e-mail(s) remis dans la file d'envoi."
    assert "1 en échec" in admin.mail_status  # the expired sign-in link stays given up
    with transaction() as session:
        sent = session.exec(sa.select(sa.func.count()).select_from(OutboxMail).where(
            OutboxMail.kind == "result", OutboxMail.status == "sent")).scalar_one()
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "outbox.retry_failed")).one()
    assert sent == 3 and '"queued": 3' in audit.after_json
