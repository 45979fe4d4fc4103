"""The downloadable XLSX template of each import format: the header row, a sample row, a help sheet, and
drop-down lists (data validation) where a cell has a closed set of answers.

The lists of subdivisions and specialties come from the database (the caller passes them), so the
template always offers the names the import accepts.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from siimop_app.domain.import_rules import FORMATS, KIND_LABELS

TEMPLATE_NAMES = {"students": "modele_import_etudiants.xlsx", "posts": "modele_import_postes.xlsx",
                  "staff": "modele_import_personnel.xlsx"}
LAST_ROW = 20000  # how far down the drop-down lists apply


def build_template(kind: str, *, subdivisions: Sequence[str], specialties: Sequence[str],
                   regions: Sequence[str]) -> bytes:
    columns = FORMATS[kind]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = KIND_LABELS[kind][:31].split(" (")[0]
    lists = workbook.create_sheet("Listes")
    named = {"subdivision": subdivisions, "specialty": specialties, "region": regions}
    for index, (key, values) in enumerate(named.items(), start=1):
        lists.cell(row=1, column=index, value=key)
        for row, value in enumerate(values, start=2):
            lists.cell(row=row, column=index, value=value)
    lists.sheet_state = "hidden"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DBE4F0")
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.comment = Comment(("Obligatoire. " if column.required else "Facultatif. ") + column.help, "SiiMOP")
        sheet.cell(row=2, column=index, value=column.example or None)
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, min(40, len(column.header) + 4))
        cells = f"{letter}2:{letter}{LAST_ROW}"
        source = None
        if column.choices:
            source = '"' + ",".join(column.choices) + '"'
        elif column.key in named and named[column.key]:
            list_column = get_column_letter(list(named).index(column.key) + 1)
            source = f"Listes!${list_column}$2:${list_column}${len(named[column.key]) + 1}"
        if source:
            # A warning, not a stop: the import also accepts codes and other spellings of the same names.
            validation = DataValidation(type="list", formula1=source, allow_blank=True, showErrorMessage=True,
                                        errorStyle="warning", errorTitle=column.header,
                                        error=f"Valeur attendue : {column.help}")
            validation.add(cells)
            sheet.add_data_validation(validation)
        if column.key in ("ine", "intern_number", "approval_number", "site_number", "approval_number2",
                          "site_number2"):
            for row in range(2, 3):
                sheet.cell(row=row, column=index).number_format = "@"  # numbers kept as typed (leading zeros)
    sheet.freeze_panes = "A2"
    help_sheet = workbook.create_sheet("Aide")
    help_sheet.append(["Colonne", "Obligatoire", "Contenu attendu", "Exemple"])
    for cell in help_sheet[1]:
        cell.font = bold
    for column in columns:
        help_sheet.append([column.header, "oui" if column.required else "non", column.help, column.example])
    for letter, width in zip("ABCD", (28, 12, 70, 30)):
        help_sheet.column_dimensions[letter].width = width
    help_sheet.append([])
    help_sheet.append(["La ligne 2 est un exemple : remplacez-la. Le fichier peut aussi être enregistré en CSV "
                       "(séparateur « ; » ou « , », UTF-8 ou Windows-1252). 20 Mo au plus."])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
