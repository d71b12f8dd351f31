"""Figures of the statistics page, aggregated in SQL.

A period is split into whole months, summed from the monthly roll-ups (per département when no
structure or conseiller narrows the figures, per conseiller otherwise), and the days before the first and
after the last whole month, summed from the raw reports (at most two partial months). The user's scope
(`clause_for`) and the filters apply to both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, select

from app.extensions import db
from app.models import Structure
from app.security.scope import Scope, clause_for, current_scope
from app.statistiques import agregats
from app.statistiques.dimensions import ACTIVITES, AGES, CANAUX, DUREES, MESURES, STATUTS, THEMES
from app.statistiques.models import Cra, CraMensuel, CraMensuelDepartement


@dataclass(frozen=True)
class Filtres:
    debut: date
    fin: date
    departement: str = ""
    structure_id: int | None = None
    conseiller_id: int | None = None


@dataclass
class Repartition:
    cle: str
    titre: str
    unite: str  # what the numbers count
    lignes: list[tuple[str, str, int]]  # (code, label, value)
    total: int  # base of the percentages
    note: str = ""

    def part(self, valeur: int) -> float:
        return 100.0 * valeur / self.total if self.total else 0.0


@dataclass
class Resultat:
    filtres: Filtres
    mesures: dict[str, int]
    repartitions: list[Repartition] = field(default_factory=list)

    @property
    def nb_cra(self) -> int:
        return self.mesures["nb_cra"]

    @property
    def nb_participants(self) -> int:
        return self.mesures["nb_participants"]


def _mois_suivant(jour: date) -> date:
    return (jour.replace(day=28) + timedelta(days=4)).replace(day=1)


def decouper(debut: date, fin: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """([first whole month, first month after], [raw day ranges, inclusive]) covering debut..fin."""
    premier = debut if debut.day == 1 else _mois_suivant(debut)
    apres = _mois_suivant(fin) if _mois_suivant(fin) - timedelta(days=1) == fin else fin.replace(day=1)
    if premier >= apres:
        return None, [(debut, fin)]
    bruts = []
    if debut < premier:
        bruts.append((debut, premier - timedelta(days=1)))
    if apres <= fin:
        bruts.append((apres, fin))
    return (premier, apres), bruts


def _par_departement_possible(filtres: Filtres, scope: Scope | None) -> bool:
    """The per-département roll-up answers when no structure or conseiller narrows the figures."""
    scope = scope or current_scope()
    return not (filtres.structure_id or filtres.conseiller_id or scope.structure_ids or scope.conseiller_ids)


def _conditions(model, filtres: Filtres, scope: Scope | None) -> list:
    conditions = [clause_for(model, scope)]
    if model is CraMensuelDepartement:
        if filtres.departement:
            conditions.append(model.departement_code == filtres.departement)
        return conditions
    if filtres.departement:
        conditions.append(model.structure_id.in_(
            select(Structure.id).where(Structure.departement_code == filtres.departement)))
    if filtres.structure_id:
        conditions.append(model.structure_id == filtres.structure_id)
    if filtres.conseiller_id:
        conditions.append(model.conseiller_id == filtres.conseiller_id)
    return conditions


def mesures(filtres: Filtres, scope: Scope | None = None) -> dict[str, int]:
    totaux = dict.fromkeys(MESURES, 0)
    mois, bruts = decouper(filtres.debut, filtres.fin)
    requetes = []
    if mois:
        model = CraMensuelDepartement if _par_departement_possible(filtres, scope) else CraMensuel
        requetes.append(select(*agregats.mesures_agregees(model)).where(
            model.mois >= mois[0], model.mois < mois[1], *_conditions(model, filtres, scope)))
    for debut, fin in bruts:
        requetes.append(select(*agregats.mesures_brutes()).where(
            and_(Cra.date >= debut, Cra.date <= fin), *_conditions(Cra, filtres, scope)))
    for requete in requetes:
        row = db.session.execute(requete).one()
        for name in MESURES:
            totaux[name] += int(getattr(row, name) or 0)
    return totaux


def calculer(filtres: Filtres, scope: Scope | None = None) -> Resultat:
    m = mesures(filtres, scope)
    nb, personnes = m["nb_cra"], m["nb_participants"]

    def rep(cle, titre, unite, prefixe, labels, total, note=""):
        return Repartition(cle, titre, unite, [(c, label, m[f"{prefixe}_{c}"]) for c, label in labels.items()],
                           total, note)

    resultat = Resultat(filtres, m)
    resultat.repartitions = [
        rep("canal", "Canal d'accompagnement", "Accompagnements", "canal", CANAUX, nb),
        rep("activite", "Type d'activité", "Accompagnements", "activite", ACTIVITES, nb),
        rep("participants", "Personnes accompagnées par type d'activité", "Personnes", "participants",
            ACTIVITES, personnes),
        rep("theme", "Thèmes des accompagnements", "Accompagnements", "theme", THEMES, nb,
            "Un accompagnement peut porter sur plusieurs thèmes : les parts dépassent 100 % au total."),
        rep("duree", "Durée des accompagnements", "Accompagnements", "duree", DUREES, nb),
        rep("age", "Tranches d'âge des personnes accompagnées", "Personnes", "age", AGES, personnes),
        rep("statut", "Statut des personnes accompagnées", "Personnes", "statut", STATUTS, personnes),
    ]
    return resultat


def par_departement(filtres: Filtres, scope: Scope | None = None) -> list[tuple[str, str, int, int]]:
    """(code, nom, accompagnements, personnes) per département of the structures, same period and filters."""
    from sqlalchemy import func

    from app.models import Departement

    totaux: dict[str, list[int]] = {}
    mois, bruts = decouper(filtres.debut, filtres.fin)
    requetes = []
    if mois and _par_departement_possible(filtres, scope):
        t = CraMensuelDepartement
        requetes.append(
            select(t.departement_code, func.sum(t.nb_cra), func.sum(t.nb_participants))
            .where(t.mois >= mois[0], t.mois < mois[1], *_conditions(t, filtres, scope))
            .group_by(t.departement_code))
    elif mois:
        requetes.append(
            select(Structure.departement_code, func.sum(CraMensuel.nb_cra), func.sum(CraMensuel.nb_participants))
            .join(Structure, Structure.id == CraMensuel.structure_id)
            .where(CraMensuel.mois >= mois[0], CraMensuel.mois < mois[1], *_conditions(CraMensuel, filtres, scope))
            .group_by(Structure.departement_code))
    for debut, fin in bruts:
        requetes.append(
            select(Structure.departement_code, func.count(), func.sum(Cra.nb_participants))
            .join(Structure, Structure.id == Cra.structure_id)
            .where(Cra.date >= debut, Cra.date <= fin, *_conditions(Cra, filtres, scope))
            .group_by(Structure.departement_code))
    for requete in requetes:
        for code, nb, personnes in db.session.execute(requete):
            ligne = totaux.setdefault(code, [0, 0])
            ligne[0] += int(nb or 0)
            ligne[1] += int(personnes or 0)
    noms = dict(db.session.execute(select(Departement.code, Departement.nom).where(Departement.code.in_(list(totaux)))).all())
    return [(code, noms.get(code, code), nb, personnes) for code, (nb, personnes) in sorted(totaux.items())]
