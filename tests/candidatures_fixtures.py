"""Builders for the coordinator-call tests: real rows, in the states the workflow would leave them."""

from datetime import UTC, datetime, timedelta

from app.candidatures.models import Candidature, CandidatureTransition, ContratDocument
from app.extensions import db
from app.models.base import utcnow
from tests.factories import make_conseiller, make_contrat

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def make_candidature(structure, statut: str = "nouvelle", *, date_candidature: datetime | None = None,
                     **fields) -> Candidature:
    now = utcnow()
    values = dict(structure_id=structure.id, statut=statut, origine="tableau_de_pilotage")
    if statut != "brouillon":
        values["date_candidature"] = date_candidature or now - timedelta(days=1)
    if statut in ("validee", "refusee"):
        values["decision_le"] = now
    if statut == "validee":
        values["poste"] = "vacant"
    values.update(fields)
    candidature = Candidature(**values)
    db.session.add(candidature)
    db.session.flush()
    db.session.add(CandidatureTransition(candidature_id=candidature.id, structure_id=structure.id,
                                         evenement="creation", vers="brouillon", auteur_nom="Test"))
    db.session.commit()
    return candidature


def at(year, month, day, hour=12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


# --- out-of-scope rows for tests/test_autorisations.py (every scoped model must have one) ---------

MARKER = "HORSCHAMPX"


def _candidature_hors_champ(structure) -> Candidature:
    return make_candidature(structure, "nouvelle", avis_commentaire=None, decision_commentaire=MARKER)


def _transition_hors_champ(structure) -> CandidatureTransition:
    ancienne = make_candidature(structure, "refusee", decision_commentaire=MARKER)
    transition = CandidatureTransition(candidature_id=ancienne.id, structure_id=structure.id, evenement="decision",
                                       de="nouvelle", vers="refusee", auteur_nom=MARKER, commentaire=MARKER)
    db.session.add(transition)
    db.session.commit()
    return transition


def _document_hors_champ(structure) -> ContratDocument:
    conseiller = make_conseiller(structure, nom=f"{MARKER}DOC", email_pro=f"{MARKER.lower()}doc@cn.fr")
    contrat = make_contrat(conseiller, structure, est_coordinateur=True, statut="en_attente_bdt",
                           motif_renvoi=MARKER)
    document = ContratDocument(contrat_id=contrat.id, structure_id=structure.id, nom_original=f"{MARKER}.pdf",
                               fichier=f"{MARKER.lower()}0000000000000000000000.pdf", taille=len(PDF),
                               sha256="0" * 64)
    db.session.add(document)
    db.session.commit()
    return document


OUT_OF_SCOPE_CANDIDATURES = {
    Candidature: _candidature_hors_champ,
    CandidatureTransition: _transition_hors_champ,
    ContratDocument: _document_hors_champ,
}
