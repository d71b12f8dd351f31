"""Public pages « Participer à l'élaboration des feuilles de route » (no account: the link is the credential).

    /participer/                      start: persona, name, email (the resume link is emailed)
    /participer/lien                  lost link: a new one is emailed
    /participer/<jeton>/              the form's overview (steps, status, send / cancel)
    /participer/<jeton>/<étape>       intention, collectivite, structure, perimetre, contacts-membres,
                                      partenaires, recapitulatif; POST envoyer, annuler

Thin: every rule is in `app.gouvernances.participation`. Works without JavaScript (the search of
collectivités is a submit button). Stable ids and labels for browser tests.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from sqlalchemy import select

from app.extensions import db
from app.formulaires.views import rechercher_collectivites
from app.gouvernances import calendrier
from app.gouvernances import participation as regles
from app.gouvernances.erreurs import ErreurGouvernance, ValidationErreur
from app.gouvernances.models import PERSONA_TERRITOIRE, PERSONAS, PERSONAS_PORTEUSES, Participation
from app.models.territoires import Departement

ETAPES = {
    "intention": "Votre intention",
    "collectivite": "Votre collectivité et ses contacts",
    "structure": "Votre structure et son contact",
    "perimetre": "Périmètre de la feuille de route",
    "contacts-membres": "Contacts des collectivités du périmètre",
    "partenaires": "Structures partenaires",
    "recapitulatif": "Récapitulatif et envoi",
}


def etapes(p: Participation) -> list[dict]:
    """The steps of this form, in order, with whether each is done."""
    noms: list[str] = []
    if p.est_structure:
        noms = ["structure"]
    else:
        if p.peut_porter:
            noms.append("intention")
        noms.append("collectivite")
        if p.intention == "porter":
            noms += ["perimetre", "contacts-membres", "partenaires"]
    noms.append("recapitulatif")
    faites = {
        "intention": p.intention is not None,
        "collectivite": bool(p.collectivite_code) and p.contact("politique") is not None,
        "structure": bool(p.structure_nom) and p.contact("structure") is not None,
        "perimetre": bool(p.membres),
        "contacts-membres": p.etape_contacts_membres_faite,
        "partenaires": bool(p.partenaires),
        "recapitulatif": p.statut == "envoye",
    }
    return [{"nom": n, "titre": ETAPES[n], "faite": faites[n]} for n in noms]


def _suivante(p: Participation, actuelle: str) -> str:
    noms = [e["nom"] for e in etapes(p)]
    if actuelle in noms and noms.index(actuelle) + 1 < len(noms):
        return noms[noms.index(actuelle) + 1]
    return "recapitulatif"


ENDPOINTS = {"intention": "intention", "collectivite": "collectivite", "structure": "structure",
             "perimetre": "perimetre", "contacts-membres": "contacts_membres", "partenaires": "partenaires",
             "recapitulatif": "recapitulatif"}


def url_etape(jeton: str, nom: str) -> str:
    return url_for(f"ParticipationView.{ENDPOINTS[nom]}", jeton=jeton)


class ParticipationView(BaseView):
    """Anonymous pages; rate limited per address on POST (see `views.register`)."""

    route_base = "/participer"
    class_permission_name = "Participation"
    default_view = "accueil"

    # --- helpers ---------------------------------------------------------------------------------

    def _page(self, template: str, status: int = 200, **context):
        context.setdefault("echeance", calendrier.format_echeance(calendrier.echeance(calendrier.PARTICIPATION)))
        context.setdefault("ferme", calendrier.echeance_depassee(calendrier.PARTICIPATION))
        response = self.render_template(f"gouvernances/participation/{template}", **context)
        return response, status

    def _charger(self, jeton: str) -> Participation:
        p = regles.par_jeton(jeton)
        if p is None:
            abort(404)
        return p

    def _lecture_seule(self, p: Participation) -> bool:
        return p.statut != "brouillon" or calendrier.echeance_depassee(calendrier.PARTICIPATION)

    def _refus(self, jeton: str, exc: ErreurGouvernance):
        flash(exc.message, "error")
        return redirect(url_for("ParticipationView.formulaire", jeton=jeton)), exc.status

    # --- start and lost link ---------------------------------------------------------------------

    @expose("/", methods=["GET", "POST"])
    def accueil(self):
        valeurs = {"persona": "", "nom": "", "email": ""}
        erreurs: dict[str, list[str]] = {}
        if request.method == "POST":
            valeurs = {k: (request.form.get(k) or "").strip() for k in valeurs}
            try:
                p, jeton = regles.commencer(valeurs["persona"], valeurs["nom"], valeurs["email"])
            except ValidationErreur as exc:
                erreurs = exc.erreurs
            except ErreurGouvernance as exc:
                return self._page("accueil.html", exc.status, valeurs=valeurs, erreurs={}, personas=PERSONAS,
                                  porteuses=PERSONAS_PORTEUSES, message=exc.message)
            else:
                flash(f"Votre formulaire est ouvert. Un lien pour le reprendre à tout moment vient d'être envoyé à "
                      f"{p.demandeur_email}.", "success")
                return redirect(url_for("ParticipationView.formulaire", jeton=jeton))
        return self._page("accueil.html", 400 if erreurs else 200, valeurs=valeurs, erreurs=erreurs,
                          personas=PERSONAS, porteuses=PERSONAS_PORTEUSES)

    @expose("/lien", methods=["GET", "POST"])
    def renvoyer(self):
        erreurs: dict[str, list[str]] = {}
        email = ""
        if request.method == "POST":
            email = (request.form.get("email") or "").strip()
            try:
                regles.renvoyer_lien(email)
            except ValidationErreur as exc:
                erreurs = exc.erreurs
            else:
                flash("Si des formulaires sont associés à cette adresse, un nouveau lien vers chacun d'eux vient d'y "
                      "être envoyé. Les anciens liens ne fonctionnent plus.", "success")
                return redirect(url_for("ParticipationView.renvoyer"))
        return self._page("lien.html", 400 if erreurs else 200, email=email, erreurs=erreurs)

    # --- the form ---------------------------------------------------------------------------------

    @expose("/<jeton>/")
    def formulaire(self, jeton: str):
        p = self._charger(jeton)
        return self._page("formulaire.html", p=p, jeton=jeton, etapes=etapes(p), manques=regles.manques(p),
                          lecture_seule=self._lecture_seule(p))

    @expose("/<jeton>/intention", methods=["GET", "POST"])
    def intention(self, jeton: str):
        p = self._charger(jeton)
        if not p.peut_porter:
            return redirect(url_for("ParticipationView.formulaire", jeton=jeton))
        erreurs: dict[str, list[str]] = {}
        if request.method == "POST":
            try:
                regles.choisir_intention(p, request.form.get("intention", ""))
                return redirect(url_etape(jeton, _suivante(p, "intention")))
            except ValidationErreur as exc:
                erreurs = exc.erreurs
            except ErreurGouvernance as exc:
                return self._refus(jeton, exc)
        return self._page("intention.html", 400 if erreurs else 200, p=p, jeton=jeton, erreurs=erreurs,
                          etapes=etapes(p), lecture_seule=self._lecture_seule(p))

    @expose("/<jeton>/collectivite", methods=["GET", "POST"])
    def collectivite(self, jeton: str):
        p = self._charger(jeton)
        if p.est_structure:
            return redirect(url_etape(jeton, "structure"))
        type_attendu = PERSONA_TERRITOIRE[p.persona]
        erreurs: dict[str, list[str]] = {}
        recherche = None
        valeurs = _valeurs_contacts(p)
        if request.method == "POST":
            valeurs = {k: v for k, v in request.form.items() if k != "csrf_token"}
            action = request.form.get("action", "enregistrer")
            if action == "chercher":
                q = (request.form.get("recherche") or "").strip()[:100]
                recherche = {"q": q, "resultats": rechercher_collectivites(q, [type_attendu]), "fait": True}
            else:
                try:
                    choix = request.form.get("collectivite")
                    if choix and choix != f"{p.collectivite_type}:{p.collectivite_code}":
                        regles.choisir_collectivite(p, choix)
                    elif not p.collectivite_code:
                        raise ValidationErreur({"collectivite": ["Recherchez votre collectivité puis choisissez-la "
                                                                 "dans la liste."]})
                    regles.enregistrer_contacts(p, request.form)
                    return redirect(url_etape(jeton, _suivante(p, "collectivite")))
                except ValidationErreur as exc:
                    erreurs = exc.erreurs
                except ErreurGouvernance as exc:
                    return self._refus(jeton, exc)
        return self._page("collectivite.html", 400 if erreurs else 200, p=p, jeton=jeton, erreurs=erreurs,
                          valeurs=valeurs, recherche=recherche, type_attendu=type_attendu, etapes=etapes(p),
                          lecture_seule=self._lecture_seule(p))

    @expose("/<jeton>/structure", methods=["GET", "POST"])
    def structure(self, jeton: str):
        p = self._charger(jeton)
        if not p.est_structure:
            return redirect(url_etape(jeton, "collectivite"))
        erreurs: dict[str, list[str]] = {}
        contact = p.contact("structure")
        valeurs = {"structure_nom": p.structure_nom, "siret": p.structure_siret or "",
                   "sans_siret": "1" if p.structure_sans_siret else "", "departement": p.departement_code or ""}
        if contact is not None:
            valeurs.update({f"contact_{k}": getattr(contact, k) for k in ("prenom", "nom", "fonction", "email",
                                                                            "telephone")})
        if request.method == "POST":
            valeurs = {k: v for k, v in request.form.items() if k != "csrf_token"}
            try:
                regles.enregistrer_structure(p, request.form)
                return redirect(url_etape(jeton, "recapitulatif"))
            except ValidationErreur as exc:
                erreurs = exc.erreurs
            except ErreurGouvernance as exc:
                return self._refus(jeton, exc)
        departements = db.session.execute(select(Departement.code, Departement.nom).order_by(Departement.code)).all()
        return self._page("structure.html", 400 if erreurs else 200, p=p, jeton=jeton, erreurs=erreurs,
                          valeurs=valeurs, departements=departements, etapes=etapes(p),
                          lecture_seule=self._lecture_seule(p))

    @expose("/<jeton>/perimetre", methods=["GET", "POST"])
    def perimetre(self, jeton: str):
        p = self._charger(jeton)
        if p.intention != "porter" or not p.collectivite_code:
            return redirect(url_for("ParticipationView.formulaire", jeton=jeton))
        erreurs: dict[str, list[str]] = {}
        recherche = None
        if request.method == "POST":
            action = request.form.get("action", "enregistrer")
            try:
                if action == "chercher":
                    regles.definir_perimetre(p, request.form.getlist("membres"))
                    q = (request.form.get("recherche") or "").strip()[:100]
                    recherche = {"q": q, "resultats": rechercher_collectivites(q, ["commune", "epci", "departement", "region"]),
                                 "fait": True}
                elif action.startswith("ajouter:"):
                    regles.definir_perimetre(p, request.form.getlist("membres"))
                    regles.ajouter_membre(p, action.removeprefix("ajouter:"))
                    flash("Collectivité ajoutée au périmètre.", "success")
                    return redirect(url_etape(jeton, "perimetre") + "#membres-ajoutes")
                else:
                    regles.definir_perimetre(p, request.form.getlist("membres"))
                    return redirect(url_etape(jeton, "contacts-membres"))
            except ValidationErreur as exc:
                erreurs = exc.erreurs
            except ErreurGouvernance as exc:
                return self._refus(jeton, exc)
        propose = regles.territoire_propose(p)
        codes_proposes = {(g["type"], g["code"]) for g in propose} | {
            (c["type"], c["code"]) for g in propose for c in g["communes"]}
        choisis = {f"{m.type}:{m.code}" for m in p.membres}
        autres = [m for m in p.membres if (m.type, m.code) not in codes_proposes]
        return self._page("perimetre.html", 400 if erreurs else 200, p=p, jeton=jeton, erreurs=erreurs,
                          propose=propose, choisis=choisis, autres=autres, recherche=recherche, etapes=etapes(p),
                          lecture_seule=self._lecture_seule(p))

    @expose("/<jeton>/contacts-membres", methods=["GET", "POST"])
    def contacts_membres(self, jeton: str):
        p = self._charger(jeton)
        if p.intention != "porter":
            return redirect(url_for("ParticipationView.formulaire", jeton=jeton))
        erreurs: dict[str, list[str]] = {}
        valeurs = {}
        for m in p.membres:
            valeurs.update({f"membre-{m.id}_prenom": m.contact_prenom, f"membre-{m.id}_nom": m.contact_nom,
                            f"membre-{m.id}_fonction": m.contact_fonction, f"membre-{m.id}_email": m.contact_email})
        if request.method == "POST":
            valeurs = {k: v for k, v in request.form.items() if k != "csrf_token"}
            try:
                if request.form.get("action") == "passer":
                    regles.passer_contacts_membres(p)
                else:
                    regles.enregistrer_contacts_membres(p, request.form)
                return redirect(url_etape(jeton, "partenaires"))
            except ValidationErreur as exc:
                erreurs = exc.erreurs
            except ErreurGouvernance as exc:
                return self._refus(jeton, exc)
        return self._page("contacts_membres.html", 400 if erreurs else 200, p=p, jeton=jeton, erreurs=erreurs,
                          valeurs=valeurs, etapes=etapes(p), lecture_seule=self._lecture_seule(p))

    @expose("/<jeton>/partenaires", methods=["GET", "POST"])
    def partenaires(self, jeton: str):
        p = self._charger(jeton)
        if p.intention != "porter":
            return redirect(url_for("ParticipationView.formulaire", jeton=jeton))
        erreurs: dict[str, list[str]] = {}
        valeurs: dict[str, str] = {}
        if request.method == "POST":
            action = request.form.get("action", "ajouter")
            try:
                if action.startswith("retirer:") and action.removeprefix("retirer:").isdigit():
                    regles.retirer_partenaire(p, int(action.removeprefix("retirer:")))
                    flash("Structure retirée.", "success")
                elif action == "continuer":
                    return redirect(url_etape(jeton, "recapitulatif"))
                else:
                    partenaire = regles.ajouter_partenaire(p, request.form)
                    flash(f"Structure « {partenaire.nom} » ajoutée.", "success")
                return redirect(url_etape(jeton, "partenaires"))
            except ValidationErreur as exc:
                erreurs = exc.erreurs
                valeurs = {k: v for k, v in request.form.items() if k != "csrf_token"}
            except ErreurGouvernance as exc:
                return self._refus(jeton, exc)
        return self._page("partenaires.html", 400 if erreurs else 200, p=p, jeton=jeton, erreurs=erreurs,
                          valeurs=valeurs, etapes=etapes(p), lecture_seule=self._lecture_seule(p))

    @expose("/<jeton>/recapitulatif")
    def recapitulatif(self, jeton: str):
        p = self._charger(jeton)
        return self._page("recapitulatif.html", p=p, jeton=jeton, manques=regles.manques(p), etapes=etapes(p),
                          lecture_seule=self._lecture_seule(p))

    @expose("/<jeton>/envoyer", methods=["POST"])
    def envoyer(self, jeton: str):
        p = self._charger(jeton)
        try:
            regles.envoyer(p)
        except ValidationErreur as exc:
            return self._page("recapitulatif.html", 400, p=p, jeton=jeton, manques=regles.manques(p),
                              etapes=etapes(p), lecture_seule=self._lecture_seule(p),
                              message=" ".join(m for ms in exc.erreurs.values() for m in ms))
        except ErreurGouvernance as exc:
            return self._refus(jeton, exc)
        flash(f"Votre formulaire a bien été envoyé. Une confirmation a été adressée à {p.demandeur_email}.", "success")
        return redirect(url_for("ParticipationView.formulaire", jeton=jeton))

    @expose("/<jeton>/annuler", methods=["GET", "POST"])
    def annuler(self, jeton: str):
        p = self._charger(jeton)
        if request.method == "POST":
            if request.form.get("confirmation") != "oui":
                return self._page("annuler.html", 400, p=p, jeton=jeton,
                                  erreurs={"confirmation": ["Cochez la case pour confirmer l'annulation."]})
            try:
                nouveau, nouveau_jeton = regles.annuler_et_recommencer(p)
            except ErreurGouvernance as exc:
                return self._refus(jeton, exc)
            flash("Le formulaire précédent est annulé. Voici un nouveau formulaire, repris de vos réponses : "
                  f"modifiez-le puis envoyez-le. Son lien a été envoyé à {nouveau.demandeur_email}.", "success")
            return redirect(url_for("ParticipationView.formulaire", jeton=nouveau_jeton))
        return self._page("annuler.html", p=p, jeton=jeton, erreurs={})


def _valeurs_contacts(p: Participation) -> dict:
    valeurs = {"dispositifs_existants": p.dispositifs_existants}
    for role in ("politique", "technique"):
        contact = p.contact(role)
        if contact is not None:
            valeurs.update({f"{role}_{k}": getattr(contact, k) for k in ("prenom", "nom", "fonction", "email",
                                                                           "telephone")})
    return valeurs


def securiser_reponse(response):
    """The secret link is in the URL: never send it as a Referer, never cache the page."""
    if request.blueprint == "ParticipationView":
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
    return response
