"""Authorization helpers: who may enter which interface. Every state handler calls these."""

from __future__ import annotations

from siimop_app import routes
from siimop_app.domain.errors import UserError
from siimop_app.domain.roles import STAFF_ROLES, Role
from siimop_app.services.auth import SignedInUser

# Each role's home page; the order is the order of preference when a person holds several roles.
ROLE_HOMES: dict[str, str] = {
    Role.ADMIN: routes.MANAGER_HOME.path,
    Role.MANAGER: routes.MANAGER_HOME.path,
    Role.COORDINATOR: routes.STUDENT_TABLE.path,
    Role.SUPERVISOR: routes.SUPERVISOR_POSTS.path,
    Role.STUDENT: routes.STUDENT_HOME.path,
}
ROLE_INTERFACE_LABELS: dict[str, str] = {
    Role.STUDENT: "Étudiant",
    Role.SUPERVISOR: "Responsable de terrain",
    Role.COORDINATOR: "Coordonnateur",
    Role.MANAGER: "Gestionnaire",
    Role.ADMIN: "Administration",
}
# The order in which a person's interfaces are preferred: an RTS who also coordinates lands on the RTS pages (seed).
INTERFACE_ORDER = (Role.SUPERVISOR, Role.STUDENT, Role.COORDINATOR, Role.MANAGER, Role.ADMIN)
# Interfaces that stay open between campaigns, to prepare the next one; the others show "application fermée".
OPEN_OUTSIDE_CAMPAIGN = frozenset(STAFF_ROLES)


class AccessDenied(UserError):
    """The signed-in user may not do this; the message is for the user, in French."""


def interface_is_open(interface: str, campaign_open: bool) -> bool:
    return campaign_open or interface in OPEN_OUTSIDE_CAMPAIGN


def open_interfaces(user: SignedInUser, campaign_open: bool) -> list[str]:
    return [role for role in INTERFACE_ORDER if role in user.roles and interface_is_open(role, campaign_open)]


def primary_role(user: SignedInUser, campaign_open: bool = True) -> str | None:
    """The interface a person lands on: the first of their roles whose interface is open."""
    interfaces = open_interfaces(user, campaign_open)
    return interfaces[0] if interfaces else None


def home_for(user: SignedInUser, campaign_open: bool = True) -> str:
    role = primary_role(user, campaign_open)
    if role:
        return ROLE_HOMES[role]
    return routes.CLOSED.path if not campaign_open else routes.PROFILE.path


def require_role(user: SignedInUser | None, *roles: str) -> SignedInUser:
    if user is None:
        raise AccessDenied("Votre session a expiré : veuillez vous reconnecter.")
    if not set(roles) & set(user.roles):
        raise AccessDenied("Vous n'avez pas accès à cette page.")
    return user
