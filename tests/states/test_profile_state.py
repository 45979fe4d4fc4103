"""Mon profil's handlers without a browser: adding, validating and removing a secondary address."""

from __future__ import annotations

import reflex as rx
from reflex.istate.data import PageData

from siimop_app.pages.profile import EmailValidationState, ProfileState
from tests.services.test_emails import _validation_token
from tests.states.test_guards import demo_address, load_demo, page_state, sign_in


def test_the_student_adds_and_validates_a_professional_address(db_url, outbox):
    load_demo("ranking")
    profile = page_state(ProfileState, sign_in(outbox, demo_address("student")))
    profile.load()
    profile.add_email({"email": "remi.pro@chu-lille.example", "kind_label": "Professionnelle"})
    assert profile.error == "" and "lien de validation" in profile.message
    assert profile.emails[-1].status == "En attente de validation"

    root = rx.State(_reflex_internal_init=True)
    token = _validation_token(outbox, "remi.pro@chu-lille.example")
    root.rx_router_page = PageData(path="/profil/validation/[token]", params={"token": token})
    landing = root.get_substate(EmailValidationState.get_full_name().split("."))
    landing.validate()
    assert landing.validated == "remi.pro@chu-lille.example"
    profile.load()
    assert profile.emails[-1].status == "Validée"

    profile.remove_email(profile.emails[0].id)  # the main address
    assert "gestionnaire" in profile.error


def test_anonymous_visitors_cannot_add_addresses(db_url, outbox):
    load_demo("ranking")
    anonymous = page_state(ProfileState)
    anonymous.add_email({"email": "x@y.example", "kind_label": "Personnelle"})
    assert anonymous.error and anonymous.emails == []


def test_mon_profil_answers_alike_for_a_free_address_and_another_accounts(db_url, outbox):
    """Issue 10: the profile page must not reveal which addresses have accounts (the conflict is told only to
    whoever follows the link, i.e. the address's owner)."""
    load_demo("ranking")
    seen = []
    for address in ("personne@nulle-part.example", demo_address("rts")):
        profile = page_state(ProfileState, sign_in(outbox, demo_address("student")))
        profile.load()
        profile.add_email({"email": address, "kind_label": "Personnelle"})
        row = profile.emails[-1]
        seen.append((profile.error, profile.message, row.email == address, row.status, len(profile.emails)))
        profile.withdraw_email(row.id)
        assert profile.error == "" and all(e.email != address for e in profile.emails)
    assert seen[0] == seen[1]
    assert seen[0][:4] == ("", seen[0][1], True, "En attente de validation") and "lien de validation" in seen[0][1]
