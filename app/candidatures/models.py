"""Coordinator requests (AAC coordinateur), their append-only history, préfet digests, contract documents.

States of a request (``Candidature.statut``):

    brouillon --(motivation form submitted)--> nouvelle --(ANCT)--> validee | refusee

The préfet's avis is a separate fact (author, time, comment) given once while the request is new.
After validation the funded post (``Candidature.poste``) is ``vacant`` → ``en_recrutement`` (a
contract waits for the Banque des Territoires) → ``occupe``, or ``rendu`` (given back).
"""

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    event,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.structures import Conseiller, Contrat, Structure
from app.models.utilisateurs import Utilisateur
from app.security.scope import register_read_rule, via_structure

STATUTS_CANDIDATURE = {
    "brouillon": "Formulaire de motivation à compléter",
    "nouvelle": "Nouvelle",
    "validee": "Validée",
    "refusee": "Non retenue",
}
STATUTS_OUVERTS = ("brouillon", "nouvelle")

AVIS = {"favorable": "Favorable", "defavorable": "Défavorable"}

DECISIONS = {"validee": "Valider", "refusee": "Refuser"}

POSTES = {
    "vacant": "À pourvoir",
    "en_recrutement": "Recrutement en cours (contrat en attente de la Banque des Territoires)",
    "occupe": "Occupé",
    "rendu": "Rendu",
}

ORIGINES = {
    "publique": "Candidature sur le site vitrine",
    "tableau_de_pilotage": "Tableau de pilotage de la structure",
}

EVENEMENTS = {
    "creation": "Candidature déposée",
    "motivation": "Formulaire de motivation transmis",
    "avis": "Avis du préfet",
    "decision": "Décision de l'ANCT",
    "role_attribue": "Rôle de coordinateur attribué",
    "recrutement": "Contrat transmis à la Banque des Territoires",
    "contrat_valide": "Contrat validé par la Banque des Territoires",
    "contrat_renvoye": "Contrat renvoyé par la Banque des Territoires",
    "poste_rendu": "Poste rendu",
}

COMMENTAIRE_AVIS_MAX = 250
COMMENTAIRE_DECISION_MAX = 1000
MOTIF_RENVOI_MAX = 500


class DigestPrefet(db.Model):
    """One daily email to the préfets of a département; each request is included in one digest only."""

    __tablename__ = "candidature_digest"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    departement_code: Mapped[str] = mapped_column(ForeignKey("departement.code"), nullable=False, index=True)
    destinataires: Mapped[str] = mapped_column(String(2000), nullable=False, default="")
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Candidature(db.Model):
    __tablename__ = "candidature"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structure.id"), nullable=False, index=True)
    statut: Mapped[str] = mapped_column(String(20), nullable=False, default="brouillon")
    origine: Mapped[str] = mapped_column(String(30), nullable=False, default="tableau_de_pilotage")
    date_candidature = mapped_column(UTCDateTime)

    avis: Mapped[str | None] = mapped_column(String(20))
    avis_commentaire: Mapped[str | None] = mapped_column(String(COMMENTAIRE_AVIS_MAX))
    avis_par_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    avis_le = mapped_column(UTCDateTime)

    decision_commentaire: Mapped[str] = mapped_column(String(COMMENTAIRE_DECISION_MAX), nullable=False, default="")
    decision_par_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    decision_le = mapped_column(UTCDateTime)
    decision_vue_le = mapped_column(UTCDateTime)  # the structure closed the banner announcing the decision

    poste: Mapped[str | None] = mapped_column(String(20))
    coordinateur_id: Mapped[int | None] = mapped_column(ForeignKey("conseiller.id"))
    contrat_id: Mapped[int | None] = mapped_column(ForeignKey("contrat.id"))
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("candidature_digest.id"), index=True)

    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    structure: Mapped[Structure] = relationship(lazy="select")
    avis_par: Mapped[Utilisateur | None] = relationship(Utilisateur, foreign_keys=[avis_par_id], lazy="select")
    decision_par: Mapped[Utilisateur | None] = relationship(Utilisateur, foreign_keys=[decision_par_id],
                                                             lazy="select")
    coordinateur: Mapped[Conseiller | None] = relationship(foreign_keys=[coordinateur_id], lazy="select")
    contrat: Mapped[Contrat | None] = relationship(foreign_keys=[contrat_id], lazy="select")
    transitions: Mapped[list["CandidatureTransition"]] = relationship(
        back_populates="candidature", order_by="(CandidatureTransition.created_at, CandidatureTransition.id)",
        lazy="select", viewonly=True,
    )

    __table_args__ = (
        # One open request per structure at a time, enforced by the database itself.
        Index("uq_candidature_ouverte", "structure_id", unique=True,
              sqlite_where=text("statut IN ('brouillon', 'nouvelle')"),
              postgresql_where=text("statut IN ('brouillon', 'nouvelle')")),
        Index("ix_candidature_statut_date", "statut", "date_candidature"),
        Index("ix_candidature_date", "date_candidature", "id"),  # the list's order, newest first
        CheckConstraint("statut IN ('brouillon', 'nouvelle', 'validee', 'refusee')", name="ck_candidature_statut"),
        CheckConstraint("avis IS NULL OR avis IN ('favorable', 'defavorable')", name="ck_candidature_avis"),
        CheckConstraint("poste IS NULL OR poste IN ('vacant', 'en_recrutement', 'occupe', 'rendu')",
                        name="ck_candidature_poste"),
        CheckConstraint("poste IS NULL OR statut = 'validee'", name="ck_candidature_poste_validee"),
    )

    @property
    def statut_label(self) -> str:
        return STATUTS_CANDIDATURE.get(self.statut, self.statut)

    @property
    def avis_label(self) -> str:
        return AVIS.get(self.avis, "Sans avis") if self.avis else "Sans avis"

    @property
    def poste_label(self) -> str:
        return POSTES.get(self.poste, "") if self.poste else ""

    @property
    def origine_label(self) -> str:
        return ORIGINES.get(self.origine, self.origine)

    def __str__(self) -> str:
        return f"Candidature n° {self.id}"


class CandidatureTransition(db.Model):
    """Append-only history of a request: who, when, from which state to which, with what comment."""

    __tablename__ = "candidature_transition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidature_id: Mapped[int] = mapped_column(ForeignKey("candidature.id"), nullable=False, index=True)
    # Copied from the request so the history is scoped like everything attached to a structure.
    structure_id: Mapped[int] = mapped_column(ForeignKey("structure.id"), nullable=False, index=True)
    evenement: Mapped[str] = mapped_column(String(30), nullable=False)
    de: Mapped[str | None] = mapped_column(String(20))
    vers: Mapped[str] = mapped_column(String(20), nullable=False)
    auteur_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    auteur_nom: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    commentaire: Mapped[str] = mapped_column(String(1000), nullable=False, default="")
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    candidature: Mapped[Candidature] = relationship(back_populates="transitions", lazy="select")

    @property
    def evenement_label(self) -> str:
        return EVENEMENTS.get(self.evenement, self.evenement)

    @property
    def de_label(self) -> str:
        return STATUTS_CANDIDATURE.get(self.de, "") if self.de else ""

    @property
    def vers_label(self) -> str:
        return STATUTS_CANDIDATURE.get(self.vers, self.vers)


class ContratDocument(db.Model):
    """A contract document (PDF) uploaded at recruitment, stored outside the web root under a random name."""

    __tablename__ = "contrat_document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contrat_id: Mapped[int] = mapped_column(ForeignKey("contrat.id"), nullable=False, index=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structure.id"), nullable=False, index=True)
    nom_original: Mapped[str] = mapped_column(String(255), nullable=False)
    fichier: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    taille: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    depose_par_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    contrat: Mapped[Contrat] = relationship(lazy="select")


register_read_rule(Candidature, via_structure(Candidature.structure_id))
register_read_rule(CandidatureTransition, via_structure(CandidatureTransition.structure_id))
register_read_rule(ContratDocument, via_structure(ContratDocument.structure_id))


class HistoriqueModifie(Exception):
    """The history of a request is append-only."""


def _history_is_append_only(session: Session, flush_context, instances) -> None:
    for obj in session.dirty:
        if isinstance(obj, CandidatureTransition) and session.is_modified(obj, include_collections=False):
            raise HistoriqueModifie("L'historique d'une candidature ne peut pas être modifié.")
    for obj in session.deleted:
        if isinstance(obj, CandidatureTransition):
            raise HistoriqueModifie("L'historique d'une candidature ne peut pas être supprimé.")


if not event.contains(Session, "before_flush", _history_is_append_only):
    event.listen(Session, "before_flush", _history_is_append_only)
