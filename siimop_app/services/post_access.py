"""Who may see or change a post: the one home of these rules for every page, route and service.

- A supervisor attached to a post sees it; only its référent changes it (description,
  file, ranking).
- A student sees the posts of their specialty (they rate them).
- A coordinator, manager or admin sees the posts inside their scope.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from siimop_app.domain.roles import Role
from siimop_app.models import Post, PostSupervisor, Student
from siimop_app.services import scope as scopes
from siimop_app.services.access import AccessDenied
from siimop_app.services.auth import SignedInUser

NOT_YOUR_POST = "Ce poste ne fait pas partie de vos postes."
NOT_REFERENT = "Seul le responsable référent du poste peut effectuer cette modification."


def supervisor_link(session: Session, user_id: int, post_id: int) -> PostSupervisor | None:
    return session.exec(
        select(PostSupervisor).where(PostSupervisor.post_id == post_id, PostSupervisor.user_id == user_id)
    ).first()


def require_supervised_post(session: Session, user: SignedInUser, post_id: int, *, referent: bool) -> Post:
    """The post if ``user`` supervises it (as référent when ``referent``); else AccessDenied in French.

    Unknown and foreign posts get the same answer, so ids cannot be probed.
    """
    link = supervisor_link(session, user.user_id, post_id) if Role.SUPERVISOR in user.roles else None
    if link is None:
        raise AccessDenied(NOT_YOUR_POST)
    if referent and not link.is_referent:
        raise AccessDenied(NOT_REFERENT)
    post = session.get(Post, post_id)
    if post is None:
        raise AccessDenied(NOT_YOUR_POST)
    return post


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
