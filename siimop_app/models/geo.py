"""Territories and training references: regions, subdivisions, specialties (DES), options, establishments."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class Region(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=20)
    name: str = Field(max_length=100)


class Subdivision(SQLModel, table=True):
    """The territory of one CHU, e.g. "SUBDI TOURS"."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=40)
    label: str = Field(max_length=100)
    region_id: int = Field(foreign_key="region.id", index=True)


class Specialty(SQLModel, table=True):
    """A DES (diplôme d'études spécialisées)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=40)
    label: str = Field(max_length=120)


class SpecialtyOption(SQLModel, table=True):
    """An option or FST of a specialty, e.g. OPT-REA-PED."""

    __tablename__ = "specialty_option"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=40)
    label: str = Field(max_length=160)
    specialty_id: int = Field(foreign_key="specialty.id", index=True)


class Establishment(SQLModel, table=True):
    """A hospital, clinic or practice, e.g. "CHRU TOURS"."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=160, index=True)
    city: str = Field(default="", max_length=100)
    postal_code: str = Field(default="", max_length=10)
    subdivision_id: int = Field(foreign_key="subdivision.id", index=True)
