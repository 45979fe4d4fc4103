"""The signed-in user and the shell around every page.

Every page state derives from ``AppState``; each on_load and each event handler
that reads or writes private data calls ``self._require(...)``, which re-reads the
session from the database: a revoked or expired session stops working at once.
"""

from __future__ import annotations

import logging

import reflex as rx

from siimop_app.navigation import MENUS
from siimop_app.services import access, auth, calendar
from siimop_app.services.access import AccessDenied

log = logging.getLogger(__name__)

SESSION_COOKIE = "siimop_session"


def _fmt(day) -> str:
    return day.strftime("%d-%m-%Y") if day else ""


class AppState(rx.State):
    session_cookie: str = rx.Cookie("", name=SESSION_COOKIE, same_site="strict")

    # The shell (side menu); filled by ``_load_shell``.
    user_name: str = ""
    interface: str = ""
    wave_name: str = ""
    wave_subtitle: str = ""
    news_url: str = ""
    menu: list[dict[str, str]] = []
    other_interfaces: list[dict[str, str]] = []

    def _user(self) -> auth.SignedInUser | None:
        return auth.resolve_session(self.session_cookie)

    def _require(self, *roles: str) -> auth.SignedInUser:
        """The signed-in user if they hold one of ``roles`` (any role when none given); else AccessDenied."""
        user = self._user()
        if user is None:
            raise AccessDenied("Votre session a expiré : veuillez vous reconnecter.")
        if roles:
            access.require_role(user, *roles)
        return user

    def _load_shell(self, user: auth.SignedInUser, interface: str) -> None:
        self.user_name = user.display_name
        self.interface = interface
        now = calendar.now()
        wave = calendar.current_wave(now)
        self.wave_name = wave.wave_name if wave else ""
        self.wave_subtitle = wave.wave_subtitle if wave else ""
        self.news_url = wave.news_url if wave else ""
        items = []
        for entry in MENUS.get(interface, ()):
            phase = wave.current_or_next(entry.phase_kind, now) if wave else None
            items.append({
                "label": entry.label,
                "href": entry.href,
                "starts": _fmt(phase.starts_on) if phase else "",
                "ends": _fmt(phase.ends_on) if phase else "",
            })
        self.menu = items
        self.other_interfaces = [
            {"label": f"Accéder à l'interface {access.ROLE_INTERFACE_LABELS[role]}", "href": access.ROLE_HOMES[role]}
            for role in user.roles
            if access.ROLE_HOMES[role] != access.ROLE_HOMES.get(interface)
            and not (role == "admin" and "manager" in user.roles)
        ]

    def _enter(self, interface: str | None, *roles: str):
        """The guard of a protected page: returns (user, None) or (None, redirect event).

        ``interface`` picks the side menu; None means the user's own main interface.
        """
        try:
            user = self._require(*roles)
        except AccessDenied as denied:
            if self._user() is None:
                return None, rx.redirect("/connexion")
            return None, [rx.toast.error(str(denied)), rx.redirect("/")]
        if not access.may_enter_when_closed(user) and calendar.current_wave() is None:
            return None, rx.redirect("/fermee")
        self._load_shell(user, interface or access.primary_role(user) or "")
        return user, None

    @rx.event
    def sign_out(self):
        auth.sign_out(self.session_cookie)
        self.session_cookie = ""
        self.user_name = ""
        return rx.redirect("/connexion")
