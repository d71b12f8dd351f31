"""CSV export of coordinator requests: the list's scope and current filters, streamed, recorded."""

from app.candidatures import requetes
from app.templating import date_fr
from app.views.base import csv_response, export_filename, record_export

COLONNES = [
    ("N° de candidature", lambda c: c.id),
    ("ID structure", lambda c: c.structure_id),
    ("Structure", lambda c: c.structure.nom),
    ("SIRET", lambda c: c.structure.siret),
    ("Code postal", lambda c: c.structure.code_postal),
    ("Département", lambda c: c.structure.departement_code),
    ("Date de candidature", lambda c: date_fr(c.date_candidature)),
    ("Statut", lambda c: c.statut_label),
    ("Avis du préfet", lambda c: c.avis_label),
    ("Commentaire de l'avis", lambda c: c.avis_commentaire or ""),
    ("Date de l'avis", lambda c: date_fr(c.avis_le)),
    ("Date de décision", lambda c: date_fr(c.decision_le)),
    ("Commentaire de la décision", lambda c: c.decision_commentaire),
    ("Poste", lambda c: c.poste_label),
]


def lignes(filtres: requetes.Filtres):
    for candidature in requetes.pour_export(filtres):
        yield [getter(candidature) for _, getter in COLONNES]


def export_candidatures(filtres: requetes.Filtres):
    record_export("candidatures", filtres.description())
    return csv_response(export_filename("candidatures"), [titre for titre, _ in COLONNES], lignes(filtres))

