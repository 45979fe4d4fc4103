"""Read an uploaded spreadsheet into text rows: CSV (UTF-8 with or without BOM, Windows-1252; ``;``, ``,`` or tab)
or XLSX (openpyxl, read-only, formulas kept as their text, never evaluated).

A file over 20 MB, or neither a CSV nor an XLSX, is refused before any parsing. Line numbers are the ones a
spreadsheet shows: the header is line 1 (or the first non-empty line), empty lines are skipped but counted.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import zipfile
from collections.abc import Iterator

MAX_BYTES = 20 * 1024 * 1024
MAX_COLUMNS = 200
EXTENSIONS = (".csv", ".xlsx")


class UnreadableFile(ValueError):
    """A file refused as a whole; the message is for the user, in French."""


@dataclasses.dataclass
class Table:
    headers: list[str]
    header_line: int
    rows: Iterator[tuple[int, list[str]]]  # (line number, cells as text)
    description: str  # "CSV, UTF-8, séparateur « ; »" — shown in the preview


def check_file(filename: str, size: int) -> str:
    """The file's format ("csv" or "xlsx"), or UnreadableFile: decided before reading its content."""
    if size > MAX_BYTES:
        raise UnreadableFile(f"Le fichier fait {size / 1024 / 1024:.1f} Mo : la limite est de 20 Mo.")
    if size == 0:
        raise UnreadableFile("Le fichier est vide.")
    name = filename.lower()
    if name.endswith(".csv"):
        return "csv"
    if name.endswith(".xlsx"):
        return "xlsx"
    raise UnreadableFile(f"« {filename} » n'est ni un fichier CSV (.csv) ni un classeur Excel (.xlsx). "
                         "Enregistrez le tableau dans l'un de ces formats (un .xls doit être réenregistré en .xlsx).")


def read_table(data: bytes, filename: str) -> Table:
    fmt = check_file(filename, len(data))
    return _read_xlsx(data) if fmt == "xlsx" else _read_csv(data)


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "UTF-8 (avec BOM)"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "UTF-16"
    if b"\x00" in data[:4096]:
        raise UnreadableFile("Ce fichier n'est pas un texte CSV (contenu binaire).")
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        # What French Excel writes with "CSV (séparateur : point-virgule)".
        return data.decode("cp1252", errors="replace"), "Windows-1252"


def _read_csv(data: bytes) -> Table:
    try:
        text, encoding = _decode(data)
    except UnicodeDecodeError:
        raise UnreadableFile("L'encodage de ce fichier CSV n'est pas reconnu (UTF-8 ou Windows-1252 attendu).") from None
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    # The separator is the one the header line uses most (names never contain it).
    delimiter = max((";", ",", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = ((index, cells) for index, cells in enumerate(reader, start=1))
    header_line, headers = 0, []
    for index, cells in records:
        if any(c.strip() for c in cells):
            header_line, headers = index, [c.strip() for c in cells]
            break
    if not headers:
        raise UnreadableFile("Le fichier ne contient aucune ligne.")
    if len(headers) > MAX_COLUMNS:
        raise UnreadableFile(f"Le fichier a {len(headers)} colonnes : est-ce bien le bon séparateur ?")
    shown = {";": "« ; »", ",": "« , »", "\t": "tabulation"}[delimiter]
    return Table(headers, header_line, _non_empty(records), f"CSV, {encoding}, séparateur {shown}")


def _non_empty(records) -> Iterator[tuple[int, list[str]]]:
    for index, cells in records:
        if any(c.strip() for c in cells):
            yield index, cells


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 6.0 typed in a number cell is 6, and a long number is not 1.2E+10
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        # data_only=False: a formula cell reads as its formula text, never as a computed value.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise UnreadableFile("Ce classeur Excel ne peut pas être lu (fichier abîmé ou pas un .xlsx).") from error
    sheet = workbook.worksheets[0] if workbook.worksheets else None
    if sheet is None:
        raise UnreadableFile("Le classeur ne contient aucune feuille.")
    records = (
        (index, [_cell_text(v) for v in values[:MAX_COLUMNS]])
        for index, values in enumerate(sheet.iter_rows(values_only=True), start=1)
    )
    header_line, headers = 0, []
    for index, cells in records:
        if any(c.strip() for c in cells):
            header_line = index
            headers = [c.strip() for c in cells]
            while headers and not headers[-1]:
                headers.pop()
            break
    if not headers:
        raise UnreadableFile("La première feuille du classeur est vide.")

    def rows():
        try:
            yield from _non_empty(records)
        finally:
            workbook.close()

    return Table(headers, header_line, rows(), f"Excel (.xlsx), feuille « {sheet.title} »")
