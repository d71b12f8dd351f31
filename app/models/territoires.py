"""Reference territories, from the official open data (`@etalab/decoupage-administratif`)."""

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db


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

    @property
    def libelle(self) -> str:
        codes = ", ".join(c for c in self.codes_postaux.split(",") if c)
        return f"{self.nom} ({codes})" if codes else self.nom

    def __str__(self) -> str:
        return self.libelle
