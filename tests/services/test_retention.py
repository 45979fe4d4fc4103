"""A closed campaign's personal data are anonymised after the retention period; its statistics stay."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.demo.cli import main as demo_main
from siimop_app.demo.generator import DEMO_ACCOUNTS
from siimop_app.models import (
    Application,
    Assignment,
    AuditEntry,
    Campaign,
    OutboxMail,
    Phase,
    Post,
    RankingEntry,
    Round,
    Student,
    User,
    UserEmail,
)
from siimop_app.purge import main as purge_main
from siimop_app.services import auth, rounds
from siimop_app.services.retention import RETENTION_DAYS


def _count(session, model) -> int:
    return session.exec(select(sa.func.count()).select_from(model)).one()


def test_purge_waits_for_the_retention_period_then_anonymises_students_and_keeps_statistics(db_url, monkeypatch,
                                                                                            capsys):
    from siimop_app.settings import get_settings

    assert demo_main(["--scale", "small", "--phase", "results"]) == 0
    with transaction() as session:
        round_id = session.exec(select(Round.id).where(Round.number == 1)).one()
        campaign_id = session.exec(select(Campaign.id)).one()
    rounds.close_round(round_id=round_id, actor_user_id=None)
    with transaction() as session:
        ended = session.exec(select(sa.func.max(Phase.ends_on))).one()
        placed = _count(session, Assignment)
        posts = _count(session, Post)
    assert placed > 0
    student_address, supervisor_address = DEMO_ACCOUNTS["student"][2], DEMO_ACCOUNTS["rts"][2]
    with transaction() as session:  # a result mail sent, a reminder that failed: their rows hold the address
        session.add(OutboxMail(kind="result", to_address=student_address, subject="Résultat", message="",
                               status="sent"))
        session.add(OutboxMail(kind="reminder", to_address=student_address, subject="Rappel", message="x",
                               status="failed"))
        session.add(OutboxMail(kind="reminder", to_address=supervisor_address, subject="Rappel", message=""))

    assert purge_main([str(campaign_id)]) == 1  # the campaign is not over
    assert "n'est pas terminée" in capsys.readouterr().err
    monkeypatch.setenv("SIIMOP_TODAY", (ended + dt.timedelta(days=RETENTION_DAYS)).isoformat())
    get_settings.cache_clear()
    assert purge_main([str(campaign_id)]) == 1  # still within the retention period
    assert "la purge sera possible à partir du" in capsys.readouterr().err

    monkeypatch.setenv("SIIMOP_TODAY", (ended + dt.timedelta(days=RETENTION_DAYS + 1)).isoformat())
    get_settings.cache_clear()
    assert purge_main([str(campaign_id), "--dry-run"]) == 0
    assert "2 e-mail(s) de la file d'envoi" in capsys.readouterr().out
    with transaction() as session:
        assert _count(session, Application) > 0
    assert purge_main([str(campaign_id)]) == 0
    assert "étudiant(s) anonymisé(s)" in capsys.readouterr().out

    with transaction() as session:
        assert _count(session, Application) == 0 and _count(session, RankingEntry) == 0
        assert _count(session, Assignment) == placed and _count(session, Post) == posts  # results stay
        assert session.exec(select(UserEmail).where(UserEmail.email == student_address)).first() is None
        names = {u.first_name for u in session.exec(select(User).join(Student, Student.user_id == User.id)).all()}
        assert names == {"ANONYME"}
        assert all(ine.startswith("ANON") for ine in session.exec(select(Student.ine)).all())
        supervisor = session.exec(select(UserEmail).where(UserEmail.email == supervisor_address)).one()
        assert supervisor is not None  # supervisors and staff work on the next campaign
        assert session.exec(select(OutboxMail.to_address)).all() == [supervisor_address]
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "campaign.purge")).one()
    statistics = json.loads(entry.after_json)["statistics"]
    assert statistics["students"] > 0 and sum(
        s.get("placed_round_1", 0) for s in statistics["per_specialty"].values()) == placed
    assert auth.request_sign_in(student_address) == auth.SIGN_IN_SENT_MESSAGE  # the address signs in no one
    assert purge_main([str(campaign_id)]) == 0  # running again changes nothing more
    assert "0 étudiant(s)" in capsys.readouterr().out
