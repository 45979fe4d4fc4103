"""Small builders for service tests: a few rows, written through the same transaction helper as the app."""

from __future__ import annotations

import datetime as dt

from siimop_app.db import transaction
from siimop_app.models import RoleGrant, User, UserEmail, utcnow


def make_user(email: str, *roles: str, first: str = "Camille", last: str = "Durand",
              secondary: dict[str, bool] | None = None, active: bool = True, **scope) -> int:
    """A user with a validated main address, optional secondary addresses (address -> validated) and roles."""
    with transaction() as session:
        user = User(first_name=first, last_name=last, is_active=active)
        session.add(user)
        session.flush()
        session.add(UserEmail(user_id=user.id, email=email, kind="main", validated_at=utcnow()))
        for address, validated in (secondary or {}).items():
            session.add(UserEmail(user_id=user.id, email=address, kind="personal",
                                  validated_at=utcnow() if validated else None))
        for role in roles:
            session.add(RoleGrant(user_id=user.id, role=role, **scope))
        return user.id


def days_ago(days: float) -> dt.datetime:
    return utcnow() - dt.timedelta(days=days)
