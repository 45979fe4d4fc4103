"""The support pages' handlers, without a browser: the form, the private link, the managers' inbox and ticket
page refuse forged values, other managers' tickets and other roles, and change nothing when they refuse."""

from __future__ import annotations

import asyncio
import io
import re

from sqlmodel import select
from starlette.datastructures import UploadFile as StarletteUploadFile

import siimop_app.siimop_app  # noqa: F401  (registers the pages and their route arguments)
from siimop_app.db import transaction
from siimop_app.models import Region, SupportTicket
from siimop_app.pages.manager.ticket_detail import TicketDetailState
from siimop_app.pages.manager.tickets import TicketInboxState
from siimop_app.pages.my_tickets import MyTicketsState
from siimop_app.pages.support import SupportState
from siimop_app.pages.support_follow import FollowTicketState
from siimop_app.services import support
from siimop_app.services.overview import Choice
from tests.services.factories import make_user
from tests.services.mailbox import messages
from tests.states.reflex_state import settle
from tests.states.test_guards import demo_address, load_demo, page_state, redirects, sign_in

FOLLOW = re.compile(r"/assistance/suivi/(\S+)")


def _routed(cls, path: str, params: dict[str, str], cookie: str = ""):
    return page_state(cls, cookie, path=path, params=params)


def _fill(state: SupportState, **overrides) -> None:
    values = dict(full_name="Rémi Thermidor", email="remi@gmail.example", requester_status=support.REQUESTER_STATUSES[0],
                  university="LILLE", problem_type="Connexion", subject="Pas de lien",
                  description="Je ne reçois pas le lien de connexion.")
    values.update(overrides)
    for name, value in values.items():
        state.set_field(name, value)


def _attach(state: SupportState, filename: str, data: bytes) -> None:
    from reflex_components_core.core._upload import _upload_file_from_starlette

    file = _upload_file_from_starlette(StarletteUploadFile(io.BytesIO(data), filename=filename, size=len(data)))
    asyncio.run(state.attach([file]))


def _anonymous_ticket(outbox) -> tuple[int, str]:
    state = page_state(SupportState)
    settle(state.load())
    _fill(state)
    state.submit({})
    assert "confirmer votre adresse" in state.confirmation, state.error
    with transaction() as session:
        ticket_id = session.exec(select(SupportTicket.id).order_by(SupportTicket.id.desc())).first()
    body = messages(outbox)[-1].get_body(("plain",)).get_content()
    return ticket_id, FOLLOW.findall(body)[-1]


def _other_region_manager() -> str:
    with transaction() as session:
        region = Region(code="CVL-TEST", name="Centre-Val de Loire (test)")
        session.add(region)
        session.flush()
        region_id = region.id
    make_user("ars-cvl@ars.example", "manager", region_id=region_id)
    return "ars-cvl@ars.example"


def test_outside_a_campaign_the_form_says_support_is_closed_and_refuses_a_forged_submit(db_url):
    state = page_state(SupportState)
    settle(state.load())
    assert not state.support_open
    _fill(state)
    state.submit({})
    assert state.error == support.CLOSED_MESSAGE and state.confirmation == ""
    with transaction() as session:
        assert session.exec(select(SupportTicket)).all() == []


def test_the_form_ignores_forged_fields_and_checks_the_attachment_when_dropped(db_url, outbox):
    load_demo("ranking")
    state = page_state(SupportState)
    settle(state.load())
    assert state.support_open and Choice("LILLE", "SUBDI LILLE") in state.universities
    state.set_field("session_cookie", "1.forged")
    assert state.session_cookie == ""
    _attach(state, "capture.png", b"GIF89a not a png")
    assert state.error == support.BAD_ATTACHMENT and state.attachment_name == ""
    assert state.error_fields == ["attachment"]  # the drop zone is marked in error
    _attach(state, "capture.png", b"\x89PNG\r\n\x1a\n" + b"0" * 16)
    assert state.error == "" and state.attachment_name == "capture.png" and state.error_fields == []
    _fill(state, university="ATLANTIDE")
    state.submit({})
    assert "dans la liste proposée" in state.error and state.subject == "Pas de lien"  # what was typed stays
    assert state.error_fields == ["university"]


def test_a_confirmed_ticket_reaches_the_regions_manager_not_another_and_forged_ids_read_as_missing(db_url, outbox):
    load_demo("ranking")
    ticket_id, token = _anonymous_ticket(outbox)
    manager_cookie = sign_in(outbox, demo_address("manager"))
    inbox = page_state(TicketInboxState, manager_cookie)
    assert redirects(settle(inbox.load())) == []
    assert inbox.total == 0  # not confirmed yet

    follow = _routed(FollowTicketState, "/assistance/suivi/[ticket_token]", {"ticket_token": token})
    settle(follow.load())
    assert follow.view.id == ticket_id and follow.link_error == ""
    settle(inbox.load())
    assert [row.id for row in inbox.rows] == [ticket_id]
    settle(inbox.set_filter("status", "supprimé"))  # not a status: no filter
    assert inbox.f_status == "all" and inbox.total == 1
    settle(inbox.set_filter("subdivision", "1 OR 1=1"))
    assert inbox.total == 0
    settle(inbox.reset_filters())

    other_cookie = sign_in(outbox, _other_region_manager())
    other_inbox = page_state(TicketInboxState, other_cookie)
    settle(other_inbox.load())
    assert other_inbox.total == 0
    other = _routed(TicketDetailState, "/gestionnaire/tickets/[ticket_id]", {"ticket_id": str(ticket_id)}, other_cookie)
    settle(other.load())
    assert other.error == support.NOT_FOUND and other.view == support.NO_TICKET
    other.escalate()
    other.set_reply("Je réponds quand même")
    other.send_reply({})
    assert other.error == support.NOT_FOUND
    with transaction() as session:
        ticket = session.get(SupportTicket, ticket_id)
    assert (ticket.status, ticket.escalated_at) == ("new", None)

    student = _routed(TicketDetailState, "/gestionnaire/tickets/[ticket_id]", {"ticket_id": str(ticket_id)},
                      sign_in(outbox, demo_address("student")))
    assert redirects(settle(student.load())) == ["/"] and student.view == support.NO_TICKET

    detail = _routed(TicketDetailState, "/gestionnaire/tickets/[ticket_id]", {"ticket_id": str(ticket_id)},
                     manager_cookie)
    settle(detail.load())
    detail.set_assignee("999999")
    detail.assign()
    assert "ne peut pas traiter" in detail.error
    detail.set_reply("Votre adresse est corrigée.")
    detail.send_reply({})
    assert detail.error == "" and detail.view.status_label == "En attente de l'utilisateur"
    assert str(messages(outbox)[-1]["To"]) == "remi@gmail.example"
    detail.escalate()
    assert detail.view.escalated

    forged = _routed(FollowTicketState, "/assistance/suivi/[ticket_token]", {"ticket_token": f"{ticket_id}.forged"})
    settle(forged.load())
    assert forged.view == support.NO_TICKET and "n'est pas valide" in forged.link_error
    forged.set_reply("Bonjour")
    forged.send_reply({})
    assert forged.view == support.NO_TICKET and forged.notice == ""  # no ticket behind the link: nothing is sent
    settle(follow.load())
    follow.set_reply("Merci !")
    follow.send_reply({})
    assert [m.body for m in follow.view.messages] == ["Votre adresse est corrigée.", "Merci !"]


def test_my_tickets_shows_only_the_users_own_tickets(db_url, outbox):
    load_demo("ranking")
    ticket_id, _ = _anonymous_ticket(outbox)
    cookie = sign_in(outbox, demo_address("student"))
    form = page_state(SupportState, cookie)
    settle(form.load())
    _fill(form, university="", email=demo_address("student"))
    form.submit({})
    assert "Mes tickets" in form.confirmation
    mine = page_state(MyTicketsState, cookie)
    assert redirects(settle(mine.load())) == []
    assert [t.subject for t in mine.tickets] == ["Pas de lien"]
    mine.open_ticket(ticket_id)  # the anonymous ticket is not theirs
    assert mine.error == support.NOT_FOUND and mine.view == support.NO_TICKET
    mine.open_ticket(mine.tickets[0].id)
    assert mine.view.subdivision == "SUBDI LILLE"
