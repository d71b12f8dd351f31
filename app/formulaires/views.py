"""Screens: filling a form through a signed link (public), and the ANCT administration of forms."""

from __future__ import annotations

import logging
from datetime import datetime

from flask import abort, current_app, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.utils.limit import Limit
from flask_limiter.util import get_remote_address
from sqlalchemy import func, select
from werkzeug.datastructures import CombinedMultiDict, ImmutableMultiDict

from app.extensions import db
from app.formulaires import export as export_csv
from app.formulaires import fichiers, jetons, service
from app.formulaires.calendrier import PARIS, format_paris, maintenant
from app.formulaires.definition import champs
from app.formulaires.diff import diff
from app.formulaires.models import STATUT_SOUMISE, FormVersion, Soumission
from app.formulaires.moteur import BROUILLON, DEPOT, valider
from app.formulaires.rendu import build_form
from app.formulaires.types_champs import TYPES

log = logging.getLogger(__name__)
PAGE_SIZE = 50


def _formdata():
    return CombinedMultiDict((request.files, request.form)) if request.files else ImmutableMultiDict(request.form)


def rechercher_collectivites(q: str, types: list[str], limit: int = 10) -> list[dict]:
    """« Rechercher la collectivité » for people without JavaScript (the JS calls /territoires/recherche)."""
    from app.territoires.recherche import RechercheInvalide, rechercher

    q = (q or "").strip()[:100]
    if len(q) < 2:
        return []
    try:
        found = rechercher(q, types=types, limit=limit)
    except RechercheInvalide:
        return []
    return [{"type": r["type"], "code": str(r["code"]), "libelle": r.get("libelle") or r.get("nom") or r["code"]}
            for r in found if r.get("type") in types and r.get("code")]


def _options(definition: dict) -> dict:
    from app.models import Departement, Region

    wanted = {c.type for c in champs(definition)} | {
        s["type"] for c in champs(definition) if c.type == "group" for s in c.spec.get("fields", [])}
    options = {}
    if "departement" in wanted:
        options["departements"] = [(d.code, f"{d.code} — {d.nom}")
                                   for d in db.session.scalars(select(Departement).order_by(Departement.code))]
    if "region" in wanted:
        options["regions"] = [(r.code, r.nom) for r in db.session.scalars(select(Region).order_by(Region.nom))]
    return options


def _action() -> tuple[str, str, int | None]:
    raw = request.form.get("action", "brouillon")
    name, _, rest = raw.partition(":")
    key, _, index = rest.partition(":")
    return name, key, int(index) if index.isdigit() and len(index) < 5 else None


class _Rendu:
    """What the fill template needs, whatever the entry point (link, public start, admin preview)."""

    def __init__(self, view: BaseView, version: FormVersion, *, soumission: Soumission | None, action_url: str,
                 apercu: bool = False):
        self.view, self.version, self.soumission = view, version, soumission
        self.definition = version.definition
        self.action_url, self.apercu = action_url, apercu

    def render(self, form, *, status: int = 200, erreurs: dict | None = None, recherches: dict | None = None,
               message: str | None = None, succes: str | None = None, lien: str | None = None):
        erreurs = erreurs or {}
        window = service.fenetre_de(self.version.form_id)
        labels = {}
        for champ in champs(self.definition):
            labels[champ.key] = champ.label
            for sub in champ.spec.get("fields", []) if champ.type == "group" else []:
                labels[f"{champ.key}-*-{sub['key']}"] = sub.get("label", sub["key"])
        resume = []
        for key, messages in erreurs.items():
            parts = key.split("-")
            if len(parts) == 3:
                label = f"{labels.get(parts[0], parts[0])}, élément {int(parts[1]) + 1} : " \
                        f"{labels.get(f'{parts[0]}-*-{parts[2]}', parts[2])}"
            else:
                label = labels.get(key, key)
            label = label.rstrip(" :")  # "Le coordinateur :" -> "Le coordinateur : <message>"
            resume.extend({"id": key, "label": label, "message": m} for m in messages)
        html = self.view.render_template(
            "formulaires/remplir.html", definition=self.definition, version=self.version, form=form,
            soumission=self.soumission, action_url=self.action_url, apercu=self.apercu, erreurs=erreurs,
            resume_erreurs=resume, visibles=form.visibles(), options=_options(self.definition),
            recherches=recherches or {}, message=message, succes=succes, fenetre=window, lien=lien,
        )
        return html, status


def _lecture(view: BaseView, soumission: Soumission, *, message: str | None = None, status: int = 200,
             token: str | None = None):
    version = soumission.form_version
    window = service.fenetre_de(soumission.form_id)
    return view.render_template(
        "formulaires/lecture.html", soumission=soumission, version=version, definition=version.definition,
        reponses=service.answers_for_display(soumission), message=message, fenetre=window, token=token,
    ), status


def _post(view: BaseView, rendu: _Rendu, soumission: Soumission | None, *, creer=None):
    """Handle a post on a fill page. `creer()` makes the submission on first save (public start)."""
    formdata = _formdata()
    existing = soumission.reponses if soumission is not None else {}
    form = build_form(rendu.definition, formdata=formdata, reponses=existing)
    if not form.validate():  # CSRF (also checked globally by CSRFProtect)
        abort(400)
    action, key, index = _action()
    if action in ("ajouter", "retirer") and key in form._fields and form[key].spec.get("type") == "group":
        if action == "ajouter":
            form[key].ajouter()
        elif index is not None:
            form[key].retirer(index)
        return rendu.render(form)
    if action == "chercher":
        spec = form[key].spec if key in form._fields else None
        if spec is None or spec.get("type") != "collectivite":
            abort(400)
        q = request.form.get(f"{key}__recherche", "")
        results = rechercher_collectivites(q, TYPES["collectivite"].types(spec))
        return rendu.render(form, recherches={key: {"q": q, "resultats": results, "fait": True}})
    if action not in ("brouillon", "deposer"):
        abort(400)
    deposer = action == "deposer"
    if rendu.apercu:
        resultat = valider(rendu.definition, form.brut(), existant={}, mode=DEPOT if deposer else BROUILLON)
        form.appliquer_erreurs(resultat.erreurs)
        if resultat.erreurs:
            return rendu.render(form, erreurs=resultat.erreurs, status=422)
        return rendu.render(form, succes="Aperçu : ces réponses seraient acceptées. Rien n'a été enregistré.")
    retour = rendu.action_url  # a fill link comes back to itself (same token, same expiry)
    if soumission is None:
        # Public start: check before creating anything, then create the draft on the first valid save.
        resultat = valider(rendu.definition, form.brut(), existant={}, mode=DEPOT if deposer else BROUILLON)
        if resultat.erreurs:
            form.appliquer_erreurs(resultat.erreurs)
            return rendu.render(form, erreurs=resultat.erreurs, status=422)
        soumission = creer()
        retour = None
    try:
        resultat = service.enregistrer(soumission, form.brut(), deposer=deposer)
    except service.DejaSoumise as exc:
        return _lecture(view, soumission, message=exc.message, status=409)
    except service.FormulaireFerme as exc:
        db.session.rollback()
        return _lecture(view, soumission, message=exc.message, status=409)
    except service.FormRejected as exc:
        return rendu.render(form, message=exc.message, status=422)
    if resultat.erreurs:
        form.appliquer_erreurs(resultat.erreurs)
        return rendu.render(form, erreurs=resultat.erreurs, status=422)
    if retour is None:
        retour = url_for("RemplirView.remplir", token=jetons.creer(soumission))
    if deposer:
        flash(rendu.definition.get("submit_message") or "Votre formulaire a bien été déposé. Merci !", "success")
    else:
        flash(f"Brouillon enregistré le {format_paris(maintenant())}. Vous pouvez le reprendre plus tard avec "
              "le lien de cette page.", "success")
    return redirect(retour)


class RemplirView(BaseView):
    """Anonymous access through a signed link (the link is the credential)."""

    route_base = "/formulaires"
    class_permission_name = "FormulaireRemplir"
    default_view = "remplir"

    def _ouvrir(self, token: str):
        try:
            return jetons.verifier(token), None
        except jetons.LienInvalide as exc:
            return None, (self.render_template("formulaires/lien_invalide.html", message=exc.message), exc.status)

    @expose("/remplir/<token>", methods=["GET", "POST"])
    def remplir(self, token: str):
        soumission, refus = self._ouvrir(token)
        if refus:
            return refus
        rendu = _Rendu(self, soumission.form_version, soumission=soumission,
                       action_url=url_for("RemplirView.remplir", token=token))
        if soumission.statut == STATUT_SOUMISE:
            if request.method == "POST":
                return _lecture(self, soumission, message=service.DejaSoumise.message, status=409, token=token)
            return _lecture(self, soumission, token=token)
        message = service.fenetre_de(soumission.form_id).message(maintenant())
        if message:
            return _lecture(self, soumission, message=message, status=409 if request.method == "POST" else 200,
                            token=token)
        if request.method == "POST":
            return _post(self, rendu, soumission)
        form = build_form(rendu.definition, reponses=soumission.reponses or {})
        return rendu.render(form, lien=request.url)

    @expose("/remplir/<token>/fichier/<key>")
    def fichier(self, token: str, key: str):
        soumission, refus = self._ouvrir(token)
        if refus:
            return refus
        return _envoyer_fichier(soumission, key)


def _limite_publique() -> str:
    return current_app.config.get("FORMULAIRES_PUBLIC_RATE_LIMIT", "10 per minute;100 per hour")


class CommencerView(BaseView):
    """A public form (definition `public: true`) started by anyone; the draft exists from the first save.

    Rate limited per client address on POST (FORMULAIRES_PUBLIC_RATE_LIMIT): each first save writes a row.
    """

    route_base = "/formulaires/commencer"
    class_permission_name = "FormulaireCommencer"
    default_view = "commencer"
    limits = [Limit(limit_value=_limite_publique, key_func=get_remote_address, methods=("POST",),
                    error_message="Trop d'envois depuis votre connexion : réessayez dans quelques minutes.")]

    @expose("/<form_id>", methods=["GET", "POST"])
    def commencer(self, form_id: str):
        try:
            version = service.current_version(form_id)
        except service.FormulaireInconnu:
            abort(404)
        if not version.definition.get("public"):
            abort(404)
        rendu = _Rendu(self, version, soumission=None, action_url=url_for("CommencerView.commencer", form_id=form_id))
        message = service.fenetre_de(form_id).message(maintenant())
        if message:
            return self.render_template("formulaires/lien_invalide.html", message=message,
                                        titre=version.definition.get("title")), 409 if request.method == "POST" else 200
        if request.method == "POST":
            user_id = g.user.id if getattr(g, "user", None) is not None and g.user.is_authenticated else None

            def creer():
                return service.start_or_resume(form_id, respondent_user_id=user_id)

            return _post(self, rendu, None, creer=creer)
        db.session.commit()  # a shipped form loaded on first use
        return rendu.render(build_form(version.definition))


def _envoyer_fichier(soumission: Soumission, key: str):
    champ = next((c for c in champs(soumission.form_version.definition) if c.key == key), None)
    answer = (soumission.reponses or {}).get(key)
    if champ is None or champ.type != "file" or not isinstance(answer, dict):
        abort(404)
    path = fichiers.chemin_absolu(answer)
    if path is None:
        abort(404)
    return send_file(path, mimetype=answer.get("type") or "application/octet-stream", as_attachment=True,
                     download_name=answer.get("nom") or path.name)


# --- Administration (ANCT) --------------------------------------------------------------------------

class FormulaireAdminView(BaseView):
    route_base = "/formulaires/admin"
    class_permission_name = "Formulaire"
    default_view = "liste"
    method_permission_name = {
        "liste": "read", "formulaire": "read", "apercu": "read", "source": "read", "soumission": "read",
        "fichier": "read", "export": "export", "publier": "publish",
    }

    @expose("/")
    @has_access
    def liste(self):
        if not service.form_ids():
            service.charger_fichiers()  # first visit on an empty database: the shipped forms
        rows = []
        for form_id in service.form_ids():
            current = service.current_version(form_id)
            rows.append({"form_id": form_id, "version": current, "fenetre": service.fenetre_de(form_id),
                         "compte": service.compter(form_id), "nb_versions": len(service.versions(form_id))})
        return self.render_template("formulaires/admin/liste.html", rows=rows)

    @expose("/<form_id>/")
    @has_access
    def formulaire(self, form_id: str):
        all_versions = service.versions(form_id)
        if not all_versions:
            abort(404)
        statut = request.args.get("statut")
        page = max(request.args.get("page", 1, type=int) or 1, 1)
        query = select(Soumission).where(Soumission.form_id == form_id)
        if statut in ("brouillon", "soumise"):
            query = query.where(Soumission.statut == statut)
        total = db.session.scalar(select(func.count()).select_from(query.subquery()))
        soumissions = list(db.session.scalars(query.order_by(Soumission.updated_at.desc(), Soumission.id.desc())
                                              .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
        current = all_versions[-1]
        return self.render_template(
            "formulaires/admin/formulaire.html", form_id=form_id, versions=list(reversed(all_versions)),
            current=current, fenetre=service.fenetre_de(form_id),
            soumissions=soumissions, total=total, page=page, pages=max(1, -(-total // PAGE_SIZE)), statut=statut,
            compte=service.compter(form_id))

    @expose("/<form_id>/v<int:version>/apercu", methods=["GET", "POST"])
    @has_access
    def apercu(self, form_id: str, version: int):
        row = service.get_version(form_id, version)
        if row is None:
            abort(404)
        rendu = _Rendu(self, row, soumission=None, apercu=True,
                       action_url=url_for("FormulaireAdminView.apercu", form_id=form_id, version=version))
        if request.method == "POST":
            return _post(self, rendu, None)
        return rendu.render(build_form(row.definition))

    @expose("/<form_id>/v<int:version>/definition")
    @has_access
    def source(self, form_id: str, version: int):
        row = service.get_version(form_id, version)
        if row is None:
            abort(404)
        return self.render_template("formulaires/admin/source.html", version=row, texte=_texte(row))

    @expose("/publier/", methods=["GET", "POST"])
    @has_access
    def publier(self):
        form_id = request.values.get("form_id") or None
        current = None
        if form_id:
            try:
                current = service.current_version(form_id)
            except service.FormulaireInconnu:
                abort(404)
        texte = _texte(current) if current else ""
        context = {"form_id": form_id, "current": current, "problemes": [], "changements": None, "texte": texte}
        if request.method == "POST":
            upload = request.files.get("fichier")
            texte = request.form.get("texte", "")
            if upload is not None and upload.filename:
                raw = upload.read(1024 * 1024 + 1)
                try:
                    texte = raw.decode("utf-8-sig")
                except UnicodeDecodeError:
                    context["problemes"] = ["Le fichier doit être un texte encodé en UTF-8 (YAML ou JSON)."]
                    return self.render_template("formulaires/admin/publier.html", **context), 422
                if len(raw) > 1024 * 1024:
                    context["problemes"] = ["Le fichier dépasse 1 Mo."]
                    return self.render_template("formulaires/admin/publier.html", **context), 422
            context["texte"] = texte
            base = request.form.get("base_version", type=int)
            try:
                definition = service.parse_text_or_refuse(texte)
                from app.formulaires.linter import lint

                problemes = lint(definition)
                if form_id and definition.get("id") != form_id:
                    problemes.append(f"id : l'identifiant « {definition.get('id')} » ne correspond pas au "
                                     f"formulaire « {form_id} » (un identifiant ne change jamais)")
                if problemes:
                    raise service.DefinitionRefusee(problemes)
                target = current or (service.current_version(definition["id"])
                                     if definition["id"] in service.form_ids() else None)
                context["current"] = target
                context["form_id"] = definition["id"]
                if request.form.get("confirmer") == "1":
                    user = g.user
                    row = service.publier(texte, par=f"{user.first_name} {user.last_name} ({user.username})",
                                          user_id=user.id, form_id=definition["id"],
                                          base_version=base if base is not None else None)
                    if row is None:
                        flash("Aucun changement par rapport à la version en ligne : rien n'a été publié.", "info")
                    else:
                        flash(f"Version {row.version} de « {row.titre} » publiée.", "success")
                    return redirect(url_for("FormulaireAdminView.formulaire", form_id=definition["id"]))
                context["changements"] = diff(target.definition, definition) if target else []
                context["nouveau"] = target is None
                context["base_version"] = target.version if target else 0
                return self.render_template("formulaires/admin/publier.html", **context)
            except service.DefinitionRefusee as exc:
                db.session.rollback()
                context["problemes"] = [str(p) for p in exc.problemes]
                return self.render_template("formulaires/admin/publier.html", **context), 422
        return self.render_template("formulaires/admin/publier.html", **context)

    @expose("/<form_id>/export.csv")
    @has_access
    def export(self, form_id: str):
        if not service.versions(form_id):
            abort(404)
        from app.views.base import csv_response, record_export

        brouillons = request.args.get("brouillons") == "1"
        keys = export_csv.colonnes(form_id)
        record_export(f"formulaire-{form_id}", "brouillons" if brouillons else "")
        filename = f"reponses_{form_id}_{datetime.now(PARIS).strftime('%Y-%m-%d')}.csv"
        return csv_response(filename, export_csv.FIXED + keys, export_csv.lignes(form_id, keys, brouillons=brouillons))

    @expose("/soumission/<int:soumission_id>")
    @has_access
    def soumission(self, soumission_id: int):
        soumission = db.session.get(Soumission, soumission_id)
        if soumission is None:
            abort(404)
        return self.render_template("formulaires/admin/soumission.html", soumission=soumission,
                                    reponses=service.answers_for_display(soumission),
                                    derniere=service.current_version(soumission.form_id))

    @expose("/soumission/<int:soumission_id>/fichier/<key>")
    @has_access
    def fichier(self, soumission_id: int, key: str):
        soumission = db.session.get(Soumission, soumission_id)
        if soumission is None:
            abort(404)
        return _envoyer_fichier(soumission, key)


def _texte(version: FormVersion) -> str:
    if version.source:
        return version.source
    import yaml

    return yaml.safe_dump(version.definition, allow_unicode=True, sort_keys=False, width=110)
