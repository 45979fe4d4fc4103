"""Reading import files and checking their cells: no database."""

from __future__ import annotations

import pytest

from siimop_app.domain import import_rules as rules
from siimop_app.imports.reading import MAX_BYTES, UnreadableFile, check_file, read_table
from tests.services.import_files import csv_bytes, student, xlsx_bytes


def _refs() -> rules.References:
    return rules.References(
        subdivisions=rules.Lookup.build("une subdivision", [(1, "SUBDI TOURS", ("TOURS", "TOURS")),
                                                            (2, "SUBDI AMIENS", ("AMIENS", "AMIENS"))]),
        specialties=rules.Lookup.build("une spécialité", [(10, "MÉDECINE D'URGENCE", ("MED-URG",)),
                                                          (11, "PÉDIATRIE", ("PEDIATRIE",))]),
        options=rules.Lookup.build("une option", [(20, "Néonatologie", ("OPT-NEONAT",))]),
        regions=rules.Lookup.build("une région", [(30, "Centre-Val de Loire", ("CVL",))]),
        option_specialty={20: 11},
        subdivision_region={1: 30, 2: 31},
    )


def _validate(kind: str, data: bytes, filename: str = "f.csv") -> rules.Validated:
    table = read_table(data, filename)
    columns, errors = rules.match_headers(kind, table.headers)
    assert errors == []
    rows = [(line, {key: cells[i] if i < len(cells) else "" for key, i in columns.items()})
            for line, cells in table.rows]
    return rules.validate(kind, rows, _refs())


@pytest.mark.parametrize("encoding,bom,delimiter", [("utf-8", False, ";"), ("utf-8", True, ","),
                                                   ("cp1252", False, ";"), ("cp1252", False, ",")])
def test_csv_in_every_encoding_and_separator_reads_the_same(encoding, bom, delimiter):
    data = csv_bytes("students", [student(1, last_name="LÉVÊQUE", first_name="Zoé", subdivision="Tours",
                                          specialty="médecine d’urgence".replace("’", "'"))],
                     encoding=encoding, bom=bom, delimiter=delimiter)
    result = _validate("students", data)
    assert result.errors == []
    (row,) = result.rows
    assert (row["last_name"], row["first_name"], row["subdivision_id"], row["specialty_id"]) == ("LÉVÊQUE", "Zoé", 1, 10)
    assert row["line"] == 2


def test_every_cell_error_names_line_column_and_what_is_expected():
    rows = [
        student(1, ine="12AB"),
        student(2, subdivision="SUBDI TOUR", specialty="PEDIATRE", option="Néonatologie"),
        student(3, email="pas-une-adresse", semestre_decale="peut-être"),
        student(4, ine=student(2)["ine"], intern_number="=1+1"),  # duplicate INE, a formula
        student(5, email=student(3)["email"].upper(), last_name=""),
        student(6, specialty="MED-URG", option="OPT-NEONAT"),
    ]
    rows[4]["email"] = "ETUDIANT2@ETU.EXAMPLE.FR"
    errors = [str(e) for e in _validate("students", csv_bytes("students", rows)).errors]
    assert errors == [
        "ligne 2, colonne « INE » : « 12AB » n'est pas un numéro INE valide (11 caractères, chiffres et lettres)",
        "ligne 3, colonne « Subdivision » : « SUBDI TOUR » n'est pas une subdivision connue "
        "(vouliez-vous dire « SUBDI TOURS » ?)",
        "ligne 3, colonne « Spécialité » : « PEDIATRE » n'est pas une spécialité connue "
        "(vouliez-vous dire « PÉDIATRIE » ?)",
        "ligne 4, colonne « Adresse e-mail » : « pas-une-adresse » n'est pas une adresse e-mail valide",
        "ligne 4, colonne « Semestre décalé » : « peut-être » : répondez « oui » ou « non »",
        "ligne 5, colonne « INE » : « 1000000002A » apparaît déjà ligne 3",
        "ligne 5, colonne « Numéro d'interne » : « =1+1 » n'est pas un numéro d'interne valide "
        "(chiffres et lettres, 20 caractères au plus)",
        "ligne 6, colonne « Nom » : cette colonne est obligatoire",
        "ligne 6, colonne « Adresse e-mail » : « etudiant2@etu.example.fr » apparaît déjà ligne 3",
        "ligne 7, colonne « Option » : « OPT-NEONAT » n'est pas une option de la spécialité « MÉDECINE D'URGENCE »",
    ]


def test_xlsx_numbers_are_read_as_people_typed_them_and_formulas_stay_text():
    data = xlsx_bytes("students", [student(1)], raw=[
        ["1234567890B", 20190002, "=UPPER(\"x\")", "Léa", "lea@etu.example.fr", "SUBDI AMIENS", "MED-URG", None,
         False, True],
    ])
    result = _validate("students", data, "f.xlsx")
    assert result.errors == []
    second = result.rows[1]
    assert (second["intern_number"], second["last_name"], second["semestre_decale"]) == ("20190002", '=UPPER("x")',
                                                                                          False)


def test_missing_columns_are_named_and_extra_columns_ignored():
    columns, errors = rules.match_headers("students", ["ine", "NOM", "Prenom", "Courriel", "Commentaire"])
    assert set(columns) == {"ine", "last_name", "first_name", "email"}
    assert len(errors) == 1 and "« Subdivision », « Spécialité »" in str(errors[0])


def test_files_refused_before_parsing():
    with pytest.raises(UnreadableFile, match="20 Mo"):
        check_file("etudiants.csv", MAX_BYTES + 1)
    with pytest.raises(UnreadableFile, match="ni un fichier CSV"):
        check_file("etudiants.pdf", 1000)
    with pytest.raises(UnreadableFile, match="ne peut pas être lu"):
        read_table(b"not a zip at all", "etudiants.xlsx")


def test_posts_rules_across_rows():
    from tests.services.import_files import post, second_site

    rows = [
        post(1),
        post(2, post_type="Couplé", **second_site(2, referent=2)),
        post(3, post_type="Simple", **second_site(3)),  # a simple post with a second site
        post(1, site_name="AUTRE"),  # duplicate number
        post(4, approval_number=post(1)["approval_number"], site_number=post(1)["site_number"], site_name="AUTRE NOM"),
        post(5, supervisor_email="rts1@chu.example.fr", supervisor_last="DUPONT"),  # one address, two people
        post(6, places="0", months="9", post_type="Triple"),
        post(7, post_type="Mixte"),  # no second site
    ]
    errors = [str(e) for e in _validate("posts", csv_bytes("posts", rows)).errors]
    assert errors == [
        "ligne 4, colonne « Terrain de stage 2 » : un poste Simple n'a pas de second terrain "
        "(type de poste Couplé ou Mixte ?)",
        "ligne 5, colonne « N° poste » : « 1 » apparaît déjà ligne 2",
        "ligne 5, colonne « N° terrain » : le terrain « 3700000101 / 37000001 » est décrit autrement ligne 2 "
        "(nom, établissement, responsable ou subdivision)",
        "ligne 6, colonne « N° terrain » : le terrain « 3700000101 / 37000001 » est décrit autrement ligne 2 "
        "(nom, établissement, responsable ou subdivision)",
        "ligne 7, colonne « Responsable e-mail » : « rts1@chu.example.fr » est l'adresse de Claire RTS1 ligne 2, "
        "pas de Claire DUPONT",
        "ligne 8, colonne « Type de poste » : « Triple » n'est pas un type de poste (Simple, Couplé ou Mixte)",
        "ligne 8, colonne « Durée (mois) » : « 9 » n'est pas une durée possible (6 ou 12 mois)",
        "ligne 8, colonne « Places » : « 0 » n'est pas un nombre de places (nombre entier de 1 à 50)",
        "ligne 9, colonne « N° agrément 2 » : cette colonne est obligatoire",
        "ligne 9, colonne « N° terrain 2 » : cette colonne est obligatoire",
        "ligne 9, colonne « Terrain de stage 2 » : cette colonne est obligatoire",
        "ligne 9, colonne « Établissement 2 » : cette colonne est obligatoire",
        "ligne 9, colonne « Responsable 2 nom » : cette colonne est obligatoire",
        "ligne 9, colonne « Responsable 2 prénom » : cette colonne est obligatoire",
        "ligne 9, colonne « Responsable 2 e-mail » : cette colonne est obligatoire",
    ]
