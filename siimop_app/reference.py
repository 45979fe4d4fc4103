"""The national reference data every campaign needs: regions, the 28 subdivisions, the DES and their options.

The data itself lives in ``siimop_app/demo/reference_data.py`` (one home, shared with the demo generator); this
module writes it into a database. ``load_national_reference`` is idempotent: rows are matched on their code,
missing ones inserted, changed labels updated, nothing deleted (campaign data points at these rows). It runs:

- in the Alembic data migration ``national_reference_data``, so ``reflex db migrate`` (or ``alembic upgrade
  head``) fills a new database;
- from ``python -m siimop_app.reference`` (re-apply after the reference data changed) and from the demo, which
  erases everything first when asked to.

Connection-level code (no ORM session), so a migration can call it with ``op.get_bind()``.
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from siimop_app.demo import reference_data as ref
from siimop_app.models import Region, Specialty, SpecialtyOption, Subdivision


@dataclasses.dataclass
class ReferenceIds:
    """Database ids by code, for code that writes rows pointing at the reference data."""

    regions: dict[str, int]
    subdivisions: dict[str, int]
    specialties: dict[str, int]
    options: dict[str, int]


@dataclasses.dataclass
class LoadReport:
    inserted: int = 0
    updated: int = 0

    def summary(self) -> str:
        return f"Référentiel national : {self.inserted} ligne(s) ajoutée(s), {self.updated} mise(s) à jour."


def _upsert(connection: sa.Connection, table: sa.Table, rows: list[dict], report: LoadReport) -> dict[str, int]:
    existing = {r.code: r for r in connection.execute(sa.select(table)).mappings()}
    new = [row for row in rows if row["code"] not in existing]
    if new:
        connection.execute(table.insert(), new)
        report.inserted += len(new)
    for row in rows:
        old = existing.get(row["code"])
        if old is not None and any(old[key] != value for key, value in row.items()):
            connection.execute(table.update().where(table.c.code == row["code"]).values(**row))
            report.updated += 1
    return dict(connection.execute(sa.select(table.c.code, table.c.id)).all())


def load_national_reference(connection: sa.Connection) -> LoadReport:
    report = LoadReport()
    regions = _upsert(connection, Region.__table__, [{"code": r.code, "name": r.label} for r in ref.REGIONS], report)
    _upsert(connection, Subdivision.__table__,
            [{"code": s.code, "label": s.label, "region_id": regions[s.region_code]} for s in ref.SUBDIVISIONS],
            report)
    specialties = _upsert(connection, Specialty.__table__,
                          [{"code": s.code, "label": s.label} for s in ref.SPECIALTIES], report)
    _upsert(connection, SpecialtyOption.__table__,
            [{"code": o.code, "label": o.label, "specialty_id": specialties[s.code]}
             for s in ref.SPECIALTIES for o in s.options], report)
    return report


def reference_ids(connection: sa.Connection) -> ReferenceIds:
    def ids(model) -> dict[str, int]:
        table = model.__table__
        return dict(connection.execute(sa.select(table.c.code, table.c.id)).all())

    return ReferenceIds(ids(Region), ids(Subdivision), ids(Specialty), ids(SpecialtyOption))


def main() -> int:
    """``python -m siimop_app.reference``: migrate the configured database and (re)load the reference data."""
    from siimop_app.db import get_engine
    from siimop_app.migrations import upgrade_to_head

    upgrade_to_head()
    with get_engine().begin() as connection:
        print(load_national_reference(connection).summary())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
