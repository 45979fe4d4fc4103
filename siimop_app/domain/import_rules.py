"""What an import file must look like and how each cell is checked (pure: no Reflex, no database).

Three formats, with the French column names of the faculties' and ARS's spreadsheets: ``students``
(étudiants), ``posts`` (postes with their sites and supervisors) and ``staff`` (personnel: coordinators
and managers with their scopes). ``validate`` turns raw rows (text cells, keyed by column) into typed rows
and a list of errors, each naming the line, the column and what is expected, in French. The reference
names (subdivisions, specialties, options, regions) come in as ``Lookup`` tables built by the caller.

Cells are text: a cell beginning with ``=``, ``+``, ``-`` or ``@`` is never evaluated, it is the text it
shows (and fails a number's or a name's check like any other text).
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping

from email_validator import EmailNotValidError, validate_email

from siimop_app.domain.roles import Role

KINDS = ("students", "posts", "staff")
KIND_LABELS = {"students": "Étudiants", "posts": "Postes", "staff": "Personnel (coordonnateurs, gestionnaires)"}
MAX_ROWS = 50_000


@functools.lru_cache(maxsize=65536)  # the same names come back on every row
def fold(text: str) -> str:
    """Accents, case, spaces and punctuation folded away: "Médecine d'urgence" → "medecinedurgence"."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c)).lower()


@dataclasses.dataclass(frozen=True)
class Column:
    key: str
    header: str  # the French column name, as in the template
    required: bool = False
    help: str = ""  # what is expected, shown in the README and the template's comment
    example: str = ""
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()  # offered as a drop-down in the template


YES_NO = ("oui", "non")
_STUDENT_COLUMNS = (
    Column("ine", "INE", True, "numéro INE : 11 caractères, chiffres et lettres", "0123456789A",
           ("numero ine", "n° ine", "ine etudiant")),
    Column("intern_number", "Numéro d'interne", False, "chiffres et lettres, 20 caractères au plus", "20190456",
           ("n° interne", "numero interne", "no interne")),
    Column("last_name", "Nom", True, "nom de famille", "DURAND", ("nom de famille", "nom usuel")),
    Column("first_name", "Prénom", True, "prénom", "Camille", ("prenom usuel",)),
    Column("email", "Adresse e-mail", True, "adresse e-mail de connexion (principale)", "camille.durand@etu.univ.fr",
           ("e-mail", "email", "courriel", "adresse mail", "mail", "adresse electronique")),
    Column("subdivision", "Subdivision", True, "une des 28 subdivisions (ex. SUBDI TOURS ou TOURS)", "SUBDI TOURS",
           ("subdi",)),
    Column("specialty", "Spécialité", True, "le DES (libellé ou code)", "MÉDECINE D'URGENCE",
           ("des", "specialite des", "diplome")),
    Column("option", "Option", False, "option du DES, si l'étudiant en suit une (libellé ou code)", "",
           ("option fst", "option du des")),
    Column("semestre_decale", "Semestre décalé", False, "oui ou non (non si vide)", "non", ("decale",), YES_NO),
    Column("participating", "Participe", False, "oui ou non : participe à l'appariement (oui si vide)", "oui",
           ("participe a l'appariement", "participation"), YES_NO),
    Column("phone", "Téléphone", False, "facultatif", "", ("telephone portable", "tel", "portable")),
)

_SITE_COLUMNS = lambda n, suffix, required: (  # noqa: E731  (the two sites of a post share their columns)
    Column(f"approval_number{n}", f"N° agrément{suffix}", required, "numéro d'agrément du terrain",
           "3701234501" if not n else "", ("numero agrement", "n agrement", "agrement")),
    Column(f"site_number{n}", f"N° terrain{suffix}", required, "numéro du terrain de stage", "37012345" if not n else "",
           ("numero terrain", "n terrain", "terrain n")),
    Column(f"site_name{n}", f"Terrain de stage{suffix}", required, "nom du service ou du lieu",
           "ACCUEIL DES URGENCES - SMUR" if not n else "", ("terrain", "nom du terrain", "service")),
    Column(f"establishment{n}", f"Établissement{suffix}", required, "établissement (créé s'il n'existe pas)",
           "CHRU TOURS" if not n else "", ("etablissement de sante", "hopital")),
    Column(f"city{n}", f"Ville{suffix}", False, "ville de l'établissement", "Tours" if not n else "", ("commune",)),
    Column(f"is_university{n}", f"Universitaire{suffix}", False, "oui ou non (oui si vide pour le 1er terrain, "
           "non pour le 2d)", "oui" if not n else "", ("terrain universitaire",), YES_NO),
    Column(f"supervisor_last{n}", f"Responsable{suffix} nom", required, "nom du responsable du terrain (RTS)",
           "MARTIN" if not n else "", (f"nom responsable{suffix}", f"nom rts{suffix}", f"rts{suffix} nom")),
    Column(f"supervisor_first{n}", f"Responsable{suffix} prénom", required, "prénom du responsable",
           "Claire" if not n else "", (f"prenom responsable{suffix}", f"prenom rts{suffix}", f"rts{suffix} prenom")),
    Column(f"supervisor_email{n}", f"Responsable{suffix} e-mail", required, "adresse e-mail du responsable",
           "claire.martin@chu-tours.fr" if not n else "",
           (f"email responsable{suffix}", f"mail responsable{suffix}", f"rts{suffix} e-mail", f"rts{suffix} email")),
)
_POST_COLUMNS = (
    Column("post_number", "N° poste", True, "numéro du poste dans la vague (entier)", "1024",
           ("numero poste", "numero de poste", "n poste", "poste n")),
    Column("specialty", "Spécialité", True, "le DES appelant (libellé ou code)", "MÉDECINE D'URGENCE",
           ("des", "specialite appelante")),
    Column("option", "Option", False, "option du DES, si le poste est réservé à une option", ""),
    Column("subdivision", "Subdivision", True, "subdivision du poste", "SUBDI TOURS", ("subdi",)),
    Column("post_type", "Type de poste", False, "Simple, Couplé ou Mixte (Simple si vide)", "Simple",
           ("type",), ("Simple", "Couplé", "Mixte")),
    Column("months", "Durée (mois)", False, "6 ou 12 (6 si vide)", "6", ("duree", "duree mois"), ("6", "12")),
    Column("places", "Places", True, "nombre de places ouvertes (1 à 50)", "1",
           ("nombre de places", "places ouvertes", "capacite")),
    Column("decale", "Décalé", False, "oui ou non : prise de poste décalée (non si vide)", "non",
           ("semestre decale", "prise de poste decalee"), YES_NO),
    Column("indication", "Indication", False, "précision affichée sur la carte du poste", ""),
    *_SITE_COLUMNS("", "", True),
    *_SITE_COLUMNS("2", " 2", False),
    Column("referent", "Référent", False, "1 ou 2 : le responsable qui classe (1 si vide)", "1",
           ("responsable referent", "rts referent"), ("1", "2")),
)
_STAFF_COLUMNS = (
    Column("last_name", "Nom", True, "nom de famille", "LEROY", ("nom de famille",)),
    Column("first_name", "Prénom", True, "prénom", "Hélène"),
    Column("email", "Adresse e-mail", True, "adresse e-mail de connexion", "helene.leroy@univ-tours.fr",
           ("e-mail", "email", "courriel", "adresse mail", "mail")),
    Column("role", "Rôle", True, "Coordonnateur, Gestionnaire ou Administrateur", "Coordonnateur",
           ("fonction", "profil"), ("Coordonnateur", "Gestionnaire", "Administrateur")),
    Column("region", "Région", False, "gestionnaire : sa région (ou une subdivision)", ""),
    Column("subdivision", "Subdivision", False, "coordonnateur : obligatoire ; gestionnaire : au lieu de la région",
           "SUBDI TOURS", ("subdi",)),
    Column("specialty", "Spécialité", False, "coordonnateur : le DES coordonné", "MÉDECINE D'URGENCE", ("des",)),
)
_SITE_KEYS = {n: tuple(c.key for c in _SITE_COLUMNS(n, "", False)) for n in ("", "2")}
FORMATS: dict[str, tuple[Column, ...]] = {"students": _STUDENT_COLUMNS, "posts": _POST_COLUMNS, "staff": _STAFF_COLUMNS}
# What identifies a row of each format, for messages ("INE 0123456789A", "poste n° 12").
ROLE_CHOICES = {"coordonnateur": Role.COORDINATOR, "gestionnaire": Role.MANAGER, "administrateur": Role.ADMIN,
                "admin": Role.ADMIN, "coordinateur": Role.COORDINATOR, "manager": Role.MANAGER}
ROLE_LABELS = {Role.COORDINATOR: "Coordonnateur", Role.MANAGER: "Gestionnaire", Role.ADMIN: "Administrateur"}
POST_TYPES = {"simple": "simple", "couple": "couple", "mixte": "mixte"}


def quoted(value: str) -> str:
    return f"« {value} »"


@dataclasses.dataclass(frozen=True)
class RowError:
    line: int  # 0: the file as a whole
    column: str  # the French header, "" for the whole line
    message: str

    def __str__(self) -> str:
        if not self.line:
            return self.message
        where = f"ligne {self.line}" + (f", colonne {quoted(self.column)}" if self.column else "")
        return f"{where} : {self.message}"


def columns_named(kind: str, errors: list[str]) -> list[str]:
    """The keys of the columns that errors name (« Nom » : …), e.g. to mark a correction form's fields invalid."""
    return [c.key for c in FORMATS[kind] if any(quoted(c.header) in error for error in errors)]


class CellError(ValueError):
    """A cell that cannot be read; the message says what is expected, in French."""


# ----------------------------------------------------------------------------------------------- headers
def match_headers(kind: str, headers: list[str]) -> tuple[dict[str, int], list[RowError]]:
    """Column key → index in the file's header row; missing required columns and duplicates are errors."""
    wanted: dict[str, Column] = {}
    for column in FORMATS[kind]:
        for name in (column.header, *column.aliases):
            wanted.setdefault(fold(name), column)
    found: dict[str, int] = {}
    errors: list[RowError] = []
    for index, header in enumerate(headers):
        column = wanted.get(fold(header))
        if column is None:
            continue  # extra columns of people's spreadsheets are ignored
        if column.key in found:
            errors.append(RowError(1, header, f"la colonne {quoted(column.header)} apparaît deux fois"))
        found[column.key] = index
    missing = [c.header for c in FORMATS[kind] if c.required and c.key not in found]
    if missing:
        expected = ", ".join(quoted(c.header) for c in FORMATS[kind])
        errors.append(RowError(
            1, "", f"colonne(s) obligatoire(s) absente(s) : {', '.join(quoted(m) for m in missing)} "
                   f"(colonnes attendues : {expected})"))
    return found, errors


# ------------------------------------------------------------------------------------------------ cells
def parse_text(value: str, *, max_length: int = 200) -> str:
    value = " ".join(value.split())
    if len(value) > max_length:
        raise CellError(f"le texte dépasse {max_length} caractères")
    return value


INE_PATTERN = re.compile(r"^[0-9A-Z]{10}[0-9A-Z]$")


def parse_ine(value: str) -> str:
    ine = value.replace(" ", "").upper()
    if not INE_PATTERN.match(ine) or not any(c.isdigit() for c in ine):
        raise CellError(f"{quoted(value)} n'est pas un numéro INE valide (11 caractères, chiffres et lettres)")
    return ine


def parse_code(value: str, what: str, *, max_length: int = 20) -> str:
    code = value.replace(" ", "")
    if not code or len(code) > max_length or not code.isalnum() or not code.isascii():
        raise CellError(f"{quoted(value)} n'est pas un {what} valide (chiffres et lettres, "
                        f"{max_length} caractères au plus)")
    return code.upper()


@functools.lru_cache(maxsize=65536)  # a supervisor's address comes back on each of their posts
def parse_email(value: str) -> str:
    try:
        address = validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise CellError(f"{quoted(value)} n'est pas une adresse e-mail valide") from None
    if len(address) > 254:
        raise CellError(f"{quoted(value)} n'est pas une adresse e-mail valide")
    return address.lower()


_YES = {"oui", "o", "1", "x", "vrai", "true", "yes", "y"}
_NO = {"non", "n", "0", "faux", "false", "no", ""}


def parse_yes_no(value: str, default: bool) -> bool:
    folded = fold(value)
    if not value.strip():
        return default
    if folded in _YES:
        return True
    if folded in _NO:
        return False
    raise CellError(f"{quoted(value)} : répondez « oui » ou « non »")


def parse_int(value: str, *, low: int, high: int, what: str) -> int:
    text = value.strip().replace(" ", "").replace("\u00a0", "")
    if re.fullmatch(r"\d+([.,]0+)?", text):
        number = int(re.split(r"[.,]", text)[0])
        if low <= number <= high:
            return number
    raise CellError(f"{quoted(value)} n'est pas {what} (nombre entier de {low} à {high})")


@dataclasses.dataclass
class Lookup:
    """Reference names → id: a name is accepted by code, label or alias, whatever its accents and case."""

    what: str  # "une subdivision", "une spécialité"...
    by_key: dict[str, int]
    shown: dict[str, str]  # folded key → the name to suggest
    labels: dict[int, str]  # id → the name shown in reports

    @classmethod
    def build(cls, what: str, entries: Iterable[tuple[int, str, Iterable[str]]]) -> "Lookup":
        """``entries``: (id, label, other accepted names)."""
        by_key, shown, labels = {}, {}, {}
        for ident, label, names in entries:
            labels[ident] = label
            for name in (label, *names):
                key = fold(name)
                if key and key not in by_key:
                    by_key[key], shown[key] = ident, label
        return cls(what, by_key, shown, labels)

    def find(self, value: str) -> int:
        key = fold(value)
        if key in self.by_key:
            return self.by_key[key]
        close = difflib.get_close_matches(key, list(self.by_key), n=1, cutoff=0.6)
        hint = f" (vouliez-vous dire {quoted(self.shown[close[0]])} ?)" if close else ""
        raise CellError(f"{quoted(value)} n'est pas {self.what} connue{hint}")


@dataclasses.dataclass
class References:
    subdivisions: Lookup
    specialties: Lookup
    options: Lookup
    regions: Lookup
    option_specialty: dict[int, int]  # option id → its specialty id
    subdivision_region: dict[int, int]


# ------------------------------------------------------------------------------------------- validation
@dataclasses.dataclass
class Validated:
    rows: list[dict]  # typed rows without any error, each with its "line"
    errors: list[RowError]
    all_rows: list[dict] = dataclasses.field(default_factory=list)  # every row, a failed cell read as None


class _Row:
    """One raw row being read: collects its cell errors under the right header."""

    def __init__(self, line: int, cells: Mapping[str, str], columns: dict[str, Column], errors: list[RowError]):
        self.line, self.cells, self.columns, self.errors = line, cells, columns, errors
        self.ok = True

    def raw(self, key: str) -> str:
        return (self.cells.get(key) or "").strip()

    def get(self, key: str, parse: Callable[[str], object], *, required: bool | None = None, default=None):
        value = self.raw(key)
        column = self.columns[key]
        if not value:
            if column.required if required is None else required:
                self.fail(key, "cette colonne est obligatoire")
            return default
        try:
            return parse(value)
        except CellError as error:
            self.fail(key, str(error))
            return default

    def fail(self, key: str, message: str) -> None:
        self.ok = False
        self.errors.append(RowError(self.line, self.columns[key].header, message))


def _option(row: _Row, refs: References, specialty_id: int | None) -> int | None:
    option_id = row.get("option", refs.options.find)
    if option_id is not None and specialty_id is not None and refs.option_specialty.get(option_id) != specialty_id:
        row.fail("option", f"{quoted(row.raw('option'))} n'est pas une option de la spécialité "
                           f"{quoted(refs.specialties.labels[specialty_id])}")
        return None
    return option_id


def _names(row: _Row, last: str, first: str) -> tuple[str, str]:
    return (row.get(last, lambda v: parse_text(v, max_length=100)) or "",
            row.get(first, lambda v: parse_text(v, max_length=100)) or "")


def _student(row: _Row, refs: References) -> dict:
    last, first = _names(row, "last_name", "first_name")
    specialty_id = row.get("specialty", refs.specialties.find)
    return {
        "ine": row.get("ine", parse_ine),
        "intern_number": row.get("intern_number", lambda v: parse_code(v, "numéro d'interne"), default=""),
        "last_name": last,
        "first_name": first,
        "email": row.get("email", parse_email),
        "subdivision_id": row.get("subdivision", refs.subdivisions.find),
        "specialty_id": specialty_id,
        "option_id": _option(row, refs, specialty_id),
        "semestre_decale": row.get("semestre_decale", lambda v: parse_yes_no(v, False), default=False),
        "participating": row.get("participating", lambda v: parse_yes_no(v, True), default=True),
        "phone": row.get("phone", lambda v: parse_text(v, max_length=30), default=""),
    }


def _site(row: _Row, n: str, required: bool, university_default: bool) -> dict | None:
    if not required and not any(row.raw(k) for k in _SITE_KEYS[n]):
        return None
    site = {
        "approval_number": row.get(f"approval_number{n}", lambda v: parse_code(v, "numéro d'agrément", max_length=30),
                                   required=True),
        "site_number": row.get(f"site_number{n}", lambda v: parse_code(v, "numéro de terrain", max_length=30),
                               required=True),
        "name": row.get(f"site_name{n}", parse_text, required=True),
        "establishment": row.get(f"establishment{n}", lambda v: parse_text(v, max_length=160), required=True),
        "city": row.get(f"city{n}", lambda v: parse_text(v, max_length=100), default=""),
        "is_university": row.get(f"is_university{n}", lambda v: parse_yes_no(v, university_default),
                                 default=university_default),
    }
    last, first = _names_required(row, f"supervisor_last{n}", f"supervisor_first{n}")
    site["supervisor"] = {"last_name": last, "first_name": first,
                          "email": row.get(f"supervisor_email{n}", parse_email, required=True)}
    return site


def _names_required(row: _Row, last: str, first: str) -> tuple[str, str]:
    return (row.get(last, lambda v: parse_text(v, max_length=100), required=True) or "",
            row.get(first, lambda v: parse_text(v, max_length=100), required=True) or "")


def _post(row: _Row, refs: References) -> dict:
    specialty_id = row.get("specialty", refs.specialties.find)
    post_type = row.get("post_type", _parse_post_type, default="simple")
    paired = post_type in ("couple", "mixte")
    post = {
        "post_number": row.get("post_number", lambda v: parse_int(v, low=1, high=999_999, what="un numéro de poste")),
        "calling_specialty_id": specialty_id,
        "option_id": _option(row, refs, specialty_id),
        "subdivision_id": row.get("subdivision", refs.subdivisions.find),
        "post_type": post_type,
        "months": row.get("months", lambda v: _parse_months(v), default=6),
        "places_opened": row.get("places", lambda v: parse_int(v, low=1, high=50, what="un nombre de places")),
        "decale": row.get("decale", lambda v: parse_yes_no(v, False), default=False),
        "indication": row.get("indication", lambda v: parse_text(v, max_length=300), default=""),
        "site": _site(row, "", True, True),
        "second_site": _site(row, "2", paired, False),
        "referent": row.get("referent", _parse_referent, default=1),
    }
    if post_type == "simple" and post["second_site"] is not None:
        row.fail("site_name2", "un poste Simple n'a pas de second terrain (type de poste Couplé ou Mixte ?)")
    if post["referent"] == 2 and post_type == "simple":
        row.fail("referent", "un poste Simple n'a qu'un responsable : le référent est le 1")
    for which in ("site", "second_site"):
        site = post[which]
        if site:  # None when the subdivision is unknown: the row has its error, the checks across rows go on
            site["subdivision_id"] = post["subdivision_id"]
    return post


def _parse_post_type(value: str) -> str:
    kind = POST_TYPES.get(fold(value))
    if kind is None:
        raise CellError(f"{quoted(value)} n'est pas un type de poste (Simple, Couplé ou Mixte)")
    return kind


def _parse_referent(value: str) -> int:
    if value.strip() in ("1", "2", "1.0", "2.0"):
        return int(float(value))
    raise CellError(f"{quoted(value)} : indiquez 1 ou 2 (le responsable qui classe)")


def _parse_months(value: str) -> int:
    months = parse_int(value, low=1, high=12, what="une durée en mois")
    if months not in (6, 12):
        raise CellError(f"{quoted(value)} n'est pas une durée possible (6 ou 12 mois)")
    return months


def _staff(row: _Row, refs: References) -> dict:
    last, first = _names(row, "last_name", "first_name")
    role = row.get("role", _parse_role)
    grant = {
        "last_name": last, "first_name": first, "email": row.get("email", parse_email), "role": role,
        "region_id": row.get("region", refs.regions.find),
        "subdivision_id": row.get("subdivision", refs.subdivisions.find),
        "specialty_id": row.get("specialty", refs.specialties.find),
    }
    if role == Role.COORDINATOR:
        for key, name in (("subdivision", "subdivision_id"), ("specialty", "specialty_id")):
            if grant[name] is None and not row.raw(key):
                row.fail(key, "obligatoire pour un coordonnateur")
        if grant["region_id"] is not None:
            row.fail("region", "un coordonnateur est rattaché à une subdivision, pas à une région")
    elif role == Role.MANAGER:
        if grant["region_id"] is None and grant["subdivision_id"] is None and not row.raw("region") \
                and not row.raw("subdivision"):
            row.fail("region", "obligatoire pour un gestionnaire (ou bien la subdivision)")
        if grant["region_id"] is not None and grant["subdivision_id"] is not None:
            row.fail("subdivision", "un gestionnaire a une région ou une subdivision, pas les deux")
        if grant["specialty_id"] is not None:
            row.fail("specialty", "un gestionnaire n'est pas rattaché à une spécialité")
    elif role == Role.ADMIN and any(grant[k] is not None for k in ("region_id", "subdivision_id", "specialty_id")):
        row.fail("role", "un administrateur voit tout le pays : laissez région, subdivision et spécialité vides")
    return grant


def _parse_role(value: str) -> str:
    role = ROLE_CHOICES.get(fold(value))
    if role is None:
        raise CellError(f"{quoted(value)} n'est pas un rôle (Coordonnateur, Gestionnaire ou Administrateur)")
    return role


_BUILDERS = {"students": _student, "posts": _post, "staff": _staff}


def validate(kind: str, raw_rows: Iterable[tuple[int, Mapping[str, str]]], refs: References) -> Validated:
    """Check every cell of every row, then the keys across rows; nothing stops at the first error."""
    columns = {c.key: c for c in FORMATS[kind]}
    errors: list[RowError] = []
    typed_rows: list[dict] = []
    for line, cells in raw_rows:
        row = _Row(line, cells, columns, errors)
        typed = _BUILDERS[kind](row, refs)
        typed["line"], typed["ok"] = line, row.ok
        typed_rows.append(typed)
    # Keys are compared across every row, even one with another error, so that each error shows at once.
    rows = [r for r in _cross_checks(kind, typed_rows, columns, errors) if r["ok"]]
    order = {c.header: index for index, c in enumerate(FORMATS[kind])}
    errors.sort(key=lambda e: (e.line, order.get(e.column, -1)))
    return Validated(rows, errors, typed_rows)


def _cross_checks(kind: str, rows: list[dict], columns: dict[str, Column], errors: list[RowError]) -> list[dict]:
    """Duplicate keys inside the file, and one person or site described two different ways."""
    def duplicate(seen: dict, key, row: dict, column: str, shown: str) -> bool:
        if key is None or (isinstance(key, tuple) and key[0] is None):
            return False
        if key in seen:
            errors.append(RowError(row["line"], columns[column].header,
                                       f"{quoted(shown)} apparaît déjà ligne {seen[key]}"))
            return True
        seen[key] = row["line"]
        return False

    kept = []
    if kind == "students":
        ines, emails = {}, {}
        for row in rows:
            bad = duplicate(ines, row["ine"], row, "ine", row["ine"])
            bad |= duplicate(emails, row["email"], row, "email", row["email"])
            if bad:
                row["ok"] = False
            kept.append(row)
        return kept
    if kind == "staff":
        grants, people = {}, {}
        for row in rows:
            key = (row["email"], row["role"], row["region_id"], row["subdivision_id"], row["specialty_id"])
            bad = duplicate(grants, key, row, "email", row["email"])
            if row["email"] is not None:
                bad |= _same_person(people, row, "email", "last_name", row, columns, errors)
            if bad:
                row["ok"] = False
            kept.append(row)
        return kept
    numbers, people, sites = {}, {}, {}
    for row in rows:
        bad = duplicate(numbers, row["post_number"], row, "post_number", str(row["post_number"]))
        for n, site in (("", row["site"]), ("2", row["second_site"])):
            if site is None or site["supervisor"]["email"] is None or None in (site["approval_number"],
                                                                              site["site_number"]):
                continue
            person = {**site["supervisor"], "line": row["line"]}
            bad |= _same_person(people, person, f"supervisor_email{n}", f"supervisor_last{n}", row, columns, errors)
            key = (site["approval_number"], site["site_number"])
            described = {k: site[k] for k in ("name", "establishment", "is_university", "subdivision_id")}
            described["supervisor"] = site["supervisor"]["email"]
            first = sites.setdefault(key, (row["line"], described))
            if first[1] != described:
                bad = True
                errors.append(RowError(row["line"], columns[f"site_number{n}"].header,
                                           f"le terrain {quoted(' / '.join(key))} est décrit autrement ligne "
                                           f"{first[0]} (nom, établissement, responsable ou subdivision)"))
        if row["second_site"] is not None and row["site"] is not None and (
                (row["site"]["approval_number"], row["site"]["site_number"])
                == (row["second_site"]["approval_number"], row["second_site"]["site_number"])):
            bad = True
            errors.append(RowError(row["line"], columns["site_number2"].header,
                                       "le second terrain doit être un autre terrain que le premier"))
        if bad:
            row["ok"] = False
        kept.append(row)
    return kept


def _same_person(people: dict, person: dict, email_key: str, last_key: str, row: dict, columns: dict[str, Column],
                 errors: list[RowError]) -> bool:
    """One address, one person: the same e-mail with two different names is an error."""
    names = (fold(person["last_name"]), fold(person["first_name"]))
    first = people.setdefault(person["email"], (row["line"], names, person))
    if first[1] != names:
        errors.append(RowError(row["line"], columns[email_key].header,
                                   f"{quoted(person['email'])} est l'adresse de "
                                   f"{first[2]['first_name']} {first[2]['last_name']} ligne {first[0]}, "
                                   f"pas de {person['first_name']} {person['last_name']}"))
        return True
    return False
