"""Shared pieces of the kit's tables (students, posts… and Mes vœux): filter bar, sortable header, pager, statistic
tiles, card list.

The pieces take plain values or Vars and event handlers, never a state, so every table reuses them. Select
filters use the value ``ALL`` for "no filter" (Radix selects cannot hold an empty value). ``table_section``
lays out a whole kit table (``services.table_kit.Table``) from its definition and its ``KitTable`` state: as a
table by default, as a list of cards when given ``card`` (Mes vœux), with the staff tables' controls unless a
``Look`` says otherwise (their labels, ids and places).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import reflex as rx

from siimop_app import routes
from siimop_app.services.overview import Choice
from siimop_app.services.table_kit import ALL, Table
from siimop_app.ui.backend import backend_url

__all__ = ["ALL", "Look", "card_list", "filter_bar", "filter_check", "filter_select", "pager", "plain_header",
           "sort_header", "statistic_tiles", "table_section"]


def filter_select(label: str, value, on_change, options, *, element_id: str, all_label: str = "Tous",
                  fixed: Sequence[tuple[str, str]] = (), group=None) -> rx.Component:
    """A labelled select: "all" first, then ``fixed`` (value, label) pairs, then ``options`` (a Var of
    ``overview.Choice``, e.g. the regions of the user's scope). ``group`` (a Var: another select's value) keeps only
    the options of that group (the subdivisions of the chosen region), all of them while it is ``ALL``."""
    items = [rx.select.item(all_label, value=ALL)]
    items += [rx.select.item(text, value=val) for val, text in fixed]
    if options is not None:
        def item(o: Choice) -> rx.Component:
            entry = rx.select.item(o.label, value=o.value)
            return entry if group is None else rx.cond((group == ALL) | (o.group == group), entry)

        items.append(rx.foreach(options, item))
    return rx.vstack(
        rx.text(label, size="1", color="#444", as_="label", html_for=element_id),
        rx.select.root(
            rx.select.trigger(id=element_id, aria_label=label, min_width="11em"),
            rx.select.content(*items),
            value=value,
            on_change=on_change,
        ),
        spacing="1",
    )


def filter_check(label: str, checked, on_change, *, element_id: str) -> rx.Component:
    """A yes/no filter: a checkbox labelled ``label`` ("Seulement mes postes notés")."""
    return rx.checkbox(label, checked=checked, on_change=on_change, id=element_id)


@dataclasses.dataclass(frozen=True)
class Look:
    """How a kit table's page words and places its controls; the defaults are the staff tables'.

    Ids are formats over ``name`` (the table's) and ``where`` (the pager's place, one of ``pagers``)."""

    selects_first: bool = False  # the selects above the text filter, not under it
    search_id: str = "{one}-search"  # ``one``: the table's name less its final "s"
    search_hint: str = ""  # the text box's placeholder; default: the table's ``search_label``
    search_button: str = "Filtrer"
    search_button_id: str = "{one}-search-submit"
    reset_button: str = "Effacer les filtres"
    reset_button_id: str = "{one}-search-reset"
    reset_variant: str = "ghost"
    pagers: tuple[str, ...] = ("",)  # one pager above the rows; ("top", "bottom"): one above, one under
    previous: str = "« Précédente"
    next: str = "Suivante »"
    pager_id: str = "{name}-pager"
    previous_id: str = "{name}-pager-previous"
    next_id: str = "{name}-pager-next"
    pager_text_size: str | None = None
    pager_live: bool = True  # the page count is a live region

    def ids(self, table: Table, where: str = "") -> dict[str, str]:
        names = {"name": table.name, "one": table.name[:-1], "where": where}
        return {key: getattr(self, key).format(**names)
                for key in ("search_id", "search_button_id", "reset_button_id", "pager_id", "previous_id", "next_id")}


STAFF_LOOK = Look()


def filter_bar(*selects: rx.Component, search_label: str, search_value, on_search, on_reset=None,
               search_id: str = "table-search", search_revision=None, checks: Sequence[rx.Component] = (),
               look: Look = STAFF_LOOK, submit_id: str = "", reset_id: str = "",
               element_id: str | None = None) -> rx.Component:
    """The text filter (submitted with Entrée or the button) above a row of selects (under it with
    ``look.selects_first``), then the checkboxes. ``search_revision`` (bumped by the reset) remounts the text box
    so that clearing the filters empties it."""
    search = rx.form(
        rx.hstack(
            rx.input(name="q", default_value=search_value, id=search_id,
                     placeholder=look.search_hint or search_label,
                     key=search_revision.to(str) if search_revision is not None else None,
                     aria_label=search_label, width="28em", max_width="100%", max_length=100),
            rx.button(look.search_button, type="submit", id=submit_id or f"{search_id}-submit", variant="soft"),
            *([rx.button(look.reset_button, type="button", variant=look.reset_variant, on_click=on_reset,
                         id=reset_id or f"{search_id}-reset")] if on_reset is not None else []),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        on_submit=on_search,
    )
    row = rx.hstack(*selects, wrap="wrap", spacing="4")
    return rx.card(
        rx.vstack(
            *((row, search) if look.selects_first else (search, row)),
            *checks,
            spacing="3",
            width="100%",
        ),
        width="100%",
        **({"id": element_id} if element_id else {}),
    )


def sort_header(label: str, key: str, current_sort, descending, on_sort) -> rx.Component:
    """A header cell that sorts by ``key`` (a second click reverses), announcing its state with aria-sort."""
    active = current_sort == key
    return rx.table.column_header_cell(
        rx.el.button(
            label,
            rx.cond(active, rx.cond(descending, " ▼", " ▲"), ""),
            on_click=on_sort(key),
            type="button",
            style={"background": "none", "border": "none", "padding": 0, "font": "inherit", "cursor": "pointer",
                   "fontWeight": "bold", "textAlign": "left", "color": "inherit"},
            aria_label=f"Trier par {label}",
            id=f"sort-{key}",
        ),
        aria_sort=rx.cond(active, rx.cond(descending, "descending", "ascending"), "none"),
        scope="col",
    )


def plain_header(label: str) -> rx.Component:
    return rx.table.column_header_cell(label, scope="col")


def pager(page, pages, total, on_previous, on_next, *, element_id: str = "table-pager",
          unit: str = "ligne(s)", look: Look = STAFF_LOOK, previous_id: str = "", next_id: str = "") -> rx.Component:
    """"Page n / N · total" with previous/next buttons (disabled at the ends), worded as ``look`` says."""
    text = {"size": look.pager_text_size} if look.pager_text_size else {}
    return rx.hstack(
        rx.button(look.previous, on_click=on_previous, disabled=page <= 1, variant="soft",
                  id=previous_id or f"{element_id}-previous"),
        rx.text("Page ", page.to(str), " / ", pages.to(str), " · ", total.to(str), " ", unit, id=element_id,
                **({"aria_live": "polite"} if look.pager_live else {}), **text),
        rx.button(look.next, on_click=on_next, disabled=page >= pages, variant="soft",
                  id=next_id or f"{element_id}-next"),
        spacing="3",
        align="center",
        wrap="wrap",
    )


def statistic_tiles(items, *, element_id: str) -> rx.Component:
    """Statistics in the seed's "3019/7384 (40%)" style; ``items`` is a Var of ``overview.Figure``."""
    return rx.flex(
        rx.foreach(
            items,
            lambda item: rx.card(
                rx.vstack(
                    rx.text(item.value, size="5", weight="bold", color="#1d3557", class_name="stat-value"),
                    rx.text(item.label, size="2", color="#444", class_name="stat-label"),
                    spacing="1",
                ),
                min_width="min(12em, 100%)",
                class_name="stat-tile",
            ),
        ),
        wrap="wrap",
        gap="3",
        id=element_id,
        aria_live="polite",
    )


# ------------------------------------------------------------------ a kit table, from its definition
Cell = Callable[[rx.Var], rx.Component]


def _kit_filters(state, table: Table, look: Look) -> rx.Component:
    def on(key: str):
        return lambda value: state.set_filter(key, value)

    def check(key: str):
        return lambda value: state.set_check(key, value)

    selects = [
        filter_select(f.label, getattr(state, f"f_{f.key}"), on(f.key),
                      getattr(state, f.options) if f.options else None, element_id=f"filter-{f.key}",
                      all_label=f.all_label, fixed=f.choices,
                      group=getattr(state, f"f_{f.narrowed_by}") if f.narrowed_by else None)
        for f in table.filters if not f.check
    ]
    checks = [filter_check(f.label, getattr(state, f"f_{f.key}"), check(f.key), element_id=f"filter-{f.key}")
              for f in table.filters if f.check]
    ids = look.ids(table)
    return filter_bar(*selects, search_label=table.search_label, search_value=state.f_q,
                      search_revision=state.search_revision, on_search=state.search, on_reset=state.reset_filters,
                      search_id=ids["search_id"], submit_id=ids["search_button_id"], reset_id=ids["reset_button_id"],
                      checks=checks, look=look, element_id=f"{table.name}-filters")


def _kit_pager(state, table: Table, look: Look, where: str) -> rx.Component:
    ids = look.ids(table, where)
    return pager(state.page, state.pages, state.total, state.previous_page, state.next_page,
                 element_id=ids["pager_id"], unit=table.unit, look=look, previous_id=ids["previous_id"],
                 next_id=ids["next_id"])


def card_list(rows, card: Cell, *, element_id: str) -> rx.Component:
    """The kit's other view: the page's lines one under the other, each drawn by ``card`` (Mes vœux's posts)."""
    return rx.vstack(rx.foreach(rows, card), width="100%", spacing="2", id=element_id)


def _kit_table(state, table: Table, cells: dict[str, Cell], extra_headers: Sequence[str],
               extra_cells: Callable[[rx.Var], list[rx.Component]] | None) -> rx.Component:
    headers = [sort_header(c.label, c.key, state.sort, state.descending, state.sort_by) if c.sortable
               else plain_header(c.label) for c in table.shown]
    headers += [plain_header(label) for label in extra_headers]

    def row(line: rx.Var) -> rx.Component:
        shown = [cells[c.key](line) if c.key in cells else rx.table.cell(getattr(line, c.key).to(str))
                 for c in table.shown]
        return rx.table.row(*shown, *(extra_cells(line) if extra_cells else ()), class_name=f"{table.name[:-1]}-row",
                            id=f"{table.name[:-1]}-row-" + line.id.to(str))

    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*headers)),
            rx.table.body(rx.foreach(state.rows, row)),
            size="1",
            variant="surface",
            white_space="nowrap",
            id=f"{table.name}-table",
        ),
        overflow_x="auto",
        width="100%",
    )


def export_links(table: Table, query) -> rx.Component:
    """The CSV and Excel links of ``table`` with the page's filters (``query``: its ``export_query`` var)."""
    return rx.hstack(
        # One link each, styled as a button: one element and one tab stop (a button inside a link was two).
        *[rx.link(f"Exporter les {table.noun} filtrés au format {label}",
                  href=backend_url(routes.TABLE_EXPORT.link(table=table.name, fmt=fmt) + "?" + query), id=f"export-{fmt}",
                  class_name="export-link", custom_attrs={"download": f"{table.name}.{fmt}"})
          for fmt, label in (("csv", "CSV"), ("xlsx", "Excel"))],
        spacing="3",
        wrap="wrap",
    )


def table_section(state, table: Table, *, intro: Sequence[rx.Component] = (), empty: str = "",
                  cells: dict[str, Cell] | None = None, extra_headers: Sequence[str] = (),
                  extra_cells: Callable[[rx.Var], list[rx.Component]] | None = None, card: Cell | None = None,
                  look: Look = STAFF_LOOK, error: bool = True) -> rx.Component:
    """A kit table's page body: the error (unless the page shows it elsewhere: ``error=False``), the filters,
    ``intro`` and the live statistics (if the table has some), the exports (if any), the pager, (``empty`` when
    nothing matches) and the table. ``cells`` shows some columns otherwise than as text; ``extra_headers``/
    ``extra_cells`` add columns after the table's (a "Voir" button). ``card``: the lines as a list of cards
    instead of a table (``empty`` in their place when nothing matches)."""
    one, many = table.name[:-1], table.name
    if card is None:
        rows = rx.fragment(
            *([rx.cond(state.total == 0, rx.text(empty, id=f"{many}-empty"))] if empty else []),
            _kit_table(state, table, cells or {}, extra_headers, extra_cells),
        )
    else:
        cards = card_list(state.rows, card, element_id=f"{many}-list")
        rows = rx.cond(state.total > 0, cards, rx.text(empty, id=f"{many}-empty", color="#555")) if empty else cards
    pagers = [_kit_pager(state, table, look, where) for where in look.pagers]
    return rx.fragment(
        *([rx.cond(state.error != "", rx.callout(state.error, color_scheme="red", icon="triangle-alert",
                                                 role="alert", id=f"{many}-error"))] if error else []),
        _kit_filters(state, table, look),
        *intro,
        *([statistic_tiles(state.statistics, element_id=f"{one}-statistics")] if table.statistics else []),
        *([export_links(table, state.export_query)] if table.iterate else []),
        pagers[0],
        rows,
        *pagers[1:],
    )
