"""The signed-in user and the shell around every page.

Every page state derives from ``AppState``; each on_load and each event handler
that reads or writes private data calls ``self._require(...)``, which re-reads the
session from the database: a revoked or expired session stops working at once.
"""

from __future__ import annotations

import http.cookies
import logging
from collections.abc import Callable
from urllib.parse import unquote

import reflex as rx

from siimop_app import routes
from siimop_app.navigation import MENUS, MenuLine
from siimop_app.services import access, auth, calendar
from siimop_app.services.access import AccessDenied
from siimop_app.settings import get_settings

log = logging.getLogger(__name__)

SESSION_COOKIE = "siimop_session"
# Reflex sets cookies from JavaScript (no HttpOnly): at least never over plain HTTP when the app is served on https.
SECURE_COOKIE = get_settings().base_url.lower().startswith("https://")


def _fmt(day) -> str:
    return day.strftime("%d-%m-%Y") if day else ""


class AppState(rx.State):
    session_cookie: str = rx.Cookie("", name=SESSION_COOKIE, same_site="strict", secure=SECURE_COOKIE)

    # The shell (side menu); filled by ``_load_shell``.
    user_name: str = ""
    interface: str = ""
    wave_name: str = ""
    wave_subtitle: str = ""
    news_url: str = ""
    menu: list[MenuLine] = []
    menu_open: bool = False  # the side menu, folded behind a button on narrow screens
    other_interfaces: list[MenuLine] = []

    def _assign(self, **values) -> None:
        """Set only the vars whose value changed: Reflex sends every assigned var back to the browser, and an event
        usually changes one or two of a page's vars, not all of them."""
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)

    def _user(self) -> auth.SignedInUser | None:
        user = auth.resolve_session(self.session_cookie)
        if user is None and not self.session_cookie and (sent := self._socket_cookie()):
            # Redis lost this client's state (a restart): Reflex rebuilt it without the browser's cookies, but the
            # browser sent its session cookie when it opened this socket — the same credential. Adopted only if
            # still valid, so a signed-out or expired session stays out.
            user = auth.resolve_session(sent)
            if user is not None:
                self.session_cookie = sent
        return user

    def _socket_cookie(self) -> str:
        """The session cookie in the headers the socket was opened with ("" if none)."""
        jar = http.cookies.SimpleCookie()
        try:
            jar.load(self.router.headers.cookie or "")
        except http.cookies.CookieError:
            return ""
        morsel = jar.get(SESSION_COOKIE)
        return unquote(morsel.value) if morsel is not None else ""

    def _require(self, *roles: str) -> auth.SignedInUser:
        """The signed-in user if they hold one of ``roles`` (any role when none given); else AccessDenied."""
        user = self._user()
        if user is None:
            self._drop_private_state()
            raise AccessDenied("Votre session a expiré : veuillez vous reconnecter.")
        if roles:
            access.require_role(user, *roles)
        return user

    def _load_shell(self, user: auth.SignedInUser, interface: str, wave: calendar.WaveCalendar | None) -> None:
        """The shell of ``user``'s page, assigned only where it changed: every page load sets it, and the same
        menu going back on each one was most of what a reload sent (0.7–2 KB)."""
        now = calendar.now()
        items = []
        for entry in MENUS.get(interface, ()):
            phase = wave.in_view(entry.phase_kind, now) if wave else None
            items.append(MenuLine(entry.label, entry.href, starts=_fmt(phase.starts_on) if phase else "",
                                  ends=_fmt(phase.ends_on) if phase else ""))
        homes_shown = {access.ROLE_HOMES.get(interface)}
        others = []
        for role in access.open_interfaces(user, wave is not None):
            if access.ROLE_HOMES[role] not in homes_shown:
                homes_shown.add(access.ROLE_HOMES[role])
                others.append(MenuLine(f"Accéder à l'interface {access.ROLE_INTERFACE_LABELS[role]}",
                                       access.ROLE_HOMES[role]))
        self._assign(user_name=user.display_name, interface=interface, wave_name=wave.wave_name if wave else "",
                     wave_subtitle=wave.wave_subtitle if wave else "", news_url=wave.news_url if wave else "",
                     menu=items, other_interfaces=others)

    def _enter(self, interface: str | None | Callable[[auth.SignedInUser], str], *roles: str):
        """The guard of a protected page: returns (user, None) or (None, redirect event).

        ``interface`` picks the side menu; None means the user's own main interface; a function of the user picks
        it from the user this guard resolves (a staff page's menu follows the staff role held: no second session
        read). Outside any campaign the student and supervisor interfaces are closed: their
        users go to their other open interface, or to the "application fermée" page.
        """
        try:
            user = self._require(*roles)
        except AccessDenied as denied:
            if self._user() is None:
                return None, rx.redirect(routes.SIGN_IN.path)
            return None, [rx.toast.error(str(denied)), rx.redirect(routes.ROOT.path)]
        if callable(interface):
            interface = interface(user)
        wave = calendar.current_wave()
        campaign_open = wave is not None
        if interface is None:
            interface = access.primary_role(user, campaign_open) or ("" if campaign_open else None)
        if interface is None or (interface and not access.interface_is_open(interface, campaign_open)):
            return None, rx.redirect(access.home_for(user, campaign_open))
        self._load_shell(user, interface, wave)
        self._assign(menu_open=False)  # a new page starts with the narrow-screen menu folded
        return user, None

    def _drop_private_state(self) -> None:
        """Forget everything this tab loaded — every page state below AppState (backend-only vars too), the
        shell and the cookie: after sign-out or expiry a connection with the tab's token gets nothing back."""
        app_state = self if type(self) is AppState else self._get_root_state().get_substate(
            AppState.get_full_name().split("."))
        app_state.reset()

    @rx.event
    def enter_public(self):
        """The load of a page open to everyone (assistance, aide, 404): a signed-in user keeps the shell and
        its menu, nobody is redirected."""
        user = self._user()
        if user is None:
            self._assign(user_name="", menu=[], other_interfaces=[])
            return
        wave = calendar.current_wave()
        self._load_shell(user, access.primary_role(user, wave is not None) or "", wave)
        self._assign(menu_open=False)

    @rx.event
    def toggle_menu(self):
        self.menu_open = not self.menu_open

    @rx.event
    def sign_out(self):
        # Both: after a Redis restart the state may hold no cookie while the socket still carries one.
        for cookie in {self.session_cookie, self._socket_cookie()} - {""}:
            auth.sign_out(cookie)
        self._drop_private_state()
        return rx.redirect(routes.SIGN_IN.path)

