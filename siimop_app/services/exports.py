"""Generic writers for every coordinator table's export: CSV and Excel, both streaming over an iterator of rows.

A table describes its columns once (``ExportColumn``: key, French header, kind,
width) and hands an iterator of ``dict`` rows; nothing is collected in a list, so
7,400+ rows never sit in memory (nor in Reflex state).

* CSV: UTF-8 with a BOM (Excel opens it with the right accents), ``;`` separator,
  French headers, dates as text ``dd/mm/yyyy hh:mm:ss``; produced in chunks.
* Excel: openpyxl's write-only workbook (rows go straight to the zip stream), real
  dates and numbers, the header row bold and frozen, an auto-filter over the whole
  table, column widths set from the column's declaration.

Text that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return, OWASP "CSV injection") is neutralised once, in ``neutralise``, for both formats: names will come from
outside through imports.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Mapping
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATETIME_TEXT = "%d/%m/%Y %H:%M:%S"
DATE_TEXT = "%d/%m/%Y"
EXCEL_DATETIME = "DD/MM/YYYY HH:MM:SS"
EXCEL_DATE = "DD/MM/YYYY"
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclasses.dataclass(frozen=True)
class ExportColumn:
    key: str
    header: str
    kind: str = "text"  # "text" | "number" | "datetime" | "date"
    width: float | None = None  # in characters; default from the header
    empty: str = ""  # what an empty value (None) reads as in both formats, e.g. "X" for "never signed in"


def neutralise(text: str) -> str:
    """A text cell as data, never a formula: prefixed with an apostrophe when it starts like one (OWASP).
    A lone "-" (the tables' "nothing here") is no formula and stays as the screen shows it."""
    if text.strip(" ") == "-":
        return text
    return "'" + text if text.lstrip(" ").startswith(FORMULA_STARTS) else text


def _as_text(value: object, column: ExportColumn) -> str:
    if value is None or value == "":
        return neutralise(column.empty)
    if isinstance(value, dt.datetime):
        return value.strftime(DATETIME_TEXT)
    if isinstance(value, dt.date):
        return value.strftime(DATE_TEXT)
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (int, float)):
        return str(value)  # a number, negative ones included, stays a number
    return neutralise(str(value))


def iter_csv(columns: Iterable[ExportColumn], rows: Iterable[Mapping[str, object]], *,
             chunk_rows: int = 500) -> Iterator[bytes]:
    """The CSV file as UTF-8 byte chunks (BOM first, then the header, then ``chunk_rows`` rows per chunk)."""
    columns = list(columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([c.header for c in columns])
    pending = 0
    for row in rows:
        writer.writerow([_as_text(row.get(c.key), c) for c in columns])
        pending += 1
        if pending >= chunk_rows:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    tail = buffer.getvalue()
    if tail:
        yield tail.encode("utf-8")


def write_csv(columns: Iterable[ExportColumn], rows: Iterable[Mapping[str, object]], out: BinaryIO) -> int:
    """Write the CSV to a binary file; returns the number of data rows."""
    count = 0

    def counted():
        nonlocal count
        for row in rows:
            count += 1
            yield row

    for chunk in iter_csv(columns, counted()):
        out.write(chunk)
    return count


def _excel_value(value: object, column: ExportColumn) -> object:
    if value is None or value == "":
        return neutralise(column.empty) or None
    if column.kind == "datetime" and isinstance(value, dt.datetime):
        return value.replace(tzinfo=None) if value.tzinfo else value
    if column.kind == "date" and isinstance(value, dt.date):
        return value
    if column.kind == "number":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        try:
            return int(str(value))
        except ValueError:
            try:
                return float(str(value).replace(",", "."))
            except ValueError:
                return neutralise(str(value))
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (dt.date, dt.datetime)):
        return _as_text(value, column)
    return neutralise(str(value))


def write_xlsx(columns: Iterable[ExportColumn], rows: Iterable[Mapping[str, object]], out: BinaryIO, *,
               sheet_title: str = "Export") -> int:
    """Write the Excel workbook to a binary file (streamed row by row); returns the number of data rows."""
    columns = list(columns)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    for index, column in enumerate(columns, start=1):  # widths must be set before the first row
        width = column.width or max(10.0, min(40.0, len(column.header) + 2))
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DBE4F0")
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font, cell.fill, cell.alignment = bold, fill, Alignment(wrap_text=True, vertical="top")
        header.append(cell)
    sheet.append(header)
    # One style object per column (write-only cells share them), so styling costs nothing per row.
    formats = {"datetime": EXCEL_DATETIME, "date": EXCEL_DATE}
    count = 0
    for row in rows:
        cells = []
        for column in columns:
            value = _excel_value(row.get(column.key), column)
            if column.kind in formats and isinstance(value, (dt.date, dt.datetime)):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = formats[column.kind]
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
        count += 1
    last_row = count + 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(1, len(columns)))}{last_row}"
    workbook.save(out)
    return count


def export_filename(stem: str, fmt: str, at: dt.datetime | None = None) -> str:
    at = at or dt.datetime.now()
    return f"{stem}_{at:%Y-%m-%d_%H%M}.{fmt}"
