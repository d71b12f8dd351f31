"""The "Demandes de coordinateur" list: filters, tab counters, one page, the export — shared by the
HTML list, the REST API and the CSV export so they always agree.

Every query starts from the user's scope (``clause_for``). Counters reflect the scope only, never the
search. A page costs a constant number of statements whatever its number of rows (structure joined
and loaded in the same statement).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace

from flask import abort
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload, lazyload, selectinload

from app.candidatures import workflow
from app.candidatures.models import Candidature
from app.extensions import db
from app.models.structures import Structure
from app.models.territoires import Departement, Region
from app.security.scope import Scope, clause_for, current_scope, departements_in_scope, regions_in_scope

TAILLE_PAGE = 50

ONGLETS = {
    "toutes": ("Afficher toutes les candidatures", ("nouvelle", "validee", "refusee")),
    "nouvelles": ("Nouvelles candidatures", ("nouvelle",)),
    "validees": ("Candidatures validées", ("validee",)),
    "non_retenues": ("Non retenues", ("refusee",)),
}
FILTRES_AVIS = {"sans": "Sans avis", "favorable": "Avis favorable", "defavorable": "Avis défavorable"}
TRIS = {"date": "Date de candidature", "cp": "Code postal"}
ORDRES = ("asc", "desc")
RECHERCHE_MAX = 100


@dataclass(frozen=True)
class Filtres:
    onglet: str = "toutes"
    q: str = ""
    region: str = ""
    departement: str = ""
    avis: str = ""
    tri: str = "date"
    ordre: str = "desc"
    page: int = 1

    @classmethod
    def depuis(cls, args) -> Filtres:
        """From query-string arguments; unknown values fall back to the defaults (never an error)."""

        def get(name: str) -> str:
            value = args.get(name, "")
            return value.strip() if isinstance(value, str) else ""

        onglet = get("onglet") if get("onglet") in ONGLETS else "toutes"
        avis = get("avis") if get("avis") in FILTRES_AVIS else ""
        tri = get("tri") if get("tri") in TRIS else "date"
        ordre = get("ordre") if get("ordre") in ORDRES else ("desc" if tri == "date" else "asc")
        try:
            page = max(1, min(int(get("page") or 1), 100_000))
        except ValueError:
            page = 1
        region = get("region")[:3]
        departement = get("departement")[:3].upper()
        return cls(onglet=onglet, q=get("q")[:RECHERCHE_MAX], region=region, departement=departement, avis=avis,
                   tri=tri, ordre=ordre, page=page)

    def args(self, **changes) -> dict:
        """Query-string arguments (defaults left out), for links that keep the other filters."""
        values = replace(self, **changes)
        defaults = Filtres()
        return {f.name: getattr(values, f.name) for f in fields(self)
                if getattr(values, f.name) != getattr(defaults, f.name)}

    def description(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.args(page=1).items())


def _base(scope: Scope | None = None, *, structure: bool = True) -> Select:
    stmt = select(Candidature)
    if structure:
        stmt = stmt.join(Structure, Structure.id == Candidature.structure_id)
    return stmt.where(clause_for(Candidature, scope), Candidature.statut != "brouillon")


def _like(texte: str) -> str:
    return "%" + texte.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _filtre_structure(filtres: Filtres) -> bool:
    return bool(filtres.q or filtres.region or filtres.departement)


def appliquer(stmt: Select, filtres: Filtres) -> Select:
    """The filters on a statement from `_base` (joined to Structure when `_filtre_structure`)."""
    stmt = stmt.where(Candidature.statut.in_(ONGLETS[filtres.onglet][1]))
    if filtres.q:
        conditions = [func.lower(Structure.nom).like(_like(filtres.q.lower()), escape="\\")]
        chiffres = re.sub(r"\s", "", filtres.q)
        if chiffres.isdigit():
            if len(chiffres) <= 9:
                conditions.append(Structure.id == int(chiffres))
            conditions.append(Structure.siret.like(chiffres + "%"))
        stmt = stmt.where(or_(*conditions))
    if filtres.region:
        stmt = stmt.where(Structure.region_code == filtres.region)
    if filtres.departement:
        stmt = stmt.where(Structure.departement_code == filtres.departement)
    if filtres.avis == "sans":
        stmt = stmt.where(Candidature.avis.is_(None))
    elif filtres.avis:
        stmt = stmt.where(Candidature.avis == filtres.avis)
    return stmt


def _ordre(stmt: Select, filtres: Filtres) -> Select:
    colonne = Structure.code_postal if filtres.tri == "cp" else Candidature.date_candidature
    sens = colonne.asc() if filtres.ordre == "asc" else colonne.desc()
    return stmt.order_by(sens, Candidature.id.desc() if filtres.ordre == "desc" else Candidature.id.asc())


def compteurs(scope: Scope | None = None) -> dict[str, int]:
    """Tab counters: the user's whole scope, whatever the search and filters."""
    rows = db.session.execute(
        select(Candidature.statut, func.count(Candidature.id))
        .where(clause_for(Candidature, scope), Candidature.statut != "brouillon")
        .group_by(Candidature.statut)
    ).all()
    par_statut = dict(rows)
    return {onglet: sum(par_statut.get(s, 0) for s in statuts) for onglet, (_, statuts) in ONGLETS.items()}


@dataclass
class Page:
    lignes: list[Candidature]
    total: int
    numero: int
    taille: int = TAILLE_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.taille))


def page(filtres: Filtres, taille: int = TAILLE_PAGE, scope: Scope | None = None) -> Page:
    # The count joins the structures only when a filter reads them (the join costs more than the count).
    compte = appliquer(_base(scope, structure=_filtre_structure(filtres)), filtres)
    total = db.session.scalar(select(func.count()).select_from(compte.subquery())) or 0
    numero = min(filtres.page, max(1, -(-total // taille)))
    stmt = (_ordre(appliquer(_base(scope), filtres), filtres).options(contains_eager(Candidature.structure).lazyload("*"))
            .limit(taille).offset((numero - 1) * taille))
    return Page(list(db.session.scalars(stmt)), total, numero, taille)


def pour_export(filtres: Filtres):
    """Every row of the current filters (all pages), streamed in batches."""
    stmt = _ordre(appliquer(_base(), filtres), filtres).options(
        contains_eager(Candidature.structure).lazyload("*"), lazyload(Candidature.avis_par))
    return db.session.scalars(stmt.execution_options(yield_per=1000))


def charger(pk: int, user, *, detail: bool = False) -> Candidature:
    """One request of the user's territory, in one statement (a draft is ANCT's only: nothing for a préfet to
    read yet); 404 otherwise. `detail` loads what the detail page and API show with it."""
    stmt = select(Candidature).where(Candidature.id == pk, clause_for(Candidature))
    if not workflow.est_anct(user):
        stmt = stmt.where(Candidature.statut != "brouillon")
    if detail:
        stmt = stmt.options(joinedload(Candidature.structure), joinedload(Candidature.avis_par),
                            joinedload(Candidature.decision_par), selectinload(Candidature.transitions))
    candidature = db.session.scalar(stmt)
    if candidature is None:
        abort(404)
    return candidature


def regions_du_perimetre(scope: Scope | None = None) -> list[Region]:
    return list(db.session.scalars(select(Region).where(regions_in_scope(scope or current_scope()))
                                   .order_by(Region.nom)))


def departements_du_perimetre(scope: Scope | None = None, region: str = "") -> list[Departement]:
    stmt = (select(Departement).options(lazyload(Departement.region))
            .where(departements_in_scope(scope or current_scope())).order_by(Departement.code))
    if region:
        stmt = stmt.where(Departement.region_code == region)
    return list(db.session.scalars(stmt))
