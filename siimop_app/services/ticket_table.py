"""The managers' support inbox: the tickets of their scope, filtered and paged by the database, and its figures.

Filters (every value checked before it reaches a query): ``q`` (subject, requester's name or address, ticket
number), ``status``, ``subdivision`` (id), ``problem`` (a label of ``support.PROBLEM_TYPES``), ``escalated``
("oui"/"non"). Newest first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import sqlalchemy as sa
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import Subdivision, SupportTicket, User
from siimop_app.services import support
from siimop_app.services.auth import SignedInUser
from siimop_app.services.overview import Choice, Figure, choices, percent
from siimop_app.services.table_kit import NO_FILTER, Column, Filter, Table, line_class

# Newest first, never sorted otherwise.
TABLE_COLUMNS = tuple(Column(key, label, sortable=False) for key, label in (
    ("number", "N°"), ("created", "Ouvert le"), ("status", "Statut"), ("subject", "Sujet"),
    ("requester", "Demandeur"), ("subdivision", "Subdivision"), ("problem", "Problème"),
    ("assigned", "Assigné à"), ("escalated", "Équipe SiiMOP")))
COLUMNS = tuple((c.key, c.label) for c in TABLE_COLUMNS)
# The problem labels are long: the select sends their index (the page turns it back into the label).
FILTERS = (
    Filter("status", "Statut", choices=tuple(support.STATUS_LABELS.items())),
    Filter("subdivision", "Subdivision", "Toutes", options="subdivisions"),
    Filter("problem", "Problème", choices=tuple((str(i), label) for i, label in enumerate(support.PROBLEM_TYPES))),
    Filter("escalated", "Transmis à l'équipe SiiMOP", choices=(("oui", "Oui"), ("non", "Non"))),
)
TicketLine = line_class(__name__, "TicketLine", TABLE_COLUMNS)
FILTER_KEYS = ("q", "status", "subdivision", "problem", "escalated")
ANSWER_DELAY = dt.timedelta(days=1)


def _clean(filters: Mapping[str, object] | None) -> dict[str, str]:
    raw = {key: str((filters or {}).get(key, "") or "").strip()[:100] for key in FILTER_KEYS}
    raw = {key: ("" if value.lower() in NO_FILTER else value) for key, value in raw.items()}
    if raw["status"] not in ("", *support.STATUS_LABELS):
        raw["status"] = ""
    if raw["problem"] not in ("", *support.PROBLEM_TYPES):
        raw["problem"] = ""
    if raw["escalated"] not in ("", "oui", "non"):
        raw["escalated"] = ""
    if raw["subdivision"] and not raw["subdivision"].isdigit():
        raw["subdivision"] = "0"  # a forged value matches no subdivision rather than all of them
    return raw


def _conditions(session, user: SignedInUser, clean: dict[str, str], *, with_status: bool = True) -> list:
    where = [support.staff_condition(session, user)]
    if clean["status"] and with_status:
        where.append(SupportTicket.status == clean["status"])
    if clean["subdivision"]:
        where.append(SupportTicket.subdivision_id == int(clean["subdivision"]))
    if clean["problem"]:
        where.append(SupportTicket.problem_type == clean["problem"])
    if clean["escalated"]:
        where.append(SupportTicket.escalated_at.is_not(None) if clean["escalated"] == "oui"
                     else SupportTicket.escalated_at.is_(None))
    if clean["q"]:
        like = f"%{clean['q'].lower()}%"
        text = [sa.func.lower(SupportTicket.subject).like(like), sa.func.lower(SupportTicket.full_name).like(like),
                SupportTicket.email.like(like)]
        if clean["q"].lstrip("n°# ").isdigit():
            text.append(SupportTicket.id == int(clean["q"].lstrip("n°# ")))
        where.append(sa.or_(*text))
    return where


def query_tickets(user: SignedInUser, *, filters: Mapping[str, object] | None = None, offset: int = 0,
                  limit: int = 50) -> tuple[list[TicketLine], int]:
    """One page of the tickets the user may see matching ``filters``, newest first, and how many match."""
    clean = _clean(filters)
    offset, limit = max(0, int(offset)), max(1, min(int(limit), 500))
    assignee = sa.orm.aliased(User)
    with transaction() as session:
        where = _conditions(session, user, clean)
        total = session.exec(select(sa.func.count(SupportTicket.id)).where(*where)).one()
        rows = session.exec(
            select(SupportTicket, Subdivision.label, assignee.first_name, assignee.last_name)
            .outerjoin(Subdivision, Subdivision.id == SupportTicket.subdivision_id)
            .outerjoin(assignee, assignee.id == SupportTicket.assigned_user_id)
            .where(*where)
            .order_by(SupportTicket.created_at.desc(), SupportTicket.id.desc())
            .offset(offset).limit(limit)
        ).all()
    return [
        TicketLine(
            id=t.id,
            number=str(t.id),
            created=support._paris(t.created_at),
            status=support.STATUS_LABELS[t.status],
            subject=t.subject,
            requester=t.full_name,
            subdivision=label or "",
            problem=t.problem_type,
            assigned=f"{first} {last.upper()}" if first else "",
            escalated="Oui" if t.escalated_at else "",
        )
        for t, label, first, last in rows
    ], total


def ticket_statistics(user: SignedInUser, filters: Mapping[str, object] | None = None) -> list[Figure]:
    """"Tickets ouverts" (not resolved, among the filtered tickets whatever the status filter) and "Réponse en
    moins d'un jour" (tickets whose first answer came within 24 h of their opening, among the filtered ones)."""
    clean = _clean(filters)
    with transaction() as session:
        where = _conditions(session, user, clean, with_status=False)
        total, still_open = session.exec(
            select(sa.func.count(SupportTicket.id),
                   sa.func.coalesce(sa.func.sum(sa.case((SupportTicket.status != "resolved", 1), else_=0)), 0))
            .where(*where)).one()
        answered = session.exec(select(SupportTicket.created_at, SupportTicket.first_answer_at)
                                .where(*where, SupportTicket.first_answer_at.is_not(None))).all()
    quick = sum(1 for opened, first in answered if first - opened <= ANSWER_DELAY)
    return [
        Figure("Tickets ouverts", percent(int(still_open), int(total))),
        Figure("Réponse en moins d'un jour", percent(quick, int(total))),
    ]


def subdivision_options(user: SignedInUser) -> list[Choice]:
    """The subdivisions of the tickets the user may see."""
    with transaction() as session:
        rows = session.exec(
            select(Subdivision.id, Subdivision.label)
            .join(SupportTicket, SupportTicket.subdivision_id == Subdivision.id)
            .where(support.staff_condition(session, user))
            .distinct()
        ).all()
    return choices(rows)


TABLE = Table(
    name="tickets", file_stem="tickets", noun="tickets", unit="ticket(s)",
    search_label="Filtre par sujet, demandeur, adresse ou n° de ticket", columns=TABLE_COLUMNS, filters=FILTERS,
    default_sort="", line=TicketLine,
    query=lambda user, *, filters, sort, descending, offset, limit: query_tickets(user, filters=filters,
                                                                                  offset=offset, limit=limit),
    iterate=None, statistics=ticket_statistics, options=lambda user: {"subdivisions": subdivision_options(user)},
)
