"""ANCT-managed content, headless-CMS style: pages, documents (with versions), FAQ entries, news.

Every item has a state (brouillon / publié), a publication date and its audiences (préfet, structure,
conseiller, public — several allowed, stored as a bit mask). An item shows to a reader only when it is
published, its publication date is reached and one of its audiences is the reader's: `visible()` is the
one SQL clause every page and API uses (`app.contenus.audience`).
"""

from datetime import datetime

from flask import url_for
from markupsafe import Markup, escape
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

STATUTS = {"brouillon": "Brouillon", "publie": "Publié"}

AUDIENCES = {"prefet": "Préfectures", "structure": "Structures", "conseiller": "Conseillers numériques",
             "public": "Public (tout le monde)"}
AUDIENCE_BITS = {code: 1 << i for i, code in enumerate(AUDIENCES)}
TOUTES_AUDIENCES = sum(AUDIENCE_BITS.values())

CATEGORIES_DOCUMENT = {
    "contrat_type": "Contrat type",
    "kit_communication": "Kit de communication",
    "circulaire": "Circulaire",
    "guide": "Guide et mode d'emploi",
    "autre": "Autre document",
}

THEMES_FAQ = {
    "tableau_de_pilotage": "Tableau de pilotage",
    "aac_coordinateur": "Appel à candidatures coordinateur",
    "fne": "France Numérique Ensemble",
    "conseillers": "Conseillers numériques et contrats",
    "statistiques": "Statistiques d'accompagnement",
    "formation": "Formation et certifications",
}

RUBRIQUES_PAGE = {
    "coordination": "Coordination territoriale",
    "formation": "Formation / Certification",
    "dispositif": "Le dispositif",
}


class _Publiable:
    """Columns and helpers shared by the four content types."""

    statut: Mapped[str] = mapped_column(String(10), nullable=False, default="brouillon")
    audiences_mask: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    publie_le: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    @property
    def audiences(self) -> list[str]:
        return [code for code, bit in AUDIENCE_BITS.items() if (self.audiences_mask or 0) & bit]

    @audiences.setter
    def audiences(self, codes) -> None:
        self.audiences_mask = sum(AUDIENCE_BITS[c] for c in set(codes or []) if c in AUDIENCE_BITS)

    @property
    def audiences_label(self) -> str:
        return ", ".join(AUDIENCES[c] for c in self.audiences) or "Aucune"

    @property
    def statut_label(self) -> str:
        return STATUTS.get(self.statut, self.statut)


class Page(_Publiable, db.Model):
    __tablename__ = "contenu_page"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    titre: Mapped[str] = mapped_column(String(200), nullable=False)
    rubrique: Mapped[str] = mapped_column(String(30), nullable=False, default="dispositif")
    resume: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    corps: Mapped[str] = mapped_column(Text, nullable=False, default="")  # HTML sanitised on save
    ordre: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    __table_args__ = (
        CheckConstraint("statut IN ('brouillon', 'publie')", name="ck_contenu_page_statut"),
        Index("ix_contenu_page_publication", "statut", "publie_le"),
    )

    @property
    def rubrique_label(self) -> str:
        return RUBRIQUES_PAGE.get(self.rubrique, self.rubrique)

    def __str__(self) -> str:
        return self.titre


class Document(_Publiable, db.Model):
    __tablename__ = "contenu_document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    titre: Mapped[str] = mapped_column(String(200), nullable=False)
    categorie: Mapped[str] = mapped_column(String(30), nullable=False, default="autre")
    description: Mapped[str] = mapped_column(String(1000), nullable=False, default="")

    versions: Mapped[list["DocumentVersion"]] = relationship(
        back_populates="document", order_by="DocumentVersion.numero.desc()", lazy="selectin",
        cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint("statut IN ('brouillon', 'publie')", name="ck_contenu_document_statut"),
        Index("ix_contenu_document_publication", "statut", "publie_le"),
    )

    @property
    def version_courante(self) -> "DocumentVersion | None":
        return self.versions[0] if self.versions else None

    @property
    def categorie_label(self) -> str:
        return CATEGORIES_DOCUMENT.get(self.categorie, self.categorie)

    @property
    def fichier(self) -> dict | None:
        """The current file, as the API shows it (the download URL serves only allowed readers)."""
        version = self.version_courante
        if version is None:
            return None
        return {"nom": version.nom_original, "type": version.type_mime, "taille": version.taille,
                "version": version.numero, "sha256": version.sha256,
                "url": url_for("ContenusView.fichier", pk=self.id, _external=True)}

    def __str__(self) -> str:
        return self.titre


class DocumentVersion(db.Model):
    """One uploaded file of a document; earlier versions are kept (ANCT can still download them)."""

    __tablename__ = "contenu_document_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("contenu_document.id", ondelete="CASCADE"),
                                             nullable=False, index=True)
    numero: Mapped[int] = mapped_column(Integer, nullable=False)
    nom_original: Mapped[str] = mapped_column(String(255), nullable=False)
    fichier: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)  # random name under UPLOAD_DIR
    type_mime: Mapped[str] = mapped_column(String(120), nullable=False)
    taille: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    depose_par_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    document: Mapped[Document] = relationship(back_populates="versions", lazy="select")

    __table_args__ = (UniqueConstraint("document_id", "numero", name="uq_contenu_document_version"),)

    @property
    def taille_label(self) -> str:
        if self.taille < 1024:
            return f"{self.taille} o"
        if self.taille < 1024 * 1024:
            return f"{self.taille / 1024:.0f} Ko"
        return f"{self.taille / 1024 / 1024:.1f} Mo".replace(".", ",")

    @property
    def telechargement(self) -> Markup:
        url = url_for("ContenusView.version", pk=self.document_id, numero=self.numero)
        return Markup(f'<a href="{escape(url)}">Version {self.numero}</a>')

    @property
    def format_label(self) -> str:
        return self.nom_original.rsplit(".", 1)[-1].upper() if "." in self.nom_original else ""

    def __str__(self) -> str:
        return f"Version {self.numero} — {self.nom_original}"


class FaqEntree(_Publiable, db.Model):
    __tablename__ = "contenu_faq"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    theme: Mapped[str] = mapped_column(String(30), nullable=False)
    question: Mapped[str] = mapped_column(String(300), nullable=False)
    reponse: Mapped[str] = mapped_column(Text, nullable=False, default="")  # HTML sanitised on save
    ordre: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    __table_args__ = (
        CheckConstraint("statut IN ('brouillon', 'publie')", name="ck_contenu_faq_statut"),
        Index("ix_contenu_faq_publication", "statut", "publie_le"),
    )

    @property
    def theme_label(self) -> str:
        return THEMES_FAQ.get(self.theme, self.theme)

    def __str__(self) -> str:
        return self.question


class Actualite(_Publiable, db.Model):
    __tablename__ = "contenu_actualite"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    titre: Mapped[str] = mapped_column(String(200), nullable=False)
    resume: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    corps: Mapped[str] = mapped_column(Text, nullable=False, default="")  # HTML sanitised on save

    __table_args__ = (
        CheckConstraint("statut IN ('brouillon', 'publie')", name="ck_contenu_actualite_statut"),
        Index("ix_contenu_actualite_publication", "statut", "publie_le"),
    )

    def __str__(self) -> str:
        return self.titre
