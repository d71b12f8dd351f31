"""CSV export of a form's answers: one column per field key (every version), plus version, date, respondent."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from app.extensions import db
from app.formulaires.calendrier import format_paris
from app.formulaires.definition import champs
from app.formulaires.models import STATUT_SOUMISE, FormVersion, Soumission
from app.formulaires.moteur import texte_reponse
from app.formulaires.types_champs import TYPES
from app.models.utilisateurs import Utilisateur

FIXED = ["N° de réponse", "Version", "Statut", "Déposée le", "Dernière modification", "Répondant", "Objet"]


def colonnes(form_id: str) -> list[str]:
    """Field keys of every version: the current version's order, then keys only older versions had."""
    keys: list[str] = []
    rows = db.session.scalars(select(FormVersion).where(FormVersion.form_id == form_id)
                              .order_by(FormVersion.version.desc()))
    for version in rows:
        for champ in champs(version.definition):
            if TYPES[champ.type].saisie and champ.key not in keys:
                keys.append(champ.key)
    return keys


def lignes(form_id: str, keys: list[str], *, brouillons: bool = False) -> Iterator[list]:
    query = (select(Soumission, Utilisateur.email)
             .outerjoin(Utilisateur, Utilisateur.id == Soumission.respondent_user_id)
             .where(Soumission.form_id == form_id)
             .order_by(Soumission.soumise_le.is_(None), Soumission.soumise_le, Soumission.id)
             .execution_options(yield_per=500))
    if not brouillons:
        query = query.where(Soumission.statut == STATUT_SOUMISE)
    specs_by_version: dict[int, dict] = {}
    for soumission, user_email in db.session.execute(query):
        specs = specs_by_version.get(soumission.form_version_id)
        if specs is None:
            specs = {c.key: c.spec for c in champs(soumission.form_version.definition)}
            specs_by_version[soumission.form_version_id] = specs
        reponses = soumission.reponses or {}
        objet = f"{soumission.objet_type} {soumission.objet_id}" if soumission.objet_type else ""
        row = [soumission.id, soumission.form_version.version, soumission.statut_label,
               format_paris(soumission.soumise_le), format_paris(soumission.updated_at),
               soumission.respondent_email or user_email or "", objet]
        for key in keys:
            spec = specs.get(key)
            if spec is None or key not in reponses:
                row.append("")
                continue
            text = texte_reponse(spec, reponses[key])
            row.append(text)
        yield row
