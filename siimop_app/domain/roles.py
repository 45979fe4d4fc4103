"""The roles a person can hold, and the groups of them that share pages: the one vocabulary of every layer.

Pure (no database): the models store these values in ``role_grant.role``, a session carries them, the
services check them, the pages pick their menus by them. A ``StrEnum``, so ``Role.ADMIN == "admin"``.
"""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    """The role names stored in ``role_grant.role`` and carried by a session (a StrEnum: equal to its text)."""

    STUDENT = "student"
    SUPERVISOR = "supervisor"
    COORDINATOR = "coordinator"
    MANAGER = "manager"
    ADMIN = "admin"


# Who sees the coordinators' tables and figures, each within their scope.
STAFF_ROLES: tuple[Role, ...] = (Role.COORDINATOR, Role.MANAGER, Role.ADMIN)
# Who runs the platform of a region (or the country): the back office, the support desk.
MANAGER_ROLES: tuple[Role, ...] = (Role.MANAGER, Role.ADMIN)
