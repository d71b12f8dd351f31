"""« Participer à l'élaboration des feuilles de route »: the rules, as plain functions over the models.

An actor (conseil régional, conseil départemental, EPCI, commune or structure) starts a form with
its name and email and receives a secret link to resume it. Région, département and EPCI may
**porter** a roadmap; everyone may **participer**. A sent form is frozen; the actor may cancel it
and start again. Every change checks the form is still a draft and the `participation` milestone
(`calendrier.verifier_echeance`). Each function that ends a use case commits (the outbox emails in
the same transaction) and rolls back on error.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Iterable
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from stdnum.fr import siret as stdnum_siret

from app.extensions import db, unit_of_work
from app.gouvernances import calendrier
from app.gouvernances.erreurs import EtatInvalide, ValidationErreur
from app.gouvernances.models import (
    PERSONA_TERRITOIRE,
    PERSONAS,
    PERSONAS_PORTEUSES,
    TYPES_COLLECTIVITE,
    Participation,
    ParticipationContact,
    ParticipationDigest,
    ParticipationDigestLigne,
    ParticipationMembre,
    ParticipationPartenaire,
    participation_clause,
)
from app.models.base import utcnow
from app.models.territoires import Commune, Departement, Epci, Region
from app.models.utilisateurs import Utilisateur
from app.security import roles

log = logging.getLogger(__name__)

MAX_MEMBRES = 500
MAX_PARTENAIRES = 50
DISPOSITIFS_MAX = 5000


# --- the secret link --------------------------------------------------------------------------------

def hash_jeton(jeton: str) -> str:
    return hashlib.sha256(jeton.encode("utf-8")).hexdigest()


def _nouveau_jeton() -> str:
    return secrets.token_urlsafe(32)


def par_jeton(jeton: str) -> Participation | None:
    if not jeton or len(jeton) > 100:
        return None
    return db.session.scalar(select(Participation).where(Participation.jeton_hash == hash_jeton(jeton)))


def lien(jeton: str) -> str:
    from app.mail import public_url

    return public_url("ParticipationView.formulaire", jeton=jeton)


def _envoyer_lien(participation: Participation, jeton: str) -> None:
    from app.mail import send_email

    send_email(participation.demandeur_email, "participation_lien",
               key=f"participation-lien:{participation.id}:{participation.jeton_hash[:16]}",
               participation=participation, lien=lien(jeton),
               echeance=calendrier.format_echeance(calendrier.echeance(calendrier.PARTICIPATION)))


# --- input checks -------------------------------------------------------------------------------------

def _texte(value, maximum: int) -> str:
    return re.sub(r"\s+", " ", value).strip()[:maximum] if isinstance(value, str) else ""


def email_valide(value: str) -> str | None:
    value = (value or "").strip()
    if not value or len(value) > 254:
        return None
    try:
        return validate_email(value, check_deliverability=False, allow_smtputf8=False).normalized
    except EmailNotValidError:
        return None


def siret_normalise(value: str | None) -> str:
    return re.sub(r"[\s.\-\u00a0\u202f]", "", value or "")


def verifier_siret(value: str | None) -> str:
    """14 digits with a valid checksum (La Poste's rule included), or ValueError with a French message."""
    siret = siret_normalise(value)
    if not (siret.isascii() and siret.isdigit() and len(siret) == 14):
        raise ValueError("Le SIRET compte 14 chiffres (par exemple 223 800 012 00013).")
    if not stdnum_siret.is_valid(siret):
        raise ValueError("Ce SIRET n'existe pas : sa clé de contrôle est incorrecte. "
                         "Vérifiez-le sur l'Annuaire des Entreprises.")
    return siret


def contact_depuis(data: dict, prefix: str, erreurs: dict, *, requis: bool, fonction_requise: bool = False) -> dict | None:
    """A contact {prenom, nom, fonction, email, telephone} from `<prefix>_prenom`…; None when left empty
    and optional. Errors go to `erreurs` under `<prefix>_<field>`."""
    values = {k: _texte(data.get(f"{prefix}_{k}", ""), m) for k, m in
              (("prenom", 100), ("nom", 100), ("fonction", 150), ("email", 320), ("telephone", 20))}
    if not requis and not any(values.values()):
        return None
    if not values["prenom"]:
        erreurs[f"{prefix}_prenom"] = ["Indiquez le prénom du contact."]
    if not values["nom"]:
        erreurs[f"{prefix}_nom"] = ["Indiquez le nom du contact."]
    if fonction_requise and not values["fonction"]:
        erreurs[f"{prefix}_fonction"] = ["Indiquez la fonction du contact."]
    email = email_valide(values["email"])
    if email is None:
        erreurs[f"{prefix}_email"] = ["Adresse électronique invalide (par exemple prenom.nom@exemple.fr)."]
    else:
        values["email"] = email
    return values


# --- territories ----------------------------------------------------------------------------------------

def collectivite(type_: str, code: str) -> dict | None:
    """{type, code, nom, libelle, departement, region} of an existing collectivité, or None."""
    code = (code or "").strip()
    if type_ == "region":
        row = db.session.get(Region, code)
        return row and {"type": type_, "code": row.code, "nom": row.nom, "libelle": f"{row.nom} (région)",
                        "departement": None, "region": row.code}
    if type_ == "departement":
        row = db.session.get(Departement, code.upper())
        return row and {"type": type_, "code": row.code, "nom": row.nom, "libelle": f"{row.nom} ({row.code})",
                        "departement": row.code, "region": row.region_code}
    if type_ == "epci":
        row = db.session.get(Epci, code)
        return row and {"type": type_, "code": row.code, "nom": row.nom, "libelle": f"{row.nom} (EPCI)",
                        "departement": None, "region": None}
    if type_ == "commune":
        row = db.session.get(Commune, code)
        return row and {"type": type_, "code": row.code, "nom": row.nom, "libelle": row.libelle,
                        "departement": row.departement_code, "region": row.region_code}
    return None


def nom_officiel(type_: str, nom: str) -> str:
    """How a collectivité is named in lists: 'Conseil départemental — Isère', 'Commune de Grenoble'…"""
    return {"region": f"Conseil régional — {nom}", "departement": f"Conseil départemental — {nom}",
            "commune": f"Commune de {nom}"}.get(type_, nom)


def hors_territoire(porteur_type: str, porteur_code: str, membre_type: str, membre_code: str) -> bool:
    """True when a perimeter member lies outside the porteur's territory.

    Inside: for a région, its départements, its communes and the EPCIs with a commune in it; for a
    département, its communes and the EPCIs with a commune in it; for an EPCI, its communes.
    """
    def epci_touche(colonne, valeur) -> bool:
        return bool(db.session.scalar(select(exists().where(Commune.epci_code == membre_code, colonne == valeur))))

    if porteur_type == "region":
        if membre_type == "region":
            return membre_code != porteur_code
        if membre_type == "departement":
            dep = db.session.get(Departement, membre_code)
            return dep is None or dep.region_code != porteur_code
        if membre_type == "commune":
            commune = db.session.get(Commune, membre_code)
            return commune is None or commune.region_code != porteur_code
        return not epci_touche(Commune.region_code, porteur_code)
    if porteur_type == "departement":
        if membre_type == "commune":
            commune = db.session.get(Commune, membre_code)
            return commune is None or commune.departement_code != porteur_code
        if membre_type == "epci":
            return not epci_touche(Commune.departement_code, porteur_code)
        return not (membre_type == "departement" and membre_code == porteur_code)
    if porteur_type == "epci":
        if membre_type == "commune":
            commune = db.session.get(Commune, membre_code)
            return commune is None or commune.epci_code != porteur_code
        return not (membre_type == "epci" and membre_code == porteur_code)
    return True


def territoire_propose(participation: Participation) -> list[dict]:
    """The collectivités of a porteur's own territory, offered as perimeter checkboxes:
    région -> its EPCIs; département -> its EPCIs, each with its communes in the département;
    EPCI -> its communes. Items: {type, code, nom, communes: [...]}. Constant number of queries."""
    type_, code = participation.collectivite_type, participation.collectivite_code
    if type_ == "epci":
        communes = db.session.execute(select(Commune.code, Commune.nom).where(Commune.epci_code == code)
                                      .order_by(Commune.nom)).all()
        return [{"type": "commune", "code": c, "nom": n, "communes": []} for c, n in communes]
    if type_ == "region":
        epcis = db.session.execute(
            select(Epci.code, Epci.nom).where(Epci.code.in_(select(Commune.epci_code).where(Commune.region_code == code)))
            .order_by(Epci.nom)).all()
        return [{"type": "epci", "code": c, "nom": n, "communes": []} for c, n in epcis]
    if type_ == "departement":
        rows = db.session.execute(
            select(Commune.code, Commune.nom, Commune.epci_code, Epci.nom).outerjoin(Epci, Epci.code == Commune.epci_code)
            .where(Commune.departement_code == code).order_by(Epci.nom, Commune.nom)).all()
        groupes: dict[str | None, dict] = {}
        for commune_code, commune_nom, epci_code, epci_nom in rows:
            groupe = groupes.setdefault(epci_code, {"type": "epci", "code": epci_code, "nom": epci_nom or
                                                    "Communes hors EPCI", "communes": []})
            groupe["communes"].append({"type": "commune", "code": commune_code, "nom": commune_nom})
        return sorted(groupes.values(), key=lambda g: (g["code"] is None, g["nom"]))
    return []


def departements_concernes(participation: Participation) -> set[str]:
    """The départements whose préfet sees this form."""
    p = participation
    if p.collectivite_type == "region":
        return set(db.session.scalars(select(Departement.code).where(Departement.region_code == p.region_code)))
    if p.collectivite_type == "epci":
        return set(db.session.scalars(select(Commune.departement_code).where(Commune.epci_code == p.collectivite_code)
                                      .distinct()))
    return {p.departement_code} if p.departement_code else set()


# --- the use cases -----------------------------------------------------------------------------------

def _modifiable(participation: Participation, maintenant: datetime | None) -> None:
    if participation.statut == "envoye":
        raise EtatInvalide("Ce formulaire a été envoyé : il ne peut plus être modifié. Vous pouvez l'annuler "
                           "et recommencer.")
    if participation.statut == "annule":
        raise EtatInvalide("Ce formulaire a été annulé : utilisez le lien du nouveau formulaire.")
    calendrier.verifier_echeance(calendrier.PARTICIPATION, maintenant)


@unit_of_work
def commencer(persona: str, nom: str, email: str, maintenant: datetime | None = None) -> tuple[Participation, str]:
    """Start a form: persona, name and email; the link to resume it is emailed. Returns (form, secret)."""
    calendrier.verifier_echeance(calendrier.PARTICIPATION, maintenant)
    erreurs: dict[str, list[str]] = {}
    if persona not in PERSONAS:
        erreurs["persona"] = ["Choisissez qui vous représentez."]
    nom = _texte(nom, 200)
    if not nom:
        erreurs["nom"] = ["Indiquez votre nom."]
    adresse = email_valide(email)
    if adresse is None:
        erreurs["email"] = ["Adresse électronique invalide (par exemple prenom.nom@exemple.fr)."]
    if erreurs:
        raise ValidationErreur(erreurs)
    jeton = _nouveau_jeton()
    participation = Participation(jeton_hash=hash_jeton(jeton), persona=persona, demandeur_nom=nom,
                                  demandeur_email=adresse, statut="brouillon",
                                  intention=None if persona in PERSONAS_PORTEUSES else "participer")
    db.session.add(participation)
    db.session.flush()
    _envoyer_lien(participation, jeton)
    return participation, jeton


@unit_of_work
def renvoyer_lien(email: str, maintenant: datetime | None = None) -> int:
    """Lost link: every open draft of this address gets a new link (the old one stops working),
    emailed to that address. Returns the number of links sent (never shown: no enumeration)."""
    adresse = email_valide(email)
    if adresse is None:
        raise ValidationErreur({"email": ["Adresse électronique invalide (par exemple prenom.nom@exemple.fr)."]})
    if calendrier.echeance_depassee(calendrier.PARTICIPATION, maintenant):
        return 0
    brouillons = db.session.scalars(select(Participation).where(
        Participation.demandeur_email == adresse, Participation.statut.in_(("brouillon", "envoye")))).all()
    for participation in brouillons:
        jeton = _nouveau_jeton()
        participation.jeton_hash = hash_jeton(jeton)
        db.session.flush()
        _envoyer_lien(participation, jeton)
    return len(brouillons)


@unit_of_work
def choisir_intention(participation: Participation, intention: str, maintenant: datetime | None = None) -> None:
    _modifiable(participation, maintenant)
    if intention not in ("porter", "participer"):
        raise ValidationErreur({"intention": ["Choisissez : porter une feuille de route ou y participer."]})
    if intention == "porter" and not participation.peut_porter:
        raise ValidationErreur({"intention": ["Seuls un conseil régional, un conseil départemental ou un EPCI "
                                              "peuvent porter une feuille de route."]})
    if intention != participation.intention and intention == "participer":
        participation.membres.clear()
        participation.partenaires.clear()
        participation.dispositifs_existants = ""
    participation.intention = intention


@unit_of_work
def choisir_collectivite(participation: Participation, valeur: str, maintenant: datetime | None = None) -> None:
    """The collectivité the actor represents ('type:code' from « Rechercher la collectivité »)."""
    _modifiable(participation, maintenant)
    attendu = PERSONA_TERRITOIRE.get(participation.persona)
    type_, _, code = (valeur or "").partition(":")
    found = collectivite(type_, code) if type_ == attendu else None
    if attendu is None or found is None:
        raise ValidationErreur({"collectivite": [
            f"Choisissez votre collectivité ({TYPES_COLLECTIVITE.get(attendu or '', '').lower()}) parmi les "
            "résultats de la recherche."]})
    if (participation.collectivite_type, participation.collectivite_code) != (type_, found["code"]):
        participation.membres.clear()  # the perimeter belonged to the former territory
    participation.collectivite_type = type_
    participation.collectivite_code = found["code"]
    participation.collectivite_nom = nom_officiel(type_, found["nom"])
    participation.departement_code = found["departement"]
    participation.region_code = found["region"]


def _remplacer_contact(participation: Participation, role: str, values: dict | None) -> None:
    existing = participation.contact(role)
    if values is None:
        if existing is not None:
            participation.contacts.remove(existing)
        return
    if existing is None:
        participation.contacts.append(ParticipationContact(role=role, **values))
    else:
        for key, value in values.items():
            setattr(existing, key, value)


@unit_of_work
def enregistrer_contacts(participation: Participation, data: dict, maintenant: datetime | None = None) -> None:
    """Collectivité: contact politique (required, with its function) and contact technique (optional)."""
    _modifiable(participation, maintenant)
    if participation.est_structure:
        raise EtatInvalide("Une structure indique un seul contact, avec ses informations.")
    erreurs: dict[str, list[str]] = {}
    politique = contact_depuis(data, "politique", erreurs, requis=True, fonction_requise=True)
    technique = contact_depuis(data, "technique", erreurs, requis=False)
    if participation.intention == "porter":
        participation.dispositifs_existants = (data.get("dispositifs_existants") or "").strip()[:DISPOSITIFS_MAX]
    if erreurs:
        raise ValidationErreur(erreurs)
    _remplacer_contact(participation, "politique", politique)
    _remplacer_contact(participation, "technique", technique)


@unit_of_work
def enregistrer_structure(participation: Participation, data: dict, maintenant: datetime | None = None) -> None:
    """Structure: name, SIRET or « pas de SIRET », département, one contact."""
    _modifiable(participation, maintenant)
    if not participation.est_structure:
        raise EtatInvalide("Ce formulaire est celui d'une collectivité.")
    erreurs: dict[str, list[str]] = {}
    nom = _texte(data.get("structure_nom", ""), 255)
    if not nom:
        erreurs["structure_nom"] = ["Indiquez le nom de la structure."]
    sans_siret = data.get("sans_siret") in ("1", "on", "oui", True)
    siret = None
    if not sans_siret:
        if not siret_normalise(data.get("siret")):
            erreurs["siret"] = ["Indiquez le SIRET de la structure, ou cochez « Pas de SIRET »."]
        else:
            try:
                siret = verifier_siret(data.get("siret"))
            except ValueError as exc:
                erreurs["siret"] = [str(exc)]
    departement = db.session.get(Departement, (data.get("departement") or "").strip().upper()[:3])
    if departement is None:
        erreurs["departement"] = ["Choisissez le département de la structure."]
    contact = contact_depuis(data, "contact", erreurs, requis=True)
    if erreurs:
        raise ValidationErreur(erreurs)
    participation.structure_nom = nom
    participation.structure_siret = siret
    participation.structure_sans_siret = sans_siret
    participation.departement_code = departement.code
    participation.region_code = departement.region_code
    _remplacer_contact(participation, "structure", contact)


def _porteur(participation: Participation, maintenant: datetime | None) -> None:
    _modifiable(participation, maintenant)
    if participation.intention != "porter":
        raise EtatInvalide("Seul le porteur d'une feuille de route en définit le périmètre et les partenaires.")
    if not participation.collectivite_code:
        raise EtatInvalide("Choisissez d'abord votre collectivité.")


def _membre(participation: Participation, type_: str, code: str) -> ParticipationMembre | None:
    found = collectivite(type_, code)
    if found is None:
        return None
    return ParticipationMembre(type=type_, code=found["code"], nom=nom_officiel(type_, found["nom"]),
                               hors_territoire=hors_territoire(participation.collectivite_type,
                                                               participation.collectivite_code, type_, found["code"]))


def _charger_collectivites(cles: list[tuple[str, str]]) -> list:
    """The collectivités of `cles` in one statement per type, so each `db.session.get` that follows reads the
    session instead of the database (a perimeter may list hundreds of communes)."""
    modeles = {"region": Region, "departement": Departement, "epci": Epci, "commune": Commune}
    lignes = []
    for type_, modele in modeles.items():
        codes = sorted({c.upper() if type_ == "departement" else c for t, c in cles if t == type_})
        for start in range(0, len(codes), 500):
            lignes += db.session.scalars(select(modele).where(modele.code.in_(codes[start:start + 500]))).all()
    return lignes


@unit_of_work
def definir_perimetre(participation: Participation, valeurs: Iterable[str], maintenant: datetime | None = None) -> None:
    """The perimeter: the checked collectivités ('type:code'). Members kept keep their contact."""
    _porteur(participation, maintenant)
    voulus: list[tuple[str, str]] = []
    for valeur in valeurs:
        type_, _, code = (valeur or "").partition(":")
        if type_ in TYPES_COLLECTIVITE and code and (type_, code) not in voulus:
            voulus.append((type_, code))
    if len(voulus) > MAX_MEMBRES:
        raise ValidationErreur({"membres": [f"{MAX_MEMBRES} collectivités au plus."]})
    soi = (participation.collectivite_type, participation.collectivite_code)
    actuels = {(m.type, m.code): m for m in participation.membres}
    for cle, membre in actuels.items():
        if cle not in voulus:
            participation.membres.remove(membre)
    nouveaux = [(t, c) for t, c in voulus if (t, c) not in actuels and (t, c) != soi]
    charges = _charger_collectivites(nouveaux)  # noqa: F841 — held so the session serves each lookup below
    inconnus = []
    for type_, code in nouveaux:
        membre = _membre(participation, type_, code)
        if membre is None:
            inconnus.append(code)
        else:
            participation.membres.append(membre)
    if inconnus:
        raise ValidationErreur({"membres": [f"Collectivité inconnue : {', '.join(inconnus[:5])}."]})


@unit_of_work
def ajouter_membre(participation: Participation, valeur: str, maintenant: datetime | None = None) -> ParticipationMembre:
    """Add one collectivité found with the search (outside the territory it is marked « hors territoire »)."""
    _porteur(participation, maintenant)
    type_, _, code = (valeur or "").partition(":")
    if (type_, code) == (participation.collectivite_type, participation.collectivite_code):
        raise ValidationErreur({"membre": ["Votre collectivité porte la feuille de route : elle en fait déjà partie."]})
    for membre in participation.membres:
        if (membre.type, membre.code) == (type_, code):
            return membre
    if len(participation.membres) >= MAX_MEMBRES:
        raise ValidationErreur({"membre": [f"{MAX_MEMBRES} collectivités au plus."]})
    membre = _membre(participation, type_, code) if type_ in TYPES_COLLECTIVITE else None
    if membre is None:
        raise ValidationErreur({"membre": ["Choisissez une collectivité parmi les résultats de la recherche."]})
    participation.membres.append(membre)
    return membre


@unit_of_work
def enregistrer_contacts_membres(participation: Participation, data: dict, maintenant: datetime | None = None) -> None:
    """One optional contact per perimeter collectivité (fields `membre-<id>_prenom`…)."""
    _porteur(participation, maintenant)
    erreurs: dict[str, list[str]] = {}
    valeurs = {}
    for membre in participation.membres:
        valeurs[membre.id] = contact_depuis(data, f"membre-{membre.id}", erreurs, requis=False)
    if erreurs:
        raise ValidationErreur(erreurs)
    for membre in participation.membres:
        contact = valeurs[membre.id] or {"prenom": "", "nom": "", "fonction": "", "email": ""}
        membre.contact_prenom, membre.contact_nom = contact["prenom"], contact["nom"]
        membre.contact_fonction, membre.contact_email = contact["fonction"], contact["email"]
    participation.etape_contacts_membres_faite = True


@unit_of_work
def passer_contacts_membres(participation: Participation, maintenant: datetime | None = None) -> None:
    _porteur(participation, maintenant)
    participation.etape_contacts_membres_faite = True


@unit_of_work
def ajouter_partenaire(participation: Participation, data: dict, maintenant: datetime | None = None) -> ParticipationPartenaire:
    """A partner structure suggested by the porteur: name, SIRET (or none) and one contact."""
    _porteur(participation, maintenant)
    if len(participation.partenaires) >= MAX_PARTENAIRES:
        raise ValidationErreur({"partenaire_nom": [f"{MAX_PARTENAIRES} structures au plus."]})
    erreurs: dict[str, list[str]] = {}
    nom = _texte(data.get("partenaire_nom", ""), 255)
    if not nom:
        erreurs["partenaire_nom"] = ["Indiquez le nom de la structure."]
    siret = None
    if siret_normalise(data.get("partenaire_siret")):
        try:
            siret = verifier_siret(data.get("partenaire_siret"))
        except ValueError as exc:
            erreurs["partenaire_siret"] = [str(exc)]
    contact = contact_depuis(data, "partenaire_contact", erreurs, requis=True)
    if erreurs:
        raise ValidationErreur(erreurs)
    partenaire = ParticipationPartenaire(nom=nom, siret=siret, contact_prenom=contact["prenom"],
                                         contact_nom=contact["nom"], contact_fonction=contact["fonction"],
                                         contact_email=contact["email"])
    participation.partenaires.append(partenaire)
    return partenaire


@unit_of_work
def retirer_partenaire(participation: Participation, partenaire_id: int, maintenant: datetime | None = None) -> None:
    _porteur(participation, maintenant)
    for partenaire in list(participation.partenaires):
        if partenaire.id == partenaire_id:
            participation.partenaires.remove(partenaire)


def manques(participation: Participation) -> list[str]:
    """What is still missing before the form can be sent (French, empty when complete)."""
    p = participation
    result = []
    if p.est_structure:
        if not p.structure_nom or not p.departement_code:
            result.append("Renseignez votre structure (nom, SIRET, département).")
        if p.contact("structure") is None:
            result.append("Indiquez le contact de votre structure.")
        return result
    if p.intention is None:
        result.append("Indiquez si vous souhaitez porter une feuille de route ou y participer.")
    if not p.collectivite_code:
        result.append("Choisissez votre collectivité.")
    if p.contact("politique") is None:
        result.append("Indiquez le contact politique de votre collectivité.")
    if p.intention == "porter" and not p.membres:
        result.append("Définissez le périmètre de la feuille de route (au moins une collectivité).")
    return result


@unit_of_work
def envoyer(participation: Participation, maintenant: datetime | None = None) -> None:
    """Send the form: it is frozen from now on; the actor receives a confirmation email."""
    _modifiable(participation, maintenant)
    manquant = manques(participation)
    if manquant:
        raise ValidationErreur({"formulaire": manquant}, "Le formulaire n'est pas complet.")
    participation.statut = "envoye"
    participation.envoye_le = maintenant or utcnow()
    db.session.flush()
    from app.mail import send_email

    send_email(participation.demandeur_email, "participation_envoyee", key=f"participation-envoyee:{participation.id}",
               participation=participation)


@unit_of_work
def annuler_et_recommencer(participation: Participation, maintenant: datetime | None = None) -> tuple[Participation, str]:
    """Cancel a form (sent or draft) and open a new draft with the same answers, to change and send again.
    The cancelled form no longer counts; the new link is emailed."""
    if participation.statut == "annule":
        raise EtatInvalide("Ce formulaire a déjà été annulé.")
    calendrier.verifier_echeance(calendrier.PARTICIPATION, maintenant)
    participation.statut = "annule"
    participation.annule_le = maintenant or utcnow()
    jeton = _nouveau_jeton()
    copie = Participation(
        jeton_hash=hash_jeton(jeton), persona=participation.persona, intention=participation.intention,
        statut="brouillon", demandeur_nom=participation.demandeur_nom, demandeur_email=participation.demandeur_email,
        collectivite_type=participation.collectivite_type, collectivite_code=participation.collectivite_code,
        collectivite_nom=participation.collectivite_nom, structure_nom=participation.structure_nom,
        structure_siret=participation.structure_siret, structure_sans_siret=participation.structure_sans_siret,
        departement_code=participation.departement_code, region_code=participation.region_code,
        dispositifs_existants=participation.dispositifs_existants,
        etape_contacts_membres_faite=participation.etape_contacts_membres_faite, remplace_id=participation.id,
        contacts=[ParticipationContact(role=c.role, prenom=c.prenom, nom=c.nom, fonction=c.fonction, email=c.email,
                                       telephone=c.telephone) for c in participation.contacts],
        membres=[ParticipationMembre(type=m.type, code=m.code, nom=m.nom, hors_territoire=m.hors_territoire,
                                     contact_prenom=m.contact_prenom, contact_nom=m.contact_nom,
                                     contact_fonction=m.contact_fonction, contact_email=m.contact_email)
                 for m in participation.membres],
        partenaires=[ParticipationPartenaire(nom=s.nom, siret=s.siret, contact_prenom=s.contact_prenom,
                                             contact_nom=s.contact_nom, contact_fonction=s.contact_fonction,
                                             contact_email=s.contact_email) for s in participation.partenaires],
    )
    db.session.add(copie)
    db.session.flush()
    _envoyer_lien(copie, jeton)
    return copie, jeton


# --- daily digest to the préfets -----------------------------------------------------------------------

def _prefets_par_departement() -> dict[str, list[str]]:
    rows = db.session.execute(
        select(Utilisateur.departement_code, Utilisateur.email).join(Utilisateur.roles)
        .where(Role.name == roles.PREFET_DEPARTEMENT, Utilisateur.active.is_(True),
               Utilisateur.departement_code.isnot(None))
        .order_by(Utilisateur.departement_code, Utilisateur.email)).all()
    result: dict[str, list[str]] = {}
    for code, email in rows:
        if email_valide(email) and email not in result.setdefault(code, []):
            result[code].append(email)
    return {code: emails for code, emails in result.items() if emails}


def envoyer_digest_prefets(maintenant: datetime | None = None) -> int:
    """One email per département listing the forms sent since its last digest, to its préfets.

    A form concerning several départements (a région, an EPCI across a border) is listed once for
    each of them, and never twice for the same one: the digest line's unique constraint on
    (form, département) decides, even when two runs overlap. Départements without a préfet
    account wait for one. Returns the number of digests written (emails go through the outbox).
    """
    from app.mail import send_email
    from app.security.scope import Scope

    maintenant = maintenant or utcnow()
    envoyes = 0
    for departement_code, emails in sorted(_prefets_par_departement().items()):
        deja = select(ParticipationDigestLigne.id).where(
            ParticipationDigestLigne.participation_id == Participation.id,
            ParticipationDigestLigne.departement_code == departement_code)
        formulaires = db.session.scalars(
            select(Participation).where(Participation.statut == "envoye", Participation.envoye_le <= maintenant,
                                        participation_clause(Scope(departements=frozenset({departement_code}))),
                                        ~exists(deja))
            .order_by(Participation.envoye_le, Participation.id)).all()
        if not formulaires:
            continue
        try:
            digest = ParticipationDigest(departement_code=departement_code, destinataires=", ".join(emails)[:2000],
                                         created_at=maintenant)
            db.session.add(digest)
            db.session.flush()
            db.session.add_all(ParticipationDigestLigne(digest_id=digest.id, participation_id=p.id,
                                                        departement_code=departement_code) for p in formulaires)
            db.session.flush()
            from app.mail import public_url

            send_email(emails, "participations_digest_prefets", key=f"participation-digest:{digest.id}",
                       formulaires=formulaires, departement=db.session.get(Departement, departement_code),
                       lien=public_url("GouvernanceView.departement", code=departement_code))
            db.session.commit()
            envoyes += 1
        except IntegrityError:
            db.session.rollback()  # another run listed these forms at the same moment
            log.info("digest des participations du %s déjà pris par un autre envoi", departement_code)
        except BaseException:
            db.session.rollback()
            raise
    return envoyes
