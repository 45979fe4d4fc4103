"""All SQLModel tables. Importing this package registers every table on ``SQLModel.metadata``."""

from siimop_app.models._base import utcnow
from siimop_app.models.applications import Application, Assignment, Observation, Ranking, RankingEntry
from siimop_app.models.campaign import CalendarVersion, Campaign, Phase, PhaseKind, Round, RoundStatus, Wave
from siimop_app.models.geo import Establishment, Region, Specialty, SpecialtyOption, Subdivision
from siimop_app.models.imports import ImportBatch
from siimop_app.models.people import MANAGER_ROLES, STAFF_ROLES, EmailKind, Role, RoleGrant, Student, User, UserEmail
from siimop_app.models.posts import POST_TYPE_LABELS, Post, PostSupervisor, PostType, Site
from siimop_app.models.records import (
    AuditEntry,
    Document,
    DocumentKind,
    OutboxMail,
    PendingEmail,
    Reminder,
    SignInToken,
    SupportMessage,
    SupportTicket,
    UserSession,
)

__all__ = [
    "Application", "Assignment", "AuditEntry", "CalendarVersion", "Campaign", "Document", "DocumentKind", "EmailKind",
    "Establishment", "ImportBatch", "Observation", "OutboxMail", "POST_TYPE_LABELS", "PendingEmail", "Phase", "PhaseKind",
    "Post", "PostSupervisor", "PostType", "Ranking", "RankingEntry", "Region", "Reminder", "Role", "RoleGrant", "Round",
    "RoundStatus", "STAFF_ROLES", "MANAGER_ROLES",
    "SignInToken", "Site", "Specialty", "SpecialtyOption", "Student", "Subdivision", "SupportMessage", "SupportTicket",
    "User", "UserEmail", "UserSession", "Wave", "utcnow",
]
