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
# The order in which a person's interfaces are preferred: an RTS who also coordinates lands on the RTS pages (seed).
INTERFACE_ORDER = ("supervisor", "student", "coordinator", "manager", "admin")
# Interfaces that stay open between campaigns, to prepare the next one; the others show "application fermée".
OPEN_OUTSIDE_CAMPAIGN = frozenset({"coordinator", "manager", "admin"})


class AccessDenied(Exception):
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
    return "/fermee" if not campaign_open else "/profil"


def require_role(user: SignedInUser | None, *roles: str) -> SignedInUser:
    if user is None:
        raise AccessDenied("Votre session a expiré : veuillez vous reconnecter.")
    if not set(roles) & set(user.roles):
        raise AccessDenied("Vous n'avez pas accès à cette page.")
    return user
