"""Aide contextuelle: the help of the page the user came from (``/aide?page=<path>``), a topic by name
(``/aide?sujet=<slug>``), and a search over every topic. The texts are Markdown files under ``assets/help/``
(``services.help``), so a manager edits them without touching Python."""

from __future__ import annotations

import reflex as rx

from siimop_app import routes
from siimop_app.services import help as help_topics
from siimop_app.states.session import AppState
from siimop_app.ui.shell import open_page


class HelpState(AppState):
    topic_title: str = ""
    topic_body: str = ""
    topic_slug: str = ""
    topic_list: list[help_topics.TopicLink] = []
    query: str = ""
    results: list[help_topics.TopicLink] = []
    searched: bool = False

    def _show(self, topic: help_topics.Topic | None) -> None:
        self.topic_slug = topic.slug if topic else ""
        self.topic_title = topic.title if topic else "Aide"
        self.topic_body = topic.body if topic else "Aucune aide n'est disponible pour le moment."

    @rx.event
    def load(self):
        params = self.router.url.query_parameters
        slug, path = str(params.get("sujet", "")), str(params.get("page", ""))[:300]
        topic = help_topics.topic_by_slug(slug) if slug else None
        self._show(topic or help_topics.topic_for_path(path))
        self.topic_list = help_topics.topic_links()
        self.query, self.results, self.searched = "", [], False
        return AppState.enter_public

    @rx.event
    def search(self, form: dict):
        self.query = str((form or {}).get("q", "")).strip()[:100]
        self.results = help_topics.search(self.query)
        self.searched = bool(self.query)

    @rx.event
    def open_topic(self, slug: str):
        topic = help_topics.topic_by_slug(str(slug))
        if topic is not None:
            self._show(topic)


def _search() -> rx.Component:
    s = HelpState
    return rx.vstack(
        rx.form(
            rx.hstack(
                rx.input(name="q", id="help-search", placeholder="Rechercher dans l'aide", aria_label="Rechercher dans l'aide",
                         max_length=100, width="24em", max_width="100%"),
                rx.button("Rechercher", type="submit", variant="soft", id="help-search-submit"),
                spacing="2",
                wrap="wrap",
            ),
            on_submit=HelpState.search,
            role="search",
        ),
        rx.cond(
            s.searched,
            rx.cond(
                s.results.length() > 0,
                rx.el.ul(
                    rx.foreach(s.results, lambda r: rx.el.li(
                        rx.button(r.title, variant="ghost", type="button", on_click=HelpState.open_topic(r.slug)),
                        rx.text(r.excerpt, size="1", color="#555"),
                    )),
                    id="help-results",
                ),
                rx.text("Aucune rubrique ne contient ces mots.", id="help-results", size="2"),
            ),
        ),
        spacing="2",
        width="100%",
    )


def help_page() -> rx.Component:
    s = HelpState
    return open_page(
        _search(),
        rx.el.article(
            rx.heading(s.topic_title, size="5", as_="h2", id="help-title"),
            rx.markdown(s.topic_body),
            id="help-topic",
        ),
        rx.el.nav(
            rx.heading("Toutes les rubriques", size="3", as_="h2"),
            rx.el.ul(rx.foreach(s.topic_list, lambda t: rx.el.li(
                rx.link(t.title, href=routes.HELP_TOPIC + t.slug)))),
            aria_label="Rubriques de l'aide",
        ),
        rx.link("Retour à l'application", href=routes.ROOT.path),
        title="Aide",
    )
