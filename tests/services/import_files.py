"""Builders of import files as people make them: CSV in UTF-8 (BOM or not) or Windows-1252, ``;`` or ``,``, XLSX.

Also the national-size files of the benchmark (7,400 students, 6,000 posts), made from the reference data.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Mapping, Sequence

from openpyxl import Workbook

from siimop_app.demo import reference_data as ref
from siimop_app.domain.import_rules import FORMATS


def headers(kind: str) -> list[str]:
    return [c.header for c in FORMATS[kind]]


def _cells(kind: str, row: Mapping[str, object]) -> list[str]:
    """A row given by column key or by header, in the template's column order."""
    by_header = {c.key: c.header for c in FORMATS[kind]}
    return [str(row.get(key, row.get(header, "")) or "") for key, header in by_header.items()]


def csv_bytes(kind: str, rows: Sequence[Mapping[str, object]], *, delimiter: str = ";",
              encoding: str = "utf-8", bom: bool = False, header: list[str] | None = None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header or headers(kind))
    for row in rows:
        writer.writerow(_cells(kind, row))
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode(encoding)


def xlsx_bytes(kind: str, rows: Sequence[Mapping[str, object]], *, raw: Sequence[Sequence[object]] = ()) -> bytes:
    """A workbook; ``raw`` rows are appended as they are (numbers, formulas...)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers(kind))
    for row in rows:
        sheet.append(_cells(kind, row))
    for values in raw:
        sheet.append(list(values))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def student(n: int, **changes) -> dict:
    row = {"ine": f"{1000000000 + n}A", "intern_number": f"{20190000 + n}", "last_name": f"NOM{n}",
           "first_name": "Camille", "email": f"etudiant{n}@etu.example.fr", "subdivision": "SUBDI AMIENS",
           "specialty": "MÉDECINE D'URGENCE", "option": "", "semestre_decale": "non", "participating": "oui"}
    row.update(changes)
    return row


def post(n: int, **changes) -> dict:
    row = {"post_number": n, "specialty": "MED-URG", "subdivision": "SUBDI AMIENS", "post_type": "Simple",
           "months": 6, "places": 1, "decale": "non", "approval_number": f"37{n:06d}01", "site_number": f"37{n:06d}",
           "site_name": f"URGENCES {n}", "establishment": "CHU AMIENS-PICARDIE", "city": "Amiens",
           "is_university": "oui", "supervisor_last": f"RTS{n}", "supervisor_first": "Claire",
           "supervisor_email": f"rts{n}@chu.example.fr"}
    row.update(changes)
    return row


def second_site(n: int, referent: int = 1) -> dict:
    return {"approval_number2": f"38{n:06d}01", "site_number2": f"38{n:06d}", "site_name2": f"SMUR {n}",
            "establishment2": "CH ABBEVILLE", "supervisor_last2": f"SECOND{n}", "supervisor_first2": "Marc",
            "supervisor_email2": f"second{n}@chu.example.fr", "referent": referent}


def national_students(count: int = 7400, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    subdivisions = [s.label for s in ref.SUBDIVISIONS]
    specialties = list(ref.SPECIALTIES)
    rows = []
    for n in range(count):
        spec = rng.choice(specialties)
        option = rng.choice(spec.options).label if spec.options and rng.random() < 0.2 else ""
        rows.append(student(n, last_name=rng.choice(ref.LAST_NAMES), first_name=rng.choice(ref.FIRST_NAMES),
                            subdivision=rng.choice(subdivisions), specialty=spec.label, option=option,
                            semestre_decale="oui" if rng.random() < 0.05 else "non"))
    return rows


def national_posts(count: int = 6000, seed: int = 2) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for n in range(1, count + 1):
        sub = rng.choice(ref.SUBDIVISIONS)
        spec = rng.choice(ref.SPECIALTIES)
        supervisor = rng.randrange(count // 2)  # most supervisors hold one or two posts
        row = post(n, specialty=spec.label, subdivision=sub.label, places=rng.choice((1, 1, 1, 2, 3)),
                   establishment=rng.choice(ref.establishment_names(sub.code)),
                   supervisor_last=f"RTS{supervisor}", supervisor_email=f"rts{supervisor}@chu.example.fr",
                   months=rng.choice((6, 12)))
        if rng.random() < 0.15:
            row.update(second_site(n, referent=rng.choice((1, 2))),
                       post_type=rng.choice(("Couplé", "Mixte")))
        rows.append(row)
    return rows
