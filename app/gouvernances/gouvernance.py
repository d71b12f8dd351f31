"""The préfet's « Gouvernance » page: counters, actors with their badges, contacts (page and CSV).

Everything reads the sent participation forms that concern the territory (``participation_clause``:
the département itself, its région, an EPCI with a commune in it, a commune or a structure in it).
Constant number of queries whatever the number of forms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select

from app.extensions import db
from app.gouvernances.models import (
    PERSONAS,
    TYPES_COLLECTIVITE,
    Participation,
    ParticipationMembre,
    ParticipationPartenaire,
    participation_clause,
)
from app.templating import date_fr

BADGES = {"porteur": "Porteur", "participant": "Souhaite participer", "suggere": "Partenaire suggéré"}


@dataclass
class Compteurs:
    porteurs: int = 0
    suggeres_collectivites: int = 0
    suggeres_structures: int = 0
    participants_collectivites: int = 0
    participants_structures: int = 0


def _envoyes(scope):
    return select(Participation.id).where(Participation.statut == "envoye", participation_clause(scope))


def compteurs(scope) -> Compteurs:
    """Porteurs (collectivités); partenaires suggérés (collectivités, structures); souhaitent participer
    (collectivités, structures). Three queries."""
    result = Compteurs()
    est_structure = case((Participation.persona == "structure", 1), else_=0)
    rows = db.session.execute(
        select(Participation.intention, est_structure, func.count())
        .where(Participation.statut == "envoye", participation_clause(scope))
        .group_by(Participation.intention, est_structure)).all()
    for intention, structure, nombre in rows:
        if intention == "porter":
            result.porteurs += nombre
        elif structure:
            result.participants_structures += nombre
        else:
            result.participants_collectivites += nombre
    porteurs = _envoyes(scope).where(Participation.intention == "porter")
    result.suggeres_collectivites = db.session.scalar(
        select(func.count(func.distinct(ParticipationMembre.type + ":" + ParticipationMembre.code)))
        .where(ParticipationMembre.participation_id.in_(porteurs))) or 0
    cle_structure = func.coalesce(ParticipationPartenaire.siret, func.lower(ParticipationPartenaire.nom))
    result.suggeres_structures = db.session.scalar(
        select(func.count(func.distinct(cle_structure)))
        .where(ParticipationPartenaire.participation_id.in_(porteurs))) or 0
    return result


@dataclass
class Acteur:
    cle: str
    nom: str
    typologie: str
    code: str = ""
    siret: str = ""
    badges: list[str] = field(default_factory=list)
    porteurs: list[str] = field(default_factory=list)  # who suggested it
    participation_ids: list[int] = field(default_factory=list)
    hors_territoire: bool = False
    date: datetime | None = None

    def badge(self, nom: str) -> None:
        if nom not in self.badges:
            self.badges.append(nom)

    @property
    def badges_labels(self) -> list[tuple[str, str]]:
        return [(b, BADGES[b]) for b in ("porteur", "participant", "suggere") if b in self.badges]


def _formulaires(scope) -> list[Participation]:
    # contacts / membres / partenaires are selectin-loaded: one query each, whatever the count.
    return list(db.session.scalars(
        select(Participation).where(Participation.statut == "envoye", participation_clause(scope))
        .order_by(Participation.envoye_le, Participation.id)))


def _cle_participation(p: Participation) -> str:
    if p.est_structure:
        return f"structure:{p.structure_siret or p.structure_nom.lower()}"
    return f"{p.collectivite_type}:{p.collectivite_code}"


def acteurs(scope, formulaires: list[Participation] | None = None) -> list[Acteur]:
    """Every actor of the territory's forms, once, with its badges: porteur / souhaite participer /
    partenaire suggéré (by which porteurs)."""
    formulaires = _formulaires(scope) if formulaires is None else formulaires
    par_cle: dict[str, Acteur] = {}

    def acteur(cle: str, **values) -> Acteur:
        if cle not in par_cle:
            par_cle[cle] = Acteur(cle=cle, **values)
        return par_cle[cle]

    for p in formulaires:
        a = acteur(_cle_participation(p), nom=p.nom_acteur, typologie=p.persona_label,
                   code="" if p.est_structure else p.collectivite_code or "", siret=p.structure_siret or "",
                   date=p.envoye_le)
        a.badge("porteur" if p.intention == "porter" else "participant")
        a.participation_ids.append(p.id)
    for p in formulaires:
        if p.intention != "porter":
            continue
        for m in p.membres:
            a = acteur(f"{m.type}:{m.code}", nom=m.nom, typologie=TYPES_COLLECTIVITE.get(m.type, m.type), code=m.code,
                       date=p.envoye_le, hors_territoire=m.hors_territoire)
            a.badge("suggere")
            if p.nom_acteur not in a.porteurs:
                a.porteurs.append(p.nom_acteur)
        for s in p.partenaires:
            a = acteur(f"structure:{s.siret or s.nom.lower()}", nom=s.nom, typologie="Structure", siret=s.siret or "",
                       date=p.envoye_le)
            a.badge("suggere")
            if p.nom_acteur not in a.porteurs:
                a.porteurs.append(p.nom_acteur)
    return sorted(par_cle.values(), key=lambda a: (0 if "porteur" in a.badges else 1 if "participant" in a.badges
                                                   else 2, a.nom.lower()))


CSV_COLONNES = ["Date de dépôt", "Collectivité / structure", "Typologie", "Intention", "Porteur", "Contact",
                "Fonction", "Type de contact", "Email", "SIRET", "Code INSEE"]


def lignes_contacts(scope, formulaires: list[Participation] | None = None) -> list[list]:
    """The contacts of the territory's forms, one row each, in the CSV's columns (DOMAIN.md §4)."""
    formulaires = _formulaires(scope) if formulaires is None else formulaires
    lignes = []
    for p in formulaires:
        intention = "Porteur" if p.intention == "porter" else "Souhaite participer"
        porteur = p.nom_acteur if p.intention == "porter" else ""
        for c in p.contacts:
            lignes.append([date_fr(p.envoye_le), p.nom_acteur, PERSONAS.get(p.persona, p.persona), intention, porteur,
                           c.nom_complet, c.fonction, c.role_label, c.email, p.structure_siret or "",
                           "" if p.est_structure else p.collectivite_code or ""])
    for p in formulaires:
        if p.intention != "porter":
            continue
        for m in p.membres:
            if m.contact_email:
                lignes.append([date_fr(p.envoye_le), m.nom, TYPES_COLLECTIVITE.get(m.type, m.type),
                               "Partenaire suggéré" + (" (hors territoire)" if m.hors_territoire else ""), p.nom_acteur,
                               m.contact_nom_complet, m.contact_fonction, "Contact de la collectivité",
                               m.contact_email, "", m.code])
        for s in p.partenaires:
            lignes.append([date_fr(p.envoye_le), s.nom, "Structure", "Partenaire suggéré", p.nom_acteur,
                           s.contact_nom_complet, s.contact_fonction, "Contact de la structure partenaire",
                           s.contact_email, s.siret or "", ""])
    return lignes
