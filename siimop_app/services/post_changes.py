"""The managers' two changes to a post (from the posts table and the post's page): "Poste validé par l'ARS" and
the places opened, each in one transaction with an audit row (entity "post"), for a manager or admin whose
scope covers the post; coordinators only read (``post_access.READ_ONLY``).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.domain.errors import UserError
from siimop_app.domain.roles import MANAGER_ROLES
from siimop_app.domain.round_status import RoundStatus
from siimop_app.models import (
    Assignment,
    Round,
    utcnow,
)
from siimop_app.services import audit
from siimop_app.services.auth import SignedInUser
from siimop_app.services.post_access import require_staff, staff_post
from siimop_app.services.post_table import followed_round
from siimop_app.services.ranking_verdicts import refresh_open_verdicts
from siimop_app.services.rankings import post_ranking


class PostChangeError(UserError, ValueError):
    """A refused change (bad input); the message is for the user, in French."""


def set_validated_by_ars(user: SignedInUser, post_id: int, validated: bool) -> dict:
    """Tick or untick "Poste validé par l'ARS" (manager/admin whose scope covers the post); one audited transaction."""
    user = require_staff(user, MANAGER_ROLES)
    if not isinstance(validated, bool):
        raise PostChangeError("La validation ARS doit être cochée ou décochée.")
    with transaction() as session:
        post = staff_post(session, user, post_id, MANAGER_ROLES, for_update=True)
        before = {"validated_by_ars": post.validated_by_ars}
        if post.validated_by_ars == validated:
            return before
        now = utcnow()
        post.validated_by_ars = validated
        post.validated_at = now if validated else None
        post.updated_at = now
        session.add(post)
        audit.record(session, actor_user_id=user.user_id, action="post.validated_by_ars", entity="post",
                     entity_id=post.id, before=before, after={"validated_by_ars": validated})
        return {"validated_by_ars": validated}


def places_change_effect(user: SignedInUser, post_id: int, places: int) -> str:
    """What changing the places of a post does to its current round, in French, for the manager to confirm:
    how many of its candidates can still be placed there, and whether its ranking stays valid (the
    subdivision rule depends on the number of places). Checked like ``set_places``; writes nothing."""
    user = require_staff(user, MANAGER_ROLES)
    _check_places_value(places)
    with transaction() as session:
        post = staff_post(session, user, post_id, MANAGER_ROLES)
        before = post.places_opened
        lines = [f"Le poste passera de {before} à {places} place(s) ouverte(s)."]
        round_id, round_number = followed_round(session, post.wave_id)
        if round_id is not None and session.get(Round, round_id).status != RoundStatus.CLOSED.value:
            found = post_ranking(session, post, round_id, round_number)
            cards, ranking, offered_before = found.cards, found.ranking, found.places
            offered_after = max(offered_before + places - before, 0)
            if cards:
                if offered_after == 0:
                    lines.append(f"Aucun de ses {len(cards)} candidat(s) du tour {round_number} ne pourra plus y "
                                 "être affecté.")
                elif offered_after < min(offered_before, len(cards)):
                    lines.append(f"Au plus {offered_after} de ses {len(cards)} candidat(s) du tour {round_number} "
                                 f"pourront y être affecté(s) (au lieu de {min(offered_before, len(cards))}).")
                if ranking is not None:
                    valid_before = found.check().valid
                    valid_after = found.check(offered_after).valid
                    if valid_before and not valid_after:
                        lines.append("Le classement du RTS, valide aujourd'hui, ne le sera plus avec ce nombre de "
                                     "places : il ne serait pas pris en compte.")
                    elif valid_after and not valid_before:
                        lines.append("Le classement du RTS, non valide aujourd'hui, le deviendra avec ce nombre de "
                                     "places.")
    return " ".join(lines)


def _check_places_value(places: int) -> None:
    if isinstance(places, bool) or not isinstance(places, int):
        raise PostChangeError("Le nombre de places doit être un nombre entier.")
    if places < 0:
        raise PostChangeError("Le nombre de places ne peut pas être négatif.")
    if places > 1000:
        raise PostChangeError("Le nombre de places ne peut pas dépasser 1 000.")


def set_places(user: SignedInUser, post_id: int, places: int) -> dict:
    """Change the places opened on a post: ≥ 0 and ≥ the assignments already made; one audited transaction."""
    user = require_staff(user, MANAGER_ROLES)
    _check_places_value(places)
    with transaction() as session:
        post = staff_post(session, user, post_id, MANAGER_ROLES, for_update=True)
        taken = session.exec(select(sa.func.count()).select_from(Assignment).where(Assignment.post_id == post.id)).one()
        if places < taken:
            raise PostChangeError(
                f"Le nombre de places ne peut pas être inférieur aux {taken} affectation(s) déjà prononcée(s) "
                "sur ce poste.")
        before = {"places_opened": post.places_opened}
        if post.places_opened == places:
            return before
        post.places_opened = places
        post.updated_at = utcnow()
        session.add(post)
        session.flush()
        after: dict = {"places_opened": places}
        verdicts = refresh_open_verdicts(session, [post.id])
        if verdicts:
            before["rankings_valid"] = {str(rid): old for rid, old, _ in verdicts}
            after["rankings_valid"] = {str(rid): new for rid, _, new in verdicts}
        audit.record(session, actor_user_id=user.user_id, action="post.places", entity="post",
                     entity_id=post.id, before=before, after=after)
        return {"places_opened": places}
