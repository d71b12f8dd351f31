"""Structures (employers), conseillers numériques and their contracts."""

from datetime import date
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.territoires import Commune, Departement, Region

TYPES_STRUCTURE = {
    "commune": "Commune",
    "departement": "Département",
    "region": "Région",
    "epci": "Établissement public de coopération intercommunale",
    "collectivite_statut_particulier": "Collectivité à statut particulier",
    "gip": "GIP",
    "privee": "Structure privée (association, entreprise de l'ESS, fondation)",
}

STATUTS_STRUCTURE = {
    "candidate": "Candidate",
    "validee": "Dans le dispositif",
    "refus_coordinateur": "Refus coordinateur",
    "inactive": "Inactive",
}

STATUTS_CONSEILLER = {
    "actif": "En poste",
    "en_recrutement": "En cours de recrutement",
    "inactif": "Sorti du dispositif",
}

TYPES_CONTRAT = {
    "cdi": "CDI",
    "cdd": "CDD",
    "pec": "PEC",
    "contrat_projet_public": "Contrat de projet public",
}

STATUTS_CONTRAT = {
    "en_attente_bdt": "En attente de traitement (Banque des Territoires)",
    "renvoye": "Renvoyé à la structure",
    "valide": "Validé",
    "termine": "Terminé",
}


class Structure(db.Model):
    __tablename__ = "structure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nom: Mapped[str] = mapped_column(String(255), nullable=False)  # lists sort by name: see __table_args__
    type: Mapped[str] = mapped_column(String(40), nullable=False)
    siret: Mapped[str | None] = mapped_column(String(14), unique=True)
    adresse: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    code_postal: Mapped[str] = mapped_column(String(5), nullable=False, default="", index=True)
    commune_code: Mapped[str | None] = mapped_column(ForeignKey("commune.code"))
    departement_code: Mapped[str] = mapped_column(ForeignKey("departement.code"), nullable=False)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), nullable=False)
    statut: Mapped[str] = mapped_column(String(30), nullable=False, default="validee")
    postes_finances: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    postes_coordinateur: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    contact_prenom: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    contact_nom: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    contact_fonction: Mapped[str] = mapped_column(String(150), nullable=False, default="")
    contact_email: Mapped[str] = mapped_column(String(320), nullable=False, default="")
    contact_telephone: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    # Lists show the département; the commune and région are read on a detail page only (joining them
    # by default made every query that touches a structure join three more tables).
    commune: Mapped[Commune | None] = relationship()
    departement: Mapped[Departement] = relationship(lazy="joined")
    region: Mapped[Region] = relationship(viewonly=True)
    conseillers: Mapped[list["Conseiller"]] = relationship(back_populates="structure")
    contrats: Mapped[list["Contrat"]] = relationship(back_populates="structure")

    # The lists show 50 rows by name (national, région, département): each reads them off an index.
    __table_args__ = (
        Index("ix_structure_dep_statut", "departement_code", "statut"),
        Index("ix_structure_nom", "nom", "id"),
        Index("ix_structure_region_nom", "region_code", "nom", "id"),
        Index("ix_structure_departement_nom", "departement_code", "nom", "id"),
        CheckConstraint("postes_finances >= 0 AND postes_coordinateur >= 0", name="ck_structure_postes"),
    )

    @property
    def type_label(self) -> str:
        return TYPES_STRUCTURE.get(self.type, self.type)

    @property
    def statut_label(self) -> str:
        return STATUTS_STRUCTURE.get(self.statut, self.statut)

    @property
    def contact_nom_complet(self) -> str:
        return f"{self.contact_prenom} {self.contact_nom}".strip()

    def __str__(self) -> str:
        return f"{self.nom} (ID {self.id})"


class Conseiller(db.Model):
    __tablename__ = "conseiller"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prenom: Mapped[str] = mapped_column(String(100), nullable=False)
    nom: Mapped[str] = mapped_column(String(100), nullable=False)
    email_pro: Mapped[str | None] = mapped_column(String(320), unique=True)
    telephone_pro: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    statut: Mapped[str] = mapped_column(String(30), nullable=False, default="actif")
    structure_id: Mapped[int | None] = mapped_column(ForeignKey("structure.id"), index=True)
    date_prise_poste: Mapped[date | None] = mapped_column(Date)
    est_coordinateur: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    structure: Mapped[Structure | None] = relationship(back_populates="conseillers", lazy="joined")
    contrats: Mapped[list["Contrat"]] = relationship(back_populates="conseiller")

    __table_args__ = (Index("ix_conseiller_nom", "nom", "id"),)

    @property
    def nom_complet(self) -> str:
        return f"{self.prenom} {self.nom}"

    @property
    def statut_label(self) -> str:
        return STATUTS_CONSEILLER.get(self.statut, self.statut)

    def __str__(self) -> str:
        return self.nom_complet


class Contrat(db.Model):
    __tablename__ = "contrat"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structure.id"), nullable=False, index=True)
    conseiller_id: Mapped[int] = mapped_column(ForeignKey("conseiller.id"), nullable=False, index=True)
    type_contrat: Mapped[str] = mapped_column(String(30), nullable=False)
    date_debut: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    date_fin: Mapped[date | None] = mapped_column(Date)
    salaire_brut_mensuel: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    statut: Mapped[str] = mapped_column(String(30), nullable=False, default="valide")
    est_coordinateur: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    motif_renvoi: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    structure: Mapped[Structure] = relationship(back_populates="contrats", lazy="joined")
    conseiller: Mapped[Conseiller] = relationship(back_populates="contrats", lazy="joined")

    __table_args__ = (
        CheckConstraint(
            "(type_contrat = 'cdi' AND date_fin IS NULL) OR (type_contrat <> 'cdi' AND date_fin IS NOT NULL)",
            name="ck_contrat_date_fin",
        ),
        CheckConstraint("date_fin IS NULL OR date_fin > date_debut", name="ck_contrat_dates"),
    )

    @property
    def type_label(self) -> str:
        return TYPES_CONTRAT.get(self.type_contrat, self.type_contrat)

    @property
    def statut_label(self) -> str:
        return STATUTS_CONTRAT.get(self.statut, self.statut)

    def est_actif(self, le: date) -> bool:
        return self.statut == "valide" and self.date_debut <= le and (self.date_fin is None or self.date_fin >= le)

    def __str__(self) -> str:
        return f"{self.type_label} — {self.conseiller} ({self.structure.nom})"
