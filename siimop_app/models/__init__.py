"""All SQLModel tables. Importing this package registers every table on ``SQLModel.metadata``."""

from siimop_app.models._base import utcnow
from siimop_app.models.applications import Application, Assignment, Observation, Ranking, RankingEntry
from siimop_app.models.campaign import Campaign, Phase, PhaseKind, Round, RoundStatus, Wave
from siimop_app.models.geo import Establishment, Region, Specialty, SpecialtyOption, Subdivision
from siimop_app.models.imports import ImportBatch
from siimop_app.models.people import EmailKind, Role, RoleGrant, Student, User, UserEmail
from siimop_app.models.posts import POST_TYPE_LABELS, Post, PostSupervisor, PostType, Site
from siimop_app.models.records import (
    AuditEntry,
    Document,
    DocumentKind,
    PendingEmail,
    Reminder,
    SignInToken,
    SupportMessage,
    SupportTicket,
    UserSession,
)

__all__ = [
    "Application", "Assignment", "AuditEntry", "Campaign", "Document", "DocumentKind", "EmailKind",
    "Establishment", "ImportBatch", "Observation", "POST_TYPE_LABELS", "PendingEmail", "Phase", "PhaseKind", "Post",
    "PostSupervisor", "PostType", "Ranking", "RankingEntry", "Region", "Reminder", "Role", "RoleGrant", "Round",
    "RoundStatus",
    "SignInToken", "Site", "Specialty", "SpecialtyOption", "Student", "Subdivision", "SupportMessage", "SupportTicket",
    "User", "UserEmail", "UserSession", "Wave", "utcnow",
]
