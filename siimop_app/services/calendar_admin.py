"""Managers set the dated phases of a wave (SPEC §3): each change checked, audited, in one transaction."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.domain.errors import UserError
from siimop_app.models import Campaign, Phase, Round, Wave
from siimop_app.models.people import MANAGER_ROLES
from siimop_app.services import audit
from siimop_app.services.access import AccessDenied, require_role
from siimop_app.services.auth import SignedInUser
from siimop_app.services.calendar import PHASE_LABELS

log = logging.getLogger(__name__)

# The calendar is national: any manager (ARS / scolarité) or admin may set it.
CALENDAR_ROLES = MANAGER_ROLES


class CalendarError(UserError, ValueError):
    """A date change that cannot be made; the message is for the user, in French."""


def _parse(value: str, label: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise CalendarError(f"La date de {label} n'est pas valide (format attendu : AAAA-MM-JJ).") from None


def set_phase_dates(user: SignedInUser, phase_id: int, starts_on: str, ends_on: str) -> Phase:
    require_role(user, *CALENDAR_ROLES)
    start, end = _parse(starts_on, "début"), _parse(ends_on, "fin")
    if end < start:
        raise CalendarError("La date de fin doit être postérieure ou égale à la date de début.")
    with transaction() as session:
        phase = session.exec(select(Phase).where(Phase.id == phase_id).with_for_update()).first()
        if phase is None:
            raise AccessDenied("Cette phase n'existe pas.")
        before = {"starts_on": phase.starts_on.isoformat(), "ends_on": phase.ends_on.isoformat()}
        phase.starts_on, phase.ends_on = start, end
        session.add(phase)
        audit.record(session, actor_user_id=user.user_id, action="phase.dates", entity="phase", entity_id=phase.id,
                     before=before, after={"starts_on": start.isoformat(), "ends_on": end.isoformat()})
        log.info("phase %s set to %s..%s by user %s", phase_id, start, end, user.user_id)
        return phase


@dataclasses.dataclass(frozen=True)
class PhaseLine:
    """One phase as the calendar page shows it: its French label, its round ("Tour 2", "" for a wave's phase),
    its first and last days as the date fields take them (ISO)."""

    id: int
    wave: str
    label: str
    round: str
    starts_on: str
    ends_on: str


def list_phases(user: SignedInUser) -> list[PhaseLine]:
    """Every phase of the latest campaign, in calendar order, with its wave and round (open or not today)."""
    require_role(user, *CALENDAR_ROLES)
    with transaction() as session:
        campaign_id = session.exec(select(Campaign.id).order_by(Campaign.id.desc())).first()
        if campaign_id is None:
            return []
        rows = session.exec(
            select(Phase, Wave.name, Round.number)
            .join(Wave, Wave.id == Phase.wave_id)
            .outerjoin(Round, Round.id == Phase.round_id)
            .where(Wave.campaign_id == campaign_id)
            .order_by(Phase.starts_on, Phase.id)
        ).all()
    return [
        PhaseLine(id=phase.id, wave=wave_name, label=PHASE_LABELS.get(phase.kind, phase.kind),
                  round=f"Tour {number}" if number else "", starts_on=phase.starts_on.isoformat(),
                  ends_on=phase.ends_on.isoformat())
        for phase, wave_name, number in rows
    ]
