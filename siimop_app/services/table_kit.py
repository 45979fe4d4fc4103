"""The tables' kit: one ``Table`` definition drives the service, the page's state, its view and its export.

A table module declares its columns (label, key, sortable, how a value shows on screen and in a file), its
filters, its default sort, the typed line a page shows, and four functions: ``query`` (one page and the
total, scoped in SQL), ``iterate`` (every row in the table's order, for the files), ``statistics`` and
``options`` (the lists its select filters offer). Everything else is here, once:

* the filters a browser sends are cleaned (``clean``): unknown keys dropped, "no filter" spelled one way, a
  checkbox filter "1" or "";
* a page past the end (the filters shrank the list) comes back as the last page (``page``);
* the rows become frozen lines ready to show (``line``), so components read ``line.last_name``;
* the export's columns, rows and query string (``export_columns``, ``export_rows``, ``export_query``).

Filters are selects (fixed ``choices`` or a list from ``options``), checkboxes (``kind="check"``, e.g. "Seulement
mes postes notés") or selects narrowed by another one (``narrowed_by``: the subdivisions of the chosen region,
by ``overview.Choice.group``; choosing a region clears the subdivision).

A table need not be a staff table of columns: Mes vœux (``services.wish_posts``) is one too. Its ``query`` returns
its lines itself (frozen ``WishCard``s: no columns), it has no statistics (``statistics=None``: its counter is the
sufficiency of the student's unsaved draft, which its state overlays on the page's cards) and no export
(``iterate=None``); its page shows the lines as cards (``ui.data_table.card_list``) with its own pager labels.

No Reflex here: the state (``states.filtered_table``) and the view (``ui.data_table``) read these definitions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlencode

# ALL: the value a page's select sends for "no filter" (re-exported); NO_FILTER: every spelling a service reads so.
from siimop_app.validation import ALL, NO_FILTER  # noqa: F401
from siimop_app.services.overview import Choice, Figure

MOMENT_TEXT = "%d/%m/%Y %H:%M:%S"
NEVER = "X"  # the seed's mark for "never" / "none", on screen and in the files alike


def shown(value: object, empty: str = "") -> object:
    """A row's value as the screen shows it: booleans as the seed's "oui"/"non", moments as Paris text."""
    if value is None or value == "":
        return empty
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, dt.datetime):
        return value.strftime(MOMENT_TEXT)
    return value


def naive(moment: dt.datetime | None) -> dt.datetime | None:
    """A Paris moment as a spreadsheet wants it: no time zone, whole seconds."""
    return moment.replace(tzinfo=None, microsecond=0) if moment else None


@dataclasses.dataclass(frozen=True)
class Column:
    key: str
    label: str
    sortable: bool = True
    kind: str = "text"  # how a file types it: "text" | "number" | "datetime"
    width: float | None = None  # in a spreadsheet, in characters
    empty: str = ""  # what a missing value reads as, on screen and in a file
    source: str = ""  # the row's attribute (or key, for a mapping row), when it is not ``key``
    file: Callable[[Any], object] | None = None  # the file's value; default: the screen's
    on_screen: bool = True  # False: in the files only (the screen shows it inside another column)
    line_type: type | None = None  # the line's field type, when the screen needs more than text (a checkbox's bool)

    def value(self, row: Any) -> object:
        name = self.source or self.key
        return row[name] if isinstance(row, Mapping) else getattr(row, name)

    def screen(self, row: Any) -> object:
        return self.value(row) if self.line_type is not None else shown(self.value(row), self.empty)

    def in_file(self, row: Any) -> object:
        return self.file(row) if self.file else self.screen(row)


def moment_column(key: str, label: str, source: str, *, width: float = 20) -> Column:
    """A date-time column: "dd/mm/yyyy hh:mm:ss" or "X" on screen, a real date in Excel."""
    return Column(key, label, kind="datetime", width=width, empty=NEVER, source=source,
                  file=lambda row: naive(getattr(row, source)))


# The columns every table of people starts or ends with.
PERSON_COLUMNS = (Column("last_name", "Nom", width=18), Column("first_name", "Prénom", width=16),
                  Column("email", "Email", width=34))
SIGNED_IN = moment_column("last_login", "Connexion", "last_login_at")


CHECKED = "1"  # a checkbox filter's value when ticked ("" when not)
TICKED = frozenset({"1", "true", "on", "oui"})


@dataclasses.dataclass(frozen=True)
class Filter:
    """A select filter: fixed ``choices`` ((value, label) pairs), or the list ``options`` names in the table's
    ``options(user)`` (e.g. "regions": the regions of the user's scope). ``narrowed_by``: the key of the filter
    whose value narrows this one's options (each option's ``group``) and clears this one when it changes.
    ``kind="check"``: a checkbox labelled ``label``, "1" when ticked."""

    key: str
    label: str
    all_label: str = "Tous"
    choices: tuple[tuple[str, str], ...] = ()
    options: str = ""
    kind: str = "select"  # "select" | "check"
    narrowed_by: str = ""

    @property
    def check(self) -> bool:
        return self.kind == "check"


# The place filters most staff tables offer, over the user's scope.
REGION = Filter("region", "Filtre par région", "Toutes", options="regions")
SUBDIVISION = Filter("subdivision", "Filtre par subdivision", "Toutes", options="subdivisions")
SPECIALTY = Filter("specialty", "Filtre par spécialité", "Toutes", options="specialties")


def _row_id(row: Any) -> int:
    """A service row's id (rows are frozen dataclasses)."""
    return int(row.id)


def line_class(module: str, name: str, columns: tuple[Column, ...]) -> type:
    """The frozen dataclass a page shows for one row: ``id`` and one field per column, ready to show.

    Declare it at module level under ``name`` (``StudentLine = line_class(__name__, "StudentLine", ...)``) so it
    pickles (Redis keeps the states)."""
    fields = [("id", int)] + [(c.key, c.line_type or (int if c.kind == "number" else str)) for c in columns]
    cls = dataclasses.make_dataclass(name, fields, frozen=True)
    cls.__module__ = module
    cls.__doc__ = f"One row of a table as its page shows it ({', '.join(c.key for c in columns)})."
    return cls


@dataclasses.dataclass(frozen=True)
class Table:
    name: str  # the export route's name (/files/exports/<name>.csv) and the page's element ids
    file_stem: str  # the downloaded file's name
    noun: str  # "Exporter les <noun> filtrés…"
    unit: str  # the pager's "… <unit>"
    search_label: str
    columns: tuple[Column, ...]
    filters: tuple[Filter, ...]
    default_sort: str
    line: type  # from ``line_class``
    query: Callable[..., tuple[list, int]]  # (user, *, filters, sort, descending, offset, limit, **context)
    iterate: Callable[..., Iterator] | None  # (user, *, filters, sort, descending); None: no export
    statistics: Callable[..., list[Figure]] | None  # (user, filters, **context); None: no statistics
    options: Callable[..., Mapping[str, list[Choice]]]  # (user): {"regions": [...], …}
    page_size: int = 50

    @property
    def shown(self) -> tuple[Column, ...]:
        """The columns of the screen's table."""
        return tuple(c for c in self.columns if c.on_screen)

    @property
    def sortable(self) -> frozenset[str]:
        return frozenset(c.key for c in self.columns if c.sortable)

    @property
    def filter_keys(self) -> tuple[str, ...]:
        return ("q", *(f.key for f in self.filters))

    @property
    def checks(self) -> tuple[str, ...]:
        """The keys of the checkbox filters."""
        return tuple(f.key for f in self.filters if f.check)

    @property
    def selects(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.filters if not f.check)

    def narrowed(self, key: str) -> tuple[str, ...]:
        """The filters that ``key``'s value narrows (cleared when it changes)."""
        return tuple(f.key for f in self.filters if f.narrowed_by == key)

    def choices(self) -> dict[str, tuple[str, ...]]:
        """The values each fixed-choice filter accepts (the others are checked by their query)."""
        return {f.key: tuple(value for value, _ in f.choices) for f in self.filters if f.choices}

    def clean(self, filters: Mapping[str, object] | None) -> dict[str, str]:
        """Every filter key, each value stripped and bounded, "" for no filter (an unticked checkbox too, a ticked
        one "1"); other keys dropped."""
        filters = filters or {}
        checks = self.checks
        out = {}
        for key in self.filter_keys:
            value = str(filters.get(key) or "").strip()
            if key in checks:
                out[key] = CHECKED if value.lower() in TICKED else ""
            else:
                out[key] = "" if value.lower() in NO_FILTER else value[:100]
        return out

    def sort_key(self, sort: str) -> str:
        return sort if sort in self.sortable else self.default_sort

    def screen_values(self, row: Any) -> dict[str, object]:
        return {c.key: c.screen(row) for c in self.columns}

    def to_line(self, row: Any) -> Any:
        """The line a page shows for a row of ``query``; a query may return the lines themselves (cards)."""
        if isinstance(row, self.line):
            return row
        return self.line(id=_row_id(row), **self.screen_values(row))

    def page(self, user, *, filters: Mapping[str, object], sort: str, descending: bool, page: int,
             **context) -> tuple[list, int, int]:
        """(lines of page ``page``, total, the page actually shown): past the end, the last page."""
        size = self.page_size
        page = max(1, int(page))
        rows, total = self.query(user, filters=filters, sort=sort, descending=descending,
                                 offset=(page - 1) * size, limit=size, **context)
        last = max(1, math.ceil(total / size))
        if page > last:
            page = last
            rows, total = self.query(user, filters=filters, sort=sort, descending=descending,
                                     offset=(page - 1) * size, limit=size, **context)
        return [self.to_line(row) for row in rows], total, page

    # ------------------------------------------------------------------ files
    def export_columns(self):
        from siimop_app.services.exports import ExportColumn  # late: openpyxl only where files are written

        return [ExportColumn(c.key, c.label, kind=c.kind, width=c.width, empty=c.empty)
                for c in self.columns]

    def export_rows(self, user, *, filters: Mapping[str, object] | None = None, sort: str | None = None,
                    descending: bool = False) -> Iterator[dict[str, object]]:
        """The filtered rows, in the table's order, as typed values for ``exports.write_csv``/``write_xlsx``."""
        for row in self.iterate(user, filters=filters, sort=sort or self.default_sort, descending=descending):
            yield {"id": _row_id(row), **{c.key: c.in_file(row) for c in self.columns}}

    def export_query(self, filters: Mapping[str, str], sort: str, descending: bool) -> str:
        """The filters and sort as the export route's query string (the route cleans them again)."""
        params = {key: value for key, value in filters.items() if value and value.lower() not in NO_FILTER}
        params["sort"] = sort
        if descending:
            params["desc"] = "1"
        return urlencode(params)
