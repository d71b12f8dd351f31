"""Reference territories, from the official open data (`@etalab/decoupage-administratif`)."""

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, event, insert, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, validates

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


def _normaliser(nom: str | None) -> str:
    from app.territoires.recherche import normaliser

    return normaliser(nom or "")


class Region(db.Model):
    __tablename__ = "region"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    nom: Mapped[str] = mapped_column(String(100), nullable=False)
    # Collectivités d'outre-mer (975, 977, 978, 984, 986-989) are listed both as région and département.
    est_com: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)

    departements: Mapped[list["Departement"]] = relationship(back_populates="region", order_by="Departement.code")

    def __str__(self) -> str:
        return self.nom


class Departement(db.Model):
    __tablename__ = "departement"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    nom: Mapped[str] = mapped_column(String(100), nullable=False)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), nullable=False, index=True)
    est_com: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)

    region: Mapped[Region] = relationship(back_populates="departements", lazy="joined")

    def __str__(self) -> str:
        return f"{self.nom} ({self.code})"


class Epci(db.Model):
    __tablename__ = "epci"

    code: Mapped[str] = mapped_column(String(9), primary_key=True)  # SIREN
    nom: Mapped[str] = mapped_column(String(200), nullable=False)
    type: Mapped[str] = mapped_column(String(10), nullable=False)  # CC, CA, CU, METRO, MET69
    population: Mapped[int | None] = mapped_column(Integer)
    nom_recherche: Mapped[str] = mapped_column(String(200), nullable=False, default="")

    communes: Mapped[list["Commune"]] = relationship(back_populates="epci")

    @validates("nom")
    def _sync_nom_recherche(self, key: str, nom: str) -> str:
        self.nom_recherche = _normaliser(nom)
        return nom

    def __str__(self) -> str:
        return self.nom


class Commune(db.Model):
    __tablename__ = "commune"

    code: Mapped[str] = mapped_column(String(5), primary_key=True)  # code INSEE
    nom: Mapped[str] = mapped_column(String(200), nullable=False)
    departement_code: Mapped[str] = mapped_column(ForeignKey("departement.code"), nullable=False, index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), nullable=False, index=True)
    epci_code: Mapped[str | None] = mapped_column(ForeignKey("epci.code"), index=True)
    siren: Mapped[str | None] = mapped_column(String(9), index=True)
    codes_postaux: Mapped[str] = mapped_column(String(200), nullable=False, default="")  # "38000,38100"
    population: Mapped[int | None] = mapped_column(Integer)
    nom_recherche: Mapped[str] = mapped_column(String(200), nullable=False, default="")

    departement: Mapped[Departement] = relationship()
    epci: Mapped[Epci | None] = relationship(back_populates="communes")

    __table_args__ = (Index("ix_commune_nom_recherche", "nom_recherche"),)

    @validates("nom")
    def _sync_nom_recherche(self, key: str, nom: str) -> str:
        self.nom_recherche = _normaliser(nom)
        return nom

    @property
    def libelle(self) -> str:
        codes = ", ".join(c for c in self.codes_postaux.split(",") if c)
        return f"{self.nom} ({codes})" if codes else self.nom

    def __str__(self) -> str:
        return self.libelle


class TerritoiresVersion(db.Model):
    """One row (id 1) whose token changes whenever the reference territories change.

    Processes that cache territories (the search index of every gunicorn worker) compare it with
    the token they were built from. The importer writes it in its transaction; ORM writes to the
    territory tables renew it automatically (`_renew_token_after_orm_writes`).
    """

    __tablename__ = "territoires_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    jeton: Mapped[str] = mapped_column(String(32), nullable=False)
    source: Mapped[str | None] = mapped_column(String(100))
    modifie_le: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), nullable=False, default=utcnow)


TERRITORY_MODELS = (Region, Departement, Epci, Commune)


def renew_token(connection, source: str | None = None) -> str:
    """Give the territories a new version token, in the caller's transaction. Returns it."""
    table = TerritoiresVersion.__table__
    jeton = uuid.uuid4().hex
    values = {"jeton": jeton, "modifie_le": utcnow()}
    if source is not None:
        values["source"] = source
    if connection.execute(update(table).where(table.c.id == 1).values(**values)).rowcount == 0:
        connection.execute(insert(table).values(id=1, **values))
    return jeton


@event.listens_for(Session, "after_flush")
def _renew_token_after_orm_writes(session: Session, flush_context) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, TERRITORY_MODELS):
            if obj in session.dirty and not session.is_modified(obj, include_collections=False):
                continue
            renew_token(session.connection())
            return
