"""Gouvernances pressenties: the rules, as plain functions over the models.

The questions are the form engine's definition ``gouvernance-pressentie`` (forms/*.yaml), rendered
and validated by the engine (``app.formulaires``). Each deposit or edit is one submitted
``Soumission`` (objet ``gouvernance_pressentie``/<id>) pinned to its ``FormVersion``; the on-submit
callback copies the answers onto the ``GouvernancePressentie`` row in the same transaction.

Who: ANCT, or the préfet of the département (a préfet de région and a hub only read). When: until
the ``gouvernances-pressenties`` milestone (``calendrier.verifier_echeance``, the one place), checked
before anything is written and again inside the submitting transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.extensions import db, unit_of_work
from app.gouvernances import calendrier
from app.gouvernances.erreurs import ActionNonAutorisee, EtatInvalide, Introuvable, ValidationErreur
from app.gouvernances.models import PERIMETRES, GouvernancePressentie, gouvernance_clause
from app.models.base import utcnow
from app.models.territoires import Departement
from app.security import roles

log = logging.getLogger(__name__)

FORMULAIRE = "gouvernance-pressentie"
OBJET = "gouvernance_pressentie"


# --- who --------------------------------------------------------------------------------------------

def _roles(user) -> set[str]:
    return {r.name for r in user.roles} if user is not None and getattr(user, "is_authenticated", False) else set()


def peut_ecrire(user, departement_code: str) -> bool:
    """ANCT, or a préfet de département on its own département (préfets de région read only)."""
    noms = _roles(user)
    if roles.ANCT in noms:
        return True
    return roles.PREFET_DEPARTEMENT in noms and not user.region_code and user.departement_code == departement_code


def verifier_ecriture(user, departement_code: str) -> None:
    if not peut_ecrire(user, departement_code):
        raise ActionNonAutorisee("Seule la préfecture du département (ou l'ANCT) peut remonter, modifier ou "
                                 "supprimer les gouvernances pressenties de ce département.")


def nom_auteur(user) -> str:
    return (f"{user.first_name} {user.last_name}".strip() or user.username)[:255]


# --- the form definition ----------------------------------------------------------------------------

def version_courante():
    from app.formulaires import service

    return service.current_version(FORMULAIRE)


def cles(definition: dict) -> dict[str, Any]:
    """Which field of the definition holds what, found by key then by type (robust to renames):
    departement, perimetre, porteur (collectivité), porteur_nom, porteur_siret, recruteurs
    ((group key, SIRET sub-key)), note (rich text)."""
    from app.formulaires.definition import champs

    found: dict[str, Any] = {}
    liste = list(champs(definition))
    for champ in liste:
        t, k = champ.type, champ.key
        if t == "departement":
            found.setdefault("departement", k)
        elif t == "choice" and ("perimetre" not in found or "perimetre" in k):
            found["perimetre"] = k
        elif t == "collectivite":
            found.setdefault("porteur", k)
        elif t == "text" and "porteur" in k:
            found.setdefault("porteur_nom", k)
        elif t == "siret":
            found.setdefault("porteur_siret", k)
        elif t == "group":
            sub = next((s["key"] for s in champ.spec.get("fields", []) if s.get("type") == "siret"), None)
            if sub:
                found.setdefault("recruteurs", (k, sub))
        elif t == "rich_text":
            found.setdefault("note", k)
    return found


def _appliquer(gouvernance: GouvernancePressentie, definition: dict, reponses: dict) -> None:
    """Copy the answers onto the row (lists, filters, API)."""
    c = cles(definition)
    gouvernance.perimetre = str(reponses.get(c.get("perimetre"), ""))[:20]
    porteur = reponses.get(c.get("porteur")) if c.get("porteur") else None
    if isinstance(porteur, dict) and porteur.get("code"):
        from app.gouvernances.participation import nom_officiel

        gouvernance.porteur_type = porteur.get("type")
        gouvernance.porteur_code = porteur.get("code")
        gouvernance.porteur_nom = nom_officiel(porteur.get("type"), porteur.get("nom", ""))[:255]
        if porteur.get("type") == "departement":
            gouvernance.porteur_nom = f"{gouvernance.porteur_nom} ({porteur.get('code')})"[:255]
        gouvernance.porteur_siret = None
    else:
        gouvernance.porteur_type = gouvernance.porteur_code = None
        gouvernance.porteur_nom = str(reponses.get(c.get("porteur_nom"), "") or "")[:255]
        gouvernance.porteur_siret = reponses.get(c.get("porteur_siret")) if c.get("porteur_siret") else None
    groupe = c.get("recruteurs")
    items = reponses.get(groupe[0]) if groupe else None
    gouvernance.sirets_recruteurs = [i[groupe[1]] for i in items or [] if isinstance(i, dict) and i.get(groupe[1])]
    gouvernance.note_contexte = str(reponses.get(c.get("note"), "") or "")


def sur_depot(soumission) -> None:
    """On-submit callback of the engine (same transaction): checks the deadline again, copies the answers."""
    if soumission.objet_type != OBJET or not soumission.objet_id:
        return
    gouvernance = db.session.get(GouvernancePressentie, soumission.objet_id)
    if gouvernance is None or gouvernance.supprimee_le is not None:
        from app.formulaires.service import FormRejected

        raise FormRejected("Cette gouvernance pressentie a été supprimée.")
    calendrier.verifier_echeance(calendrier.GOUVERNANCES_PRESSENTIES, soumission.soumise_le)
    _appliquer(gouvernance, soumission.form_version.definition, soumission.reponses or {})
    gouvernance.soumission_id = soumission.id


def enregistrer_hooks(app) -> None:
    """At start-up: our callback on the engine, and the campaign milestones as the engine's dates.

    The milestones ANCT edits (`gouvernance_jalon`) are the one source of every deadline: the form
    engine asks them for the closing date of the forms they govern, instead of the 2023 date written
    in the definitions, so moving a milestone moves the form with it."""
    from app.formulaires import service
    from app.gouvernances import calendrier

    service.register_on_submit(FORMULAIRE, sur_depot)
    for form_id, cle in ((FORMULAIRE, calendrier.GOUVERNANCES_PRESSENTIES),
                         ("motivation-coordinateur", calendrier.AAC_MOTIVATION)):
        service.register_calendar(form_id, lambda cle=cle: {"closes_at": calendrier.echeance(cle)})


# --- reading ------------------------------------------------------------------------------------------

def actives(scope=None, departement_code: str | None = None):
    """Query of the gouvernances pressenties not deleted, in scope (the user's when None)."""
    from app.security.scope import current_scope

    scope = scope or current_scope()
    query = select(GouvernancePressentie).where(GouvernancePressentie.supprimee_le.is_(None),
                                                gouvernance_clause(scope))
    if departement_code:
        query = query.where(GouvernancePressentie.departement_code == departement_code)
    return query.order_by(GouvernancePressentie.departement_code, GouvernancePressentie.cree_le,
                          GouvernancePressentie.id)


def charger(gouvernance_id: int) -> GouvernancePressentie:
    """One gouvernance in the user's scope, not deleted; Introuvable (404) otherwise."""
    from app.security.scope import clause_for

    row = db.session.scalar(select(GouvernancePressentie).where(
        GouvernancePressentie.id == gouvernance_id, GouvernancePressentie.supprimee_le.is_(None),
        clause_for(GouvernancePressentie)))
    if row is None:
        raise Introuvable("Cette gouvernance pressentie n'existe pas ou ne fait pas partie de votre territoire.")
    return row


def soumission_de(gouvernance: GouvernancePressentie):
    from app.formulaires.models import Soumission

    return db.session.get(Soumission, gouvernance.soumission_id) if gouvernance.soumission_id else None


# --- writing --------------------------------------------------------------------------------------------

def _deposer(gouvernance: GouvernancePressentie, auteur, brut, maintenant: datetime) -> GouvernancePressentie:
    """Validate and store through the engine (commits), or roll back and raise."""
    from app.formulaires import service

    c = cles(version_courante().definition)
    if c.get("departement"):
        brut.valeurs[c["departement"]] = [gouvernance.departement_code]  # never another département
    try:
        soumission = service.start_or_resume(FORMULAIRE, objet_type=OBJET, objet_id=gouvernance.id,
                                             respondent_user_id=auteur.id, respondent_email=auteur.email or None)
        resultat = service.enregistrer(soumission, brut, deposer=True, now=maintenant)
    except service.FormulaireFerme as exc:
        db.session.rollback()
        raise EtatInvalide(exc.message) from exc
    except service.FormRejected as exc:
        db.session.rollback()
        raise ValidationErreur({"formulaire": [exc.message]}, exc.message) from exc
    except BaseException:
        db.session.rollback()
        raise
    if resultat.erreurs:
        db.session.rollback()
        raise ValidationErreur(resultat.erreurs)
    return gouvernance


def remonter(departement_code: str, auteur, brut, maintenant: datetime | None = None) -> GouvernancePressentie:
    """« Remonter une gouvernance pressentie » for a département. Commits; raises ActionNonAutorisee
    (403), EcheanceDepassee (409), ValidationErreur (400, the engine's French messages per field)."""
    maintenant = maintenant or utcnow()
    departement = db.session.get(Departement, departement_code)
    if departement is None:
        raise Introuvable("Ce département n'existe pas.")
    verifier_ecriture(auteur, departement.code)
    calendrier.verifier_echeance(calendrier.GOUVERNANCES_PRESSENTIES, maintenant)
    gouvernance = GouvernancePressentie(departement_code=departement.code, region_code=departement.region_code,
                                        cree_le=maintenant, cree_par_id=auteur.id, cree_par_nom=nom_auteur(auteur))
    db.session.add(gouvernance)
    db.session.flush()
    return _deposer(gouvernance, auteur, brut, maintenant)


def _verrouiller(gouvernance: GouvernancePressentie) -> None:
    if db.session.get_bind().dialect.name == "postgresql":  # two edits at once: one after the other
        db.session.execute(select(GouvernancePressentie.id).where(GouvernancePressentie.id == gouvernance.id)
                           .with_for_update())
        db.session.refresh(gouvernance)
    if gouvernance.supprimee_le is not None:
        raise Introuvable("Cette gouvernance pressentie a été supprimée.")


def modifier(gouvernance: GouvernancePressentie, auteur, brut, maintenant: datetime | None = None) -> GouvernancePressentie:
    """Edit (a new submission of the form); same rules as `remonter`."""
    maintenant = maintenant or utcnow()
    verifier_ecriture(auteur, gouvernance.departement_code)
    calendrier.verifier_echeance(calendrier.GOUVERNANCES_PRESSENTIES, maintenant)
    _verrouiller(gouvernance)
    gouvernance.modifie_le = maintenant
    gouvernance.modifie_par_id = auteur.id
    gouvernance.modifie_par_nom = nom_auteur(auteur)
    return _deposer(gouvernance, auteur, brut, maintenant)


@unit_of_work
def supprimer(gouvernance: GouvernancePressentie, auteur, maintenant: datetime | None = None) -> None:
    """Soft delete (the row and its submissions stay, out of every list). Commits."""
    maintenant = maintenant or utcnow()
    verifier_ecriture(auteur, gouvernance.departement_code)
    calendrier.verifier_echeance(calendrier.GOUVERNANCES_PRESSENTIES, maintenant)
    _verrouiller(gouvernance)
    gouvernance.supprimee_le = maintenant
    gouvernance.supprimee_par_id = auteur.id


def reponses_initiales(gouvernance: GouvernancePressentie | None, departement_code: str) -> dict:
    """What the form shows first: the current answers, or only the département for a new one."""
    if gouvernance is not None:
        soumission = soumission_de(gouvernance)
        if soumission is not None:
            return dict(soumission.reponses or {})
    c = cles(version_courante().definition)
    return {c["departement"]: departement_code} if c.get("departement") else {}


# --- the API's JSON ---------------------------------------------------------------------------------------

API_CHAMPS = ("departement", "perimetre", "porteur", "porteur_nom", "porteur_siret", "sirets_recruteurs",
              "note_contexte")


def brut_depuis_json(data: dict):
    """The API's stable JSON names -> the engine's raw values for the current definition.

    {"perimetre": "departemental", "porteur": "departement:38" | {"type", "code"}, "porteur_nom": "…",
     "porteur_siret": "…", "sirets_recruteurs": ["…"], "note_contexte": "<p>…</p>"}
    """
    from app.formulaires.moteur import Brut

    if not isinstance(data, dict):
        raise ValidationErreur({"_": ["Un objet JSON est attendu."]})
    inconnus = sorted(set(data) - set(API_CHAMPS))
    if inconnus:
        raise ValidationErreur({k: ["Champ inconnu."] for k in inconnus})
    c = cles(version_courante().definition)
    brut = Brut()

    def texte(name: str) -> list[str]:
        value = data.get(name)
        if value is None:
            return []
        if not isinstance(value, str):
            raise ValidationErreur({name: ["Texte attendu."]})
        return [value]

    for api_name, role in (("perimetre", "perimetre"), ("porteur_nom", "porteur_nom"),
                           ("porteur_siret", "porteur_siret"), ("note_contexte", "note")):
        if c.get(role):
            brut.valeurs[c[role]] = texte(api_name)
    if c.get("porteur"):
        porteur = data.get("porteur")
        if isinstance(porteur, dict):
            porteur = f"{porteur.get('type', '')}:{porteur.get('code', '')}"
        if porteur is not None and not isinstance(porteur, str):
            raise ValidationErreur({"porteur": ["Collectivité attendue : « type:code » ou {\"type\", \"code\"}."]})
        brut.valeurs[c["porteur"]] = [porteur] if porteur else []
    if c.get("recruteurs"):
        sirets = data.get("sirets_recruteurs") or []
        if not isinstance(sirets, list) or not all(isinstance(s, str) for s in sirets):
            raise ValidationErreur({"sirets_recruteurs": ["Liste de SIRET attendue."]})
        key, sub = c["recruteurs"]
        brut.groupes[key] = [{sub: [s]} for s in sirets]
    return brut


def erreurs_api(erreurs: dict[str, list[str]]) -> dict[str, list[str]]:
    """The engine's error keys -> the API's field names (group rows: sirets_recruteurs.<n>)."""
    c = cles(version_courante().definition)
    noms = {c.get("perimetre"): "perimetre", c.get("porteur"): "porteur", c.get("porteur_nom"): "porteur_nom",
            c.get("porteur_siret"): "porteur_siret", c.get("note"): "note_contexte",
            c.get("departement"): "departement"}
    groupe = c.get("recruteurs", (None, None))[0]
    result: dict[str, list[str]] = {}
    for key, messages in erreurs.items():
        if groupe and key == groupe:
            name = "sirets_recruteurs"
        elif groupe and key.startswith(f"{groupe}-"):
            name = f"sirets_recruteurs.{key.split('-')[1]}"
        else:
            name = noms.get(key, key)
        result.setdefault(name, []).extend(messages)
    return result


_A_LIRE = object()


def en_dict(gouvernance: GouvernancePressentie, maintenant: datetime | None = None, *, limite=_A_LIRE) -> dict:
    """The API form of a gouvernance. A list passes the deadline (`limite`) it read once for all rows."""
    if limite is _A_LIRE:
        limite = calendrier.echeance(calendrier.GOUVERNANCES_PRESSENTIES)
    return {
        "id": gouvernance.id,
        "departement": gouvernance.departement_code,
        "region": gouvernance.region_code,
        "perimetre": gouvernance.perimetre,
        "perimetre_libelle": PERIMETRES.get(gouvernance.perimetre, gouvernance.perimetre),
        "porteur": ({"type": gouvernance.porteur_type, "code": gouvernance.porteur_code, "nom": gouvernance.porteur_nom}
                    if gouvernance.porteur_type else None),
        "porteur_nom": gouvernance.porteur_nom,
        "porteur_siret": gouvernance.porteur_siret,
        "sirets_recruteurs": list(gouvernance.sirets_recruteurs or []),
        "note_contexte": gouvernance.note_contexte,
        "deposee_le": gouvernance.cree_le.isoformat() if gouvernance.cree_le else None,
        "deposee_par": gouvernance.cree_par_nom,
        "modifiee_le": gouvernance.modifie_le.isoformat() if gouvernance.modifie_le else None,
        "modifiee_par": gouvernance.modifie_par_nom or None,
        "modifiable": limite is None or (maintenant or utcnow()) <= limite,
        "modifiable_jusqu_au": limite.isoformat() if limite else None,
    }
