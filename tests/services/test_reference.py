"""The national reference data comes with the schema, and loading it again changes nothing."""

from __future__ import annotations

import sqlalchemy as sa

from siimop_app.db import get_engine
from siimop_app.demo import reference_data as ref
from siimop_app.demo.cli import main as demo_main
from siimop_app.models import Region, Specialty, SpecialtyOption, Subdivision
from siimop_app.reference import load_national_reference


def _counts(url: str) -> dict[str, int]:
    with get_engine(url).connect() as connection:
        return {model.__tablename__: connection.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()
                for model in (Region, Subdivision, Specialty, SpecialtyOption)}


def test_a_migrated_database_holds_the_national_reference_data(db_url):
    options = sum(len(s.options) for s in ref.SPECIALTIES)
    assert _counts(db_url) == {"region": 14, "subdivision": 28, "specialty": 43, "specialty_option": options}
    with get_engine(db_url).connect() as connection:
        tours = connection.execute(
            sa.select(Subdivision.label, Region.name).join(Region, Region.id == Subdivision.region_id)
            .where(Subdivision.code == "TOURS")).one()
    assert tuple(tours) == ("SUBDI TOURS", "Centre-Val de Loire")


def test_loading_twice_changes_nothing_and_a_demo_reset_keeps_it(db_url):
    before = _counts(db_url)
    with get_engine(db_url).begin() as connection:
        report = load_national_reference(connection)
    assert (report.inserted, report.updated) == (0, 0)
    assert demo_main(["--scale", "small"]) == 0
    assert demo_main(["--scale", "small", "--reset"]) == 0
    assert _counts(db_url) == before
