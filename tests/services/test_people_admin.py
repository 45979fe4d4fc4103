"""People and scopes: search, grant and revoke with scope, main address, deactivation; audited; region-bound."""

from __future__ import annotations

import pytest
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import Region, RoleGrant, Specialty, Subdivision, UserSession
from siimop_app.services import auth, people_admin
from siimop_app.services.access import AccessDenied
from tests.services.factories import make_user
from tests.services.test_imports import ids, signed_in
from tests.services.test_student_table import cookie_of


def test_a_manager_manages_people_of_their_region_only(db_url, outbox):
    hdf, amiens, tours = ids(Region, "HDF"), ids(Subdivision, "AMIENS"), ids(Subdivision, "TOURS")
    urg = ids(Specialty, "MED-URG")
    manager = signed_in(make_user("ars@example.fr", "manager", first="Arnaud", last="Monier", region_id=hdf))
    admin = signed_in(make_user("admin@example.fr", "admin", last="Admin"))
    local = make_user("camille@example.fr", "coordinator", last="Local", subdivision_id=amiens, specialty_id=urg)
    far = make_user("paul@example.fr", "coordinator", first="Paul", last="Loin", subdivision_id=tours,
                    specialty_id=urg)

    assert [p.email for p in people_admin.search(manager, "example.fr")] == ["camille@example.fr", "ars@example.fr"]
    assert {p.email for p in people_admin.search(admin, "example")} >= {"paul@example.fr", "camille@example.fr"}
    with pytest.raises(AccessDenied):
        people_admin.person(manager, far)

    people_admin.grant_role(manager, local, "manager", region_id=hdf)
    with pytest.raises(AccessDenied, match="périmètre"):
        people_admin.grant_role(manager, local, "coordinator", subdivision_id=tours, specialty_id=urg)
    with pytest.raises(AccessDenied, match="administrateur"):
        people_admin.grant_role(manager, local, "admin")
    with pytest.raises(people_admin.PeopleError, match="déjà"):
        people_admin.grant_role(manager, local, "manager", region_id=hdf)

    cookie = cookie_of(outbox, "camille@example.fr")
    assert people_admin.change_main_email(manager, local, " Camille.Local@CHU.example.fr ") == \
        "camille.local@chu.example.fr"
    with pytest.raises(people_admin.PeopleError, match="autre personne"):
        people_admin.change_main_email(manager, local, "ars@example.fr")
    people_admin.set_active(manager, local, False)
    assert auth.resolve_session(cookie) is None  # deactivated: signed out at once
    with transaction() as session:
        assert session.exec(select(UserSession).where(UserSession.user_id == local)).one().revoked_at is not None
        grant_id = session.exec(select(RoleGrant.id).where(RoleGrant.user_id == local,
                                                           RoleGrant.role == "coordinator")).one()
    people_admin.revoke_grant(manager, grant_id)

    page = people_admin.person(manager, local)
    assert page.header.active is False and page.emails[0].email == "camille.local@chu.example.fr"
    assert [g.label for g in page.grants] == ["Gestionnaire"]
    assert [h.action for h in page.history] == ["grant.revoke", "user.deactivate", "user.main_email",
                                                      "grant.create"]
    assert {h.who for h in page.history} == {"Arnaud MONIER"}
    with pytest.raises(people_admin.PeopleError, match="propre compte"):
        people_admin.set_active(manager, manager.user_id, False)
