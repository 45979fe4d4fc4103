"""Static French reference data for the SiiMOP Appariement demo generator.

Pure data plus a few tiny helpers; standard library only, no project imports.

Sources / rationale (nothing here is an official extract):
* regions: the ARS regions as they group the 28 subdivisions (the overseas
  ARS are folded into the two "interrégions" Antilles-Guyane and Océan Indien,
  which is how the 3rd cycle is organised);
* subdivisions: the 28 subdivisions of the 3rd cycle of medical studies
  (one CHU / faculty territory each), labels in the seed's "SUBDI X" style;
* specialties: the 44 DES of medicine from the 2017 reform (arrêté du
  21 avril 2017); options are the DES-specific options of the maquettes,
  FST (formations spécialisées transversales) are listed separately because
  one FST is shared by several DES;
* weights are order-of-magnitude approximations of recent yearly intakes
  (ECN/EDN open posts), only meant to produce a realistic-looking skew;
* hospital service names imitate the uppercase, unaccented style of the
  seed's "terrain de stage" labels; towns and clinics are real places of
  each subdivision's area.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

# --------------------------------------------------------------------------
# Record types
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Region:
    code: str
    label: str


@dataclass(frozen=True)
class Subdivision:
    code: str
    label: str  # seed style: "SUBDI TOURS"
    region_code: str
    chu_name: str
    city: str
    weight: int  # ~ yearly number of new residents; relative only


@dataclass(frozen=True)
class Option:
    code: str
    label: str
    early: bool = False  # "option précoce" (chosen in phase 1) vs regular option


@dataclass(frozen=True)
class Fst:
    code: str
    label: str


@dataclass(frozen=True)
class Specialty:
    code: str
    label: str  # uppercase, abbreviated like the seed
    full_label: str  # official DES name
    weight: int  # ~ yearly national number of residents; relative only
    surgical: bool = False
    options: tuple[Option, ...] = ()
    fst_codes: tuple[str, ...] = ()  # FSTs commonly taken from this DES


@dataclass(frozen=True)
class EstablishmentPattern:
    subdivision_code: str
    towns: tuple[str, ...]  # towns with a general hospital in the area
    clinics: tuple[str, ...]  # real private / ESPIC establishments
    named_hospitals: tuple[str, ...] = field(default=())  # other real non-town-named hospitals


# --------------------------------------------------------------------------
# 1. Regions
# --------------------------------------------------------------------------

# Corse has its own ARS but no subdivision (its residents belong to SUBDI
# MARSEILLE), so it is left out: every region below hosts >= 1 subdivision.
REGIONS: tuple[Region, ...] = (
    Region("ARA", "Auvergne-Rhône-Alpes"),
    Region("BFC", "Bourgogne-Franche-Comté"),
    Region("BRE", "Bretagne"),
    Region("CVL", "Centre-Val de Loire"),
    Region("GES", "Grand Est"),
    Region("HDF", "Hauts-de-France"),
    Region("IDF", "Île-de-France"),
    Region("NOR", "Normandie"),
    Region("NAQ", "Nouvelle-Aquitaine"),
    Region("OCC", "Occitanie"),
    Region("PDL", "Pays de la Loire"),
    Region("PAC", "Provence-Alpes-Côte d'Azur"),
    Region("ANG", "Antilles-Guyane"),
    Region("OIN", "Océan Indien"),
)

# --------------------------------------------------------------------------
# 2. Subdivisions (28)
# --------------------------------------------------------------------------

# Weights approximate the yearly intake of residents (all DES); Île-de-France
# is ~19 % of the total.
SUBDIVISIONS: tuple[Subdivision, ...] = (
    Subdivision("AMIENS", "SUBDI AMIENS", "HDF", "CHU AMIENS-PICARDIE", "Amiens", 220),
    Subdivision("ANGERS", "SUBDI ANGERS", "PDL", "CHU D'ANGERS", "Angers", 200),
    Subdivision("ANTILLES-GUYANE", "SUBDI ANTILLES-GUYANE", "ANG", "CHU DE LA MARTINIQUE", "Fort-de-France", 120),
    Subdivision("BESANCON", "SUBDI BESANCON", "BFC", "CHU DE BESANCON", "Besançon", 180),
    Subdivision("BORDEAUX", "SUBDI BORDEAUX", "NAQ", "CHU DE BORDEAUX", "Bordeaux", 430),
    Subdivision("BREST", "SUBDI BREST", "BRE", "CHRU BREST", "Brest", 160),
    Subdivision("CAEN", "SUBDI CAEN", "NOR", "CHU CAEN NORMANDIE", "Caen", 220),
    Subdivision("CLERMONT-FERRAND", "SUBDI CLERMONT-FERRAND", "ARA", "CHU CLERMONT-FERRAND", "Clermont-Ferrand", 220),
    Subdivision("DIJON", "SUBDI DIJON", "BFC", "CHU DIJON BOURGOGNE", "Dijon", 210),
    Subdivision("GRENOBLE", "SUBDI GRENOBLE", "ARA", "CHU GRENOBLE ALPES", "Grenoble", 270),
    Subdivision("IDF", "SUBDI ILE DE FRANCE", "IDF", "AP-HP", "Paris", 1700),
    Subdivision("LILLE", "SUBDI LILLE", "HDF", "CHU DE LILLE", "Lille", 520),
    Subdivision("LIMOGES", "SUBDI LIMOGES", "NAQ", "CHU DE LIMOGES", "Limoges", 130),
    Subdivision("LYON", "SUBDI LYON", "ARA", "HCL", "Lyon", 500),
    Subdivision("MARSEILLE", "SUBDI MARSEILLE", "PAC", "AP-HM", "Marseille", 420),
    Subdivision("MONTPELLIER", "SUBDI MONTPELLIER", "OCC", "CHU DE MONTPELLIER", "Montpellier", 360),
    Subdivision("NANCY", "SUBDI NANCY", "GES", "CHRU NANCY", "Nancy", 290),
    Subdivision("NANTES", "SUBDI NANTES", "PDL", "CHU DE NANTES", "Nantes", 300),
    Subdivision("NICE", "SUBDI NICE", "PAC", "CHU DE NICE", "Nice", 200),
    Subdivision("OCEAN-INDIEN", "SUBDI OCEAN INDIEN", "OIN", "CHU DE LA REUNION", "Saint-Denis", 130),
    Subdivision("POITIERS", "SUBDI POITIERS", "NAQ", "CHU DE POITIERS", "Poitiers", 220),
    Subdivision("REIMS", "SUBDI REIMS", "GES", "CHU DE REIMS", "Reims", 200),
    Subdivision("RENNES", "SUBDI RENNES", "BRE", "CHU DE RENNES", "Rennes", 270),
    Subdivision("ROUEN", "SUBDI ROUEN", "NOR", "CHU ROUEN NORMANDIE", "Rouen", 250),
    Subdivision("SAINT-ETIENNE", "SUBDI SAINT-ETIENNE", "ARA", "CHU DE SAINT-ETIENNE", "Saint-Étienne", 160),
    Subdivision("STRASBOURG", "SUBDI STRASBOURG", "GES", "HOPITAUX UNIVERSITAIRES DE STRASBOURG", "Strasbourg", 300),
    Subdivision("TOULOUSE", "SUBDI TOULOUSE", "OCC", "CHU DE TOULOUSE", "Toulouse", 420),
    Subdivision("TOURS", "SUBDI TOURS", "CVL", "CHRU TOURS", "Tours", 270),
)

# --------------------------------------------------------------------------
# 3. Specialties (DES), options and FST
# --------------------------------------------------------------------------

# Formations spécialisées transversales (arrêté du 21 avril 2017, annexe IV).
# Shared across DES, hence kept apart from the DES-specific options.
FSTS: tuple[Fst, ...] = (
    Fst("FST-ADDICTO", "Addictologie"),
    Fst("FST-BIO-INFO", "Bio-informatique médicale"),
    Fst("FST-CANCERO", "Cancérologie"),
    Fst("FST-CARDIO-PED", "Cardiologie pédiatrique et congénitale"),
    Fst("FST-MAIN", "Chirurgie de la main"),
    Fst("FST-DOULEUR", "Douleur"),
    Fst("FST-EXPERTISE", "Expertise médicale - préjudice corporel"),
    Fst("FST-FOETOPATH", "Fœtopathologie"),
    Fst("FST-GEN-MOL", "Génétique et médecine moléculaire bioclinique"),
    Fst("FST-HEMATO-BIO", "Hématologie bioclinique"),
    Fst("FST-HYGIENE", "Hygiène - prévention de l'infection, résistances"),
    Fst("FST-ALLERGIES", "Maladies allergiques"),
    Fst("FST-REPRO", "Médecine et biologie de la reproduction - andrologie"),
    Fst("FST-MED-GUERRE", "Médecine en situation de guerre ou en situation sanitaire exceptionnelle"),
    Fst("FST-MHP", "Médecine hospitalière polyvalente"),
    Fst("FST-MED-PALL", "Médecine palliative"),
    Fst("FST-MED-SCOLAIRE", "Médecine scolaire"),
    Fst("FST-SPORT", "Médecine du sport"),
    Fst("FST-NUTRITION", "Nutrition appliquée"),
    Fst("FST-PHARMACO", "Pharmacologie médicale / thérapeutique"),
    Fst("FST-SOMMEIL", "Sommeil"),
    Fst("FST-THERAPIE-CELL", "Thérapie cellulaire"),
)

# All 44 DES of medicine have a phase de consolidation (Docteur Junior year)
# except Médecine générale until its 4th year starts (November 2026). We keep
# MG out of SPECIALTIES (it would be ~40 % of a cohort and its DJ year is an
# ambulatory-only, separately organised year) but expose it as
# GENERAL_MEDICINE so the generator can opt in explicitly.
#
# Options: only the DES-specific options we are confident exist. Not included
# on purpose: "Chirurgie bariatrique" (not an option nor an FST; bariatric
# surgery appears only as a service name), CTCV sub-options (unsure).
SPECIALTIES: tuple[Specialty, ...] = (
    Specialty("ALLERGO", "ALLERGOLOGIE", "Allergologie", 30),
    Specialty("ACP", "ANATOMIE ET CYTO PATHOLOGIQUES", "Anatomie et cytologie pathologiques", 60,
              fst_codes=("FST-FOETOPATH",)),
    Specialty("ANEST-REA", "ANESTHÉSIE RÉANIMATION", "Anesthésie-réanimation", 530,
              fst_codes=("FST-DOULEUR", "FST-MED-GUERRE")),
    Specialty(
        "BIO-MED", "BIOLOGIE MÉDICALE", "Biologie médicale", 100,
        options=(
            Option("OPT-BIO-GENERALE", "Biologie générale"),
            Option("OPT-BIO-MMGP", "Médecine moléculaire, génétique et pharmacologie"),
            Option("OPT-BIO-HEMATO-IMMUNO", "Hématologie et immunologie"),
            Option("OPT-BIO-AGENTS-INF", "Agents infectieux"),
            Option("OPT-BIO-REPRO", "Biologie de la reproduction"),
        ),
        fst_codes=("FST-HEMATO-BIO", "FST-GEN-MOL", "FST-BIO-INFO", "FST-HYGIENE", "FST-THERAPIE-CELL"),
    ),
    Specialty("CHIR-MAX-FAC", "CHIRURGIE MAXILLO-FACIALE", "Chirurgie maxillo-faciale", 20, surgical=True),
    Specialty("CHIR-ORALE", "CHIRURGIE ORALE", "Chirurgie orale", 15, surgical=True),
    Specialty("CHIR-ORTHO", "CHIRURGIE ORTHO-TRAUMATOLOGIQUE", "Chirurgie orthopédique et traumatologique", 170,
              surgical=True, fst_codes=("FST-MAIN", "FST-SPORT")),
    Specialty(
        "CHIR-PED", "CHIRURGIE PÉDIATRIQUE", "Chirurgie pédiatrique", 35, surgical=True,
        options=(
            Option("OPT-ORTHO-PED", "Orthopédie pédiatrique", early=True),
            Option("OPT-CHIR-VISC-PED", "Chirurgie viscérale pédiatrique", early=True),
        ),
    ),
    Specialty("CHIR-PLAST", "CHIRURGIE PLASTIQUE RECONSTR-ESTHÉT",
              "Chirurgie plastique, reconstructrice et esthétique", 35, surgical=True, fst_codes=("FST-MAIN",)),
    Specialty("CHIR-TCV", "CHIRURGIE THORACIQUE-CARDIOVASC", "Chirurgie thoracique et cardiovasculaire", 30,
              surgical=True),
    Specialty("CHIR-VASC", "CHIRURGIE VASCULAIRE", "Chirurgie vasculaire", 25, surgical=True),
    Specialty("CHIR-VISC", "CHIRURGIE VISCÉRALE-DIGESTIVE", "Chirurgie viscérale et digestive", 130,
              surgical=True, fst_codes=("FST-CANCERO",)),
    Specialty("DERMATO", "DERMATOLOGIE-VÉNÉRÉOLOGIE", "Dermatologie et vénéréologie", 100,
              fst_codes=("FST-ALLERGIES", "FST-CANCERO")),
    Specialty("ENDOC", "ENDOCRINOL-DIABÉTO-NUTRITION", "Endocrinologie-diabétologie-nutrition", 90,
              fst_codes=("FST-NUTRITION",)),
    Specialty("GENETIQUE", "GÉNÉTIQUE MÉDICALE", "Génétique médicale", 25,
              fst_codes=("FST-GEN-MOL", "FST-BIO-INFO", "FST-FOETOPATH")),
    Specialty("GERIATRIE", "GÉRIATRIE", "Gériatrie", 200, fst_codes=("FST-MED-PALL", "FST-DOULEUR")),
    Specialty("GYN-MED", "GYNÉCOLOGIE MÉDICALE", "Gynécologie médicale", 80, fst_codes=("FST-REPRO",)),
    Specialty("GYN-OBS", "GYNÉCOLOGIE OBSTÉTRIQUE", "Gynécologie obstétrique", 220, surgical=True,
              fst_codes=("FST-REPRO", "FST-FOETOPATH", "FST-CANCERO")),
    Specialty("HEMATO", "HÉMATOLOGIE", "Hématologie", 70, fst_codes=("FST-THERAPIE-CELL",)),
    Specialty(
        "HGE", "HÉPATO-GASTRO-ENTÉROLOGIE", "Hépato-gastro-entérologie", 150,
        options=(Option("OPT-ENDOSCOPIE", "Endoscopie interventionnelle avancée"),),
        fst_codes=("FST-NUTRITION", "FST-CANCERO", "FST-ADDICTO"),
    ),
    Specialty("MIT", "MALADIES INFECTIEUSES-TROPICALES", "Maladies infectieuses et tropicales", 50,
              fst_codes=("FST-HYGIENE",)),
    Specialty(
        "MED-CV", "MÉDECINE CARDIOVASCULAIRE", "Médecine cardiovasculaire", 230,
        options=(
            Option("OPT-CARDIO-INTERV", "Cardiologie interventionnelle de l'adulte"),
            Option("OPT-IMAGERIE-CV", "Imagerie cardiovasculaire d'expertise"),
            Option("OPT-RYTHMO", "Rythmologie interventionnelle et stimulation cardiaque"),
        ),
        fst_codes=("FST-SPORT", "FST-CARDIO-PED"),
    ),
    Specialty("MED-URG", "MÉDECINE D'URGENCE", "Médecine d'urgence", 490, fst_codes=("FST-MED-GUERRE",)),
    Specialty("MED-TRAV", "MÉDECINE ET SANTÉ AU TRAVAIL", "Médecine et santé au travail", 110,
              fst_codes=("FST-ADDICTO",)),
    Specialty("MIR", "MÉDECINE INTENSIVE-RÉANIMATION", "Médecine intensive-réanimation", 90,
              fst_codes=("FST-MED-GUERRE",)),
    Specialty("MED-INT", "MÉDECINE INTERNE-IMMUNO CLINIQUE", "Médecine interne et immunologie clinique", 130,
              fst_codes=("FST-MHP", "FST-PHARMACO")),
    Specialty("MED-LEG", "MÉDECINE LÉGALE-EXPERTISES MÉD", "Médecine légale et expertises médicales", 30,
              fst_codes=("FST-EXPERTISE",)),
    Specialty("MED-NUC", "MÉDECINE NUCLÉAIRE", "Médecine nucléaire", 40),
    Specialty("MPR", "MÉDECINE PHYSIQUE-RÉADAPTATION", "Médecine physique et de réadaptation", 100,
              fst_codes=("FST-SPORT", "FST-DOULEUR")),
    Specialty("MED-VASC", "MÉDECINE VASCULAIRE", "Médecine vasculaire", 50),
    Specialty("NEPHRO", "NÉPHROLOGIE", "Néphrologie", 90),
    Specialty("NEUROCHIR", "NEUROCHIRURGIE", "Neurochirurgie", 25, surgical=True),
    Specialty("NEURO", "NEUROLOGIE", "Neurologie", 150, fst_codes=("FST-SOMMEIL", "FST-DOULEUR")),
    Specialty(
        "ONCO", "ONCOLOGIE", "Oncologie", 160,
        options=(
            Option("OPT-ONCO-MED", "Oncologie médicale", early=True),
            Option("OPT-ONCO-RT", "Oncologie radiothérapie", early=True),
        ),
        fst_codes=("FST-MED-PALL", "FST-DOULEUR"),
    ),
    Specialty("OPHTALMO", "OPHTALMOLOGIE", "Ophtalmologie", 160, surgical=True),
    Specialty(
        "ORL", "ORL-CHIRURGIE CERVICO-FACIALE", "Oto-rhino-laryngologie - chirurgie cervico-faciale", 90,
        surgical=True,
        options=(Option("OPT-AUDIOPHONO", "Audiophonologie de l'adulte et de l'enfant"),),
    ),
    Specialty(
        "PEDIATRIE", "PÉDIATRIE", "Pédiatrie", 340,
        options=(
            Option("OPT-REA-PED", "Réanimation pédiatrique"),
            Option("OPT-NEONAT", "Néonatologie"),
            Option("OPT-NEUROPED", "Neuropédiatrie"),
            Option("OPT-PNEUMOPED", "Pneumopédiatrie"),
        ),
        fst_codes=("FST-CARDIO-PED", "FST-ALLERGIES", "FST-NUTRITION"),
    ),
    Specialty(
        "PNEUMO", "PNEUMOLOGIE", "Pneumologie", 130,
        options=(Option("OPT-SIR", "Soins intensifs respiratoires"),),
        fst_codes=("FST-SOMMEIL", "FST-CANCERO", "FST-ALLERGIES", "FST-ADDICTO"),
    ),
    Specialty(
        "PSY", "PSYCHIATRIE", "Psychiatrie", 550,
        options=(
            Option("OPT-PSY-ENF-ADO", "Psychiatrie de l'enfant et de l'adolescent"),
            Option("OPT-PSY-AGEE", "Psychiatrie de la personne âgée"),
        ),
        fst_codes=("FST-ADDICTO", "FST-SOMMEIL"),
    ),
    Specialty(
        "RADIO", "RADIOLOGIE-IMAGERIE MÉDICALE", "Radiologie et imagerie médicale", 290,
        options=(Option("OPT-RADIO-INTERV", "Radiologie interventionnelle avancée"),),
    ),
    Specialty("RHUMATO", "RHUMATOLOGIE", "Rhumatologie", 90, fst_codes=("FST-SPORT", "FST-DOULEUR")),
    Specialty("SANTE-PUB", "SANTÉ PUBLIQUE", "Santé publique", 90, fst_codes=("FST-BIO-INFO", "FST-HYGIENE")),
    Specialty("URO", "UROLOGIE", "Urologie", 60, surgical=True, fst_codes=("FST-REPRO",)),
)

# Deliberately NOT in SPECIALTIES (see comment above): the 4th year of
# Médecine générale (first Docteurs Juniors in November 2026).
GENERAL_MEDICINE: Specialty = Specialty(
    "MED-GEN", "MÉDECINE GÉNÉRALE", "Médecine générale", 3600,
    fst_codes=("FST-SPORT", "FST-MED-SCOLAIRE", "FST-MED-PALL", "FST-ADDICTO"),
)

# --------------------------------------------------------------------------
# 4. Service / site names ("terrain de stage"), keyed by specialty code
# --------------------------------------------------------------------------

SITE_NAMES: dict[str, tuple[str, ...]] = {
    "ALLERGO": (
        "ALLERGOLOGIE ET IMMUNOLOGIE CLINIQUE",
        "CENTRE D'ALLERGOLOGIE",
        "UNITE D'ALLERGOLOGIE PEDIATRIQUE",
        "PNEUMOLOGIE - ALLERGOLOGIE",
    ),
    "ACP": (
        "SERVICE D'ANATOMIE ET CYTOLOGIE PATHOLOGIQUES",
        "LABORATOIRE D'ANATOMOPATHOLOGIE",
        "PATHOLOGIE - NEUROPATHOLOGIE",
        "FOETOPATHOLOGIE ET PATHOLOGIE PEDIATRIQUE",
    ),
    "ANEST-REA": (
        "ANESTHESIE - REANIMATION CHIRURGICALE",
        "DEPARTEMENT D'ANESTHESIE REANIMATION",
        "REANIMATION POLYVALENTE",
        "ANESTHESIE BLOC CENTRAL",
        "REANIMATION CHIRURGICALE CARDIO-VASCULAIRE",
        "ANESTHESIE OBSTETRICALE - MATERNITE",
        "SOINS CRITIQUES - USC",
    ),
    "BIO-MED": (
        "LABORATOIRE DE BIOCHIMIE MOLECULAIRE",
        "BACTERIOLOGIE,VIROLOGIE & HYGIENE HOSP",
        "LABORATOIRE D'HEMATOLOGIE BIOLOGIQUE",
        "PARASITOLOGIE - MYCOLOGIE",
        "IMMUNOLOGIE BIOLOGIQUE",
        "BIOLOGIE DE LA REPRODUCTION - CECOS",
        "PHARMACOLOGIE - TOXICOLOGIE",
        "LABORATOIRE POLYVALENT DE BIOLOGIE",
    ),
    "CHIR-MAX-FAC": (
        "CHIRURGIE MAXILLO-FACIALE ET STOMATOLOGIE",
        "CHIRURGIE MAXILLO-FACIALE ET PLASTIQUE DE LA FACE",
        "CHIRURGIE CRANIO-MAXILLO-FACIALE PEDIATRIQUE",
    ),
    "CHIR-ORALE": (
        "CHIRURGIE ORALE ET IMPLANTOLOGIE",
        "SERVICE D'ODONTOLOGIE - CHIRURGIE ORALE",
        "STOMATOLOGIE ET CHIRURGIE ORALE",
    ),
    "CHIR-ORTHO": (
        "CHIRURGIE ORTHOPEDIQUE ET TRAUMATOLOGIQUE",
        "ORTHOPEDIE - TRAUMATOLOGIE",
        "CHIRURGIE DU RACHIS",
        "CHIRURGIE DE LA MAIN - SOS MAINS",
        "TRAUMATOLOGIE DU SPORT - ARTHROSCOPIE",
        "CHIRURGIE PROTHETIQUE HANCHE ET GENOU",
    ),
    "CHIR-PED": (
        "CHIRURGIE VISCERALE PEDIATRIQUE",
        "CHIRURGIE ORTHOPEDIQUE PEDIATRIQUE",
        "CHIRURGIE INFANTILE",
        "UROLOGIE PEDIATRIQUE",
    ),
    "CHIR-PLAST": (
        "CHIRURGIE PLASTIQUE RECONSTRUCTRICE ET ESTHETIQUE",
        "CENTRE DE TRAITEMENT DES BRULES",
        "CHIRURGIE PLASTIQUE - CHIRURGIE DE LA MAIN",
    ),
    "CHIR-TCV": (
        "CHIRURGIE CARDIAQUE",
        "CHIRURGIE THORACIQUE",
        "CHIRURGIE THORACIQUE ET CARDIO-VASCULAIRE",
        "TRANSPLANTATION CARDIO-PULMONAIRE",
    ),
    "CHIR-VASC": (
        "CHIRURGIE VASCULAIRE",
        "CHIRURGIE VASCULAIRE ET ENDOVASCULAIRE",
        "CHIRURGIE DE L'AORTE ET DES ARTERES",
    ),
    "CHIR-VISC": (
        "CHIRURGIE VISCERALE ET DIGESTIVE",
        "CHIRURGIE DIGESTIVE ET TRANSPLANTATION HEPATIQUE",
        "CHIRURGIE GENERALE ET DIGESTIVE",
        "CHIRURGIE COLORECTALE",
        "CHIRURGIE BARIATRIQUE ET METABOLIQUE",
        "CHIRURGIE HEPATO-BILIO-PANCREATIQUE",
    ),
    "DERMATO": (
        "DERMATOLOGIE",
        "DERMATOLOGIE - VENEREOLOGIE",
        "CEGIDD - CONSULTATION IST",
        "ONCO-DERMATOLOGIE",
    ),
    "ENDOC": (
        "SERVICE DE DIABETO ENDOCRINO",
        "MEDECINE INTERNE : UNITE D'ENDOCRINOLOGIE",
        "ENDOCRINOLOGIE, DIABETOLOGIE ET NUTRITION",
        "NUTRITION CLINIQUE",
        "HOPITAL DE JOUR DIABETOLOGIE",
    ),
    "GENETIQUE": (
        "GENETIQUE MEDICALE",
        "CONSULTATION DE GENETIQUE CLINIQUE",
        "LABORATOIRE DE GENETIQUE CHROMOSOMIQUE",
        "ONCOGENETIQUE",
    ),
    "GERIATRIE": (
        "GERIATRIE AIGUE",
        "UNITE DE MEDECINE GERIATRIQUE",
        "SSR GERIATRIQUE",
        "EQUIPE MOBILE DE GERIATRIE",
        "UNITE COGNITIVO-COMPORTEMENTALE",
        "ORTHOGERIATRIE",
    ),
    "GYN-MED": (
        "GYNECOLOGIE MEDICALE",
        "CENTRE D'ASSISTANCE MEDICALE A LA PROCREATION",
        "ENDOCRINOLOGIE GYNECOLOGIQUE",
        "CENTRE DE PLANIFICATION ET D'EDUCATION FAMILIALE",
    ),
    "GYN-OBS": (
        "GYNECOLOGIE OBSTETRIQUE",
        "MATERNITE - SALLE DE NAISSANCE",
        "GYNECOLOGIE CHIRURGICALE",
        "GROSSESSES A HAUT RISQUE",
        "URGENCES GYNECOLOGIQUES ET OBSTETRICALES",
        "ONCOLOGIE GYNECOLOGIQUE",
    ),
    "HEMATO": (
        "HEMATOLOGIE CLINIQUE",
        "UNITE DE GREFFE DE MOELLE",
        "HEMATOLOGIE - HOPITAL DE JOUR",
        "MALADIES DU SANG",
    ),
    "HGE": (
        "HEPATO-GASTRO-ENTEROLOGIE",
        "GASTRO-ENTEROLOGIE ET ONCOLOGIE DIGESTIVE",
        "HEPATOLOGIE",
        "ENDOSCOPIE DIGESTIVE",
        "MALADIES DE L'APPAREIL DIGESTIF",
    ),
    "MIT": (
        "MALADIES INFECTIEUSES ET TROPICALES",
        "SERVICE DES MALADIES INFECTIEUSES",
        "INFECTIOLOGIE - EQUIPE MOBILE",
        "CENTRE DE VACCINATIONS INTERNATIONALES",
    ),
    "MED-CV": (
        "CARDIOLOGIE",
        "SOINS INTENSIFS CARDIOLOGIQUES (USIC)",
        "CARDIOLOGIE INTERVENTIONNELLE",
        "RYTHMOLOGIE",
        "INSUFFISANCE CARDIAQUE",
        "EXPLORATIONS FONCTIONNELLES CARDIOLOGIQUES",
        "READAPTATION CARDIAQUE",
    ),
    "MED-URG": (
        "S.A.U. - SMUR",
        "ACCUEIL DES URGENCES ET SMUR",
        "SAMU - CENTRE 15",
        "URGENCES ADULTES",
        "SERVICE DES URGENCES - UHCD",
        "POLE URGENCES - SMUR",
    ),
    "MED-TRAV": (
        "SERVICE DE SANTE AU TRAVAIL",
        "CONSULTATION DE PATHOLOGIES PROFESSIONNELLES",
        "SANTE AU TRAVAIL DU PERSONNEL HOSPITALIER",
        "SERVICE DE PREVENTION ET DE SANTE AU TRAVAIL",
    ),
    "MIR": (
        "MEDECINE INTENSIVE REANIMATION",
        "REANIMATION MEDICALE",
        "REANIMATION MEDICALE ET TOXICOLOGIQUE",
        "REANIMATION POLYVALENTE - USC",
    ),
    "MED-INT": (
        "MEDECINE INTERNE",
        "MEDECINE INTERNE ET IMMUNOLOGIE CLINIQUE",
        "MEDECINE INTERNE - MALADIES RARES",
        "MEDECINE POLYVALENTE",
        "HOPITAL DE JOUR DE MEDECINE",
    ),
    "MED-LEG": (
        "MEDECINE LEGALE",
        "UNITE MEDICO-JUDICIAIRE",
        "INSTITUT MEDICO-LEGAL",
        "UNITE SANITAIRE EN MILIEU PENITENTIAIRE",
    ),
    "MED-NUC": (
        "MEDECINE NUCLEAIRE",
        "MEDECINE NUCLEAIRE - TEP SCAN",
        "SCINTIGRAPHIE ET RADIOTHERAPIE INTERNE VECTORISEE",
    ),
    "MPR": (
        "MEDECINE PHYSIQUE ET READAPTATION",
        "CENTRE DE REEDUCATION FONCTIONNELLE",
        "MPR NEUROLOGIQUE",
        "MPR APPAREIL LOCOMOTEUR",
        "REEDUCATION PEDIATRIQUE",
    ),
    "MED-VASC": (
        "MEDECINE VASCULAIRE",
        "EXPLORATIONS VASCULAIRES",
        "MEDECINE VASCULAIRE ET HTA",
        "ANGIOLOGIE",
    ),
    "NEPHRO": (
        "NEPHROLOGIE",
        "NEPHROLOGIE - DIALYSE",
        "TRANSPLANTATION RENALE",
        "CENTRE D'HEMODIALYSE",
        "NEPHROLOGIE - HYPERTENSION ARTERIELLE",
    ),
    "NEUROCHIR": (
        "NEUROCHIRURGIE",
        "NEUROCHIRURGIE DU RACHIS",
        "NEUROCHIRURGIE FONCTIONNELLE",
        "NEUROCHIRURGIE PEDIATRIQUE",
    ),
    "NEURO": (
        "NEUROLOGIE",
        "UNITE NEURO-VASCULAIRE (UNV)",
        "NEUROLOGIE - EPILEPTOLOGIE",
        "CENTRE MEMOIRE DE RESSOURCES ET DE RECHERCHE",
        "NEUROLOGIE - SCLEROSE EN PLAQUES",
    ),
    "ONCO": (
        "ONCOLOGIE MEDICALE",
        "RADIOTHERAPIE",
        "ONCOLOGIE - HOPITAL DE JOUR",
        "INSTITUT DE CANCEROLOGIE",
        "ONCO-RADIOTHERAPIE",
    ),
    "OPHTALMO": (
        "OPHTALMOLOGIE",
        "URGENCES OPHTALMOLOGIQUES",
        "CHIRURGIE DE LA RETINE",
        "OPHTALMOLOGIE PEDIATRIQUE",
    ),
    "ORL": (
        "ORL ET CHIRURGIE CERVICO-FACIALE",
        "OTO-RHINO-LARYNGOLOGIE",
        "ORL PEDIATRIQUE",
        "OTOLOGIE - IMPLANTS COCHLEAIRES",
    ),
    "PEDIATRIE": (
        "NEONATOLOGIE ET REANIMATION NEONATALE",
        "URGENCES PEDIATRIQUES ET UHCD",
        "PEDIATRIE GENERALE",
        "REANIMATION PEDIATRIQUE",
        "NEUROPEDIATRIE",
        "PNEUMOLOGIE PEDIATRIQUE",
        "HEMATO-ONCOLOGIE PEDIATRIQUE",
        "PEDIATRIE MULTIDISCIPLINAIRE",
    ),
    "PNEUMO": (
        "PNEUMOLOGIE",
        "PNEUMOLOGIE ET ONCOLOGIE THORACIQUE",
        "SOINS INTENSIFS RESPIRATOIRES",
        "EXPLORATIONS FONCTIONNELLES RESPIRATOIRES",
        "PATHOLOGIES DU SOMMEIL",
    ),
    "PSY": (
        "CENTRE UNIV PEDO PSY / CMP CRA",
        "SERVICE DE PSYCHIATRIE TROUSSEAU",
        "PSYCHIATRIE ADULTE - SECTEUR",
        "URGENCES PSYCHIATRIQUES",
        "CENTRE MEDICO-PSYCHOLOGIQUE",
        "PSYCHIATRIE DE LA PERSONNE AGEE",
        "ADDICTOLOGIE - CSAPA",
        "PEDOPSYCHIATRIE - HOPITAL DE JOUR",
    ),
    "RADIO": (
        "RADIOLOGIE ET IMAGERIE MEDICALE",
        "IMAGERIE DIAGNOSTIQUE ET INTERVENTIONNELLE",
        "NEURORADIOLOGIE",
        "RADIOLOGIE PEDIATRIQUE",
        "IMAGERIE DE LA FEMME",
        "RADIOLOGIE OSTEO-ARTICULAIRE",
    ),
    "RHUMATO": (
        "RHUMATOLOGIE",
        "RHUMATOLOGIE - HOPITAL DE JOUR",
        "CENTRE DE L'OSTEOPOROSE",
        "RHUMATOLOGIE ET MALADIES OSSEUSES",
    ),
    "SANTE-PUB": (
        "SANTE PUBLIQUE ET INFORMATION MEDICALE",
        "DEPARTEMENT D'INFORMATION MEDICALE (DIM)",
        "EPIDEMIOLOGIE ET BIOSTATISTIQUES",
        "UNITE DE RECHERCHE CLINIQUE",
        "OBSERVATOIRE REGIONAL DE LA SANTE",
    ),
    "URO": (
        "UROLOGIE",
        "UROLOGIE ET TRANSPLANTATION RENALE",
        "UROLOGIE - ANDROLOGIE",
        "CHIRURGIE UROLOGIQUE ROBOTIQUE",
    ),
    # Only used if the generator opts in to GENERAL_MEDICINE.
    "MED-GEN": (
        "CABINET LIBERAL",
        "MAISON DE SANTE PLURIPROFESSIONNELLE",
        "CENTRE DE SANTE",
        "CABINET DE GROUPE DE MEDECINE GENERALE",
        "POLE DE SANTE",
    ),
}

# Ambulatory half of "mixte" posts (hospital + ambulatory).
AMBULATORY_SITE_NAMES: tuple[str, ...] = (
    "CABINET LIBERAL",
    "MAISON DE SANTE PLURIPROFESSIONNELLE",
    "CENTRE DE SANTE",
    "CENTRE DE SANTE MUNICIPAL",
    "CABINET DE GROUPE",
    "CABINET DE SPECIALISTES",
)

# --------------------------------------------------------------------------
# 5. Establishments per subdivision
# --------------------------------------------------------------------------

# Towns: real towns with a general hospital (CH) in the subdivision's area.
# Clinics / named hospitals: real private, ESPIC or specialised establishments.
ESTABLISHMENT_PATTERNS: dict[str, EstablishmentPattern] = {
    p.subdivision_code: p
    for p in (
        EstablishmentPattern(
            "AMIENS",
            ("Abbeville", "Saint-Quentin", "Beauvais", "Compiègne", "Creil", "Clermont", "Laon", "Soissons"),
            ("CLINIQUE VICTOR PAUCHET",),
        ),
        EstablishmentPattern(
            "ANGERS",
            ("Cholet", "Le Mans", "Laval", "Saumur", "Château-Gontier", "La Flèche"),
            ("CLINIQUE DE L'ANJOU",),
            ("CESAME",),
        ),
        EstablishmentPattern(
            "ANTILLES-GUYANE",
            ("Basse-Terre", "Cayenne", "Kourou", "Saint-Laurent-du-Maroni", "Trinité", "Saint-Martin"),
            ("CLINIQUE SAINT-PAUL", "POLYCLINIQUE DE LA GUADELOUPE"),
            ("CHU DE LA GUADELOUPE",),
        ),
        EstablishmentPattern(
            "BESANCON",
            ("Belfort", "Montbéliard", "Pontarlier", "Vesoul", "Lons-le-Saunier", "Dole"),
            ("POLYCLINIQUE DE FRANCHE-COMTE",),
        ),
        EstablishmentPattern(
            "BORDEAUX",
            ("Libourne", "Arcachon", "Dax", "Mont-de-Marsan", "Pau", "Bayonne", "Périgueux", "Agen"),
            ("CLINIQUE TIVOLI-DUCOS", "POLYCLINIQUE BORDEAUX NORD AQUITAINE"),
            ("INSTITUT BERGONIE", "CENTRE HOSPITALIER CHARLES PERRENS"),
        ),
        EstablishmentPattern(
            "BREST",
            ("Quimper", "Morlaix", "Landerneau", "Carhaix", "Douarnenez", "Quimperlé"),
            ("CLINIQUE PASTEUR LANROZE", "CLINIQUE KERAUDREN"),
        ),
        EstablishmentPattern(
            "CAEN",
            ("Cherbourg", "Saint-Lô", "Bayeux", "Lisieux", "Alençon", "Flers", "Avranches", "Argentan"),
            ("POLYCLINIQUE DU PARC", "CLINIQUE SAINT-MARTIN"),
            ("CENTRE FRANCOIS BACLESSE",),
        ),
        EstablishmentPattern(
            "CLERMONT-FERRAND",
            ("Vichy", "Moulins", "Montluçon", "Aurillac", "Le Puy-en-Velay", "Issoire", "Riom", "Thiers"),
            ("POLE SANTE REPUBLIQUE", "CLINIQUE DE LA PLAINE"),
            ("CENTRE JEAN PERRIN",),
        ),
        EstablishmentPattern(
            "DIJON",
            ("Chalon-sur-Saône", "Mâcon", "Nevers", "Auxerre", "Sens", "Beaune", "Le Creusot"),
            ("CLINIQUE DE FONTAINE", "HOPITAL PRIVE DIJON BOURGOGNE"),
            ("CENTRE GEORGES-FRANCOIS LECLERC",),
        ),
        EstablishmentPattern(
            "GRENOBLE",
            ("Chambéry", "Annecy", "Voiron", "Valence", "Bourgoin-Jallieu", "Gap"),
            ("CLINIQUE BELLEDONNE", "GROUPE HOSPITALIER MUTUALISTE DE GRENOBLE"),
        ),
        EstablishmentPattern(
            "IDF",
            ("Argenteuil", "Pontoise", "Meaux", "Melun", "Saint-Denis", "Montreuil", "Versailles", "Poissy"),
            ("HOPITAL AMERICAIN DE PARIS", "INSTITUT MUTUALISTE MONTSOURIS"),
            ("HOPITAL FOCH", "INSTITUT CURIE", "GUSTAVE ROUSSY", "GHU PARIS PSYCHIATRIE ET NEUROSCIENCES"),
        ),
        EstablishmentPattern(
            "LILLE",
            ("Roubaix", "Tourcoing", "Valenciennes", "Lens", "Arras", "Dunkerque", "Boulogne-sur-Mer", "Calais"),
            ("HOPITAL PRIVE LE BOIS", "GROUPE HOSPITALIER DE L'INSTITUT CATHOLIQUE DE LILLE"),
            ("CENTRE OSCAR LAMBRET",),
        ),
        EstablishmentPattern(
            "LIMOGES",
            ("Brive-la-Gaillarde", "Tulle", "Guéret", "Saint-Junien", "Ussel", "Saint-Yrieix-la-Perche"),
            ("CLINIQUE CHENIEUX", "POLYCLINIQUE DE LIMOGES"),
            ("CENTRE HOSPITALIER ESQUIROL",),
        ),
        EstablishmentPattern(
            "LYON",
            ("Villefranche-sur-Saône", "Bourg-en-Bresse", "Vienne", "Givors", "Tarare", "Oyonnax"),
            ("HOPITAL PRIVE JEAN MERMOZ", "HOPITAL SAINT JOSEPH SAINT LUC"),
            ("CENTRE LEON BERARD", "CENTRE HOSPITALIER LE VINATIER"),
        ),
        EstablishmentPattern(
            "MARSEILLE",
            ("Aix-en-Provence", "Toulon", "Avignon", "Martigues", "Arles", "Aubagne", "Ajaccio", "Bastia"),
            ("HOPITAL EUROPEEN", "HOPITAL SAINT-JOSEPH", "CLINIQUE BOUCHARD"),
            ("INSTITUT PAOLI-CALMETTES", "HIA SAINTE-ANNE"),
        ),
        EstablishmentPattern(
            "MONTPELLIER",
            ("Béziers", "Perpignan", "Sète", "Narbonne", "Alès", "Carcassonne", "Bagnols-sur-Cèze"),
            ("CLINIQUE DU PARC", "CLINIQUE SAINT-JEAN"),
            ("CHU DE NIMES", "INSTITUT DU CANCER DE MONTPELLIER"),
        ),
        EstablishmentPattern(
            "NANCY",
            ("Metz", "Thionville", "Épinal", "Verdun", "Lunéville", "Bar-le-Duc", "Saint-Dié-des-Vosges", "Forbach"),
            ("POLYCLINIQUE DE GENTILLY", "CLINIQUE LOUIS PASTEUR"),
            ("INSTITUT DE CANCEROLOGIE DE LORRAINE",),
        ),
        EstablishmentPattern(
            "NANTES",
            ("Saint-Nazaire", "La Roche-sur-Yon", "Les Sables-d'Olonne", "Challans", "Châteaubriant"),
            ("HOPITAL PRIVE DU CONFLUENT", "CLINIQUE JULES VERNE"),
            ("INSTITUT DE CANCEROLOGIE DE L'OUEST",),
        ),
        EstablishmentPattern(
            "NICE",
            ("Cannes", "Antibes", "Grasse", "Menton"),
            ("CLINIQUE SAINT-GEORGE", "HOPITAL PRIVE ARNAULT TZANCK"),
            ("CENTRE ANTOINE LACASSAGNE", "HOPITAUX PEDIATRIQUES DE NICE CHU-LENVAL"),
        ),
        EstablishmentPattern(
            "OCEAN-INDIEN",
            ("Saint-Paul", "Saint-Benoît", "Mamoudzou", "Saint-André", "Le Port"),
            ("CLINIQUE SAINTE-CLOTILDE",),
            ("EPSM DE LA REUNION",),
        ),
        EstablishmentPattern(
            "POITIERS",
            ("Niort", "La Rochelle", "Angoulême", "Châtellerault", "Saintes", "Rochefort"),
            ("POLYCLINIQUE DE POITIERS",),
            ("CENTRE HOSPITALIER HENRI LABORIT",),
        ),
        EstablishmentPattern(
            "REIMS",
            ("Charleville-Mézières", "Châlons-en-Champagne", "Troyes", "Épernay", "Sedan", "Saint-Dizier", "Chaumont"),
            ("POLYCLINIQUE DE COURLANCY", "POLYCLINIQUE REIMS-BEZANNES"),
            ("INSTITUT GODINOT",),
        ),
        EstablishmentPattern(
            "RENNES",
            ("Saint-Malo", "Vannes", "Saint-Brieuc", "Pontivy", "Fougères", "Vitré", "Redon"),
            ("CENTRE HOSPITALIER PRIVE SAINT-GREGOIRE", "POLYCLINIQUE SAINT-LAURENT"),
            ("CENTRE EUGENE MARQUIS", "CENTRE HOSPITALIER GUILLAUME REGNIER"),
        ),
        EstablishmentPattern(
            "ROUEN",
            ("Le Havre", "Dieppe", "Évreux", "Elbeuf", "Fécamp", "Vernon", "Bernay"),
            ("CLINIQUE MATHILDE", "CLINIQUE DE L'EUROPE"),
            ("CENTRE HENRI BECQUEREL", "CENTRE HOSPITALIER DU ROUVRAY"),
        ),
        EstablishmentPattern(
            "SAINT-ETIENNE",
            ("Roanne", "Montbrison", "Firminy", "Saint-Chamond", "Feurs"),
            ("HOPITAL PRIVE DE LA LOIRE", "CLINIQUE MUTUALISTE CHIRURGICALE"),
            ("INSTITUT DE CANCEROLOGIE LUCIEN NEUWIRTH",),
        ),
        EstablishmentPattern(
            "STRASBOURG",
            ("Colmar", "Mulhouse", "Haguenau", "Sélestat", "Saverne", "Wissembourg"),
            ("CLINIQUE RHENA", "CLINIQUE SAINTE-ANNE"),
            ("INSTITUT DE CANCEROLOGIE STRASBOURG EUROPE",),
        ),
        EstablishmentPattern(
            "TOULOUSE",
            ("Montauban", "Albi", "Castres", "Tarbes", "Rodez", "Cahors", "Auch", "Foix"),
            ("CLINIQUE PASTEUR", "CLINIQUE DES CEDRES"),
            ("IUCT ONCOPOLE", "CENTRE HOSPITALIER GERARD MARCHANT"),
        ),
        EstablishmentPattern(
            "TOURS",
            ("Chartres", "Blois", "Orléans", "Châteauroux", "Bourges", "Dreux"),
            ("POLE SANTE LEONARD DE VINCI", "CLINIQUE SAINT-GATIEN ALLIANCE"),
        ),
    )
}


def _ascii_upper(text: str) -> str:
    """'Châlons-en-Champagne' -> 'CHALONS-EN-CHAMPAGNE' (hospital-database style)."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def _of_town(town: str) -> str:
    """French 'de' + town with elision / contraction: DE CLERMONT, D'ABBEVILLE, DU MANS."""
    t = _ascii_upper(town)
    for article, contracted in (("LE ", "DU "), ("LES ", "DES "), ("LA ", "DE LA ")):
        if t.startswith(article):
            return contracted + t[len(article):]
    if t[0] in "AEIOUYH":
        return "D'" + t
    return "DE " + t


def establishment_names(subdivision_code: str) -> tuple[str, ...]:
    """Realistic establishment names for one subdivision.

    Order: the CHU, other named hospitals, one general hospital per town
    (cycling "CENTRE HOSPITALIER X" / "CH X" / "CENTRE HOSPITALIER DE X"),
    then private clinics. Deterministic; raises KeyError on an unknown code.
    """
    subdivision = SUBDIVISIONS_BY_CODE[subdivision_code]
    pattern = ESTABLISHMENT_PATTERNS[subdivision_code]
    names: list[str] = [subdivision.chu_name, *pattern.named_hospitals]
    for i, town in enumerate(pattern.towns):
        variant = i % 3
        if variant == 0:
            names.append(f"CENTRE HOSPITALIER {_ascii_upper(town)}")
        elif variant == 1:
            names.append(f"CH {_ascii_upper(town)}")
        else:
            names.append(f"CENTRE HOSPITALIER {_of_town(town)}")
    names.extend(pattern.clinics)
    return tuple(dict.fromkeys(names))  # de-duplicate, keep order


# --------------------------------------------------------------------------
# 6. People names
# --------------------------------------------------------------------------

# First names of people born ~1993-2000 in France (today's Docteurs Juniors),
# mixed genders and origins.
FIRST_NAMES: tuple[str, ...] = (
    # women
    "Emma", "Léa", "Chloé", "Manon", "Camille", "Inès", "Sarah", "Juliette",
    "Lina", "Zoé", "Clara", "Mathilde", "Margaux", "Pauline", "Marie", "Julie",
    "Laura", "Charlotte", "Lucie", "Élodie", "Hélène", "Claire", "Sophie", "Céline",
    "Aurélie", "Émilie", "Marine", "Justine", "Océane", "Anaïs", "Amandine", "Audrey",
    "Caroline", "Mélanie", "Morgane", "Yasmine", "Salomé", "Agathe", "Capucine", "Éléonore",
    "Bérénice", "Maëlle", "Noémie", "Elsa", "Romane", "Héloïse", "Apolline", "Marion",
    "Estelle", "Solène", "Gaëlle", "Nolwenn", "Maïwenn", "Myriam", "Samira", "Fatoumata",
    "Aminata", "Aïcha", "Khadija", "Leïla", "Meryem", "Thi Lan", "Linh", "Mai",
    "Priya", "Sofia", "Eva", "Alexandra", "Victoria", "Clémence", "Gabrielle", "Constance",
    "Ambre", "Jeanne", "Adèle", "Iris", "Alice", "Louise", "Anna", "Sara",
    "Nour", "Lou", "Delphine", "Perrine", "Coralie", "Mégane", "Ophélie", "Cécile",
    # men
    "Thomas", "Nicolas", "Julien", "Maxime", "Alexandre", "Antoine", "Quentin", "Kévin",
    "Romain", "Clément", "Hugo", "Lucas", "Théo", "Paul", "Louis", "Arthur",
    "Mathieu", "Benjamin", "Florian", "Guillaume", "Pierre", "Adrien", "Valentin", "Baptiste",
    "Vincent", "Jérémy", "Victor", "Simon", "Jules", "Corentin", "Bastien", "Alexis",
    "Rémi", "François", "Étienne", "Grégoire", "Raphaël", "Gabriel", "Tristan", "Martin",
    "Benoît", "Damien", "Loïc", "Yann", "Erwan", "Gaël", "Cédric", "Jean-Baptiste",
    "Pierre-Louis", "Axel", "Mehdi", "Karim", "Yanis", "Rayan", "Nassim", "Sofiane",
    "Bilal", "Amine", "Ilyès", "Samir", "Youssef", "Mamadou", "Moussa", "Ibrahima",
    "Minh", "Duc", "Samuel", "Élie", "Nathan", "Léo", "Mathis", "Anthony",
    "Jonathan", "Florent", "Aurélien", "Cyril", "Arnaud", "Félix", "Gaspard", "Augustin",
    "Timothée", "Hamza", "Walid", "Omar", "Ismaël", "Malik", "David", "Joseph",
)

# Most frequent French surnames (INSEE births ranking) plus common names of
# overseas, Breton, Alsatian, Maghrebi, West-African, Vietnamese, Iberian origins.
LAST_NAMES: tuple[str, ...] = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois",
    "Moreau", "Laurent", "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David",
    "Bertrand", "Morel", "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine",
    "Rousseau", "Vincent", "Muller", "Lefèvre", "Faure", "André", "Mercier", "Blanc",
    "Guérin", "Boyer", "Garnier", "Chevalier", "François", "Legrand", "Gauthier", "Garcia",
    "Perrin", "Robin", "Clément", "Morin", "Nicolas", "Henry", "Roussel", "Mathieu",
    "Gautier", "Masson", "Marchand", "Duval", "Denis", "Dumont", "Marie", "Lemaire",
    "Noël", "Meyer", "Dufour", "Meunier", "Brun", "Blanchard", "Giraud", "Joly",
    "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier", "Arnaud", "Martinez", "Gérard",
    "Roche", "Renard", "Schmitt", "Roy", "Leroux", "Colin", "Vidal", "Caron",
    "Picard", "Roger", "Fabre", "Aubert", "Lemoine", "Renaud", "Dumas", "Lacroix",
    "Olivier", "Philippe", "Bourgeois", "Pierre", "Benoît", "Rey", "Leclerc", "Payet",
    "Rolland", "Leclercq", "Guillaume", "Lecomte", "Lopez", "Jean", "Dupuy", "Guillot",
    "Hubert", "Berger", "Carpentier", "Sanchez", "Dupuis", "Moulin", "Louis", "Deschamps",
    "Huet", "Vasseur", "Perez", "Boucher", "Fleury", "Royer", "Klein", "Jacquet",
    "Adam", "Paris", "Poirier", "Marty", "Aubry", "Guyot", "Carré", "Charles",
    "Renault", "Charpentier", "Ménard", "Maillard", "Baron", "Bertin", "Bailly", "Hervé",
    "Schneider", "Fernandez", "Le Gall", "Collet", "Léger", "Bouvier", "Julien", "Prévost",
    "Millet", "Perrot", "Daniel", "Le Roux", "Cousin", "Germain", "Breton", "Besson",
    "Langlois", "Rémy", "Le Goff", "Pelletier", "Lévêque", "Perrier", "Leblanc", "Barré",
    "Lebrun", "Marchal", "Weber", "Mallet", "Hamon", "Boulanger", "Jacob", "Monnier",
    "Michaud", "Rodriguez", "Guichard", "Gillet", "Étienne", "Grondin", "Poulain", "Tessier",
    "Chevallier", "Collin", "Chauvin", "Da Silva", "Bouchet", "Gay", "Lemaître", "Bénard",
    "Maréchal", "Humbert", "Reynaud", "Antoine", "Hoarau", "Perret", "Barthélemy", "Cordier",
    "Pichon", "Lejeune", "Gilbert", "Lamy", "Delaunay", "Pasquier", "Carlier", "Laporte",
    # diverse origins
    "Nguyen", "Tran", "Pham", "Le Van", "Benali", "Haddad", "Diallo", "Traoré",
    "Mendy", "Ben Ahmed", "Diop", "Ndiaye", "Camara", "Koné", "Cissé", "Mansouri",
    "Bouaziz", "Benhamou", "Cohen", "Lévy", "Amrani", "Belkacem", "Saïdi", "Chérif",
    "Ferreira", "Pereira", "Dos Santos", "Rossi", "Yilmaz", "Kaya", "Le Bihan", "Kerbrat",
)

# --------------------------------------------------------------------------
# 7. Misc
# --------------------------------------------------------------------------

# Short free-text indications attached to posts; "" = no indication.
INDICATIONS: tuple[str, ...] = (
    "",
    "Poste orienté soins critiques",
    "Activité de consultation et d'hospitalisation",
    "Participation à la permanence des soins",
    "Temps partagé avec le centre périphérique",
    "Activité de bloc opératoire deux jours par semaine",
    "Poste à orientation recherche clinique",
    "Gardes aux urgences de l'établissement",
    "Activité ambulatoire un jour par semaine",
    "Astreintes de week-end",
)


def email_local_part(first: str, last: str) -> str:
    """'Thi Lan', 'Le Gall' -> 'thilan.legall'; ASCII, lowercase, accents stripped."""

    def clean(part: str) -> str:
        part = part.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
        decomposed = unicodedata.normalize("NFKD", part)
        ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
        return "".join(c for c in ascii_text if c.isascii() and (c.isalnum() or c == "-"))

    return f"{clean(first)}.{clean(last)}"


# Convenience lookups (derived, not extra data).
REGIONS_BY_CODE: dict[str, Region] = {r.code: r for r in REGIONS}
SUBDIVISIONS_BY_CODE: dict[str, Subdivision] = {s.code: s for s in SUBDIVISIONS}
SPECIALTIES_BY_CODE: dict[str, Specialty] = {s.code: s for s in SPECIALTIES}
FSTS_BY_CODE: dict[str, Fst] = {f.code: f for f in FSTS}


if __name__ == "__main__":

    def _assert_unique(name: str, values: list[str]) -> None:
        dupes = sorted({v for v in values if values.count(v) > 1})
        assert not dupes, f"duplicate {name}: {dupes}"

    all_specialties = (*SPECIALTIES, GENERAL_MEDICINE)
    all_options = [o for s in all_specialties for o in s.options]

    _assert_unique("region codes", [r.code for r in REGIONS])
    _assert_unique("subdivision codes", [s.code for s in SUBDIVISIONS])
    _assert_unique("subdivision labels", [s.label for s in SUBDIVISIONS])
    _assert_unique("specialty codes", [s.code for s in all_specialties])
    _assert_unique("specialty labels", [s.label for s in all_specialties])
    _assert_unique("option codes", [o.code for o in all_options])
    _assert_unique("FST codes", [f.code for f in FSTS])
    _assert_unique("first names", list(FIRST_NAMES))
    _assert_unique("last names", list(LAST_NAMES))
    _assert_unique("indications", list(INDICATIONS))
    _assert_unique("ambulatory sites", list(AMBULATORY_SITE_NAMES))

    assert len(SUBDIVISIONS) == 28
    assert {s.region_code for s in SUBDIVISIONS} == set(REGIONS_BY_CODE), "region without subdivision or unknown"
    assert all(s.label == s.label.upper() and s.label.startswith("SUBDI ") for s in SUBDIVISIONS)
    assert all(s.label == s.label.upper() for s in all_specialties)
    assert all(s.weight > 0 for s in (*SUBDIVISIONS, *all_specialties))
    for s in all_specialties:
        assert set(s.fst_codes) <= set(FSTS_BY_CODE), (s.code, s.fst_codes)
        _assert_unique(f"{s.code} FSTs", list(s.fst_codes))
    assert set(SITE_NAMES) == {s.code for s in all_specialties}, "SITE_NAMES keys"
    for code, sites in SITE_NAMES.items():
        assert 3 <= len(sites) <= 8, (code, len(sites))
        assert all(x == x.upper() for x in sites), code
        _assert_unique(f"{code} sites", list(sites))
    assert set(ESTABLISHMENT_PATTERNS) == set(SUBDIVISIONS_BY_CODE), "ESTABLISHMENT_PATTERNS keys"
    for code, p in ESTABLISHMENT_PATTERNS.items():
        assert 4 <= len(p.towns) <= 8, (code, len(p.towns))
        assert 1 <= len(p.clinics) <= 3, code
        _assert_unique(f"{code} towns", list(p.towns))
        names = establishment_names(code)
        assert names[0] == SUBDIVISIONS_BY_CODE[code].chu_name
        assert all(n.isascii() and n == n.upper() for n in names), (code, names)
    assert len(FIRST_NAMES) >= 150 and len(LAST_NAMES) >= 200
    for first in FIRST_NAMES:
        for last in LAST_NAMES[:5] + ("Le Gall", "Da Silva", "Lévêque"):
            local = email_local_part(first, last)
            assert local.isascii() and local == local.lower() and " " not in local and "'" not in local
    assert email_local_part("Thi Lan", "Le Gall") == "thilan.legall"
    assert email_local_part("Élodie", "Lefèvre") == "elodie.lefevre"
    assert email_local_part("Jean-Baptiste", "N'Diaye") == "jean-baptiste.ndiaye"
    assert email_local_part("Chloé", "Cœur") == "chloe.coeur"
    assert _of_town("Le Mans") == "DU MANS" and _of_town("Abbeville") == "D'ABBEVILLE"

    total_sub = sum(s.weight for s in SUBDIVISIONS)
    idf_share = SUBDIVISIONS_BY_CODE["IDF"].weight / total_sub
    assert 0.15 <= idf_share <= 0.25, idf_share

    print(f"REGIONS               {len(REGIONS)}")
    print(f"SUBDIVISIONS          {len(SUBDIVISIONS)} (IDF share {idf_share:.1%})")
    print(f"SPECIALTIES           {len(SPECIALTIES)} (+ GENERAL_MEDICINE opt-in)")
    print(f"  options             {len(all_options)} in "
          f"{sum(1 for s in SPECIALTIES if s.options)} specialties")
    print(f"FSTS                  {len(FSTS)}")
    print(f"SITE_NAMES            {len(SITE_NAMES)} keys, {sum(map(len, SITE_NAMES.values()))} names")
    print(f"AMBULATORY_SITE_NAMES {len(AMBULATORY_SITE_NAMES)}")
    print(f"ESTABLISHMENT_PATTERNS {len(ESTABLISHMENT_PATTERNS)} "
          f"({sum(len(establishment_names(c)) for c in ESTABLISHMENT_PATTERNS)} establishment names)")
    print(f"FIRST_NAMES           {len(FIRST_NAMES)}")
    print(f"LAST_NAMES            {len(LAST_NAMES)}")
    print(f"INDICATIONS           {len(INDICATIONS)}")
    print("example:", establishment_names("AMIENS"))
    print("OK")
