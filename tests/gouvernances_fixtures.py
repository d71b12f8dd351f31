"""Builders for the gouvernances tests (real rows, real rules) and the out-of-scope rows of the walk test."""

from __future__ import annotations

import secrets
from datetime import timedelta

from app.extensions import db
from app.gouvernances import calendrier
from app.gouvernances import participation as regles
from app.gouvernances.models import GouvernancePressentie, Participation, ParticipationContact
from app.models.base import utcnow

MARKER = "HORSCHAMPX"

# Valid SIRETs (Luhn): the seed's Conseil départemental de l'Isère, and two more.
SIRET_CD38 = "22380001200013"
SIRET_A = "21380185500015"
SIRET_B = "73282932000074"

CONTACT_POLITIQUE = {"politique_prenom": "Claire", "politique_nom": "Durand", "politique_fonction": "Maire",
                     "politique_email": "claire.durand@mairie.fr"}


def ouvrir(cle: str = calendrier.PARTICIPATION, jours: int = 30) -> None:
    """Put a milestone ahead of now (the official 2023 dates have passed)."""
    calendrier.definir_echeance(cle, utcnow() + timedelta(days=jours))
    db.session.commit()


def fermer(cle: str = calendrier.PARTICIPATION) -> None:
    """Time travel: the milestone passed a minute ago."""
    calendrier.definir_echeance(cle, utcnow() - timedelta(minutes=1))
    db.session.commit()


def commune_participe(code: str = "38421", email: str = "mairie@exemple.fr") -> Participation:
    """A commune sends a « participer » form (through the rules)."""
    p, _ = regles.commencer("commune", "Claire Durand", email)
    regles.choisir_collectivite(p, f"commune:{code}")
    regles.enregistrer_contacts(p, CONTACT_POLITIQUE)
    regles.envoyer(p)
    return p


def epci_porte(code: str = "200040715", membres=("commune:38185", "commune:38421"), partenaires=1) -> Participation:
    p, _ = regles.commencer("epci", "Marc Porteur", "porteur@metro.fr")
    regles.choisir_intention(p, "porter")
    regles.choisir_collectivite(p, f"epci:{code}")
    regles.enregistrer_contacts(p, {**CONTACT_POLITIQUE, "politique_email": "vp@metro.fr",
                                    "technique_prenom": "Ali", "technique_nom": "Tech", "technique_email": "tech@metro.fr"})
    regles.definir_perimetre(p, list(membres))
    for n in range(partenaires):
        regles.ajouter_partenaire(p, {"partenaire_nom": f"Association Partenaire {n}", "partenaire_siret": SIRET_B if n == 0
                                      else "", "partenaire_contact_prenom": "Léa", "partenaire_contact_nom": f"Asso{n}",
                                      "partenaire_contact_email": f"asso{n}@exemple.fr"})
    regles.envoyer(p)
    return p


def pressentie_json(**changes) -> dict:
    data = {"perimetre": "departemental", "porteur": "departement:38", "sirets_recruteurs": [SIRET_CD38, SIRET_A],
            "note_contexte": "<p>Discussions en cours avec le <strong>département</strong>.</p>"}
    data.update(changes)
    return data


# --- the walk test's out-of-scope rows (Paris, département 75) ---------------------------------------

def _participation_hors_perimetre(out_structure):
    p = Participation(jeton_hash=regles.hash_jeton(secrets.token_urlsafe(8)), persona="structure",
                      intention="participer", statut="envoye", demandeur_nom=f"Demandeur {MARKER}",
                      demandeur_email=f"{MARKER.lower()}@exemple.fr", structure_nom=f"Association {MARKER}",
                      structure_sans_siret=True, departement_code="75", region_code="11", envoye_le=utcnow(),
                      contacts=[ParticipationContact(role="structure", prenom="Jean", nom=MARKER,
                                                     email=f"contact.{MARKER.lower()}@exemple.fr")])
    db.session.add(p)
    db.session.commit()
    return p


def _pressentie_hors_perimetre(out_structure):
    gp = GouvernancePressentie(departement_code="75", region_code="11", perimetre="autre",
                               porteur_nom=f"Préfecture {MARKER}", porteur_siret=SIRET_A,
                               sirets_recruteurs=[SIRET_B], note_contexte=f"<p>{MARKER}</p>",
                               cree_par_nom=f"Auteur {MARKER}")
    db.session.add(gp)
    db.session.commit()
    return gp


OUT_OF_SCOPE_GOUVERNANCES = {
    Participation: _participation_hors_perimetre,
    GouvernancePressentie: _pressentie_hors_perimetre,
}
