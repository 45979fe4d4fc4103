"""Aide contextuelle: each page finds its own help file, the texts are searchable, and a manager's new file
shows without touching Python."""

from __future__ import annotations

from siimop_app.services import help as help_topics


def test_each_page_finds_its_own_help_and_an_unknown_page_the_general_one():
    assert help_topics.topic_for_path("/rts/classement/42").title == "Classement des candidatures"
    assert help_topics.topic_for_path("/etudiant/voeux?x=1").title == "Mes vœux (étudiants)"
    assert help_topics.topic_for_path("/gestionnaire/tickets/7").slug == "tickets-gestionnaire"
    assert help_topics.topic_for_path("/nulle/part").slug == help_topics.DEFAULT_SLUG
    assert help_topics.topic_for_path("").slug == help_topics.DEFAULT_SLUG


def test_the_ranking_and_wishes_help_state_their_rules():
    ranking = " ".join(help_topics.topic_by_slug("classement").body.split())  # as rendered: one paragraph
    assert "Il ne doit pas rester de candidatures non-classées" in ranking and "80 %" in ranking
    assert "seul un candidat de la subdivision du poste peut être classé en premier" in ranking
    assert "max(4, 20 % des postes" in " ".join(help_topics.topic_by_slug("mes-voeux").body.split())


def test_every_route_of_the_app_has_its_help():
    import siimop_app.siimop_app as application

    routes = {route for route in application.app._pages if route not in ("404", "index")}
    missing = [r for r in routes if help_topics.topic_for_path("/" + r.replace("index", "")).slug == "accueil"
               and r not in ("fermee", "aide")]
    assert missing == []


def test_search_ignores_case_and_accents_and_needs_every_word():
    found = [r.slug for r in help_topics.search("VOEUX suffisante")]
    assert found[0] == "mes-voeux"
    assert help_topics.search("classement invalide ignoré")[0].slug == "classement"
    assert help_topics.search("zzz introuvable") == [] and help_topics.search(" ") == []


def test_a_new_file_is_a_new_topic_and_a_bad_name_is_ignored(tmp_path):
    (tmp_path / "accueil.md").write_text("---\ntitle: Accueil\nroutes: /\n---\nBonjour.", encoding="utf-8")
    (tmp_path / "export-csv.md").write_text(
        "---\ntitle: Exporter\nroutes: /coordonnateur/export/[fmt]\n---\nCliquez sur **Exporter**.", encoding="utf-8")
    (tmp_path / "Mauvais Nom.md").write_text("x", encoding="utf-8")
    assert [t.slug for t in help_topics.topics(tmp_path)] == ["accueil", "export-csv"]
    assert help_topics.topic_for_path("/coordonnateur/export/xlsx", tmp_path).body == "Cliquez sur **Exporter**."
    assert help_topics.topic_by_slug("../accueil", tmp_path) is None
