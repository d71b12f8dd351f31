"""The rules of the coordinator call for applications, as plain functions over the models.

Each function checks who acts (403), the state (409) and the input (400) — raising the domain errors
of ``app.candidatures.erreurs`` — then applies its effect and writes the history. Functions that
end a use case commit (the outbox email rows are written in the same transaction); the two form
hooks (`deposer_candidature_publique`, `soumettre_motivation`) run inside the form engine's submit
transaction and never commit. HTML views, the REST API, the CLI and tests all call these.

Concurrency: every state change is a conditional UPDATE (``… WHERE statut = 'nouvelle'``,
``… WHERE avis IS NULL``, ``… WHERE poste = 'vacant'``) whose row count decides who won, so two
people acting at the same moment never both succeed; one open request per structure is a
partial unique index.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from flask import current_app
from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from stdnum.fr import siret as stdnum_siret

from app.candidatures.erreurs import ActionNonAutorisee, TransitionInterdite, ValidationErreur
from app.candidatures.models import (
    AVIS,
    COMMENTAIRE_AVIS_MAX,
    COMMENTAIRE_DECISION_MAX,
    DECISIONS,
    MOTIF_RENVOI_MAX,
    STATUTS_OUVERTS,
    Candidature,
    CandidatureTransition,
    ContratDocument,
    DigestPrefet,
)
from app.extensions import db, unit_of_work
from app.models.base import utcnow
from app.models.structures import TYPES_CONTRAT, TYPES_STRUCTURE, Conseiller, Contrat, Structure
from app.models.utilisateurs import Utilisateur
from app.security import roles
from app.security.scope import scope_for

log = logging.getLogger(__name__)

FORMULAIRE_CANDIDATURE = "candidature-coordinateur"
FORMULAIRE_MOTIVATION = "motivation-coordinateur"
OBJET_CANDIDATURE = "candidature"
PDF_MAGIC = b"%PDF-"


# --- who acts ---------------------------------------------------------------------------------

def _roles_de(user) -> set[str]:
    return {role.name for role in user.roles} if user is not None else set()


def est_anct(user) -> bool:
    return roles.ANCT in _roles_de(user)


def est_prefet(user) -> bool:
    return bool(_roles_de(user) & set(roles.PREFETS))


def est_bdt(user) -> bool:
    return roles.BANQUE_DES_TERRITOIRES in _roles_de(user)


def agit_pour_structure(user, structure: Structure) -> bool:
    """ANCT, or an account of this very structure."""
    if user is None:
        return False
    if est_anct(user):
        return True
    return roles.STRUCTURE in _roles_de(user) and user.structure_id == structure.id


def prefet_couvre(user, structure: Structure) -> bool:
    """A préfet whose territory (département, or région for a préfet de région) contains the structure."""
    if not est_prefet(user):
        return False
    scope = scope_for(user)
    return bool(scope.regions or scope.departements) and scope.includes_territory(
        structure.region_code, structure.departement_code)


def _nom_auteur(user) -> str:
    if user is None:
        return "Structure (formulaire public)"
    noms = sorted(_roles_de(user))
    nom = f"{user.first_name} {user.last_name}".strip() or user.username
    return f"{nom} ({', '.join(noms)})" if noms else nom


def _journaliser(candidature: Candidature, evenement: str, de: str | None, vers: str, auteur=None,
                 commentaire: str = "", *, auteur_nom: str | None = None, le: datetime | None = None) -> None:
    db.session.add(CandidatureTransition(
        candidature_id=candidature.id, structure_id=candidature.structure_id, evenement=evenement, de=de,
        vers=vers, auteur_id=getattr(auteur, "id", None), auteur_nom=(auteur_nom or _nom_auteur(auteur))[:255],
        commentaire=(commentaire or "")[:1000], created_at=le or utcnow(),
    ))


# --- links and emails ----------------------------------------------------------------------------

def url_externe(endpoint: str, **values) -> str:
    """An absolute link for emails, also outside a request (CLI, worker)."""
    from app.mail import public_url

    return public_url(endpoint, **values)


def _envoyer(to, template: str, *, key: str, **context) -> None:
    """Queue an email in the outbox (same transaction). Unusable addresses are left out, never fatal:
    a typo in a contact address must not block a decision."""
    from app.mail import send_email
    from app.mail.outbox import normalize_recipients

    destinataires = []
    for adresse in [to] if isinstance(to, str) else list(to):
        try:
            destinataires.extend(normalize_recipients(adresse))
        except ValueError:
            if adresse:
                log.warning("adresse de courriel inutilisable pour %s (clé %s) : %r", template, key, adresse)
    if not destinataires:
        log.warning("courriel %s sans destinataire (clé %s)", template, key)
        return
    send_email(destinataires, template, key=key, **context)


def prefets_du_departement(departement_code: str) -> list[Utilisateur]:
    return list(db.session.scalars(
        select(Utilisateur).join(Utilisateur.roles)
        .where(Role.name == roles.PREFET_DEPARTEMENT, Utilisateur.departement_code == departement_code,
               Utilisateur.active.is_(True))
        .order_by(Utilisateur.id)
    ).unique())


# --- opening a request -----------------------------------------------------------------------------

def candidature_ouverte(structure_id: int) -> Candidature | None:
    return db.session.scalar(select(Candidature).where(Candidature.structure_id == structure_id,
                                                       Candidature.statut.in_(STATUTS_OUVERTS)))


def _ouvrir(structure: Structure, *, origine: str, auteur=None) -> Candidature:
    """A new request in draft; refused while another one is open (the database enforces it too)."""
    if structure.statut == "inactive":
        raise TransitionInterdite("Cette structure est inactive : elle ne peut pas candidater.")
    existante = candidature_ouverte(structure.id)
    if existante is not None:
        raise TransitionInterdite(
            f"Une demande de coordinateur est déjà en cours pour cette structure (candidature n° {existante.id}) : "
            "une seule demande à la fois.")
    candidature = Candidature(structure_id=structure.id, statut="brouillon", origine=origine)
    db.session.add(candidature)
    try:
        # No savepoint here: on SQLite (pysqlite) a released savepoint that opens the transaction is
        # committed at once. The caller's unit of work rolls everything back on this error.
        db.session.flush()
    except IntegrityError as exc:  # the partial unique index: another request opened meanwhile
        raise TransitionInterdite("Une demande de coordinateur est déjà en cours pour cette structure : "
                                  "une seule demande à la fois.") from exc
    _journaliser(candidature, "creation", None, "brouillon", auteur,
                 auteur_nom=None if auteur is not None else "Structure (formulaire public)")
    return candidature


def date_limite_motivation():
    """When the motivation form closes (shown to structures), or None."""
    from app.formulaires import service

    try:
        return service.fenetre_de(FORMULAIRE_MOTIVATION).closes_at
    except service.FormulaireInconnu:
        return None


def _prefill_motivation(structure: Structure) -> dict:
    """What we already know, for the fields the motivation form actually has (any version)."""
    from app.formulaires import service
    from app.formulaires.definition import champs_par_cle

    connu = {
        "structure_nom": structure.nom, "structure_siret": structure.siret,
        "contact_prenom": structure.contact_prenom, "contact_nom": structure.contact_nom,
        "contact_fonction": structure.contact_fonction, "contact_email": structure.contact_email,
        "contact_telephone": structure.contact_telephone,
    }
    cles = champs_par_cle(service.current_version(FORMULAIRE_MOTIVATION).definition)
    return {k: v for k, v in connu.items() if k in cles and v}


def _motivation(candidature: Candidature, *, respondent_email=None, respondent_user_id=None):
    from app.formulaires import service

    return service.start_or_resume(
        FORMULAIRE_MOTIVATION, objet_type=OBJET_CANDIDATURE, objet_id=candidature.id,
        prefill=_prefill_motivation(candidature.structure), respondent_email=respondent_email,
        respondent_user_id=respondent_user_id)


def lien_motivation(candidature: Candidature, *, respondent_email=None, respondent_user_id=None) -> str:
    """The personal, signed link to this request's motivation form (valid until the form closes)."""
    from app.formulaires import service

    soumission = _motivation(candidature, respondent_email=respondent_email, respondent_user_id=respondent_user_id)
    return service.fill_url(soumission)  # no explicit expiry: valid while the form is open


@unit_of_work
def demarrer_motivation(structure: Structure, auteur) -> tuple[Candidature, str]:
    """Dashboard of a programme structure: open (or resume) its request and give the motivation link."""
    if not agit_pour_structure(auteur, structure):
        raise ActionNonAutorisee("Seule la structure elle-même peut compléter son formulaire de motivation.")
    candidature = candidature_ouverte(structure.id)
    if candidature is None:
        candidature = _ouvrir(structure, origine="tableau_de_pilotage", auteur=auteur)
    elif candidature.statut != "brouillon":
        raise TransitionInterdite("Votre formulaire de motivation a déjà été transmis : la demande est en cours "
                                  "d'instruction.")
    url = lien_motivation(candidature, respondent_email=structure.contact_email or auteur.email,
                          respondent_user_id=auteur.id)
    return candidature, url


# --- form hooks (run inside the form engine's submit transaction) --------------------------------

def _reponse(reponses: dict, champ: str) -> str:
    """An answer of the public application form (keys of forms/candidature-coordinateur.yaml)."""
    value = reponses.get(champ)
    return "" if value is None else str(value).strip()


def _siret_normalise(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def _rejeter(message: str):
    from app.formulaires.service import FormRejected

    return FormRejected(message)


def deposer_candidature_publique(soumission) -> Candidature:
    """On submit of the public `candidature-coordinateur` form: applicant structure, draft request, email.

    A SIRET that already belongs to a programme structure is told to apply from its dashboard; a
    structure with a request already open is refused; a structure refused before may apply again.
    """
    reponses = soumission.reponses or {}
    siret = _siret_normalise(_reponse(reponses, "siret"))
    if not siret or not stdnum_siret.is_valid(siret):
        raise _rejeter("Le SIRET indiqué n'est pas valide.")
    code_postal = _reponse(reponses, "code_postal")[:5]
    structure = db.session.scalar(select(Structure).where(Structure.siret == siret))
    if structure is not None and structure.statut == "validee":
        raise _rejeter(
            "Votre structure bénéficie déjà du dispositif Conseiller numérique : connectez-vous à votre tableau "
            "de pilotage et complétez le formulaire de motivation depuis « Coordination territoriale → "
            "Recrutement d'un coordinateur ».")
    if structure is not None and candidature_ouverte(structure.id) is not None:
        raise _rejeter("Une candidature est déjà en cours pour ce SIRET : le lien vers le formulaire de motivation "
                       "a été envoyé au contact de la structure.")
    departement_code = _departement(code_postal)
    if departement_code is None:
        raise _rejeter("Le code postal indiqué ne correspond à aucun département.")
    from app.models.territoires import Departement

    departement = db.session.get(Departement, departement_code)
    if departement is None:
        raise _rejeter("Le code postal indiqué ne correspond à aucun département.")
    type_structure = _reponse(reponses, "type_structure")
    valeurs = {
        "nom": _reponse(reponses, "nom")[:255],
        "type": type_structure if type_structure in TYPES_STRUCTURE else "privee",
        "adresse": " ".join(p for p in (_reponse(reponses, "adresse"), _reponse(reponses, "commune")) if p)[:255],
        "code_postal": code_postal,
        "departement_code": departement.code,
        "region_code": departement.region_code,
        "contact_prenom": _reponse(reponses, "contact_prenom")[:100],
        "contact_nom": _reponse(reponses, "contact_nom")[:100],
        "contact_fonction": _reponse(reponses, "contact_fonction")[:150],
        "contact_email": _reponse(reponses, "contact_email")[:320],
        "contact_telephone": _reponse(reponses, "contact_telephone")[:20],
    }
    if not valeurs["nom"] or not valeurs["contact_email"]:
        raise _rejeter("Le nom de la structure et l'adresse électronique du contact sont obligatoires.")
    if structure is None:
        structure = Structure(siret=siret, statut="candidate", **valeurs)
        db.session.add(structure)
    else:  # an applicant, or a structure refused before: its details are refreshed
        for key, value in valeurs.items():
            setattr(structure, key, value)
        structure.statut = "candidate"
    db.session.flush()
    try:
        candidature = _ouvrir(structure, origine="publique")
    except TransitionInterdite as exc:
        raise _rejeter(exc.message) from exc
    if soumission.objet_id is None:  # the application's answers are shown with the request
        soumission.objet_type, soumission.objet_id = OBJET_CANDIDATURE, candidature.id
    url = lien_motivation(candidature, respondent_email=structure.contact_email)
    _envoyer(structure.contact_email, "candidature_recue", key=f"candidature-{candidature.id}-recue",
             structure=structure, candidature=candidature, lien_motivation=url)
    return candidature


def _departement(code_postal: str) -> str | None:
    from app.territoires.recherche import departement_pour_code_postal

    return departement_pour_code_postal(code_postal)


def soumettre_motivation(soumission) -> Candidature:
    """On submit of `motivation-coordinateur` (objet ('candidature', id)): the request becomes new, dated."""
    if soumission.objet_type != OBJET_CANDIDATURE or not soumission.objet_id:
        raise _rejeter("Ce formulaire de motivation n'est rattaché à aucune candidature.")
    candidature = db.session.get(Candidature, soumission.objet_id)
    if candidature is None:
        raise _rejeter("La candidature de ce formulaire n'existe plus.")
    if candidature.statut != "brouillon":
        raise _rejeter("Ce formulaire de motivation a déjà été transmis : la candidature est en cours d'instruction.")
    quand = soumission.soumise_le or utcnow()
    result = db.session.execute(
        update(Candidature).where(Candidature.id == candidature.id, Candidature.statut == "brouillon")
        .values(statut="nouvelle", date_candidature=quand, updated_at=utcnow())
    )
    if result.rowcount != 1:
        raise _rejeter("Ce formulaire de motivation a déjà été transmis.")
    auteur = db.session.get(Utilisateur, soumission.respondent_user_id) if soumission.respondent_user_id else None
    _journaliser(candidature, "motivation", "brouillon", "nouvelle", auteur, le=quand,
                 auteur_nom=None if auteur is not None else "Structure (lien personnel)")
    return candidature


def enregistrer_hooks() -> None:
    """Called once at start-up: the form engine calls us when these forms are submitted."""
    from app.formulaires import service

    service.register_on_submit(FORMULAIRE_CANDIDATURE, deposer_candidature_publique)
    service.register_on_submit(FORMULAIRE_MOTIVATION, soumettre_motivation)


# --- préfet: avis ----------------------------------------------------------------------------------

def _valider_commentaire(commentaire: str | None, *, requis: bool, maximum: int, champ: str = "commentaire",
                         erreurs: dict | None = None) -> str:
    erreurs = {} if erreurs is None else erreurs
    texte = (commentaire or "").strip() if isinstance(commentaire, str | type(None)) else None
    if texte is None:
        erreurs[champ] = "Le commentaire doit être un texte."
        return ""
    if requis and not texte:
        erreurs[champ] = "Le commentaire est obligatoire."
    elif len(texte) > maximum:
        erreurs[champ] = f"Le commentaire ne doit pas dépasser {maximum} caractères ({len(texte)} saisis)."
    return texte


@unit_of_work
def donner_avis(candidature: Candidature, auteur, avis: str, commentaire: str) -> Candidature:
    """A préfet whose territory contains the structure gives a favorable or unfavorable avis, once."""
    structure = candidature.structure
    if not est_prefet(auteur):
        raise ActionNonAutorisee("Seul un préfet peut donner un avis sur une candidature.")
    if not prefet_couvre(auteur, structure):
        raise ActionNonAutorisee("Cette structure n'est pas sur votre territoire : vous ne pouvez pas donner d'avis.")
    if candidature.avis is not None:
        raise TransitionInterdite(message_avis_deja_donne(candidature))
    if candidature.statut != "nouvelle":
        raise TransitionInterdite(
            "Un avis ne peut être donné que sur une candidature nouvelle "
            f"(celle-ci est « {candidature.statut_label.lower()} »).")
    erreurs: dict[str, str] = {}
    if avis not in AVIS:
        erreurs["avis"] = "Choisissez un avis favorable ou défavorable."
    texte = _valider_commentaire(commentaire, requis=True, maximum=COMMENTAIRE_AVIS_MAX, erreurs=erreurs)
    if erreurs:
        raise ValidationErreur(erreurs)
    now = utcnow()
    result = db.session.execute(
        update(Candidature)
        .where(Candidature.id == candidature.id, Candidature.avis.is_(None), Candidature.statut == "nouvelle")
        .values(avis=avis, avis_commentaire=texte, avis_par_id=auteur.id, avis_le=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        db.session.refresh(candidature)
        raise TransitionInterdite(message_avis_deja_donne(candidature) if candidature.avis else
                                  "Cette candidature n'attend plus d'avis.")
    _journaliser(candidature, "avis", "nouvelle", "nouvelle", auteur, f"Avis {AVIS[avis].lower()} : {texte}", le=now)
    db.session.expire(candidature)
    return candidature


def message_avis_deja_donne(candidature: Candidature) -> str:
    from app.templating import date_fr

    qui = candidature.avis_par
    par = f" par {qui.first_name} {qui.last_name}".rstrip() if qui is not None else ""
    return (f"Un avis {AVIS.get(candidature.avis, '').lower()} a déjà été donné sur cette candidature"
            f"{par} le {date_fr(candidature.avis_le)} : un avis ne se donne qu'une fois.")


# --- ANCT: decision --------------------------------------------------------------------------------

@unit_of_work
def decider(candidature: Candidature, auteur, decision: str, commentaire: str = "") -> Candidature:
    """ANCT validates or refuses a new request, with or without an avis."""
    if not est_anct(auteur):
        raise ActionNonAutorisee("Seule l'ANCT peut valider ou refuser une candidature.")
    if candidature.statut != "nouvelle":
        raise TransitionInterdite(message_decision_impossible(candidature))
    erreurs: dict[str, str] = {}
    if decision not in DECISIONS:
        erreurs["decision"] = "Choisissez « validee » ou « refusee »."
    texte = _valider_commentaire(commentaire, requis=False, maximum=COMMENTAIRE_DECISION_MAX, erreurs=erreurs)
    if erreurs:
        raise ValidationErreur(erreurs)
    now = utcnow()
    result = db.session.execute(
        update(Candidature).where(Candidature.id == candidature.id, Candidature.statut == "nouvelle")
        .values(statut=decision, decision_par_id=auteur.id, decision_le=now, decision_commentaire=texte,
                poste="vacant" if decision == "validee" else None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        db.session.refresh(candidature)
        raise TransitionInterdite(message_decision_impossible(candidature))
    structure = candidature.structure
    invitation = False
    if decision == "validee":
        db.session.execute(
            update(Structure).where(Structure.id == structure.id)
            .values(postes_coordinateur=Structure.postes_coordinateur + 1, updated_at=now)
            .execution_options(synchronize_session=False))
        devenue = db.session.execute(
            update(Structure).where(Structure.id == structure.id, Structure.statut == "candidate")
            .values(statut="validee").execution_options(synchronize_session=False)).rowcount == 1
        if devenue and structure.contact_email:
            invitation = _inviter_structure(structure, auteur)
    else:
        db.session.execute(
            update(Structure).where(Structure.id == structure.id, Structure.statut == "candidate")
            .values(statut="refus_coordinateur", updated_at=now).execution_options(synchronize_session=False))
    db.session.expire(structure)
    db.session.expire(candidature)
    _journaliser(candidature, "decision", "nouvelle", decision, auteur, texte, le=now)
    _emails_decision(candidature, structure, decision, invitation)
    return candidature


def _inviter_structure(structure: Structure, auteur) -> bool:
    """The applicant's contact is invited to its new dashboard (an account already there is kept)."""
    from app.invitations import create_invitation
    from app.invitations.service import InvitationError

    try:
        with db.session.begin_nested():
            create_invitation(structure.contact_email, roles.STRUCTURE, structure_id=structure.id,
                              invited_by=auteur)
    except InvitationError as exc:
        log.warning("invitation de la structure %s non envoyée : %s", structure.id, exc)
        return False
    return True


def message_decision_impossible(candidature: Candidature) -> str:
    if candidature.statut == "brouillon":
        return "Cette candidature n'est pas encore transmise : le formulaire de motivation n'a pas été complété."
    from app.templating import date_fr

    return (f"Cette candidature a déjà été {'validée' if candidature.statut == 'validee' else 'refusée'}"
            f" le {date_fr(candidature.decision_le)} : la décision ne peut plus être modifiée.")


def _emails_decision(candidature: Candidature, structure: Structure, decision: str, invitation: bool) -> None:
    suffixe = "validee" if decision == "validee" else "refusee"
    contexte = dict(candidature=candidature, structure=structure, invitation=invitation)
    prefets = [u.email for u in prefets_du_departement(structure.departement_code)]
    _envoyer(prefets, f"candidature_{suffixe}_prefets", key=f"candidature-{candidature.id}-{suffixe}-prefets",
             lien=url_externe("CandidaturesView.detail", pk=candidature.id), **contexte)
    _envoyer(structure.contact_email, f"candidature_{suffixe}_structure",
             key=f"candidature-{candidature.id}-{suffixe}-structure",
             lien=url_externe("RecrutementCoordinateurView.recrutement"),
             lien_postes=url_externe("PostesView.postes"), **contexte)


# --- posts: quota, role, recruitment ---------------------------------------------------------------

@dataclass(frozen=True)
class Quota:
    valides: int  # validated coordinator requests not returned
    coordinateurs_actifs: int
    en_recrutement: int

    @property
    def disponibles(self) -> int:
        return max(0, self.valides - self.coordinateurs_actifs - self.en_recrutement)

    def message_refus(self) -> str:
        return (f"Votre structure n'a plus de poste de coordinateur disponible : {self.valides} poste(s) validé(s), "
                f"{self.coordinateurs_actifs} coordinateur(s) en poste, {self.en_recrutement} recrutement(s) en "
                "cours. Une nouvelle demande de coordinateur doit d'abord être validée par l'ANCT.")


def quota(structure_id: int) -> Quota:
    valides = db.session.scalar(select(func.count(Candidature.id)).where(
        Candidature.structure_id == structure_id, Candidature.statut == "validee", Candidature.poste != "rendu"))
    actifs = db.session.scalar(select(func.count(Conseiller.id)).where(
        Conseiller.structure_id == structure_id, Conseiller.est_coordinateur.is_(True), Conseiller.statut == "actif"))
    en_recrutement = db.session.scalar(select(func.count(Candidature.id)).where(
        Candidature.structure_id == structure_id, Candidature.poste == "en_recrutement"))
    return Quota(valides or 0, actifs or 0, en_recrutement or 0)


def _verrouiller(structure: Structure) -> None:
    """Serialise quota decisions of one structure (SELECT … FOR UPDATE on PostgreSQL)."""
    db.session.execute(select(Structure.id).where(Structure.id == structure.id).with_for_update())


def _poste_vacant(structure: Structure) -> Candidature:
    q = quota(structure.id)
    poste = db.session.scalar(
        select(Candidature).where(Candidature.structure_id == structure.id, Candidature.statut == "validee",
                                  Candidature.poste == "vacant")
        .order_by(Candidature.decision_le, Candidature.id).limit(1))
    if q.disponibles < 1 or poste is None:
        raise TransitionInterdite(q.message_refus())
    return poste


def _prendre_poste(poste: Candidature, vers: str, **values) -> None:
    result = db.session.execute(
        update(Candidature).where(Candidature.id == poste.id, Candidature.poste == "vacant")
        .values(poste=vers, updated_at=utcnow(), **values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise TransitionInterdite("Ce poste vient d'être pourvu par une autre opération : rechargez la page.")
    db.session.expire(poste)


def contrat_actif(conseiller: Conseiller, structure: Structure, le: date | None = None) -> Contrat | None:
    le = le or date.today()
    for contrat in sorted(conseiller.contrats, key=lambda c: c.date_debut, reverse=True):
        if contrat.structure_id == structure.id and contrat.est_actif(le):
            return contrat
    return None


def conseillers_eligibles(structure: Structure) -> list[Conseiller]:
    """Conseillers holding an active contract with this structure and not coordinators yet."""
    today = date.today()
    rows = db.session.scalars(
        select(Conseiller).join(Contrat, Contrat.conseiller_id == Conseiller.id)
        .where(Contrat.structure_id == structure.id, Contrat.statut == "valide", Contrat.date_debut <= today,
               (Contrat.date_fin.is_(None)) | (Contrat.date_fin >= today),
               Conseiller.est_coordinateur.is_(False), Conseiller.statut == "actif")
        .order_by(Conseiller.nom, Conseiller.prenom)
    ).unique()
    return list(rows)


@unit_of_work
def attribuer_role_coordinateur(structure: Structure, conseiller: Conseiller, auteur) -> Candidature:
    """The structure names one of its conseillers coordinator, within its validated posts."""
    if not agit_pour_structure(auteur, structure):
        raise ActionNonAutorisee("Seule la structure elle-même peut attribuer un rôle de coordinateur.")
    if conseiller is None:
        raise ValidationErreur({"conseiller_id": "Choisissez un conseiller."})
    contrat = contrat_actif(conseiller, structure)
    if contrat is None or conseiller.statut != "actif":
        raise ValidationErreur({"conseiller_id": "Ce conseiller n'a pas de contrat en cours avec votre structure."})
    if conseiller.est_coordinateur:
        raise TransitionInterdite(f"{conseiller.nom_complet} est déjà coordinateur.")
    _verrouiller(structure)
    poste = _poste_vacant(structure)
    _prendre_poste(poste, "occupe", coordinateur_id=conseiller.id)
    conseiller.est_coordinateur = True
    contrat.est_coordinateur = True
    _journaliser(poste, "role_attribue", "validee", "validee", auteur,
                 f"Rôle de coordinateur attribué à {conseiller.nom_complet}.")
    _envoyer(conseiller.email_pro, "coordinateur_bienvenue", key=f"poste-{poste.id}-coordinateur-{conseiller.id}",
             conseiller=conseiller, structure=structure)
    return poste


@unit_of_work
def rendre_poste(candidature: Candidature, auteur) -> Candidature:
    """A validated post that the structure will not fill is given back (its funding ends)."""
    structure = candidature.structure
    if not agit_pour_structure(auteur, structure):
        raise ActionNonAutorisee("Seule la structure elle-même peut rendre un poste.")
    if candidature.statut != "validee" or candidature.poste != "vacant":
        raise TransitionInterdite("Seul un poste validé et encore à pourvoir peut être rendu.")
    _verrouiller(structure)
    if quota(structure.id).disponibles < 1:  # the quota must still hold once the post is gone
        raise TransitionInterdite("Ce poste ne peut pas être rendu : vos coordinateurs en poste ou en cours de "
                                  "recrutement l'occupent déjà.")
    result = db.session.execute(
        update(Candidature).where(Candidature.id == candidature.id, Candidature.poste == "vacant")
        .values(poste="rendu", updated_at=utcnow()).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise TransitionInterdite("Ce poste n'est plus à pourvoir : rechargez la page.")
    db.session.execute(
        update(Structure).where(Structure.id == structure.id, Structure.postes_coordinateur > 0)
        .values(postes_coordinateur=Structure.postes_coordinateur - 1).execution_options(synchronize_session=False))
    db.session.expire(structure)
    db.session.expire(candidature)
    _journaliser(candidature, "poste_rendu", "validee", "validee", auteur, "Poste de coordinateur rendu.")
    return candidature


@dataclass
class Document:
    """An uploaded file: its name as sent and a readable stream (werkzeug FileStorage fits)."""

    filename: str
    stream: object


def _nom_affichable(nom: str) -> str:
    nom = os.path.basename((nom or "").replace("\\", "/"))
    nom = "".join(c for c in unicodedata.normalize("NFC", nom) if c.isprintable() and c not in '"<>|')
    return nom[:200] or "document.pdf"


def _lire_documents(documents: Iterable, erreurs: dict[str, str]) -> list[tuple[str, bytes]]:
    maximum = int(current_app.config["CONTRAT_DOCUMENT_TAILLE_MAX"])
    lus = []
    for doc in documents or []:
        filename = getattr(doc, "filename", None)
        if not filename:
            continue
        contenu = doc.stream.read(maximum + 1)
        if len(contenu) > maximum:
            erreurs["documents"] = (f"« {_nom_affichable(filename)} » dépasse la taille maximale de "
                                    f"{maximum // (1024 * 1024)} Mo.")
        elif not contenu.startswith(PDF_MAGIC):
            erreurs["documents"] = f"« {_nom_affichable(filename)} » n'est pas un fichier PDF."
        else:
            lus.append((_nom_affichable(filename), contenu))
    if not lus and "documents" not in erreurs:
        erreurs["documents"] = "Joignez le contrat signé (PDF)."
    return lus


def _date(value, champ: str, erreurs: dict, requis: bool) -> date | None:
    if value in (None, ""):
        if requis:
            erreurs[champ] = "Cette date est obligatoire."
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        erreurs[champ] = "Date invalide (format attendu : AAAA-MM-JJ)."
        return None


def _stocker(contenu: bytes) -> tuple[str, Path]:
    dossier = Path(current_app.config["UPLOAD_DIR"]) / "contrats"
    dossier.mkdir(parents=True, exist_ok=True, mode=0o700)
    nom = f"{secrets.token_hex(16)}.pdf"
    chemin = dossier / nom
    fd = os.open(chemin, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fichier:
        fichier.write(contenu)
    return nom, chemin


def chemin_document(document: ContratDocument) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "contrats" / document.fichier


def recruter(structure: Structure, auteur, *, conseiller_id: int | None = None, prenom: str = "", nom: str = "",
             email: str = "", type_contrat: str = "", date_debut=None, date_fin=None, salaire=None,
             documents: Iterable = ()) -> Contrat:
    """Preselect a person (a conseiller of the structure or a new one), enter the contract, upload it:
    the contract then waits for the Banque des Territoires, and the post is reserved."""
    ecrits: list[Path] = []
    try:
        contrat = _recruter(structure, auteur, ecrits, conseiller_id=conseiller_id, prenom=prenom, nom=nom,
                            email=email, type_contrat=type_contrat, date_debut=date_debut, date_fin=date_fin,
                            salaire=salaire, documents=documents)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        for chemin in ecrits:  # no orphan file when the transaction did not happen
            chemin.unlink(missing_ok=True)
        raise
    return contrat


def _recruter(structure, auteur, ecrits: list[Path], *, conseiller_id, prenom, nom, email, type_contrat, date_debut,
              date_fin, salaire, documents) -> Contrat:
    if not agit_pour_structure(auteur, structure):
        raise ActionNonAutorisee("Seule la structure elle-même peut recruter sur ses postes.")
    erreurs: dict[str, str] = {}
    conseiller = None
    if conseiller_id:
        conseiller = db.session.get(Conseiller, conseiller_id)
        if conseiller is None or conseiller.structure_id != structure.id:
            erreurs["conseiller_id"] = "Choisissez un conseiller de votre structure."
        elif conseiller.est_coordinateur:
            erreurs["conseiller_id"] = f"{conseiller.nom_complet} est déjà coordinateur."
    else:
        prenom, nom, email = (prenom or "").strip(), (nom or "").strip(), (email or "").strip().lower()
        if not prenom:
            erreurs["prenom"] = "Le prénom est obligatoire."
        if not nom:
            erreurs["nom"] = "Le nom est obligatoire."
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            erreurs["email"] = "Adresse électronique invalide."
        elif db.session.scalar(select(Conseiller.id).where(func.lower(Conseiller.email_pro) == email)):
            erreurs["email"] = ("Cette adresse est déjà celle d'un conseiller : choisissez-le dans la liste "
                                "s'il fait partie de votre structure.")
    if type_contrat not in TYPES_CONTRAT:
        erreurs["type_contrat"] = "Choisissez un type de contrat : CDI, CDD, PEC ou contrat de projet public."
    debut = _date(date_debut, "date_debut", erreurs, requis=True)
    fin = _date(date_fin, "date_fin", erreurs, requis=type_contrat in TYPES_CONTRAT and type_contrat != "cdi")
    if type_contrat == "cdi" and fin is not None:
        erreurs["date_fin"] = "Un CDI n'a pas de date de fin."
    elif debut and fin and fin <= debut:
        erreurs["date_fin"] = "La date de fin doit être postérieure à la date de début."
    minimum = Decimal(str(current_app.config["SALAIRE_MINIMUM_BRUT_MENSUEL"]))
    montant = None
    try:
        montant = Decimal(str(salaire).replace(",", ".").replace(" ", "").replace("\u202f", "")) \
            if salaire not in (None, "") else None
    except InvalidOperation:
        erreurs["salaire"] = "Montant invalide."
    if "salaire" not in erreurs:
        if montant is None:
            erreurs["salaire"] = "Le salaire brut mensuel est obligatoire."
        elif not montant.is_finite() or montant < minimum:
            erreurs["salaire"] = (f"Le salaire brut mensuel ne peut pas être inférieur à "
                                  f"{_euros(minimum)} (minimum réglementaire).")
        elif montant >= Decimal("100000"):
            erreurs["salaire"] = "Montant invalide."
    lus = _lire_documents(documents, erreurs)
    if erreurs:
        raise ValidationErreur(erreurs)
    _verrouiller(structure)
    poste = _poste_vacant(structure)
    if conseiller is None:
        conseiller = Conseiller(prenom=prenom[:100], nom=nom[:100], email_pro=email, statut="en_recrutement",
                                structure_id=structure.id)
        db.session.add(conseiller)
        db.session.flush()
    contrat = Contrat(structure_id=structure.id, conseiller_id=conseiller.id, type_contrat=type_contrat,
                      date_debut=debut, date_fin=fin, salaire_brut_mensuel=montant.quantize(Decimal("0.01")),
                      statut="en_attente_bdt", est_coordinateur=True)
    db.session.add(contrat)
    db.session.flush()
    for nom_original, contenu in lus:
        fichier, chemin = _stocker(contenu)
        ecrits.append(chemin)
        db.session.add(ContratDocument(contrat_id=contrat.id, structure_id=structure.id, nom_original=nom_original,
                                       fichier=fichier, taille=len(contenu),
                                       sha256=hashlib.sha256(contenu).hexdigest(),
                                       depose_par_id=getattr(auteur, "id", None)))
    _prendre_poste(poste, "en_recrutement", contrat_id=contrat.id)
    _journaliser(poste, "recrutement", "validee", "validee", auteur,
                 f"{conseiller.nom_complet} — {TYPES_CONTRAT[type_contrat]} à partir du {debut:%d/%m/%Y}, "
                 "transmis à la Banque des Territoires.")
    return contrat


def _euros(montant: Decimal) -> str:
    entier, _, decimales = f"{montant:.2f}".partition(".")
    groupes = []
    while entier:
        groupes.insert(0, entier[-3:])
        entier = entier[:-3]
    return "\u202f".join(groupes) + f",{decimales} €"


@unit_of_work
def traiter_contrat_bdt(contrat: Contrat, auteur, decision: str, motif: str = "") -> Contrat:
    """The Banque des Territoires validates a coordinator contract, or returns it with a reason."""
    if not (est_bdt(auteur) or est_anct(auteur)):
        raise ActionNonAutorisee("Seule la Banque des Territoires traite les contrats.")
    if contrat.statut != "en_attente_bdt":
        raise TransitionInterdite(f"Ce contrat a déjà été traité (« {contrat.statut_label.lower()} »).")
    erreurs: dict[str, str] = {}
    if decision not in ("valider", "renvoyer"):
        erreurs["decision"] = "Choisissez « valider » ou « renvoyer »."
    texte = _valider_commentaire(motif, requis=decision == "renvoyer", maximum=MOTIF_RENVOI_MAX, champ="motif",
                                 erreurs=erreurs)
    if erreurs:
        raise ValidationErreur(erreurs)
    nouveau = "valide" if decision == "valider" else "renvoye"
    result = db.session.execute(
        update(Contrat).where(Contrat.id == contrat.id, Contrat.statut == "en_attente_bdt")
        .values(statut=nouveau, motif_renvoi=texte if nouveau == "renvoye" else "")
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise TransitionInterdite("Ce contrat vient d'être traité par quelqu'un d'autre : rechargez la page.")
    db.session.expire(contrat)
    poste = db.session.scalar(select(Candidature).where(Candidature.contrat_id == contrat.id,
                                                        Candidature.poste == "en_recrutement"))
    conseiller, structure = contrat.conseiller, contrat.structure
    if nouveau == "valide":
        conseiller.statut = "actif"
        conseiller.structure_id = structure.id
        conseiller.est_coordinateur = True
        if conseiller.date_prise_poste is None:
            conseiller.date_prise_poste = contrat.date_debut
        if poste is not None:
            poste.poste = "occupe"
            poste.coordinateur_id = conseiller.id
            _journaliser(poste, "contrat_valide", "validee", "validee", auteur,
                         f"{conseiller.nom_complet} rejoint les effectifs comme coordinateur.")
            _envoyer(conseiller.email_pro, "coordinateur_bienvenue",
                     key=f"poste-{poste.id}-coordinateur-{conseiller.id}", conseiller=conseiller, structure=structure)
        _envoyer(structure.contact_email, "contrat_coordinateur_valide", key=f"contrat-{contrat.id}-valide",
                 contrat=contrat, conseiller=conseiller, structure=structure,
                 lien=url_externe("PostesView.postes"))
    else:
        if poste is not None:
            poste.poste = "vacant"
            poste.contrat_id = None
            _journaliser(poste, "contrat_renvoye", "validee", "validee", auteur, texte)
        _envoyer(structure.contact_email, "contrat_coordinateur_renvoye", key=f"contrat-{contrat.id}-renvoye",
                 contrat=contrat, conseiller=conseiller, structure=structure, motif=texte,
                 lien=url_externe("PostesView.postes"))
    return contrat


# --- structure: banner -----------------------------------------------------------------------------

@unit_of_work
def fermer_bandeau(candidature: Candidature, auteur) -> None:
    if not agit_pour_structure(auteur, candidature.structure):
        raise ActionNonAutorisee("Ce bandeau concerne une autre structure.")
    if candidature.decision_le is not None and candidature.decision_vue_le is None:
        candidature.decision_vue_le = utcnow()


# --- daily digest to préfets -----------------------------------------------------------------------

def envoyer_digest_prefets(now: datetime | None = None) -> int:
    """One email per département listing its new requests without avis not sent before.

    Each request is claimed by one digest with a conditional UPDATE (``digest_id IS NULL``), so two
    runs at the same time never list a request twice. Départements without préfet wait for one.
    Returns the number of digests written (their emails go through the outbox).
    """
    now = now or utcnow()
    rows = db.session.execute(
        select(Candidature.id, Structure.departement_code).join(Structure, Structure.id == Candidature.structure_id)
        .where(Candidature.statut == "nouvelle", Candidature.avis.is_(None), Candidature.digest_id.is_(None),
               Candidature.date_candidature <= now)
    ).all()
    par_departement: dict[str, list[int]] = defaultdict(list)
    for candidature_id, departement_code in rows:
        par_departement[departement_code].append(candidature_id)
    envoyes = 0
    for departement_code in sorted(par_departement):
        ids = par_departement[departement_code]
        prefets = prefets_du_departement(departement_code)
        if not prefets:
            continue
        try:
            emails = sorted({p.email for p in prefets if p.email})
            digest = DigestPrefet(departement_code=departement_code, destinataires=", ".join(emails)[:2000],
                                  created_at=now)
            db.session.add(digest)
            db.session.flush()
            claimed = db.session.execute(
                update(Candidature)
                .where(Candidature.id.in_(ids), Candidature.digest_id.is_(None), Candidature.avis.is_(None),
                       Candidature.statut == "nouvelle")
                .values(digest_id=digest.id).execution_options(synchronize_session=False)).rowcount
            if not claimed:
                db.session.rollback()
                continue
            candidatures = list(db.session.scalars(
                select(Candidature).options(joinedload(Candidature.structure))
                .where(Candidature.digest_id == digest.id).order_by(Candidature.date_candidature, Candidature.id)))
            _envoyer(emails, "candidatures_digest_prefets", key=f"digest-{digest.id}", digest=digest,
                     candidatures=candidatures, departement=candidatures[0].structure.departement,
                     lien=url_externe("CandidaturesView.liste", onglet="nouvelles", avis="sans"))
            db.session.commit()
            envoyes += 1
        except BaseException:
            db.session.rollback()
            raise
    return envoyes
