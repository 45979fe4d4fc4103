"""Mes postes: the supervisor's home, their posts as cards (seed, Etape 1)."""

from __future__ import annotations

import asyncio

import reflex as rx

from siimop_app import routes
from siimop_app.domain.roles import Role
from siimop_app.services import calendar, posts
from siimop_app.states.session import AppState
from siimop_app.ui.components import post_card
from siimop_app.ui.shell import shell


class SupervisorPostsState(AppState):
    cards: list[posts.PostCard] = []

    @rx.event
    async def load(self):
        # In a thread, as the ranking board's load: the worker's event loop serves its other clients meanwhile.
        return await asyncio.to_thread(self._load_once)

    def _load_once(self):
        with calendar.read_once():  # the shell and the wave: one calendar read
            user, redirect = self._enter(Role.SUPERVISOR, *routes.SUPERVISOR_POSTS.roles)
            if redirect:
                self._assign(cards=[])
                return redirect
            wave = calendar.current_wave()
            self._assign(cards=posts.list_supervisor_posts(user_id=user.user_id, wave_id=wave.wave_id) if wave else [])
            return None


def supervisor_posts_page() -> rx.Component:
    return shell(
        rx.text(
            "Une donnée est erronée ? ",
            rx.link("Demande de correction via le support", href=routes.SUPPORT.path),
            ".",
            size="2",
            color="#555",
        ),
        rx.cond(
            SupervisorPostsState.cards.length() > 0,
            rx.vstack(rx.foreach(SupervisorPostsState.cards, post_card), width="100%", spacing="3", id="post-cards"),
            rx.text("Aucun poste ne vous est rattaché pour cette vague.", id="no-posts"),
        ),
        title="Terrains de stage",
    )
