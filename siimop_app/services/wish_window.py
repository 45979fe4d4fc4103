"""When a student's wishes can change: the round the Mes vœux page shows, and whether it is open (SPEC §4).

The round shown is the one whose wishes phase the side menu shows too (``domain.calendar.phase_in_view``); its
list can change only while that phase is open. Outside it the list is read-only, and the text says when it opens
(or opened, and what comes next).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from siimop_app.domain.calendar import day_text
from siimop_app.services import calendar


@dataclasses.dataclass(frozen=True)
class Window:
    """Where the wishes stand for the student's wave: which round is shown, and whether it can change."""

    wave_id: int | None
    round_id: int | None
    round_number: int | None
    editable: bool
    starts: str
    ends: str
    text: str


def wishes_window(at: dt.datetime | None = None) -> Window:
    at = at or calendar.now()
    wave = calendar.current_wave(at)
    phase = wave.in_view("wishes", at) if wave else None
    if wave is None or phase is None:
        return Window(wave.wave_id if wave else None, None, None, False, "", "",
                      "Aucune période de vœux n'est prévue dans la campagne en cours.")
    round_id = wave.round_id(phase.round_number)
    starts, ends = day_text(phase.starts_on), day_text(phase.ends_on)
    editable = wave.open_phase("wishes", at) is not None
    if editable:
        text = f"Vœux du tour {phase.round_number} : ouverts du {starts} au {ends} (23h59, heure de Paris)."
    elif phase.starts_on > at.date():
        text = (f"Les vœux du tour {phase.round_number} ouvriront le {starts} et fermeront le {ends} (23h59, heure "
                "de Paris). Votre liste est en lecture seule d'ici là.")
    else:
        text = (f"La période des vœux du tour {phase.round_number} est terminée (du {starts} au {ends}). "
                "Votre liste est en lecture seule.")
        following = wave.current_or_next("wishes", at)
        if following is not None and following.starts_on > phase.starts_on:
            text += (f" Si vous n'êtes pas affecté(e), les vœux du tour {following.round_number} seront ouverts du "
                     f"{day_text(following.starts_on)} au {day_text(following.ends_on)}.")
    return Window(wave.wave_id, round_id, phase.round_number, editable, starts, ends, text)
