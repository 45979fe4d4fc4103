"""Reminders from the dry-run page: who gets one (in the manager's scope, in the right phase), what it says,
at most once per person and day (the database says so), and a delivery that waits for SMTP to come back."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.demo.cli import main as demo_main
from siimop_app.domain.ranking_rules import BANNER
from siimop_app.models import AuditEntry, Reminder, Round, utcnow
from siimop_app.services import calendar, mail, outbox, reminders
from siimop_app.services.access import AccessDenied
from siimop_app.settings import get_settings
from tests.services.mailbox import messages
from tests.services.test_post_table import signed_in


def _reminders_sent() -> list:
    return [m for m in messages(get_settings().outbox_dir) if str(m["Subject"]).startswith("Rappel : ")]


def _audits() -> list[dict]:
    with transaction() as session:
        return [json.loads(e.after_json) for e in session.exec(
            select(AuditEntry).where(AuditEntry.action == "reminders.send").order_by(AuditEntry.id)).all()]


def test_supervisors_get_the_failing_rules_once_a_day_during_the_ranking_phase(db_url):
    assert demo_main(["--scale", "small", "--phase", "ranking"]) == 0
    manager = signed_in("manager")
    targets = reminders.reminder_targets(manager)
    assert targets.supervisors and targets.students == []  # the wishes are closed: students cannot fix a list
    assert "aux " in targets.question() and "Les listes de vœux ne peuvent plus être modifiées" in targets.question()
    assert "Isabelle FERNBACH" in {p.name for p in targets.supervisors}  # SUBDI AMIENS, in the ARS's region

    report = reminders.send_reminders(manager)
    assert (report.supervisors, report.students, report.already_today, report.failed) == (
        len(targets.supervisors), 0, 0, 0)
    sent = _reminders_sent()
    assert sorted(str(m["To"]) for m in sent) == sorted(p.email for p in targets.supervisors)
    body = next(m for m in sent if str(m["To"]) == "rts@demo.siimop.fr").get_body().get_content()
    assert BANNER in body and "Poste n° " in body and "/rts/classement" in body
    assert _audits()[-1]["supervisors"] == report.supervisors

    again = reminders.send_reminders(manager)  # the same day: nobody twice
    assert (again.supervisors, again.already_today) == (0, report.supervisors)
    assert len(_reminders_sent()) == len(sent)
    assert "ne le seront pas à nouveau (0 message(s) à envoyer)" in reminders.reminder_targets(manager).question()
    with pytest.raises(sa.exc.IntegrityError):  # the rule lives in the database, not in the page
        with transaction() as session:
            person = targets.supervisors[0]
            round_id = session.exec(select(Round.id).where(Round.number == 1)).one()
            session.add(Reminder(user_id=person.user_id, day=calendar.now().date(), kind="ranking",
                                 round_id=round_id))


def test_students_with_an_insufficient_list_are_told_how_many_posts_to_rate(db_url):
    assert demo_main(["--scale", "small", "--phase", "wishes"]) == 0
    manager = signed_in("manager")
    targets = reminders.reminder_targets(manager)
    assert targets.students and targets.supervisors == []
    report = reminders.send_reminders(manager)
    assert report.students == len(targets.students) and report.supervisors == 0
    bodies = [m.get_body().get_content() for m in _reminders_sent()]
    assert len(bodies) == report.students
    assert all("notez encore " in b and "/etudiant/voeux" in b for b in bodies)


def test_a_reminder_sent_while_smtp_is_down_is_recorded_and_leaves_once_when_it_is_back(db_url, monkeypatch):
    assert demo_main(["--scale", "small", "--phase", "ranking"]) == 0
    manager = signed_in("manager")
    real_send = mail.Sender.send_stored

    def flaky(sender, text, *, to, subject):
        if to == "rts@demo.siimop.fr":
            raise OSError("SMTP down (injected)")
        real_send(sender, text, to=to, subject=subject)

    monkeypatch.setattr(mail.Sender, "send_stored", flaky)
    first = reminders.send_reminders(manager)
    assert first.failed == 0 and "ont échoué" not in first.summary()
    assert "rts@demo.siimop.fr" not in {str(m["To"]) for m in _reminders_sent()}
    assert outbox.counts().pending >= 1  # queued, not lost
    monkeypatch.setattr(mail.Sender, "send_stored", real_send)
    assert reminders.send_reminders(manager).supervisors == 0  # already reminded today: not queued again
    outbox.deliver_due(now=utcnow() + dt.timedelta(hours=3))
    assert [str(m["To"]) for m in _reminders_sent()].count("rts@demo.siimop.fr") == 1
    assert outbox.counts().pending == 0


def test_only_managers_send_reminders(db_url):
    assert demo_main(["--scale", "small", "--phase", "ranking"]) == 0
    for account in ("coordinator", "rts", "student"):
        with pytest.raises(AccessDenied):
            reminders.send_reminders(signed_in(account))
    assert _reminders_sent() == [] and _audits() == []
