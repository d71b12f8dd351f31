"""ANCT screen: Administration → Courriels (read only, plus "Renvoyer" for failed messages)."""

from flask import flash, redirect
from flask_appbuilder.actions import action
from markupsafe import Markup, escape

from app.extensions import db
from app.mail.models import FAILED, OutboxMessage
from app.mail.outbox import requeue_failed
from app.templating import date_fr
from app.views.base import ModelInterface, ScopedModelView


def _pre(value) -> Markup:
    return Markup('<pre style="white-space:pre-wrap">{}</pre>').format(escape(value or ""))


class OutboxView(ScopedModelView):
    datamodel = ModelInterface(OutboxMessage)
    class_permission_name = "Outbox"
    route_base = "/courriels"
    base_permissions = ["can_list", "can_show", "renvoyer"]
    exclude_route_methods = {"add", "edit", "delete", "download", "export"}
    list_title = "Courriels envoyés par la plateforme"
    show_title = "Détail du courriel"
    list_columns = ["id", "created_at", "to", "subject", "template", "state_label", "attempts",
                    "next_attempt_at", "sent_at"]
    show_fieldsets = [
        ("Courriel", {"fields": ["id", "to", "subject", "template", "idempotency_key", "created_at"]}),
        ("Envoi", {"fields": ["state_label", "attempts", "next_attempt_at", "sent_at", "last_error"]}),
        ("Contenu", {"fields": ["text_body"]}),
    ]
    search_columns = ["to", "subject", "template", "state", "idempotency_key", "created_at"]
    order_columns = ["id", "created_at", "state", "attempts", "next_attempt_at", "sent_at"]
    base_order = ("id", "desc")
    label_columns = {
        "id": "ID", "to": "Destinataires", "subject": "Objet", "template": "Modèle", "state": "État",
        "state_label": "État", "attempts": "Tentatives", "next_attempt_at": "Prochaine tentative",
        "last_error": "Dernière erreur", "sent_at": "Envoyé le", "created_at": "Créé le",
        "idempotency_key": "Clé d'unicité", "text_body": "Texte", "html_body": "HTML",
    }
    formatters_columns = {
        "created_at": date_fr, "next_attempt_at": date_fr, "sent_at": date_fr,
        "text_body": _pre, "last_error": _pre,
    }

    @action("renvoyer", "Renvoyer", "Remettre en file d'envoi les courriels en échec sélectionnés ?",
            "fa-repeat", multiple=True, single=True)
    def renvoyer(self, items):
        items = items if isinstance(items, list) else [items]
        ids = [item.id for item in items if item is not None and item.state == FAILED]
        count = requeue_failed(ids)
        db.session.commit()
        ignored = len(items) - count
        if count:
            flash(f"{count} courriel(s) remis en file d'envoi.", "success")
        if ignored:
            flash(f"{ignored} courriel(s) ignoré(s) : seuls les courriels en échec peuvent être renvoyés.",
                  "warning")
        self.update_redirect()
        return redirect(self.get_redirect())


def register_views(app, appbuilder) -> None:
    appbuilder.add_view(OutboxView, "Courriels", label="Courriels", icon="fa-envelope", category="Security",
                        category_label="Administration", category_icon="fa-cogs")
