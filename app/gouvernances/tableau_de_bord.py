"""The « Tableau de bord » of a département (or national): figures aggregated in SQL.

Each figure carries its source and its date. The number of queries is constant (one per block),
whatever the number of rows. Coordinator requests come from `app.candidatures`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select

from app.candidatures.models import AVIS, STATUTS_CANDIDATURE, Candidature
from app.extensions import db
from app.gouvernances.models import PERSONAS, GouvernancePressentie, LieuImport, LieuMediation, Participation
from app.models.base import utcnow
from app.models.structures import STATUTS_STRUCTURE, TYPES_STRUCTURE, Conseiller, Structure
from app.models.territoires import Commune, TerritoiresVersion

SOURCE_PILOTAGE = "Tableau de pilotage France Numérique Ensemble (dispositif Conseiller numérique)"
SOURCE_TERRITOIRES = "INSEE — découpage administratif et populations légales (@etalab/decoupage-administratif)"
SOURCE_LIEUX = "Cartographie nationale des lieux d'inclusion numérique (schéma data.inclusion)"
SOURCE_GOUVERNANCES = "Espace France Numérique Ensemble (formulaires de participation, gouvernances pressenties)"


@dataclass
class Chiffre:
    libelle: str
    valeur: int | None
    source: str
    date: datetime | None
    id: str = ""
    date_libelle: str = "calculé le"  # how the date reads: computed now, or the import of the source file


@dataclass
class Serie:
    """A breakdown drawn as a chart, and always given as a table."""

    id: str
    titre: str
    colonne: str
    lignes: list[tuple[str, int]]
    source: str
    date: datetime | None
    detail: list[tuple[str, list[int]]] = field(default_factory=list)  # extra columns (e.g. by avis)
    colonnes_detail: list[str] = field(default_factory=list)
    date_libelle: str = "calculé le"

    @property
    def total(self) -> int:
        return sum(n for _, n in self.lignes)


@dataclass
class TableauDeBord:
    titre: str
    departement_code: str | None
    chiffres: list[Chiffre] = field(default_factory=list)
    series: list[Serie] = field(default_factory=list)


def construire(departement_code: str | None, titre: str) -> TableauDeBord:
    """The dashboard of one département (None: national)."""
    from app.security.scope import NATIONAL, Scope

    maintenant = utcnow()
    tdb = TableauDeBord(titre=titre, departement_code=departement_code)
    dep = departement_code

    def dans_dep(colonne):
        return [colonne == dep] if dep else []

    # 1. Conseillers numériques and coordinateurs in post (through their structure).
    actifs, coordinateurs = db.session.execute(
        select(func.count(), func.coalesce(func.sum(case((Conseiller.est_coordinateur.is_(True), 1), else_=0)), 0))
        .select_from(Conseiller).join(Structure, Structure.id == Conseiller.structure_id)
        .where(Conseiller.statut == "actif", *dans_dep(Structure.departement_code))).one()
    tdb.chiffres += [
        Chiffre("Conseillers numériques en poste", actifs, SOURCE_PILOTAGE, maintenant, "conseillers"),
        Chiffre("dont coordinateurs", coordinateurs, SOURCE_PILOTAGE, maintenant, "coordinateurs"),
    ]

    # 2. Structures by type and by statut (one GROUP BY).
    par_type: dict[str, int] = {}
    par_statut: dict[str, int] = {}
    for type_, statut, nombre in db.session.execute(
            select(Structure.type, Structure.statut, func.count()).where(*dans_dep(Structure.departement_code))
            .group_by(Structure.type, Structure.statut)):
        par_type[type_] = par_type.get(type_, 0) + nombre
        par_statut[statut] = par_statut.get(statut, 0) + nombre
    tdb.chiffres.append(Chiffre("Structures", sum(par_type.values()), SOURCE_PILOTAGE, maintenant, "structures"))
    tdb.series.append(Serie("structures-type", "Structures par type", "Type de structure",
                            [(TYPES_STRUCTURE.get(t, t), n) for t, n in sorted(par_type.items(), key=lambda x: -x[1])],
                            SOURCE_PILOTAGE, maintenant))
    tdb.series.append(Serie("structures-statut", "Structures par statut", "Statut",
                            [(STATUTS_STRUCTURE.get(s, s), n) for s, n in sorted(par_statut.items(), key=lambda x: -x[1])],
                            SOURCE_PILOTAGE, maintenant))

    # 3. Coordinator requests by state and avis.
    comptes: dict[str, dict[str, int]] = {}
    for statut, a, nombre in db.session.execute(
            select(Candidature.statut, Candidature.avis, func.count())
            .join(Structure, Structure.id == Candidature.structure_id)
            .where(*dans_dep(Structure.departement_code)).group_by(Candidature.statut, Candidature.avis)):
        comptes.setdefault(statut, {})[a or "sans"] = nombre
    statuts, colonnes_avis = STATUTS_CANDIDATURE, ["sans", *AVIS.keys()]
    tdb.series.append(Serie(
        "candidatures", "Demandes de coordinateur par état et par avis du préfet", "État de la demande",
        [(statuts.get(s, s), sum(comptes.get(s, {}).values())) for s in statuts if s in comptes],
        SOURCE_PILOTAGE, maintenant,
        detail=[(statuts.get(s, s), [comptes[s].get(a, 0) for a in colonnes_avis]) for s in statuts if s in comptes],
        colonnes_detail=["Sans avis", *[f"Avis {v.lower()}" for v in AVIS.values()]]))

    # 4. Gouvernances pressenties and participation forms (sent) concerning the territory.
    scope = Scope(departements=frozenset({dep})) if dep else NATIONAL
    from app.gouvernances.models import gouvernance_clause, participation_clause

    pressenties = db.session.scalar(select(func.count()).select_from(GouvernancePressentie).where(
        GouvernancePressentie.supprimee_le.is_(None), gouvernance_clause(scope)))
    tdb.chiffres.append(Chiffre("Gouvernances pressenties remontées", pressenties, SOURCE_GOUVERNANCES, maintenant,
                                "gouvernances"))
    formulaires: dict[tuple[str, str], int] = {}
    for persona, intention, nombre in db.session.execute(
            select(Participation.persona, Participation.intention, func.count())
            .where(Participation.statut == "envoye", participation_clause(scope))
            .group_by(Participation.persona, Participation.intention)):
        formulaires[(persona, intention)] = nombre
    tdb.chiffres.append(Chiffre("Formulaires de participation reçus", sum(formulaires.values()), SOURCE_GOUVERNANCES,
                                maintenant, "participations"))
    tdb.series.append(Serie(
        "participations", "Formulaires de participation par type d'acteur", "Type d'acteur",
        [(PERSONAS[p], sum(n for (pp, _), n in formulaires.items() if pp == p)) for p in PERSONAS
         if any(pp == p for pp, _ in formulaires)],
        SOURCE_GOUVERNANCES, maintenant,
        detail=[(PERSONAS[p], [formulaires.get((p, "porter"), 0), formulaires.get((p, "participer"), 0)])
                for p in PERSONAS if any(pp == p for pp, _ in formulaires)],
        colonnes_detail=["Porteurs", "Souhaitent participer"]))

    # 5. Population (reference territories) and its date.
    population, communes = db.session.execute(
        select(func.coalesce(func.sum(Commune.population), 0), func.count())
        .where(*dans_dep(Commune.departement_code))).one()
    version = db.session.execute(select(TerritoiresVersion.modifie_le, TerritoiresVersion.source)
                                 .where(TerritoiresVersion.id == 1)).first()
    date_territoires = version[0] if version else None
    tdb.chiffres += [
        Chiffre("Population", int(population), SOURCE_TERRITOIRES, date_territoires, "population", "importé le"),
        Chiffre("Communes", communes, SOURCE_TERRITOIRES, date_territoires, "communes", "importé le"),
    ]

    # 6. Lieux de médiation numérique, France Services, Aidants Connect (imported file and its date).
    lieux, france_services, aidants_connect, maj = db.session.execute(
        select(func.count(), func.coalesce(func.sum(case((LieuMediation.france_services.is_(True), 1), else_=0)), 0),
               func.coalesce(func.sum(case((LieuMediation.aidants_connect.is_(True), 1), else_=0)), 0),
               func.max(LieuMediation.date_maj))
        .where(*dans_dep(LieuMediation.departement_code))).one()
    dernier_import = db.session.scalar(select(LieuImport.created_at).order_by(LieuImport.id.desc()).limit(1))
    source_lieux = SOURCE_LIEUX + (f", données mises à jour jusqu'au {maj:%d/%m/%Y}" if maj else "")
    valeur = None if dernier_import is None else lieux
    tdb.chiffres += [
        Chiffre("Lieux de médiation numérique", valeur, source_lieux, dernier_import, "lieux", "importé le"),
        Chiffre("dont France Services", None if valeur is None else france_services, source_lieux, dernier_import,
                "france-services", "importé le"),
        Chiffre("dont lieux habilités Aidants Connect", None if valeur is None else aidants_connect, source_lieux,
                dernier_import, "aidants-connect", "importé le"),
    ]
    return tdb
