"""Models of the gouvernances package: campaign milestones, participation forms of local actors,
gouvernances pressenties, préfet digests, AMI Hubs, lieux de médiation numérique.

Territorial scope (app/security/scope.py) is registered at the bottom of this module:
- a participation form concerns a département when it is that département, its région, an EPCI
  with a commune in it, a commune in it, or a structure located in it;
- a gouvernance pressentie belongs to one département (and so to its région).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    false,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.territoires import Commune, Departement, Region
from app.models.utilisateurs import Utilisateur

# --- Campaign calendar ------------------------------------------------------------------------------


class Jalon(db.Model):
    """A milestone of the campaign. `echeance` is the last instant included (None: no deadline)."""

    __tablename__ = "gouvernance_jalon"

    cle: Mapped[str] = mapped_column(String(50), primary_key=True)
    libelle: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(String(1000), nullable=False, default="")
    echeance: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ordre: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    modifie_le: Mapped[datetime | None] = mapped_column(UTCDateTime)
    modifie_par: Mapped[str] = mapped_column(String(255), nullable=False, default="")


# --- Participation of local actors -----------------------------------------------------------------

PERSONAS = {
    "conseil_regional": "Conseil régional",
    "conseil_departemental": "Conseil départemental",
    "epci": "EPCI",
    "commune": "Commune",
    "structure": "Structure",
}
# Only région, département and EPCI may lead (porter) a roadmap; every persona may participate.
PERSONAS_PORTEUSES = ("conseil_regional", "conseil_departemental", "epci")
# The territory type a collectivité persona is.
PERSONA_TERRITOIRE = {"conseil_regional": "region", "conseil_departemental": "departement", "epci": "epci",
                      "commune": "commune"}
INTENTIONS = {"porter": "Porter une feuille de route", "participer": "Participer"}
STATUTS_PARTICIPATION = {"brouillon": "Brouillon", "envoye": "Envoyé", "annule": "Annulé"}
TYPES_COLLECTIVITE = {"region": "Région", "departement": "Département", "epci": "EPCI", "commune": "Commune"}
ROLES_CONTACT = {"politique": "Contact politique", "technique": "Contact technique",
                 "structure": "Contact de la structure"}


class Participation(db.Model):
    """One actor's form "Participer à l'élaboration des feuilles de route".

    Reached through a secret link (only its sha256 is stored). Draft -> sent (frozen) -> cancelled
    (the actor may then start again: the new form keeps `remplace_id`).
    """

    __tablename__ = "participation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    jeton_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    persona: Mapped[str] = mapped_column(String(30), nullable=False)
    intention: Mapped[str | None] = mapped_column(String(20))
    statut: Mapped[str] = mapped_column(String(20), nullable=False, default="brouillon")
    demandeur_nom: Mapped[str] = mapped_column(String(200), nullable=False)
    demandeur_email: Mapped[str] = mapped_column(String(320), nullable=False, index=True)
    # The collectivité (personas other than "structure"), chosen with « Rechercher la collectivité ».
    collectivite_type: Mapped[str | None] = mapped_column(String(15))
    collectivite_code: Mapped[str | None] = mapped_column(String(9))
    collectivite_nom: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    # The "structure" persona.
    structure_nom: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    structure_siret: Mapped[str | None] = mapped_column(String(14))
    structure_sans_siret: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Where the actor is, when it is one département / one région (NULL for an EPCI: see its communes).
    departement_code: Mapped[str | None] = mapped_column(ForeignKey("departement.code"), index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"), index=True)
    # Porter: existing local schemes (SDUN, CRTE…).
    dispositifs_existants: Mapped[str] = mapped_column(Text, nullable=False, default="")
    etape_contacts_membres_faite: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    remplace_id: Mapped[int | None] = mapped_column(ForeignKey("participation.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    envoye_le: Mapped[datetime | None] = mapped_column(UTCDateTime)
    annule_le: Mapped[datetime | None] = mapped_column(UTCDateTime)

    contacts: Mapped[list[ParticipationContact]] = relationship(
        back_populates="participation", cascade="all, delete-orphan", order_by="ParticipationContact.id",
        lazy="selectin")
    membres: Mapped[list[ParticipationMembre]] = relationship(
        back_populates="participation", cascade="all, delete-orphan", order_by="ParticipationMembre.id",
        lazy="selectin")
    partenaires: Mapped[list[ParticipationPartenaire]] = relationship(
        back_populates="participation", cascade="all, delete-orphan", order_by="ParticipationPartenaire.id",
        lazy="selectin")

    __table_args__ = (
        CheckConstraint("statut IN ('brouillon', 'envoye', 'annule')", name="ck_participation_statut"),
        CheckConstraint("persona IN ('conseil_regional', 'conseil_departemental', 'epci', 'commune', 'structure')",
                        name="ck_participation_persona"),
        CheckConstraint("intention IS NULL OR intention IN ('porter', 'participer')",
                        name="ck_participation_intention"),
        CheckConstraint("intention IS NULL OR intention = 'participer' OR persona IN "
                        "('conseil_regional', 'conseil_departemental', 'epci')", name="ck_participation_porteur"),
        CheckConstraint("statut <> 'envoye' OR envoye_le IS NOT NULL", name="ck_participation_envoi"),
        Index("ix_participation_statut_intention", "statut", "intention"),
        Index("ix_participation_collectivite", "collectivite_type", "collectivite_code"),
    )

    @property
    def persona_label(self) -> str:
        return PERSONAS.get(self.persona, self.persona)

    @property
    def intention_label(self) -> str:
        return INTENTIONS.get(self.intention or "", "")

    @property
    def statut_label(self) -> str:
        return STATUTS_PARTICIPATION.get(self.statut, self.statut)

    @property
    def est_structure(self) -> bool:
        return self.persona == "structure"

    @property
    def peut_porter(self) -> bool:
        return self.persona in PERSONAS_PORTEUSES

    @property
    def nom_acteur(self) -> str:
        return self.structure_nom if self.est_structure else self.collectivite_nom

    def contact(self, role: str) -> ParticipationContact | None:
        return next((c for c in self.contacts if c.role == role), None)

    def __str__(self) -> str:
        return f"{self.nom_acteur or self.persona_label} — formulaire n° {self.id}"


class ParticipationContact(db.Model):
    """A contact of the actor itself: politique, technique (collectivités) or structure."""

    __tablename__ = "participation_contact"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participation_id: Mapped[int] = mapped_column(ForeignKey("participation.id", ondelete="CASCADE"),
                                                  nullable=False, index=True)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    prenom: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    nom: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    fonction: Mapped[str] = mapped_column(String(150), nullable=False, default="")
    email: Mapped[str] = mapped_column(String(320), nullable=False, default="")
    telephone: Mapped[str] = mapped_column(String(20), nullable=False, default="")

    participation: Mapped[Participation] = relationship(back_populates="contacts")

    __table_args__ = (
        UniqueConstraint("participation_id", "role", name="uq_participation_contact_role"),
        CheckConstraint("role IN ('politique', 'technique', 'structure')", name="ck_participation_contact_role"),
    )

    @property
    def role_label(self) -> str:
        return ROLES_CONTACT.get(self.role, self.role)

    @property
    def nom_complet(self) -> str:
        return f"{self.prenom} {self.nom}".strip()


class ParticipationMembre(db.Model):
    """A collectivité of a porter's perimeter, with its optional contact."""

    __tablename__ = "participation_membre"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participation_id: Mapped[int] = mapped_column(ForeignKey("participation.id", ondelete="CASCADE"),
                                                  nullable=False, index=True)
    type: Mapped[str] = mapped_column(String(15), nullable=False)
    code: Mapped[str] = mapped_column(String(9), nullable=False)
    nom: Mapped[str] = mapped_column(String(255), nullable=False)
    hors_territoire: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    contact_prenom: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    contact_nom: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    contact_fonction: Mapped[str] = mapped_column(String(150), nullable=False, default="")
    contact_email: Mapped[str] = mapped_column(String(320), nullable=False, default="")

    participation: Mapped[Participation] = relationship(back_populates="membres")

    __table_args__ = (
        UniqueConstraint("participation_id", "type", "code", name="uq_participation_membre"),
        Index("ix_participation_membre_collectivite", "type", "code"),
    )

    @property
    def type_label(self) -> str:
        return TYPES_COLLECTIVITE.get(self.type, self.type)

    @property
    def contact_nom_complet(self) -> str:
        return f"{self.contact_prenom} {self.contact_nom}".strip()


class ParticipationPartenaire(db.Model):
    """A structure a porter suggests as partner, with its contact."""

    __tablename__ = "participation_partenaire"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participation_id: Mapped[int] = mapped_column(ForeignKey("participation.id", ondelete="CASCADE"),
                                                  nullable=False, index=True)
    nom: Mapped[str] = mapped_column(String(255), nullable=False)
    siret: Mapped[str | None] = mapped_column(String(14))
    contact_prenom: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    contact_nom: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    contact_fonction: Mapped[str] = mapped_column(String(150), nullable=False, default="")
    contact_email: Mapped[str] = mapped_column(String(320), nullable=False, default="")

    participation: Mapped[Participation] = relationship(back_populates="partenaires")

    @property
    def contact_nom_complet(self) -> str:
        return f"{self.contact_prenom} {self.contact_nom}".strip()


class ParticipationDigest(db.Model):
    """One daily email to the préfets of a département listing the forms sent since the last one."""

    __tablename__ = "participation_digest"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    departement_code: Mapped[str] = mapped_column(ForeignKey("departement.code"), nullable=False, index=True)
    destinataires: Mapped[str] = mapped_column(String(2000), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class ParticipationDigestLigne(db.Model):
    """A form listed in a digest: once per département, ever (the unique constraint guarantees it)."""

    __tablename__ = "participation_digest_ligne"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("participation_digest.id"), nullable=False, index=True)
    participation_id: Mapped[int] = mapped_column(ForeignKey("participation.id"), nullable=False, index=True)
    departement_code: Mapped[str] = mapped_column(String(3), nullable=False)

    __table_args__ = (
        UniqueConstraint("participation_id", "departement_code", name="uq_participation_digest_ligne"),
    )


# --- Gouvernances pressenties ---------------------------------------------------------------------

PERIMETRES = {
    "epci": "EPCI ou groupement de communes",
    "departemental": "Départemental",
    "regional": "Régional",
    "autre": "Autre",
}


class GouvernancePressentie(db.Model):
    """A foreseen governance reported by a préfecture (several per département).

    The answers live in the form engine (definition ``gouvernance-pressentie``): each deposit or
    edit is one submitted ``Soumission`` pinned to its ``FormVersion``; `soumission_id` is the
    current one. The columns below are copies of those answers, for lists, filters and the API.
    Deleting is soft (`supprimee_le`).
    """

    __tablename__ = "gouvernance_pressentie"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    departement_code: Mapped[str] = mapped_column(ForeignKey("departement.code"), nullable=False, index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), nullable=False, index=True)
    perimetre: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    porteur_type: Mapped[str | None] = mapped_column(String(15))
    porteur_code: Mapped[str | None] = mapped_column(String(9))
    porteur_nom: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    porteur_siret: Mapped[str | None] = mapped_column(String(14))
    sirets_recruteurs: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    note_contexte: Mapped[str] = mapped_column(Text, nullable=False, default="")
    soumission_id: Mapped[int | None] = mapped_column(ForeignKey("formulaire_soumission.id"), index=True)
    cree_le: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    cree_par_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    cree_par_nom: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    modifie_le: Mapped[datetime | None] = mapped_column(UTCDateTime)
    modifie_par_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    modifie_par_nom: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    supprimee_le: Mapped[datetime | None] = mapped_column(UTCDateTime)
    supprimee_par_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))

    departement: Mapped[Departement] = relationship(lazy="joined", foreign_keys=[departement_code])

    __table_args__ = (
        Index("ix_gouvernance_pressentie_dep_actives", "departement_code", "supprimee_le"),
    )

    @property
    def perimetre_label(self) -> str:
        return PERIMETRES.get(self.perimetre, self.perimetre)

    @property
    def porteur_label(self) -> str:
        if self.porteur_type:
            return self.porteur_nom
        if self.porteur_siret:
            return f"{self.porteur_nom or 'Autre acteur'} (SIRET {self.porteur_siret})".strip()
        return self.porteur_nom

    def __str__(self) -> str:
        return f"Gouvernance pressentie n° {self.id} — {self.departement}"


# --- AMI Hubs ---------------------------------------------------------------------------------------

hub_region = Table(
    "hub_region",
    db.Model.metadata,
    Column("hub_id", ForeignKey("hub.id", ondelete="CASCADE"), primary_key=True),
    Column("region_code", ForeignKey("region.code"), primary_key=True),
)


class Hub(db.Model):
    """A laureate (or candidate) of the AMI Hubs, covering one or more régions."""

    __tablename__ = "hub"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nom: Mapped[str] = mapped_column(String(255), nullable=False)
    siret: Mapped[str | None] = mapped_column(String(14), unique=True)
    laureat: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    date_notification: Mapped[date | None] = mapped_column(Date)
    subvention_annuelle: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    postes_coordinateur_regional: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    regions: Mapped[list[Region]] = relationship(secondary=hub_region, order_by=Region.nom, lazy="selectin")
    utilisateurs: Mapped[list[Utilisateur]] = relationship(
        Utilisateur, primaryjoin=lambda: Hub.id == foreign(Utilisateur.hub_id), order_by=lambda: Utilisateur.username)

    __table_args__ = (
        CheckConstraint("subvention_annuelle IS NULL OR (subvention_annuelle >= 0 AND subvention_annuelle <= 40000)",
                        name="ck_hub_subvention"),
        CheckConstraint("postes_coordinateur_regional >= 0", name="ck_hub_postes"),
    )

    @property
    def regions_label(self) -> str:
        return ", ".join(r.nom for r in self.regions)

    def __str__(self) -> str:
        return self.nom


# --- Lieux de médiation numérique -------------------------------------------------------------------


class LieuMediation(db.Model):
    """A place of the national map of digital mediation places (data-inclusion schema), imported."""

    __tablename__ = "lieu_mediation"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # the source's id
    nom: Mapped[str] = mapped_column(String(255), nullable=False)
    siret: Mapped[str | None] = mapped_column(String(14))
    adresse: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    code_postal: Mapped[str] = mapped_column(String(5), nullable=False, default="")
    code_insee: Mapped[str | None] = mapped_column(String(5))
    commune: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    departement_code: Mapped[str | None] = mapped_column(String(3), index=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    services: Mapped[str] = mapped_column(Text, nullable=False, default="")
    labels: Mapped[str] = mapped_column(Text, nullable=False, default="")
    france_services: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    aidants_connect: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    source: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    date_maj: Mapped[date | None] = mapped_column(Date)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("lieu_import.id"))


class LieuImport(db.Model):
    """One run of `flask --app app lieux import FILE`: the dashboard shows its date as the source date."""

    __tablename__ = "lieu_import"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fichier: Mapped[str] = mapped_column(String(255), nullable=False)
    lignes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    importes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rejetes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


# --- Territorial scope --------------------------------------------------------------------------------

def participation_clause(scope):
    """Forms concerning the scope's départements / régions (see the module docstring)."""
    if scope.national:
        return true()
    p = Participation
    conditions = []
    if scope.departements:
        deps = sorted(scope.departements)
        conditions += [
            p.departement_code.in_(deps),  # a département, a commune or a structure located there
            and_(p.collectivite_type == "region",
                 p.region_code.in_(select(Departement.region_code).where(Departement.code.in_(deps)))),
            and_(p.collectivite_type == "epci",
                 p.collectivite_code.in_(select(Commune.epci_code).where(Commune.departement_code.in_(deps)))),
        ]
    if scope.regions:
        regions = sorted(scope.regions)
        conditions += [
            p.region_code.in_(regions),
            and_(p.collectivite_type == "epci",
                 p.collectivite_code.in_(select(Commune.epci_code).where(Commune.region_code.in_(regions)))),
        ]
    return or_(*conditions) if conditions else false()


def gouvernance_clause(scope):
    if scope.national:
        return true()
    g = GouvernancePressentie
    conditions = []
    if scope.departements:
        conditions.append(g.departement_code.in_(sorted(scope.departements)))
    if scope.regions:
        conditions.append(g.region_code.in_(sorted(scope.regions)))
    return or_(*conditions) if conditions else false()


def _gouvernance_write_allowed(obj, scope) -> bool:
    from app.security.scope import in_scope

    if not scope.includes_territory(obj.region_code, obj.departement_code):
        return False
    return obj.id is None or in_scope(obj, scope)  # the row as stored must be in scope too


def _participation_write_allowed(obj, scope) -> bool:
    # A participation form is written by its actor through its secret link (the link is the
    # credential, whoever is signed in): territory plays no part in who may write it.
    return True


def _register_scope() -> None:
    from app.security import scope

    scope.register_read_rule(Participation, participation_clause)
    scope.register_read_rule(GouvernancePressentie, gouvernance_clause)
    scope.register_write_rule(Participation, _participation_write_allowed)
    scope.register_write_rule(GouvernancePressentie, _gouvernance_write_allowed)


_register_scope()
