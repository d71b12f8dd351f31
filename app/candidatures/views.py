"""HTML screens of the coordinator call: préfet and ANCT lists and details, avis and decisions, the
structure's "Recrutement d'un coordinateur" and "Gérer mes postes", the Banque des Territoires' contracts,
and the public application page. Views are thin: every rule lives in `workflow`."""

from __future__ import annotations

from dataclasses import replace

from flask import abort, current_app, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from app.candidatures import requetes, workflow
from app.candidatures.erreurs import ActionNonAutorisee, ErreurMetier, TransitionInterdite, ValidationErreur
from app.candidatures.exports import export_candidatures
from app.candidatures.models import (
    AVIS,
    COMMENTAIRE_AVIS_MAX,
    COMMENTAIRE_DECISION_MAX,
    DECISIONS,
    MOTIF_RENVOI_MAX,
    Candidature,
    ContratDocument,
)
from app.extensions import db
from app.formulaires.models import Soumission
from app.formulaires.service import answers_for_display
from app.models.structures import TYPES_CONTRAT, Conseiller, Contrat, Structure
from app.security.scope import get_in_scope_or_404


def reponses_candidature(candidature: Candidature) -> list[dict]:
    """The submitted answers of this request (public application, then motivation), each shown against
    the version of the form it was answered on."""
    soumissions = db.session.scalars(
        select(Soumission).where(Soumission.objet_type == workflow.OBJET_CANDIDATURE,
                                 Soumission.objet_id == candidature.id, Soumission.statut == "soumise")
        .order_by(Soumission.soumise_le, Soumission.id))
    return [{"soumission": s, "reponses": answers_for_display(s)} for s in soumissions]


# --- préfets and ANCT ----------------------------------------------------------------------------

class CandidaturesView(BaseView):
    """« Demandes de coordinateur à traiter » (préfets, their territory) and the national list (ANCT)."""

    route_base = "/candidatures"
    class_permission_name = "Candidature"
    default_view = "liste"
    method_permission_name = {"liste": "list", "detail": "show", "avis": "avis", "decision": "decision",
                              "export": "export"}

    @expose("/")
    @has_access
    def liste(self):
        filtres = requetes.Filtres.depuis(request.args)
        regions = requetes.regions_du_perimetre()
        # Filters outside the territory are ignored (the scope would empty the list anyway).
        if filtres.region and filtres.region not in {r.code for r in regions}:
            filtres = replace(filtres, region="")
        departements = requetes.departements_du_perimetre(region=filtres.region)
        if filtres.departement and filtres.departement not in {d.code for d in departements}:
            filtres = replace(filtres, departement="")
        page = requetes.page(filtres)
        return self.render_template(
            "candidatures/liste.html", filtres=filtres, page=page, compteurs=requetes.compteurs(),
            onglets=requetes.ONGLETS, filtres_avis=requetes.FILTRES_AVIS, regions=regions,
            departements=departements, national=workflow.est_anct(g.user),
            peut_exporter=self.appbuilder.sm.has_access("can_export", self.class_permission_name),
        )

    def _charger(self, pk: int) -> Candidature:
        return requetes.charger(pk, g.user)

    def _detail(self, candidature: Candidature, *, message: str = "", status: int = 200):
        sm = self.appbuilder.sm
        return self.render_template(
            "candidatures/detail.html", candidature=candidature, structure=candidature.structure,
            reponses=reponses_candidature(candidature), transitions=candidature.transitions, message=message,
            peut_avis=sm.has_access("can_avis", self.class_permission_name)
            and workflow.prefet_couvre(g.user, candidature.structure),
            peut_decider=sm.has_access("can_decision", self.class_permission_name) and workflow.est_anct(g.user),
            avis_labels=AVIS, retour=request.args.get("retour", ""),
        ), status

    @expose("/<int:pk>")
    @has_access
    def detail(self, pk: int):
        return self._detail(requetes.charger(pk, g.user, detail=True))

    @expose("/<int:pk>/avis", methods=["GET", "POST"])
    @has_access
    def avis(self, pk: int):
        """Explicit confirmation step, then the avis (once; the database decides between two préfets)."""
        candidature = self._charger(pk)
        avis = (request.values.get("avis") or "").strip()
        commentaire = request.form.get("commentaire", "")
        erreurs: dict[str, str] = {}
        status = 200
        if request.method == "POST":
            if request.form.get("confirmer") != "oui":
                erreurs["confirmer"] = "Confirmez l'avis avec le bouton « Confirmer »."
                status = 400
            else:
                try:
                    workflow.donner_avis(candidature, g.user, avis, commentaire)
                except ValidationErreur as exc:
                    erreurs, status = exc.erreurs, 400
                except (TransitionInterdite, ActionNonAutorisee) as exc:
                    return self._detail(candidature, message=exc.message, status=exc.status)
                else:
                    flash(f"Votre avis {AVIS[avis].lower()} sur la candidature de {candidature.structure.nom} "
                          "est enregistré.", "success")
                    return redirect(url_for(".detail", pk=pk))
        elif candidature.avis is not None or candidature.statut != "nouvelle":
            message = workflow.message_avis_deja_donne(candidature) if candidature.avis else \
                "Cette candidature n'attend plus d'avis."
            return self._detail(candidature, message=message, status=409)
        if avis not in AVIS:
            erreurs.setdefault("avis", "Choisissez un avis favorable ou défavorable.")
        return self.render_template(
            "candidatures/confirmer_avis.html", candidature=candidature, structure=candidature.structure, avis=avis,
            avis_label=AVIS.get(avis, ""), commentaire=commentaire, erreurs=erreurs, maximum=COMMENTAIRE_AVIS_MAX,
        ), status

    @expose("/<int:pk>/decision", methods=["GET", "POST"])
    @has_access
    def decision(self, pk: int):
        candidature = self._charger(pk)
        decision = (request.values.get("decision") or "").strip()
        commentaire = request.form.get("commentaire", "")
        erreurs: dict[str, str] = {}
        status = 200
        if request.method == "POST":
            if request.form.get("confirmer") != "oui":
                erreurs["confirmer"] = "Confirmez la décision avec le bouton « Confirmer »."
                status = 400
            else:
                try:
                    workflow.decider(candidature, g.user, decision, commentaire)
                except ValidationErreur as exc:
                    erreurs, status = exc.erreurs, 400
                except (TransitionInterdite, ActionNonAutorisee) as exc:
                    return self._detail(candidature, message=exc.message, status=exc.status)
                else:
                    verbe = "validée" if decision == "validee" else "refusée"
                    flash(f"La candidature de {candidature.structure.nom} est {verbe}. "
                          "La structure et les préfets du département sont prévenus par courriel.", "success")
                    return redirect(url_for(".detail", pk=pk))
        elif candidature.statut != "nouvelle":
            return self._detail(candidature, message=workflow.message_decision_impossible(candidature), status=409)
        if decision not in DECISIONS:
            erreurs.setdefault("decision", "Choisissez de valider ou de refuser la candidature.")
        return self.render_template(
            "candidatures/confirmer_decision.html", candidature=candidature, structure=candidature.structure,
            decision=decision, commentaire=commentaire, erreurs=erreurs, maximum=COMMENTAIRE_DECISION_MAX,
        ), status

    @expose("/export")
    @has_access
    def export(self):
        return export_candidatures(requetes.Filtres.depuis(request.args))


# --- structures ------------------------------------------------------------------------------------

def structure_courante(*, choix_possible: bool = False) -> Structure | None:
    """The signed-in structure; ANCT may open any structure's pages with ?structure=<id> (support).
    None (ANCT without a structure chosen yet) only when the caller can show the choice."""
    if getattr(g.user, "structure_id", None):
        return get_in_scope_or_404(Structure, g.user.structure_id)
    if workflow.est_anct(g.user):
        ident = request.values.get("structure", type=int)
        if ident:
            return get_in_scope_or_404(Structure, ident)
        if choix_possible:
            return None
    abort(404)


def choisir_structure(view: BaseView):
    return view.render_template("candidatures/choisir_structure.html", endpoint=request.endpoint)


def _args_structure(structure: Structure) -> dict:
    return {} if getattr(g.user, "structure_id", None) == structure.id else {"structure": structure.id}


class RecrutementCoordinateurView(BaseView):
    """Coordination territoriale → Recrutement d'un coordinateur (the structure's dashboard)."""

    route_base = "/coordination"
    class_permission_name = "RecrutementCoordinateur"
    default_view = "recrutement"
    method_permission_name = {"recrutement": "acceder", "motivation": "acceder", "bandeau": "acceder"}

    def _page(self, structure: Structure, *, message: str = "", status: int = 200):
        candidatures = list(db.session.scalars(
            select(Candidature).where(Candidature.structure_id == structure.id)
            .order_by(Candidature.created_at.desc(), Candidature.id.desc())))
        ouverte = next((c for c in candidatures if c.statut in ("brouillon", "nouvelle")), None)
        bandeaux = [c for c in candidatures if c.decision_le is not None and c.decision_vue_le is None]
        return self.render_template(
            "candidatures/recrutement.html", structure=structure, candidatures=candidatures, ouverte=ouverte,
            bandeaux=bandeaux, message=message, args_structure=_args_structure(structure),
            date_limite=workflow.date_limite_motivation(),
        ), status

    @expose("/recrutement")
    @has_access
    def recrutement(self):
        structure = structure_courante(choix_possible=True)
        return self._page(structure) if structure is not None else choisir_structure(self)

    @expose("/recrutement/motivation", methods=["POST"])
    @has_access
    def motivation(self):
        structure = structure_courante()
        try:
            _, url = workflow.demarrer_motivation(structure, g.user)
        except ErreurMetier as exc:
            return self._page(structure, message=exc.message, status=exc.status)
        return redirect(url)

    @expose("/recrutement/bandeau/<int:pk>", methods=["POST"])
    @has_access
    def bandeau(self, pk: int):
        candidature = get_in_scope_or_404(Candidature, pk)
        try:
            workflow.fermer_bandeau(candidature, g.user)
        except ErreurMetier as exc:
            abort(exc.status)
        return redirect(url_for(".recrutement", **_args_structure(candidature.structure)))


class PostesView(BaseView):
    """« Gérer mes postes »: validated coordinator posts, role attribution, recruitment."""

    route_base = "/postes"
    class_permission_name = "Postes"
    default_view = "postes"
    method_permission_name = {"postes": "acceder", "attribuer": "attribuer", "recruter": "recruter",
                              "rendre": "rendre"}

    def _page(self, structure: Structure, *, message: str = "", erreurs: dict | None = None, status: int = 200):
        postes = list(db.session.scalars(
            select(Candidature).options(joinedload(Candidature.coordinateur), joinedload(Candidature.contrat))
            .where(Candidature.structure_id == structure.id, Candidature.statut == "validee")
            .order_by(Candidature.decision_le, Candidature.id)))
        coordinateurs = list(db.session.scalars(
            select(Conseiller).where(Conseiller.structure_id == structure.id, Conseiller.est_coordinateur.is_(True))
            .order_by(Conseiller.nom, Conseiller.prenom)))
        contrats = list(db.session.scalars(
            select(Contrat).options(selectinload(Contrat.conseiller))
            .where(Contrat.structure_id == structure.id, Contrat.est_coordinateur.is_(True),
                   Contrat.statut.in_(("en_attente_bdt", "renvoye")))
            .order_by(Contrat.created_at.desc())))
        documents = _documents_par_contrat([c.id for c in contrats])
        return self.render_template(
            "candidatures/postes.html", structure=structure, postes=postes, coordinateurs=coordinateurs,
            contrats=contrats, documents=documents, quota=workflow.quota(structure.id),
            eligibles=workflow.conseillers_eligibles(structure), message=message, erreurs=erreurs or {},
            args_structure=_args_structure(structure),
        ), status

    @expose("/")
    @has_access
    def postes(self):
        structure = structure_courante(choix_possible=True)
        return self._page(structure) if structure is not None else choisir_structure(self)

    @expose("/attribuer", methods=["POST"])
    @has_access
    def attribuer(self):
        structure = structure_courante()
        conseiller_id = request.form.get("conseiller_id", type=int)
        conseiller = db.session.get(Conseiller, conseiller_id) if conseiller_id else None
        try:
            workflow.attribuer_role_coordinateur(structure, conseiller, g.user)
        except ValidationErreur as exc:
            return self._page(structure, message=next(iter(exc.erreurs.values()), exc.message),
                              erreurs=exc.erreurs, status=400)
        except ErreurMetier as exc:
            return self._page(structure, message=exc.message, status=exc.status)
        flash(f"{conseiller.nom_complet} est maintenant coordinateur : un courriel de bienvenue lui est envoyé.",
              "success")
        return redirect(url_for(".postes", **_args_structure(structure)))

    @expose("/recruter", methods=["GET", "POST"])
    @has_access
    def recruter(self):
        structure = structure_courante()
        erreurs: dict[str, str] = {}
        message = ""
        status = 200
        form = request.form
        if request.method == "POST":
            try:
                contrat = workflow.recruter(
                    structure, g.user, conseiller_id=form.get("conseiller_id", type=int)
                    if form.get("personne") == "existant" else None,
                    prenom=form.get("prenom", ""), nom=form.get("nom", ""), email=form.get("email", ""),
                    type_contrat=form.get("type_contrat", ""), date_debut=form.get("date_debut"),
                    date_fin=form.get("date_fin"), salaire=form.get("salaire"),
                    documents=request.files.getlist("documents"))
            except ValidationErreur as exc:
                erreurs, message, status = exc.erreurs, exc.message, 400
            except ErreurMetier as exc:
                message, status = exc.message, exc.status
            else:
                flash(f"Le contrat de {contrat.conseiller.nom_complet} est transmis à la Banque des Territoires. "
                      "Vous serez prévenu par courriel dès son traitement.", "success")
                return redirect(url_for(".postes", **_args_structure(structure)))
        existants = list(db.session.scalars(
            select(Conseiller).where(Conseiller.structure_id == structure.id, Conseiller.est_coordinateur.is_(False),
                                     Conseiller.statut != "inactif")
            .order_by(Conseiller.nom, Conseiller.prenom)))
        return self.render_template(
            "candidatures/recruter.html", structure=structure, form=form, erreurs=erreurs, message=message,
            existants=existants, types_contrat=TYPES_CONTRAT, quota=workflow.quota(structure.id),
            salaire_minimum=current_app.config["SALAIRE_MINIMUM_BRUT_MENSUEL"],
            taille_max_mo=current_app.config["CONTRAT_DOCUMENT_TAILLE_MAX"] // (1024 * 1024),
            args_structure=_args_structure(structure),
        ), status

    @expose("/<int:pk>/rendre", methods=["POST"])
    @has_access
    def rendre(self, pk: int):
        candidature = get_in_scope_or_404(Candidature, pk)
        try:
            workflow.rendre_poste(candidature, g.user)
        except ErreurMetier as exc:
            return self._page(candidature.structure, message=exc.message, status=exc.status)
        flash("Le poste de coordinateur est rendu.", "info")
        return redirect(url_for(".postes", **_args_structure(candidature.structure)))


def _documents_par_contrat(contrat_ids: list[int]) -> dict[int, list[ContratDocument]]:
    result: dict[int, list[ContratDocument]] = {i: [] for i in contrat_ids}
    if contrat_ids:
        for doc in db.session.scalars(select(ContratDocument).where(ContratDocument.contrat_id.in_(contrat_ids))
                                      .order_by(ContratDocument.id)):
            result[doc.contrat_id].append(doc)
    return result


# --- Banque des Territoires ------------------------------------------------------------------------

class ContratsCoordinateurView(BaseView):
    """Coordinator contracts to process (Banque des Territoires), and their documents."""

    route_base = "/contrats-coordinateur"
    class_permission_name = "ContratCoordinateur"
    default_view = "liste"
    method_permission_name = {"liste": "list", "detail": "show", "traiter": "traiter", "document": "document"}

    @expose("/")
    @has_access
    def liste(self):
        statut = request.args.get("statut", "en_attente_bdt")
        if statut not in ("en_attente_bdt", "valide", "renvoye"):
            statut = "en_attente_bdt"
        compteurs = dict(db.session.execute(
            select(Contrat.statut, func.count(Contrat.id)).where(Contrat.est_coordinateur.is_(True))
            .group_by(Contrat.statut)).all())
        contrats = list(db.session.scalars(
            select(Contrat).options(joinedload(Contrat.structure).lazyload("*"), joinedload(Contrat.conseiller))
            .where(Contrat.est_coordinateur.is_(True), Contrat.statut == statut)
            .order_by(Contrat.created_at, Contrat.id).limit(500)))
        return self.render_template("candidatures/contrats_liste.html", contrats=contrats, statut=statut,
                                    compteurs=compteurs)

    def _detail(self, contrat: Contrat, *, message: str = "", erreurs: dict | None = None, status: int = 200):
        poste = db.session.scalar(select(Candidature).where(Candidature.contrat_id == contrat.id))
        return self.render_template(
            "candidatures/contrat_detail.html", contrat=contrat, structure=contrat.structure,
            conseiller=contrat.conseiller, documents=_documents_par_contrat([contrat.id])[contrat.id], poste=poste,
            message=message, erreurs=erreurs or {}, motif=request.form.get("motif", ""), maximum=MOTIF_RENVOI_MAX,
            peut_traiter=workflow.est_bdt(g.user) or workflow.est_anct(g.user),
        ), status

    @expose("/<int:pk>")
    @has_access
    def detail(self, pk: int):
        contrat = get_in_scope_or_404(Contrat, pk)
        if not contrat.est_coordinateur:
            abort(404)
        return self._detail(contrat)

    @expose("/<int:pk>/traiter", methods=["POST"])
    @has_access
    def traiter(self, pk: int):
        contrat = get_in_scope_or_404(Contrat, pk)
        if not contrat.est_coordinateur:
            abort(404)
        decision = request.form.get("decision", "")
        try:
            workflow.traiter_contrat_bdt(contrat, g.user, decision, request.form.get("motif", ""))
        except ValidationErreur as exc:
            return self._detail(contrat, message=exc.message, erreurs=exc.erreurs, status=400)
        except ErreurMetier as exc:
            return self._detail(contrat, message=exc.message, status=exc.status)
        flash("Contrat validé : le coordinateur rejoint les effectifs de la structure." if decision == "valider"
              else "Contrat renvoyé à la structure avec votre motif.", "success")
        return redirect(url_for(".liste"))

    @expose("/documents/<int:pk>")
    @has_access
    def document(self, pk: int):
        """A contract document, only to those who may see it (scope), never from a public URL."""
        document = get_in_scope_or_404(ContratDocument, pk)
        chemin = workflow.chemin_document(document)
        if not chemin.is_file():
            abort(404)
        response = send_file(chemin, mimetype="application/pdf", as_attachment=True,
                              download_name=document.nom_original, max_age=0)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, no-store"
        return response


# --- public application ----------------------------------------------------------------------------

class CandidaturePubliqueView(BaseView):
    """`/candidater/coordinateur`: the public application (no account), rate limited per address
    (see `app.candidatures._limiter_candidature_publique`)."""

    route_base = "/candidater"
    class_permission_name = "CandidaturePublique"
    default_view = "coordinateur"

    @expose("/coordinateur", methods=["GET", "POST"])
    def coordinateur(self):
        from app.candidatures import publique

        return publique.page(self)

