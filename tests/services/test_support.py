"""Assistance tickets (SPEC §8): validated in French, routed to the requester's subdivision, audited."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.demo.generator import DEMO_ACCOUNTS
from siimop_app.models import AuditEntry, Region, Specialty, Subdivision, SupportTicket, UserEmail
from siimop_app.services import support
from tests.services.factories import make_campaign, make_post, make_student, make_supervisor, make_user, reference_id


@pytest.fixture(autouse=True)
def campaign_open(monkeypatch):
    """These tests are about the form's rules, not the calendar (tested below with a real one)."""
    monkeypatch.setattr(support, "support_is_open", lambda at=None: True)


@pytest.fixture
def lille(db_url):
    """The subdivision a signed-out requester picks as "Université de rattachement" (the demo has its own)."""
    with transaction() as session:
        # A migrated database already holds the national reference data; an older schema may not.
        if session.exec(select(Subdivision).where(Subdivision.code == "LILLE")).first() is None:
            region = Region(code="HDF-TEST", name="Hauts-de-France (test)")
            session.add(region)
            session.flush()
            session.add(Subdivision(code="LILLE", label="SUBDI LILLE", region_id=region.id))


def _ticket(**overrides) -> dict:
    values = dict(
        user_id=None,
        full_name="Rémi Thermidor",
        email="remi.thermidor@gmail.example",
        requester_status="Étudiant / Docteur Junior",
        university="LILLE",
        problem_type="Connexion",
        subject="Je ne reçois pas le lien",
        description="J'ai demandé trois fois le lien de connexion, rien dans ma boîte.",
    )
    values.update(overrides)
    return values


def _counts() -> tuple[int, int]:
    with transaction() as session:
        tickets = session.exec(select(sa.func.count()).select_from(SupportTicket)).one()
        audits = session.exec(select(sa.func.count()).select_from(AuditEntry)).one()
    return tickets, audits


def _demo_user(account: str) -> int:
    with transaction() as session:
        return session.exec(select(UserEmail.user_id).where(UserEmail.email == DEMO_ACCOUNTS[account][2])).one()


def _subdivision_code(ticket_id: int) -> str | None:
    with transaction() as session:
        ticket = session.get(SupportTicket, ticket_id)
        return session.get(Subdivision, ticket.subdivision_id).code if ticket.subdivision_id else None


def test_missing_fields_are_listed_by_their_french_labels_and_nothing_is_written(lille):
    with pytest.raises(support.TicketError) as refused:
        support.open_ticket(**_ticket(full_name="  ", email="", subject="\t", description=" \n ", university=""))
    assert str(refused.value) == (
        "Champs obligatoires manquants : Nom complet, Adresse email, Université de rattachement, Sujet, Description."
    )
    # The form marks these fields in error (aria-invalid) and ties them to the message.
    assert refused.value.fields == ("full_name", "email", "university", "subject", "description")
    with pytest.raises(support.TicketError, match="Champs obligatoires manquants : Statut, Problème.") as refused:
        support.open_ticket(**_ticket(requester_status="", problem_type=""))
    assert refused.value.fields == ("requester_status", "problem_type")
    assert _counts() == (0, 0)


def test_university_is_optional_when_signed_in_and_required_signed_out(lille):
    assert support.open_ticket(**_ticket(user_id=make_user("camille@chu.example", "supervisor"))).id > 0
    with pytest.raises(support.TicketError, match="Champs obligatoires manquants : Université de rattachement."):
        support.open_ticket(**_ticket(university=""))


@pytest.mark.parametrize(
    "overrides",
    [
        {"requester_status": "Président de la République"},
        {"problem_type": "Mon ordinateur est en panne"},
        {"requester_status": "étudiant / docteur junior"},  # not the exact label of the list
    ],
)
def test_status_and_problem_must_come_from_the_lists(lille, overrides):
    with pytest.raises(support.TicketError, match="Veuillez choisir un statut et un problème dans les listes proposées."):
        support.open_ticket(**_ticket(**overrides))
    assert _counts() == (0, 0)


def test_invalid_email_and_too_long_texts_are_refused_in_french(lille):
    with pytest.raises(support.TicketError, match="L'adresse email n'est pas valide.") as refused:
        support.open_ticket(**_ticket(email="remi.thermidor"))
    assert refused.value.fields == ("email",)
    with pytest.raises(support.TicketError, match="trop long") as refused:
        support.open_ticket(**_ticket(subject="x" * 201))
    assert refused.value.fields == ("subject",)
    with pytest.raises(support.TicketError, match="trop long"):
        support.open_ticket(**_ticket(description="x" * 10001))
    assert _counts() == (0, 0)
    assert support.open_ticket(**_ticket(user_id=make_user("c@chu.example"), subject="x" * 200,
                                        description="x" * 10000)).id > 0


def test_a_student_ticket_goes_to_the_student_subdivision_and_is_audited(db_url):
    make_student(DEMO_ACCOUNTS["student"][2], subdivision="LILLE")
    student_id = _demo_user("student")
    before_tickets, before_audits = _counts()
    ticket_id = support.open_ticket(**_ticket(user_id=student_id, email="  ETUDIANT@demo.siimop.fr ",
                                              subject="  Vœux  ")).id
    assert _subdivision_code(ticket_id) == "LILLE"  # the student studies in Lille
    with transaction() as session:
        ticket = session.get(SupportTicket, ticket_id)
        entries = session.exec(select(AuditEntry).where(AuditEntry.entity == "support_ticket")).all()
    assert (ticket.user_id, ticket.email, ticket.subject, ticket.status) == (
        student_id, "etudiant@demo.siimop.fr", "Vœux", "new"
    )
    assert _counts() == (before_tickets + 1, before_audits + 1)
    [entry] = entries
    assert (entry.actor_user_id, entry.action, entry.entity_id) == (student_id, "open_ticket", ticket_id)
    assert json.loads(entry.after_json) == {"subject": "Vœux", "problem_type": "Connexion"}


def test_a_supervisor_ticket_goes_to_the_subdivision_of_their_site(db_url):
    make_campaign()
    make_post(make_supervisor(DEMO_ACCOUNTS["rts2"][2]), subdivision="AMIENS")
    ticket_id = support.open_ticket(**_ticket(
        user_id=_demo_user("rts2"), requester_status="Praticien hospitalier ou libéral",
        problem_type="Données d'un poste erronées (demande de correction)",
    )).id
    assert _subdivision_code(ticket_id) == "AMIENS"  # the RTS's site is around Amiens


def test_a_signed_in_user_without_student_file_or_site_gets_the_subdivision_they_chose_or_none(lille):
    user_id = make_user("sans-terrain@chu.example", "supervisor")
    assert _subdivision_code(support.open_ticket(**_ticket(user_id=user_id)).id) == "LILLE"
    assert _subdivision_code(support.open_ticket(**_ticket(user_id=user_id, university="")).id) is None


def test_an_over_long_university_is_refused_in_french(lille):
    with pytest.raises(support.TicketError):
        support.open_ticket(**_ticket(university="SUBDI " + "x" * 120))


def test_a_coordinator_ticket_goes_to_the_subdivision_they_coordinate(db_url):
    make_user(DEMO_ACCOUNTS["coordinator"][2], "coordinator", subdivision_id=reference_id(Subdivision, "AMIENS"),
              specialty_id=reference_id(Specialty, "MED-URG"))
    ticket_id = support.open_ticket(**_ticket(user_id=_demo_user("coordinator"), requester_status="Coordonnateur")).id
    assert _subdivision_code(ticket_id) == "AMIENS"
