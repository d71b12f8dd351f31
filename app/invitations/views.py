"""Invitation screens: ANCT invites préfets (Administration → Invitations); the public accept page."""

from flask import Blueprint, current_app, flash, g, redirect, render_template, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_login import login_user
from sqlalchemy import select

from app.extensions import db
from app.invitations.forms import AccepterInvitationForm, ImporterPrefetsForm, InviterPrefetForm
from app.invitations.models import Invitation
from app.invitations.service import (
    InvitationError,
    InvitationInvalide,
    accept_invitation,
    create_invitation,
    find_invitation,
    import_prefets_csv,
)
from app.models.territoires import Departement, Region
from app.security import roles
from app.templating import date_fr
from app.views.base import ModelInterface, ScopedModelView


class InvitationView(ScopedModelView):
    datamodel = ModelInterface(Invitation)
    class_permission_name = "Invitation"
    route_base = "/invitations"
    base_permissions = ["can_list", "can_show", "can_add", "can_delete", "reinviter"]
    exclude_route_methods = {"edit", "download", "export"}
    list_title = "Invitations"
    show_title = "Détail de l'invitation"
    list_columns = ["email", "role", "territoire_label", "statut_label", "expires_at", "invited_by", "created_at"]
    show_columns = ["email", "role", "territoire_label", "statut_label", "created_at", "invited_by", "expires_at",
                    "used_at", "user"]
    search_columns = ["email", "role", "created_at", "expires_at", "used_at"]
    order_columns = ["email", "role", "created_at", "expires_at"]
    base_order = ("created_at", "desc")
    label_columns = {
        "email": "Adresse électronique", "role": "Profil", "territoire_label": "Territoire",
        "statut_label": "État", "expires_at": "Valable jusqu'au", "invited_by": "Invité par",
        "created_at": "Envoyée le", "used_at": "Acceptée le", "user": "Compte créé",
    }
    formatters_columns = {"expires_at": date_fr, "created_at": date_fr, "used_at": date_fr}

    def _territories(self):
        departements = db.session.scalars(select(Departement).order_by(Departement.code)).all()
        regions = db.session.scalars(select(Region).order_by(Region.nom)).all()
        return departements, regions

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        departements, regions = self._territories()
        form = InviterPrefetForm(departements=departements, regions=regions)
        if form.validate_on_submit():
            departement, region = form.departement.data or None, form.region.data or None
            try:
                invitation = create_invitation(
                    form.email.data, roles.PREFET_DEPARTEMENT if departement else roles.PREFET_REGION,
                    departement_code=departement, region_code=region, invited_by=g.user,
                )
            except InvitationError as error:
                db.session.rollback()
                form.email.errors.append(str(error))
            else:
                db.session.commit()
                flash(f"Invitation envoyée à {invitation.email} ({invitation.role}, "
                      f"{invitation.territoire_label}).", "success")
                return redirect(url_for(".list"))
        return self.render_template("invitations/inviter.html", form=form, title="Inviter un préfet")

    @expose("/importer", methods=["GET", "POST"])
    @has_access
    @permission_name("add")
    def importer(self):
        form = ImporterPrefetsForm()
        errors: list[str] = []
        if form.validate_on_submit():
            invitations, errors = import_prefets_csv(form.fichier.data.read(), invited_by=g.user)
            if errors:
                db.session.rollback()
            else:
                db.session.commit()
                flash(f"{len(invitations)} invitation(s) envoyée(s).", "success")
                return redirect(url_for(".list"))
        return self.render_template("invitations/importer.html", form=form, errors=errors,
                                    title="Importer des invitations de préfets")

    @action("reinviter", "Renvoyer l'invitation",
            "Envoyer une nouvelle invitation ? Le lien précédent cessera de fonctionner.", "fa-envelope")
    def reinviter(self, items):
        items = items if isinstance(items, list) else [items]
        sent, refused = 0, []
        for item in items:
            if item is None or item.used_at is not None:
                refused.append(f"{item.email if item else '?'} : invitation déjà acceptée.")
                continue
            try:
                create_invitation(item.email, item.role, departement_code=item.departement_code,
                                  region_code=item.region_code, structure_id=item.structure_id,
                                  invited_by=g.user)
                sent += 1
            except InvitationError as error:
                refused.append(f"{item.email} : {error}")
        db.session.commit()
        if sent:
            flash(f"{sent} nouvelle(s) invitation(s) envoyée(s).", "success")
        for message in refused:
            flash(message, "warning")
        return redirect(url_for(".list"))

    def pre_delete(self, item):
        if item.used_at is not None:
            raise InvitationError("Une invitation acceptée fait partie de l'historique : elle ne se supprime pas.")


# --- Public page: anonymous, outside FAB's permissions, CSRF-protected by CSRFProtect -----------

invitation_bp = Blueprint("invitation", __name__)

_INVALID = {
    "inconnue": (404, "Ce lien d'invitation n'est pas valide",
                 "Il est incomplet, ou une invitation plus récente l'a remplacé : utilisez le lien du "
                 "dernier courriel reçu."),
    "expiree": (410, "Ce lien d'invitation a expiré",
                "Par sécurité, une invitation n'est valable que quelques jours. Aucun compte n'a été créé."),
    "utilisee": (410, "Ce lien d'invitation a déjà servi",
                 "Le compte correspondant existe déjà : connectez-vous avec votre adresse électronique et "
                 "votre mot de passe."),
}


def _invalid(error: InvitationInvalide):
    status, title, message = _INVALID[error.reason]
    return render_template("invitations/lien_invalide.html", title=title, message=message, reason=error.reason,
                           invitation=error.invitation), status


@invitation_bp.after_request
def _private(response):
    # The token is in the URL: never leak it to other sites, never cache the page.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@invitation_bp.route("/invitation/<token>", methods=["GET", "POST"])
def accepter(token: str):
    try:
        invitation = find_invitation(token)
    except InvitationInvalide as error:
        return _invalid(error)
    form = AccepterInvitationForm(email=invitation.email)
    if form.validate_on_submit():
        try:
            user = accept_invitation(token, first_name=form.first_name.data, last_name=form.last_name.data,
                                     password=form.password.data)
        except InvitationInvalide as error:
            return _invalid(error)
        except InvitationError as error:
            form.password.errors.append(str(error))
        else:
            login_user(user, remember=False)
            current_app.appbuilder.sm.update_user_auth_stat(user, True)
            flash("Votre compte est créé. Bienvenue sur votre tableau de pilotage !", "success")
            return redirect(url_for("AccueilView.index"))
    return render_template("invitations/accepter.html", form=form, invitation=invitation,
                           title="Activer votre compte")


def register_views(app, appbuilder) -> None:
    appbuilder.add_view(InvitationView, "Invitations", label="Invitations", icon="fa-user-plus",
                        category="Security", category_label="Administration", category_icon="fa-cogs")
    app.register_blueprint(invitation_bp)
