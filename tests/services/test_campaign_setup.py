"""Setting up the next campaign: its waves and rounds, the calendar copied and shifted, audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import AuditEntry, Campaign, Phase, Post, Round, Wave
from siimop_app.services import auth
from siimop_app.services.access import AccessDenied
from siimop_app.services.campaign_setup import SetupError, add_wave, create_campaign, list_campaigns
from tests.services.factories import make_campaign, make_post, make_user


def _user(*roles: str) -> auth.SignedInUser:
    return auth.SignedInUser(1, "Admin", "Siimop", "admin@demo.siimop.fr", roles)


def _phases(session, wave_id: int) -> list[tuple]:
    rounds = {r.id: r.number for r in session.exec(select(Round).where(Round.wave_id == wave_id)).all()}
    return sorted((p.kind, rounds.get(p.round_id), p.starts_on, p.ends_on)
                  for p in session.exec(select(Phase).where(Phase.wave_id == wave_id)).all())


def test_the_next_campaign_copies_the_calendar_shifted_by_whole_weeks(db_url):
    assert make_user("admin@demo.siimop.fr", "admin") == 1  # the actor of _user
    make_campaign()
    make_post(make_user("rts@chu.example", "supervisor"))  # the previous campaign's posts are not copied
    admin = _user("admin")
    with transaction() as session:
        previous = session.exec(select(Campaign)).one()
        old_wave = session.exec(select(Wave)).one()
        old_phases = _phases(session, old_wave.id)
    campaign = create_campaign(admin, name="Campagne Mai 2099", copy_from=previous.id, shift_weeks="52")
    with transaction() as session:
        (wave,) = session.exec(select(Wave).where(Wave.campaign_id == campaign.id)).all()
        new_phases = _phases(session, wave.id)
        statuses = {r.status for r in session.exec(select(Round).where(Round.wave_id == wave.id)).all()}
        assert session.exec(select(Post).where(Post.wave_id == wave.id)).first() is None  # starts clean
        assert session.exec(select(AuditEntry).where(AuditEntry.action == "campaign.create")).one()
    assert wave.name == old_wave.name.replace(previous.name, "Campagne Mai 2099") and statuses == {"open"}
    assert [(k, n, s + dt.timedelta(weeks=52), e + dt.timedelta(weeks=52)) for k, n, s, e in old_phases] == new_phases
    assert all(s.weekday() == old[2].weekday() for (_, _, s, _), old in zip(new_phases, old_phases))

    second = add_wave(admin, campaign_id=campaign.id, name="Vague 2 Campagne Mai 2099", subtitle="Semestre décalé",
                      shift_weeks=26)
    with transaction() as session:
        assert _phases(session, second.id)[0][2] == new_phases[0][2] + dt.timedelta(weeks=26)
    assert list_campaigns(admin)[0].waves == ("Vague 1 Campagne Mai 2099 — Docteurs Juniors",
                                              "Vague 2 Campagne Mai 2099 — Semestre décalé")

    with pytest.raises(SetupError, match="déjà") as refused:
        create_campaign(admin, name="Campagne Mai 2099")
    assert refused.value.fields == ("name",)  # the field the form marks in error
    with pytest.raises(SetupError, match="semaines") as refused:
        create_campaign(admin, name="Campagne 2100", shift_weeks="un an")
    assert refused.value.fields == ("shift_weeks",)
    with pytest.raises(SetupError, match="https://") as refused:  # the message says https: plain http is refused
        create_campaign(admin, name="Campagne 2100", news_url="http://actualites.example.fr")
    assert refused.value.fields == ("news_url",)
    with pytest.raises(AccessDenied):
        create_campaign(_user("coordinator"), name="Campagne 2101")
    fresh = create_campaign(_user("manager"), name="Campagne sans modèle")
    with transaction() as session:
        wave = session.exec(select(Wave).where(Wave.campaign_id == fresh.id)).one()
        rounds = session.exec(select(Round.number, Round.in_person).where(Round.wave_id == wave.id)
                              .order_by(Round.number)).all()
    assert [tuple(r) for r in rounds] == [(1, False), (2, False), (3, True)]
