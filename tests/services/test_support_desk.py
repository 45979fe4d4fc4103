"""The support desk (SPEC §9): a signed-out ticket waits for its address to be confirmed, reaches the managers
of its subdivision and no others, is answered, followed through its private link, escalated and resolved."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.models import AuditEntry, Document, Region, Subdivision, SupportTicket
from siimop_app.services import auth, documents, support, ticket_table
from siimop_app.services.access import AccessDenied
from siimop_app.services.overview import Choice, Figure
from tests.services.factories import make_user
from tests.services.mailbox import messages

FOLLOW = re.compile(r"https?://\S+/assistance/suivi/(\S+)")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def desk(db_url, monkeypatch):
    """Two regions with a subdivision each, a manager per region, an admin; the campaign is open."""
    monkeypatch.setattr(support, "support_is_open", lambda at=None: True)
    ids = {}
    with transaction() as session:
        for code, label, region in (("LILLE", "SUBDI LILLE", "HDF"), ("TOURS", "SUBDI TOURS", "CVL")):
            # The migrations load the national reference data: use it where it is there.
            r = session.exec(select(Region).where(Region.code == region)).first()
            if r is None:
                r = Region(code=region, name=region)
                session.add(r)
                session.flush()
            s = session.exec(select(Subdivision).where(Subdivision.code == code)).first()
            if s is None:
                s = Subdivision(code=code, label=label, region_id=r.id)
                session.add(s)
                session.flush()
            ids[code], ids[region] = s.id, s.region_id
    ids["lille_manager"] = make_user("ars-hdf@ars.example", "manager", first="Arnaud", last="Monier",
                                     region_id=ids["HDF"])
    ids["lille_colleague"] = make_user("scol-lille@univ.example", "manager", first="Lise", last="Carpentier",
                                       subdivision_id=ids["LILLE"])
    ids["tours_manager"] = make_user("ars-cvl@ars.example", "manager", first="Théo", last="Bernard",
                                     region_id=ids["CVL"])
    ids["admin"] = make_user("admin@siimop.example", "admin", first="Admin", last="Siimop")
    return ids


def _user(user_id: int) -> auth.SignedInUser:
    with transaction() as session:
        return auth.SignedInUser(user_id, "x", "y", "z", auth._roles(session, user_id))


def _open(**overrides) -> support.OpenedTicket:
    values = dict(user_id=None, full_name="Rémi Thermidor", email="remi@gmail.example",
                  requester_status="Étudiant / Docteur Junior", university="LILLE", problem_type="Connexion",
                  subject="Je ne reçois pas le lien", description="Rien dans ma boîte depuis hier.",
                  client_ip="203.0.113.7")
    values.update(overrides)
    return support.open_ticket(**values)


def _follow_token(outbox, address: str) -> str:
    bodies = [m.get_body(("plain",)).get_content() for m in messages(outbox) if str(m["To"]) == address]
    return FOLLOW.findall(bodies[-1])[-1]


def _inbox(user_id: int, **filters) -> list[str]:
    return [row.number for row in ticket_table.query_tickets(_user(user_id), filters=filters)[0]]


def test_outside_a_campaign_no_ticket_can_be_opened(db_url):
    with pytest.raises(support.TicketError, match="La plateforme support est fermée"):
        _open()
    with transaction() as session:
        assert session.exec(select(sa.func.count()).select_from(SupportTicket)).one() == 0


def test_a_signed_out_ticket_reaches_only_its_subdivision_managers_once_the_address_is_confirmed(desk, outbox):
    opened = _open()
    assert not opened.confirmed
    [receipt] = messages(outbox)
    assert f"n° {opened.id}" in receipt["Subject"] and "confirmez votre adresse" in receipt.get_body(("plain",)).get_content()
    token = _follow_token(outbox, "remi@gmail.example")
    with transaction() as session:
        stored = session.get(SupportTicket, opened.id)
    assert token.split(".", 1)[1] not in (stored.follow_secret_hash or "")  # only a hash is kept
    assert _inbox(desk["lille_manager"]) == [] and _inbox(desk["admin"]) == []  # not confirmed: nobody sees it

    view = support.follow_by_link(token)
    assert (view.id, view.status_label, view.subdivision) == (opened.id, "Nouveau", "SUBDI LILLE")
    assert _inbox(desk["lille_manager"]) == [str(opened.id)]
    assert _inbox(desk["lille_colleague"]) == [str(opened.id)]
    assert _inbox(desk["admin"]) == [str(opened.id)]
    assert _inbox(desk["tours_manager"]) == []
    with pytest.raises(support.TicketError, match="Ticket introuvable."):
        support.staff_ticket(_user(desk["tours_manager"]), opened.id)
    with pytest.raises(support.TicketError, match="Ticket introuvable."):
        support.staff_reply(_user(desk["tours_manager"]), opened.id, "Je réponds quand même")


def test_a_wrong_or_forged_follow_link_shows_nothing(desk, outbox):
    opened = _open()
    token = _follow_token(outbox, "remi@gmail.example")
    for forged in (f"{opened.id}.nope", f"{opened.id + 1}.{token.split('.', 1)[1]}", "abc", ""):
        with pytest.raises(support.TicketError, match="Ce lien de suivi n'est pas valide"):
            support.follow_by_link(forged)
    assert _inbox(desk["lille_manager"]) == []


def test_the_manager_answers_the_requester_reads_and_replies_notes_stay_internal(desk, outbox):
    opened = _open()
    token = _follow_token(outbox, "remi@gmail.example")
    support.follow_by_link(token)
    manager = _user(desk["lille_manager"])
    support.staff_note(manager, opened.id, "Vérifier l'adresse dans l'import de la faculté.")
    view = support.staff_reply(manager, opened.id, "Votre adresse était mal orthographiée : c'est corrigé.")
    assert view.status_label == "En attente de l'utilisateur" and view.assigned == "Arnaud MONIER"
    answer = messages(outbox)[-1]
    assert str(answer["To"]) == "remi@gmail.example"
    assert "mal orthographiée" in answer.get_body(("plain",)).get_content()

    seen = support.follow_by_link(token)
    assert [m.body for m in seen.messages] == ["Votre adresse était mal orthographiée : c'est corrigé."]
    seen = support.reply_by_link(token, "Merci, ça marche !")
    assert seen.status_label == "En cours"
    assert [m.from_requester for m in seen.messages] == [False, True]
    staff_view = support.staff_ticket(manager, opened.id)
    assert [m.internal for m in staff_view.messages] == [True, False, False]

    support.resolve(manager, opened.id)
    with pytest.raises(support.TicketError, match="Ce ticket est résolu"):
        support.reply_by_link(token, "Encore une chose")
    with transaction() as session:
        actions = session.exec(select(AuditEntry.action).where(AuditEntry.entity == "support_ticket")
                               .order_by(AuditEntry.id)).all()
    assert actions == ["open_ticket", "confirm_ticket", "ticket_note", "ticket_reply", "ticket_requester_reply",
                       "ticket_resolve"]


def test_assigning_goes_only_to_a_colleague_who_sees_the_ticket_and_escalation_is_flagged(desk, outbox):
    opened = _open()
    support.follow_by_link(_follow_token(outbox, "remi@gmail.example"))
    manager = _user(desk["lille_manager"])
    with pytest.raises(support.TicketError, match="Ce collègue ne peut pas traiter ce ticket"):
        support.assign(manager, opened.id, desk["tours_manager"])
    view = support.assign(manager, opened.id, desk["lille_colleague"])
    assert view.assigned == "Lise CARPENTIER"
    assert {c.label for c in view.colleagues} == {"Arnaud MONIER", "Lise CARPENTIER", "Admin SIIMOP"}
    support.escalate(manager, opened.id)
    assert _inbox(desk["admin"], escalated="oui") == [str(opened.id)]
    assert _inbox(desk["lille_manager"], escalated="non") == []
    with pytest.raises(support.TicketError, match="déjà transmis"):
        support.escalate(manager, opened.id)


def test_signed_out_tickets_are_rate_limited_per_address_and_per_ip(desk, outbox):
    for _ in range(support.MAX_PER_ADDRESS):
        _open()
    with pytest.raises(support.TicketError, match="patienter"):
        _open()
    for i in range(support.MAX_PER_IP - support.MAX_PER_ADDRESS):
        _open(email=f"autre{i}@gmail.example")
    with pytest.raises(support.TicketError, match="patienter"):
        _open(email="encore-un@gmail.example")
    assert _open(email="encore-un@gmail.example", client_ip="198.51.100.1").id > 0  # another network


def test_a_signed_in_ticket_is_confirmed_at_once_and_listed_in_my_tickets(desk, outbox):
    student = make_user("etu@univ.example", "student")
    opened = _open(user_id=student, email="etu@univ.example", university="TOURS")
    assert opened.confirmed
    assert _inbox(desk["tours_manager"]) == [str(opened.id)]
    user = _user(student)
    assert [t.id for t in support.my_tickets(user)] == [opened.id]
    assert support.reply_as_user(user, opened.id, "Précision").messages[-1].body == "Précision"
    with pytest.raises(support.TicketError, match="Ticket introuvable."):
        support.my_ticket(_user(make_user("autre@univ.example", "student")), opened.id)


@pytest.mark.parametrize("name, data", [("capture.png", PNG), ("photo.JPG", b"\xff\xd8\xff\xe0" + b"0" * 32),
                                        ("releve.pdf", PDF)])
def test_an_attachment_is_stored_privately_and_read_only_by_who_sees_the_ticket(desk, outbox, name, data):
    opened = _open(attachment=(name, data))
    token = _follow_token(outbox, "remi@gmail.example")
    support.follow_by_link(token)
    with transaction() as session:
        document = session.get(Document, session.get(SupportTicket, opened.id).attachment_document_id)
        assert documents.read(document) == data
        assert documents.can_read(session, _user(desk["lille_manager"]), document)
        assert not documents.can_read(session, _user(desk["tours_manager"]), document)
        assert not documents.can_read(session, _user(make_user("x@univ.example", "student")), document)
    assert support.attachment_by_link(token).id == document.id
    assert support.attachment_by_link(f"{opened.id}.forged") is None


@pytest.mark.parametrize("name, data, message", [
    ("capture.png", b"GIF89a" + b"0" * 20, "PNG ou JPEG, ou un PDF"),
    ("capture.exe", PNG, "PNG ou JPEG, ou un PDF"),
    ("gros.png", PNG + b"0" * (5 * 1024 * 1024), "5 Mo"),
])
def test_a_wrong_attachment_is_refused_and_nothing_is_written(desk, outbox, name, data, message):
    with pytest.raises(support.TicketError, match=message):
        _open(attachment=(name, data))
    with transaction() as session:
        assert session.exec(select(sa.func.count()).select_from(SupportTicket)).one() == 0
        assert session.exec(select(sa.func.count()).select_from(Document)).one() == 0
    assert messages(outbox) == []


def test_the_inbox_filters_and_its_statistics(desk, outbox):
    first = _open(problem_type="Vœux", subject="Vœux invisibles")
    support.follow_by_link(_follow_token(outbox, "remi@gmail.example"))
    second = _open(email="lea@gmail.example", subject="Connexion impossible")
    support.follow_by_link(_follow_token(outbox, "lea@gmail.example"))
    manager = _user(desk["lille_manager"])
    support.staff_reply(manager, first.id, "C'est réglé.")
    support.resolve(manager, first.id)
    assert _inbox(desk["lille_manager"]) == [str(second.id), str(first.id)]
    assert _inbox(desk["lille_manager"], status="resolved") == [str(first.id)]
    assert _inbox(desk["lille_manager"], problem="Vœux") == [str(first.id)]
    assert _inbox(desk["lille_manager"], q="connexion") == [str(second.id)]
    assert _inbox(desk["lille_manager"], q=str(first.id)) == [str(first.id)]
    assert _inbox(desk["lille_manager"], subdivision=str(desk["TOURS"])) == []
    assert _inbox(desk["lille_manager"], status="n'importe quoi") == [str(second.id), str(first.id)]
    assert ticket_table.ticket_statistics(manager, {}) == [
        Figure("Tickets ouverts", "1/2 (50%)"),
        Figure("Réponse en moins d'un jour", "1/2 (50%)"),
    ]
    assert ticket_table.subdivision_options(manager) == [Choice(str(desk["LILLE"]), "SUBDI LILLE")]
    with pytest.raises(AccessDenied):
        ticket_table.query_tickets(_user(make_user("coordo@univ.example", "coordinator")))
