"""Comptes rendus d'activité (CRA), their monthly roll-up, and the territory each coordinator coordinates.

A CRA belongs to the conseiller who wrote it and to the structure that employed the conseiller that day
(copied when the report is recorded): it is scoped through that structure, like everything attached to
one, and the conseiller reads its own reports.

`CraMensuel` holds, per month × conseiller × structure, the counts the statistics page shows. It is kept
up to date in the same transaction as every write of reports (import, API, demo) by
`app.statistiques.agregats`, so a national page over three years sums a few hundred thousand rows
instead of millions.
"""

from datetime import date

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    select,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.structures import Conseiller, Structure
from app.models.territoires import Commune, Departement
from app.security.scope import departements_in_scope, register_read_rule, via_structure
from app.statistiques.dimensions import AGES, MESURES, STATUTS, themes_codes


class Cra(db.Model):
    __tablename__ = "cra"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    date: Mapped[date] = mapped_column(Date, nullable=False)
    canal: Mapped[str] = mapped_column(String(20), nullable=False)
    activite: Mapped[str] = mapped_column(String(20), nullable=False)
    nb_participants: Mapped[int] = mapped_column(Integer, nullable=False)
    for _code in AGES:
        locals()[f"age_{_code}"] = mapped_column(Integer, nullable=False, default=0)
    for _code in STATUTS:
        locals()[f"statut_{_code}"] = mapped_column(Integer, nullable=False, default=0)
    del _code
    themes: Mapped[int] = mapped_column(Integer, nullable=False)  # bit mask, see dimensions.THEMES
    duree: Mapped[str] = mapped_column(String(20), nullable=False)
    commune_code: Mapped[str | None] = mapped_column(ForeignKey("commune.code"))
    conseiller_id: Mapped[int] = mapped_column(ForeignKey("conseiller.id"), nullable=False)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structure.id"), nullable=False)
    source: Mapped[str] = mapped_column(String(10), nullable=False, default="api")
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    conseiller: Mapped[Conseiller] = relationship(lazy="select")
    structure: Mapped[Structure] = relationship(lazy="select")
    commune: Mapped[Commune | None] = relationship(lazy="select")

    @property
    def themes_codes(self) -> list[str]:
        return themes_codes(self.themes)

    __table_args__ = (
        Index("ix_cra_date", "date"),
        Index("ix_cra_structure_date", "structure_id", "date"),
        Index("ix_cra_conseiller_date", "conseiller_id", "date"),
        CheckConstraint("nb_participants >= 1", name="ck_cra_participants"),
        CheckConstraint("themes > 0", name="ck_cra_themes"),
    )


class CraMensuel(db.Model):
    """Monthly roll-up of the reports: one row per month (first day) × conseiller × structure."""

    __tablename__ = "cra_mensuel"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mois: Mapped[date] = mapped_column(Date, nullable=False)
    conseiller_id: Mapped[int] = mapped_column(ForeignKey("conseiller.id"), nullable=False)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structure.id"), nullable=False)
    for _nom in MESURES:
        locals()[_nom] = mapped_column(Integer, nullable=False, default=0)
    del _nom

    __table_args__ = (
        UniqueConstraint("structure_id", "conseiller_id", "mois", name="uq_cra_mensuel"),
        Index("ix_cra_mensuel_mois", "mois"),
        Index("ix_cra_mensuel_conseiller", "conseiller_id", "mois"),
    )


class CraMensuelDepartement(db.Model):
    """The same counts per month × département of the structure: national, régional and départemental pages
    sum a few thousand rows. Structure and conseiller figures use `CraMensuel`."""

    __tablename__ = "cra_mensuel_departement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mois: Mapped[date] = mapped_column(Date, nullable=False)
    departement_code: Mapped[str] = mapped_column(ForeignKey("departement.code"), nullable=False)
    for _nom in MESURES:
        locals()[_nom] = mapped_column(Integer, nullable=False, default=0)
    del _nom

    __table_args__ = (
        UniqueConstraint("departement_code", "mois", name="uq_cra_mensuel_departement"),
        Index("ix_cra_mensuel_departement_mois", "mois"),
    )


def _territorial_rule(scope):
    """Rows per département: readable by national users and by préfets (and hubs) of the territory only."""
    if scope.national:
        return true()
    return CraMensuelDepartement.departement_code.in_(select(Departement.code).where(departements_in_scope(scope)))


NIVEAUX_COORDINATION = {
    "commune": "Commune",
    "bassin": "Bassin de vie",
    "epci": "Intercommunalité (EPCI)",
    "departement": "Département",
    "region": "Région",
}


class PerimetreCoordination(db.Model):
    """The territory a coordinator coordinates (ANCT records it when the role is attributed).

    `departements` lists the départements it covers (codes separated by commas): the map colours them.
    """

    __tablename__ = "coordination_perimetre"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conseiller_id: Mapped[int] = mapped_column(ForeignKey("conseiller.id"), nullable=False, unique=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structure.id"), nullable=False, index=True)
    niveau: Mapped[str] = mapped_column(String(20), nullable=False)
    libelle: Mapped[str] = mapped_column(String(255), nullable=False)
    departements: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    conseiller: Mapped[Conseiller] = relationship(lazy="joined")
    structure: Mapped[Structure] = relationship(lazy="joined")

    @property
    def niveau_label(self) -> str:
        return NIVEAUX_COORDINATION.get(self.niveau, self.niveau)

    def __str__(self) -> str:
        return f"{self.libelle} ({self.niveau_label})"


register_read_rule(Cra, via_structure(Cra.structure_id, Cra.conseiller_id))
register_read_rule(CraMensuel, via_structure(CraMensuel.structure_id, CraMensuel.conseiller_id))
register_read_rule(CraMensuelDepartement, _territorial_rule)
register_read_rule(PerimetreCoordination,
                   via_structure(PerimetreCoordination.structure_id, PerimetreCoordination.conseiller_id))
