"""The controls every coordinator table shares: a text filter, list filters, sorting and pages.

A table page's state mixes this in and says, by overriding small methods, which list filters it has
(each backed by an ``f_<key>`` var), the values allowed for some of them, its sortable columns and its
page size; it implements ``_reload(statistics=...)``, which re-checks who is
asking and queries the page. Every value from the browser is checked here before it reaches a query.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping

import reflex as rx

from siimop_app.ui.data_table import ALL


class FilteredTable(rx.State, mixin=True):
    f_q: str = ""
    # Part of the text filter's key: clearing the filters remounts the box, so it empties too.
    search_revision: int = 0
    page: int = 1
    total: int = 0
    descending: bool = False

    @rx.var
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self._page_size()))

    # What each table page says about itself (methods, not class attributes: Reflex makes those vars).
    def _select_filters(self) -> tuple[str, ...]:
        return ()

    def _choices(self) -> Mapping[str, tuple[str, ...]]:
        return {}

    def _sortable(self) -> Collection[str]:
        return ()

    def _page_size(self) -> int:
        return 50

    def _reload(self, *, statistics: bool = True) -> None:
        raise NotImplementedError

    @rx.event
    def search(self, form: dict):
        self.f_q = str((form or {}).get("q", "")).strip()[:100]
        self.page = 1
        self._reload()

    @rx.event
    def set_filter(self, key: str, value: str):
        if key not in self._select_filters():
            return
        value = str(value or ALL)[:20]
        allowed = self._choices().get(key)
        if allowed is not None and value not in (ALL, *allowed):
            value = ALL
        setattr(self, f"f_{key}", value)
        self.page = 1
        self._reload()

    @rx.event
    def reset_filters(self):
        self.f_q = ""
        self.search_revision += 1
        for key in self._select_filters():
            setattr(self, f"f_{key}", ALL)
        self.page = 1
        self._reload()

    @rx.event
    def sort_by(self, key: str):
        if key not in self._sortable():
            return
        self.descending = (not self.descending) if key == self.sort else False
        self.sort = key
        self.page = 1
        self._reload(statistics=False)

    @rx.event
    def previous_page(self):
        self.page = max(1, self.page - 1)
        self._reload(statistics=False)

    @rx.event
    def next_page(self):
        self.page = min(self.pages, self.page + 1)
        self._reload(statistics=False)
