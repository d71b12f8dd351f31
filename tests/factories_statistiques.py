"""Builders for reports (CRA) and coordinators' territories: real rows, through the real write path."""

from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.models import Conseiller, Structure
from app.statistiques import agregats
from app.statistiques.dimensions import themes_mask
from app.statistiques.models import Cra, CraMensuel, CraMensuelDepartement, PerimetreCoordination


def cra_values(conseiller: Conseiller, **fields) -> dict:
    values = dict(date=date(2023, 10, 5), canal="rattachement", activite="individuel", nb_participants=1,
                  age_moins_12=0, age_12_18=0, age_18_35=0, age_35_60=1, age_plus_60=0, statut_etudiant=0,
                  statut_sans_emploi=0, statut_en_emploi=1, statut_retraite=0, statut_heterogene=0,
                  themes=themes_mask(["demarches"]), duree="30_60", commune_code=None, conseiller_id=conseiller.id,
                  structure_id=conseiller.structure_id, source="demo")
    values.update(fields)
    return values


def make_cras(conseiller: Conseiller, n: int = 1, **fields) -> None:
    agregats.enregistrer([cra_values(conseiller, **fields) for _ in range(n)])
    db.session.commit()


def _conseiller_of(structure: Structure) -> Conseiller:
    return db.session.scalars(select(Conseiller).where(Conseiller.structure_id == structure.id)
                              .order_by(Conseiller.id)).first()


def _cra_hors(structure: Structure) -> Cra:
    make_cras(_conseiller_of(structure), commune_code="75056")
    return db.session.scalars(select(Cra).where(Cra.structure_id == structure.id)).first()


def _mensuel_hors(structure: Structure) -> CraMensuel:
    return db.session.scalars(select(CraMensuel).where(CraMensuel.structure_id == structure.id)).first()


def _mensuel_departement_hors(structure: Structure) -> CraMensuelDepartement:
    return db.session.scalars(select(CraMensuelDepartement)
                              .where(CraMensuelDepartement.departement_code == structure.departement_code)).first()


def _perimetre_hors(structure: Structure) -> PerimetreCoordination:
    conseiller = _conseiller_of(structure)
    perimetre = PerimetreCoordination(conseiller_id=conseiller.id, structure_id=structure.id, niveau="departement",
                                      libelle=f"Territoire {structure.nom}", departements="75")
    db.session.add(perimetre)
    db.session.commit()
    return perimetre


def hors_perimetre() -> dict:
    """Out-of-scope builders for tests/test_autorisations.py (Cra first: the roll-up row comes from it)."""
    return {Cra: _cra_hors, CraMensuel: _mensuel_hors, CraMensuelDepartement: _mensuel_departement_hors,
            PerimetreCoordination: _perimetre_hors}
