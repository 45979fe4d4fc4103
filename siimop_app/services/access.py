"""Authorization helpers: who may enter which interface. Every state handler calls these."""

from __future__ import annotations

from siimop_app.services.auth import SignedInUser

# Each role's home page; the order is the order of preference when a person holds several roles.
ROLE_HOMES: dict[str, str] = {
    "admin": "/gestionnaire",
    "manager": "/gestionnaire",
    "coordinator": "/coordonnateur",
    "supervisor": "/rts/postes",
    "student": "/etudiant",
}
ROLE_INTERFACE_LABELS: dict[str, str] = {
    "student": "Étudiant",
    "supervisor": "Responsable de terrain",
    "coordinator": "Coordonnateur",
    "manager": "Gestionnaire",
    "admin": "Administration",
}
# Roles that must still reach the app between campaigns, to prepare the next one.
ROLES_OPEN_OUTSIDE_CAMPAIGN = frozenset({"coordinator", "manager", "admin"})


class AccessDenied(Exception):
    """The signed-in user may not do this; the message is for the user, in French."""


def primary_role(user: SignedInUser) -> str | None:
    """The interface a person lands on: a supervisor who also coordinates lands on the supervisor's pages (seed)."""
    return next((role for role in ("supervisor", "student", "coordinator", "manager", "admin") if role in user.roles), None)


def home_for(user: SignedInUser) -> str:
    role = primary_role(user)
    return ROLE_HOMES[role] if role else "/profil"


def require_role(user: SignedInUser | None, *roles: str) -> SignedInUser:
    if user is None:
        raise AccessDenied("Votre session a expiré : veuillez vous reconnecter.")
    if not set(roles) & set(user.roles):
        raise AccessDenied("Vous n'avez pas accès à cette page.")
    return user


def may_enter_when_closed(user: SignedInUser) -> bool:
    return bool(ROLES_OPEN_OUTSIDE_CAMPAIGN & set(user.roles))
