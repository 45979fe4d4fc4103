"""Setting up a campaign from the UI: the campaign, its waves, their rounds and a calendar copied from the
previous campaign (or wave) shifted by a number of weeks, so that each phase keeps its weekday.

The calendar is national, like the phase dates (``calendar_admin``): any manager or admin may set it up.
A closed campaign is never changed here; the next one starts clean (no posts, wishes nor results: those come
from the imports and the rounds).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from sqlmodel import Session, select

from siimop_app.db import transaction
from siimop_app.models import Campaign, Phase, Round, Wave
from siimop_app.services import audit
from siimop_app.services.access import require_role
from siimop_app.services.auth import SignedInUser
from siimop_app.services.calendar_admin import CALENDAR_ROLES
from siimop_app.validation import UserInputError

log = logging.getLogger(__name__)

DEFAULT_SHIFT_WEEKS = 52  # same weekdays one year later
ROUND_NUMBERS = ((1, False), (2, False), (3, True))  # two matched rounds, then the in-person one


class SetupError(UserInputError):
    """A setup that cannot be done; the message is for the user, in French, ``fields`` names the fields at
    fault (the names of the form's inputs)."""


@dataclasses.dataclass(frozen=True)
class CampaignSummary:
    """A campaign as the Campagnes page shows it: its waves' names and the days its calendar spans."""

    id: int
    name: str
    waves: tuple[str, ...]
    dates: str  # "du 04/05/2026 au 30/10/2026", or "sans calendrier"


def _span(days: list[tuple[dt.date, dt.date]]) -> str:
    if not days:
        return "sans calendrier"
    return f"du {min(d[0] for d in days):%d/%m/%Y} au {max(d[1] for d in days):%d/%m/%Y}"


def _name(value: str, what: str) -> str:
    text = " ".join((value or "").split())
    if not text:
        raise SetupError(f"Indiquez {what}.", fields=("name",))
    if len(text) > 120:
        raise SetupError(f"{what[0].upper()}{what[1:]} dépasse 120 caractères.", fields=("name",))
    return text


def _weeks(value: str | int) -> int:
    try:
        weeks = int(str(value).strip())
    except ValueError:
        raise SetupError("Le décalage doit être un nombre entier de semaines.", fields=("shift_weeks",)) from None
    if not -104 <= weeks <= 104:
        raise SetupError("Le décalage doit être compris entre -104 et 104 semaines.", fields=("shift_weeks",))
    return weeks


def list_campaigns(user: SignedInUser) -> list[CampaignSummary]:
    require_role(user, *CALENDAR_ROLES)
    with transaction() as session:
        campaigns = session.exec(select(Campaign).order_by(Campaign.id.desc())).all()
        summaries = []
        for campaign in campaigns:
            waves = session.exec(select(Wave).where(Wave.campaign_id == campaign.id).order_by(Wave.number)).all()
            days = session.exec(select(Phase.starts_on, Phase.ends_on).where(
                Phase.wave_id.in_([w.id for w in waves]))).all()
            summaries.append(CampaignSummary(
                campaign.id, campaign.name,
                tuple(f"{w.name}" + (f" — {w.subtitle}" if w.subtitle else "") for w in waves),
                _span(days)))
    return summaries


def _copy_wave(session: Session, source: Wave, *, campaign_id: int, number: int, name: str, subtitle: str,
               weeks: int) -> Wave:
    """A new wave with the source's rounds (open) and phases moved by ``weeks`` weeks."""
    wave = Wave(campaign_id=campaign_id, number=number, name=name, subtitle=subtitle)
    session.add(wave)
    session.flush()
    round_ids = {}
    for old in session.exec(select(Round).where(Round.wave_id == source.id).order_by(Round.number)).all():
        new = Round(wave_id=wave.id, number=old.number, in_person=old.in_person)
        session.add(new)
        session.flush()
        round_ids[old.id] = new.id
    shift = dt.timedelta(weeks=weeks)
    for phase in session.exec(select(Phase).where(Phase.wave_id == source.id)).all():
        session.add(Phase(wave_id=wave.id, round_id=round_ids.get(phase.round_id), kind=phase.kind,
                          starts_on=phase.starts_on + shift, ends_on=phase.ends_on + shift))
    return wave


def _empty_wave(session: Session, *, campaign_id: int, number: int, name: str, subtitle: str) -> Wave:
    wave = Wave(campaign_id=campaign_id, number=number, name=name, subtitle=subtitle)
    session.add(wave)
    session.flush()
    for round_number, in_person in ROUND_NUMBERS:
        session.add(Round(wave_id=wave.id, number=round_number, in_person=in_person))
    return wave


def create_campaign(user: SignedInUser, *, name: str, news_url: str = "", copy_from: int | None = None,
                    shift_weeks: str | int = DEFAULT_SHIFT_WEEKS) -> Campaign:
    """A new campaign; with ``copy_from``, each of that campaign's waves with its rounds and calendar, shifted."""
    require_role(user, *CALENDAR_ROLES)
    name = _name(name, "le nom de la campagne")
    weeks = _weeks(shift_weeks)
    news_url = (news_url or "").strip()
    if news_url and not news_url.startswith("https://"):
        raise SetupError("Le lien des actualités doit commencer par https://.", fields=("news_url",))
    with transaction() as session:
        if session.exec(select(Campaign).where(Campaign.name == name)).first():
            raise SetupError(f"Une campagne s'appelle déjà « {name} ».", fields=("name",))
        campaign = Campaign(name=name, news_url=news_url[:300])
        session.add(campaign)
        session.flush()
        waves = []
        if copy_from is not None:
            source = session.get(Campaign, copy_from)
            if source is None:
                raise SetupError("La campagne à copier n'existe pas.", fields=("copy_from",))
            for wave in session.exec(select(Wave).where(Wave.campaign_id == source.id).order_by(Wave.number)).all():
                # "Vague 1 Campagne Mai 2024" becomes "Vague 1 Campagne Mai 2025".
                wave_name = wave.name.replace(source.name, name) if source.name in wave.name else \
                    f"Vague {wave.number} {name}"
                waves.append(_copy_wave(session, wave, campaign_id=campaign.id, number=wave.number,
                                        name=wave_name, subtitle=wave.subtitle, weeks=weeks))
        if not waves:
            waves.append(_empty_wave(session, campaign_id=campaign.id, number=1, name=f"Vague 1 {name}",
                                     subtitle=""))
        audit.record(session, actor_user_id=user.user_id, action="campaign.create", entity="campaign",
                     entity_id=campaign.id, after={"name": name, "copy_from": copy_from, "shift_weeks": weeks,
                                                   "waves": [w.name for w in waves]})
        log.info("campaign %s %r created by user %s (copy of %s, %s weeks)", campaign.id, name, user.user_id,
                 copy_from, weeks)
        return campaign


def add_wave(user: SignedInUser, *, campaign_id: int, name: str, subtitle: str = "",
             shift_weeks: str | int = 0) -> Wave:
    """Another wave of a campaign (e.g. "Vague 2 … — Semestre décalé"), its calendar copied from the campaign's
    first wave shifted by ``shift_weeks``."""
    require_role(user, *CALENDAR_ROLES)
    name = _name(name, "le nom de la vague")
    subtitle = " ".join((subtitle or "").split())[:120]
    weeks = _weeks(shift_weeks)
    with transaction() as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            raise SetupError("Cette campagne n'existe pas.")
        waves = session.exec(select(Wave).where(Wave.campaign_id == campaign_id).order_by(Wave.number)).all()
        number = max((w.number for w in waves), default=0) + 1
        if waves:
            wave = _copy_wave(session, waves[0], campaign_id=campaign_id, number=number, name=name,
                              subtitle=subtitle, weeks=weeks)
        else:
            wave = _empty_wave(session, campaign_id=campaign_id, number=number, name=name, subtitle=subtitle)
        audit.record(session, actor_user_id=user.user_id, action="wave.create", entity="wave", entity_id=wave.id,
                     after={"campaign_id": campaign_id, "name": name, "subtitle": subtitle, "shift_weeks": weeks})
        return wave
