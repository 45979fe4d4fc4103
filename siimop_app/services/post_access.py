"""Who may see or change a post: the one home of these rules for every page, route and service.

- A supervisor attached to a post sees it; only its référent changes it (description,
  file, ranking).
- A student sees the posts of their specialty (they rate them).
- A coordinator, manager or admin sees the posts inside their scope; a manager or admin changes them.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from siimop_app.db import hot
from siimop_app.domain.roles import MANAGER_ROLES, STAFF_ROLES, Role
from siimop_app.models import Post, PostSupervisor, Student
from siimop_app.services import scope as scopes
from siimop_app.services.access import AccessDenied
from siimop_app.services.auth import SignedInUser

NOT_YOUR_POST = "Ce poste ne fait pas partie de vos postes."
NOT_REFERENT = "Seul le responsable référent du poste peut effectuer cette modification."
OUT_OF_SCOPE = "Ce poste ne fait pas partie de votre périmètre."
NO_ACCESS = "Vous n'avez pas accès à la gestion des postes."
READ_ONLY = "Seuls les gestionnaires de l'ARS peuvent modifier un poste : les coordonnateurs le consultent."


def supervisor_link(session: Session, user_id: int, post_id: int) -> PostSupervisor | None:
    return session.exec(
        select(PostSupervisor).where(PostSupervisor.post_id == post_id, PostSupervisor.user_id == user_id)
    ).first()


# Built once: every ranking move asks it (issue 13), and building a statement costs more than running it.
_SUPERVISED_POST = (
    select(Post, PostSupervisor, PostSupervisor.is_referent).join(PostSupervisor, PostSupervisor.post_id == Post.id)
    .where(Post.id == sa.bindparam("post_id"), PostSupervisor.user_id == sa.bindparam("user_id"))
)
_POST, _LINK = Post.__table__, PostSupervisor.__table__
# What a ranking board reads of its post, as plain columns: loading the ORM's Post and link objects was ~7 % of a
# worker's time under 300 supervisors moving (issue 13).
_SUPERVISED_BOARD_POST = hot(
    sa.select(_POST.c.id, _POST.c.wave_id, _POST.c.subdivision_id, _POST.c.site_id, _POST.c.post_type,
              _POST.c.places_opened, _LINK.c.is_referent)
    .join(_LINK, _LINK.c.post_id == _POST.c.id)
    .where(_POST.c.id == sa.bindparam("post_id"), _LINK.c.user_id == sa.bindparam("user_id"))
)


def _supervision(session: Session, user: SignedInUser, post_id: int, statement: sa.Select, *,
                 referent: bool) -> sa.Row:
    """The rule, in one place: ``statement``'s row for the post (it has an ``is_referent`` column) if ``user``
    supervises it (as référent when ``referent``); else AccessDenied in French. Unknown and foreign posts get the
    same answer, so ids cannot be probed."""
    row = None
    if Role.SUPERVISOR in user.roles:
        row = session.execute(statement, {"post_id": post_id, "user_id": user.user_id}).first()
    if row is None:
        raise AccessDenied(NOT_YOUR_POST)
    if referent and not row.is_referent:
        raise AccessDenied(NOT_REFERENT)
    return row


def supervised_post(session: Session, user: SignedInUser, post_id: int, *,
                    referent: bool) -> tuple[Post, PostSupervisor]:
    """The post and the user's link to it if ``user`` supervises it (as référent when ``referent``), in one query;
    else AccessDenied in French."""
    post, link, _ = _supervision(session, user, post_id, _SUPERVISED_POST, referent=referent)
    return post, link


def supervised_board_post(session: Session, user: SignedInUser, post_id: int, *, referent: bool) -> sa.Row:
    """``supervised_post`` for a ranking board: one row with the post's ``id``, ``wave_id``, ``subdivision_id``,
    ``site_id``, ``post_type``, ``places_opened`` and the link's ``is_referent`` (no ORM objects)."""
    return _supervision(session, user, post_id, _SUPERVISED_BOARD_POST, referent=referent)


def require_supervised_post(session: Session, user: SignedInUser, post_id: int, *, referent: bool) -> Post:
    """The post if ``user`` supervises it (as référent when ``referent``); else AccessDenied in French."""
    return supervised_post(session, user, post_id, referent=referent)[0]


def can_see_post(session: Session, user: SignedInUser, post_id: int) -> bool:
    if Role.SUPERVISOR in user.roles and supervisor_link(session, user.user_id, post_id) is not None:
        return True
    if Role.STUDENT in user.roles:
        same_specialty = session.exec(
            select(sa.func.count())
            .select_from(Post)
            .join(Student, Student.specialty_id == Post.calling_specialty_id)
            .where(Post.id == post_id, Student.user_id == user.user_id)
        ).one()
        if same_specialty:
            return True
    return scopes.covers_post(session, user.user_id, user.roles, post_id)


# ------------------------------------------------------------------ the staff (coordinators, managers, admins)
def require_staff(user: SignedInUser | None, roles: tuple[str, ...] = STAFF_ROLES) -> SignedInUser:
    """The user if they hold one of ``roles`` (the staff, or the managers for a change); else AccessDenied."""
    if user is None:
        raise AccessDenied("Votre session a expiré : veuillez vous reconnecter.")
    if not set(roles) & set(user.roles):
        raise AccessDenied(NO_ACCESS if roles == STAFF_ROLES else READ_ONLY)
    return user


def staff_post_condition(session: Session, user: SignedInUser,
                         roles: tuple[str, ...] = STAFF_ROLES) -> sa.ColumnElement[bool]:
    """The posts inside the user's scope for ``roles``, as a SQL condition on ``Post``."""
    held = tuple(r for r in roles if r in user.roles)
    return scopes.post_condition(scopes.scope_of(session, user.user_id, held))


def staff_post(session: Session, user: SignedInUser, post_id: int, roles: tuple[str, ...] = STAFF_ROLES,
                   *, for_update: bool = False) -> Post:
    """The post if the user's scope (for these roles) covers it; unknown and foreign posts get the same answer."""
    if not isinstance(post_id, int) or isinstance(post_id, bool):
        raise AccessDenied(OUT_OF_SCOPE)
    query = select(Post).where(Post.id == post_id, staff_post_condition(session, user, roles))
    post = session.exec(query.with_for_update() if for_update else query).first()
    if post is None:
        raise AccessDenied(OUT_OF_SCOPE)
    return post


def can_manage_post(session: Session, user: SignedInUser, post_id: int) -> bool:
    if not set(MANAGER_ROLES) & set(user.roles):
        return False
    return bool(session.exec(
        select(sa.func.count()).select_from(Post).where(Post.id == post_id,
                                                        staff_post_condition(session, user, MANAGER_ROLES))
    ).one())
