"""ANCT's admin screens for content, the reading pages (pages, documents, news) and « Aide »."""

from __future__ import annotations

from datetime import UTC

import nh3
from flask import abort, current_app, g, request, send_file
from flask_appbuilder import BaseView, ModelView, expose
from flask_appbuilder.security.decorators import has_access
from markupsafe import Markup
from sqlalchemy import select
from wtforms import DateTimeLocalField, FileField, SelectField, SelectMultipleField, widgets
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from app.contenus import stockage
from app.contenus.audience import visible
from app.contenus.models import (
    AUDIENCES,
    CATEGORIES_DOCUMENT,
    RUBRIQUES_PAGE,
    STATUTS,
    THEMES_FAQ,
    Actualite,
    Document,
    DocumentVersion,
    FaqEntree,
    Page,
)
from app.extensions import db
from app.models.base import utcnow
from app.templating import PARIS, date_fr
from app.territoires.recherche import normaliser
from app.views.base import ModelInterface

# Mattermost channels of the seed; override with config SUPPORT_CANAUX (list of (label, url)).
CANAUX_DEFAUT = [
    ("Préfectures FNE échanges", "https://discussion.conseiller-numerique.gouv.fr/hubs/channels/fne---echanges"),
    ("Préfectures CoNum échanges",
     "https://discussion.conseiller-numerique.gouv.fr/hubs/channels/prefectures---echanges"),
]
DOCUMENTATION_DEFAUT = "https://outline.incubateur.anct.gouv.fr/s/383e3974-6128-453d-98cd-f2c27e577e4a"


def nettoyer_html(html: str) -> str:
    """Rich text written by ANCT, sanitised on the server (no script, no style, safe links)."""
    return nh3.clean(html or "", link_rel="noopener noreferrer")


# --- admin (ANCT) --------------------------------------------------------------------------------

class _CaseACocher(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _au_moins_une(form, field):
    if not field.data:
        raise ValidationError("Choisissez au moins un public.")


_PUBLICATION_FIELDS = {
    "statut": SelectField("État", choices=list(STATUTS.items()), validators=[DataRequired()]),
    "audiences": _CaseACocher("Publics", choices=list(AUDIENCES.items()), validators=[_au_moins_une]),
    "publie_le": DateTimeLocalField(
        "Date de publication (heure de Paris)", format="%Y-%m-%dT%H:%M", validators=[Optional()],
        description="Laissez vide pour publier immédiatement. Un contenu publié n'apparaît qu'à partir de cette date."),
}
_PUBLICATION_LABELS = {"statut": "État", "statut_label": "État", "audiences": "Publics",
                       "audiences_label": "Publics", "publie_le": "Date de publication",
                       "created_at": "Créé le", "updated_at": "Modifié le"}


class _ContenuAdminView(ModelView):
    """Common behaviour: Paris-time publication date stored in UTC, sanitised rich text."""

    page_size = 50
    champs_html: tuple[str, ...] = ()
    formatters_columns = {"publie_le": date_fr, "created_at": date_fr, "updated_at": date_fr}

    def _preparer(self, item) -> None:
        if item.publie_le is not None and item.publie_le.tzinfo is None:
            item.publie_le = item.publie_le.replace(tzinfo=PARIS).astimezone(UTC)
        if item.statut == "publie" and item.publie_le is None:
            item.publie_le = utcnow()
        for champ in self.champs_html:
            setattr(item, champ, nettoyer_html(getattr(item, champ)))

    def pre_add(self, item):
        self._preparer(item)

    def pre_update(self, item):
        self._preparer(item)

    def prefill_form(self, form, pk):
        item = self.datamodel.get(pk)
        if item is not None and item.publie_le is not None:
            form.publie_le.data = item.publie_le.astimezone(PARIS).replace(tzinfo=None)


class PageAdminView(_ContenuAdminView):
    datamodel = ModelInterface(Page)
    class_permission_name = "ContenuPage"
    route_base = "/admin/contenus/pages"
    list_title = "Pages"
    show_title = "Page"
    add_title = "Ajouter une page"
    edit_title = "Modifier la page"
    champs_html = ("corps",)
    list_columns = ["titre", "slug", "rubrique_label", "statut_label", "audiences_label", "publie_le"]
    show_columns = ["titre", "slug", "rubrique_label", "resume", "corps", "ordre", "statut_label", "audiences_label",
                    "publie_le", "created_at", "updated_at"]
    add_columns = edit_columns = ["titre", "slug", "rubrique", "resume", "corps", "ordre", "statut", "audiences",
                                  "publie_le"]
    search_columns = ["titre", "slug", "rubrique", "statut"]
    order_columns = ["titre", "slug", "publie_le"]
    base_order = ("titre", "asc")
    label_columns = {"titre": "Titre", "slug": "Adresse (slug)", "rubrique": "Rubrique", "rubrique_label": "Rubrique",
                     "resume": "Résumé", "corps": "Contenu (HTML)", "ordre": "Ordre", **_PUBLICATION_LABELS}
    description_columns = {"slug": "Lettres minuscules, chiffres et tirets : /contenus/pages/<slug>.",
                           "corps": "HTML simple (titres, paragraphes, listes, liens) : il est nettoyé à l'enregistrement."}
    add_form_extra_fields = edit_form_extra_fields = {
        **_PUBLICATION_FIELDS,
        "rubrique": SelectField("Rubrique", choices=list(RUBRIQUES_PAGE.items()), validators=[DataRequired()]),
    }
    validators_columns = {"slug": [DataRequired(), Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$",
                                                          message="Lettres minuscules, chiffres et tirets.")],
                          "titre": [DataRequired(), Length(max=200)]}


class DocumentVersionAdminView(ModelView):
    datamodel = ModelInterface(DocumentVersion)
    class_permission_name = "ContenuDocumentVersion"
    route_base = "/admin/contenus/versions"
    list_title = "Versions du document"
    base_permissions = ["can_list", "can_show"]
    list_columns = ["numero", "nom_original", "taille_label", "type_mime", "created_at", "telechargement"]
    show_columns = ["document", "numero", "nom_original", "taille_label", "type_mime", "sha256", "created_at"]
    search_columns = ["nom_original"]
    order_columns = ["numero", "created_at"]
    base_order = ("numero", "desc")
    label_columns = {"document": "Document", "numero": "Version", "nom_original": "Fichier", "taille_label": "Taille",
                     "type_mime": "Type", "sha256": "Empreinte SHA-256", "created_at": "Déposée le",
                     "telechargement": "Télécharger"}
    formatters_columns = {"created_at": date_fr}




def _fichier_valide(form, field):
    upload = stockage.lire_upload(field.data)
    if upload is None:
        if getattr(form, "_fichier_obligatoire", False):
            raise ValidationError("Choisissez un fichier.")
        return
    nom, contenu = upload
    try:
        stockage.verifier(stockage.nom_sur(nom), contenu)
    except stockage.FichierRefuse as exc:
        raise ValidationError(str(exc)) from exc
    finally:
        field.data.stream.seek(0)


class DocumentAdminView(_ContenuAdminView):
    datamodel = ModelInterface(Document)
    class_permission_name = "ContenuDocument"
    route_base = "/admin/contenus/documents"
    list_title = "Documents"
    show_title = "Document"
    add_title = "Ajouter un document"
    edit_title = "Modifier le document (un nouveau fichier crée une nouvelle version)"
    list_columns = ["titre", "categorie_label", "statut_label", "audiences_label", "publie_le", "version_courante"]
    show_columns = ["titre", "categorie_label", "description", "statut_label", "audiences_label", "publie_le",
                    "version_courante", "created_at", "updated_at"]
    add_columns = edit_columns = ["titre", "categorie", "description", "fichier_envoye", "statut", "audiences", "publie_le"]
    search_columns = ["titre", "categorie", "statut"]
    order_columns = ["titre", "publie_le"]
    base_order = ("titre", "asc")
    related_views = [DocumentVersionAdminView]
    label_columns = {"titre": "Titre", "categorie": "Catégorie", "categorie_label": "Catégorie",
                     "description": "Description", "fichier_envoye": "Fichier", "version_courante": "Version en ligne",
                     "versions": "Versions", **_PUBLICATION_LABELS}
    add_form_extra_fields = edit_form_extra_fields = {
        **_PUBLICATION_FIELDS,
        "categorie": SelectField("Catégorie", choices=list(CATEGORIES_DOCUMENT.items()), validators=[DataRequired()]),
        "fichier_envoye": FileField("Fichier", validators=[_fichier_valide],
                             description="PDF, ODT, ODS, ODP, DOCX, XLSX, PPTX, ZIP, PNG ou JPEG ; "
                                         "10 Mo au plus. Les versions précédentes sont conservées."),
    }
    validators_columns = {"titre": [DataRequired(), Length(max=200)]}

    def _enregistrer_fichier(self, item, obligatoire: bool) -> None:
        upload = stockage.lire_upload(getattr(item, "fichier_envoye", None))
        if upload is None:
            if obligatoire:
                raise ValueError("Choisissez un fichier.")
            return
        nom, contenu = upload
        stockage.ajouter_version(item, nom, contenu, user_id=getattr(g.user, "id", None))

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # The file is mandatory when creating a document (validated with the rest of the form).
        self.add_form._fichier_obligatoire = True

    def pre_add(self, item):
        super().pre_add(item)
        self._enregistrer_fichier(item, obligatoire=True)

    def pre_update(self, item):
        super().pre_update(item)
        self._enregistrer_fichier(item, obligatoire=False)


class FaqAdminView(_ContenuAdminView):
    datamodel = ModelInterface(FaqEntree)
    class_permission_name = "ContenuFaq"
    route_base = "/admin/contenus/faq"
    list_title = "Foire aux questions"
    show_title = "Question"
    add_title = "Ajouter une question"
    edit_title = "Modifier la question"
    champs_html = ("reponse",)
    list_columns = ["question", "theme_label", "ordre", "statut_label", "audiences_label", "publie_le"]
    show_columns = ["question", "theme_label", "reponse", "ordre", "statut_label", "audiences_label", "publie_le"]
    add_columns = edit_columns = ["theme", "question", "reponse", "ordre", "statut", "audiences", "publie_le"]
    search_columns = ["question", "theme", "statut"]
    order_columns = ["question", "ordre", "publie_le"]
    base_order = ("ordre", "asc")
    label_columns = {"question": "Question", "theme": "Thème", "theme_label": "Thème", "reponse": "Réponse (HTML)",
                     "ordre": "Ordre", **_PUBLICATION_LABELS}
    add_form_extra_fields = edit_form_extra_fields = {
        **_PUBLICATION_FIELDS,
        "theme": SelectField("Thème", choices=list(THEMES_FAQ.items()), validators=[DataRequired()]),
    }
    validators_columns = {"question": [DataRequired(), Length(max=300)]}


class ActualiteAdminView(_ContenuAdminView):
    datamodel = ModelInterface(Actualite)
    class_permission_name = "ContenuActualite"
    route_base = "/admin/contenus/actualites"
    list_title = "Actualités"
    show_title = "Actualité"
    add_title = "Ajouter une actualité"
    edit_title = "Modifier l'actualité"
    champs_html = ("corps",)
    list_columns = ["titre", "statut_label", "audiences_label", "publie_le"]
    show_columns = ["titre", "resume", "corps", "statut_label", "audiences_label", "publie_le"]
    add_columns = edit_columns = ["titre", "resume", "corps", "statut", "audiences", "publie_le"]
    search_columns = ["titre", "statut"]
    order_columns = ["titre", "publie_le"]
    base_order = ("publie_le", "desc")
    label_columns = {"titre": "Titre", "resume": "Résumé", "corps": "Contenu (HTML)", **_PUBLICATION_LABELS}
    add_form_extra_fields = edit_form_extra_fields = dict(_PUBLICATION_FIELDS)
    validators_columns = {"titre": [DataRequired(), Length(max=200)]}


# --- reading pages -------------------------------------------------------------------------------

def _document_visible_or_404(pk: int) -> Document:
    document = db.session.scalar(select(Document).where(Document.id == pk, visible(Document)))
    if document is None or document.version_courante is None:
        abort(404)
    return document


def envoyer(version: DocumentVersion):
    path = stockage.chemin(version)
    if path is None:
        abort(404)
    response = send_file(path, mimetype=version.type_mime, as_attachment=True, download_name=version.nom_original,
                         max_age=0, etag=version.sha256)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


class ContenusView(BaseView):
    """What the reader's audiences allow: published pages, documents and news."""

    route_base = "/contenus"
    class_permission_name = "Contenus"
    default_view = "documents"
    method_permission_name = {"documents": "list", "actualites": "list", "page": "show", "actualite": "show",
                              "fichier": "download", "version": "versions"}

    @expose("/documents/")
    @has_access
    def documents(self):
        documents = db.session.scalars(select(Document).where(visible(Document))
                                       .order_by(Document.categorie, Document.titre)).all()
        groupes: dict[str, list[Document]] = {}
        for document in documents:
            if document.version_courante is not None:
                groupes.setdefault(document.categorie_label, []).append(document)
        return self.render_template("contenus/documents.html", groupes=groupes)

    @expose("/documents/<int:pk>/fichier")
    @has_access
    def fichier(self, pk: int):
        return envoyer(_document_visible_or_404(pk).version_courante)

    @expose("/documents/<int:pk>/versions/<int:numero>")
    @has_access
    def version(self, pk: int, numero: int):
        version = db.session.scalar(select(DocumentVersion).where(DocumentVersion.document_id == pk,
                                                                  DocumentVersion.numero == numero))
        if version is None:
            abort(404)
        return envoyer(version)

    @expose("/pages/<slug>")
    @has_access
    def page(self, slug: str):
        page = db.session.scalar(select(Page).where(Page.slug == slug, visible(Page)))
        if page is None:
            abort(404)
        return self.render_template("contenus/page.html", page=page, corps=Markup(nettoyer_html(page.corps)))

    @expose("/actualites/")
    @has_access
    def actualites(self):
        actualites = db.session.scalars(select(Actualite).where(visible(Actualite))
                                        .order_by(Actualite.publie_le.desc()).limit(100)).all()
        return self.render_template("contenus/actualites.html", actualites=actualites,
                                    nettoyer=lambda html: Markup(nettoyer_html(html)))

    @expose("/actualites/<int:pk>")
    @has_access
    def actualite(self, pk: int):
        actualite = db.session.scalar(select(Actualite).where(Actualite.id == pk, visible(Actualite)))
        if actualite is None:
            abort(404)
        return self.render_template("contenus/actualite.html", actualite=actualite,
                                    corps=Markup(nettoyer_html(actualite.corps)))


class AideView(BaseView):
    """« Aide »: the FAQ of the reader's audiences with a search, and the support channels."""

    route_base = "/aide"
    class_permission_name = "Aide"
    default_view = "index"
    method_permission_name = {"index": "read"}

    @expose("/")
    @has_access
    def index(self):
        recherche = (request.args.get("q") or "").strip()[:200]
        entrees = db.session.scalars(select(FaqEntree).where(visible(FaqEntree))
                                     .order_by(FaqEntree.theme, FaqEntree.ordre, FaqEntree.id)).all()
        if recherche:
            mots = normaliser(recherche).split()
            entrees = [e for e in entrees
                       if all(m in normaliser(f"{e.question} {nh3.clean(e.reponse, tags=set())}") for m in mots)]
        themes: dict[str, list[FaqEntree]] = {}
        for entree in entrees:
            themes.setdefault(entree.theme_label, []).append(entree)
        config = current_app.config
        return self.render_template(
            "contenus/aide.html", themes=themes, recherche=recherche, nombre=len(entrees),
            support_email=config["SUPPORT_EMAIL"], societe_numerique_email=config["SOCIETE_NUMERIQUE_EMAIL"],
            canaux=config.get("SUPPORT_CANAUX", CANAUX_DEFAUT),
            documentation=config.get("DOCUMENTATION_PREFECTURES_URL", DOCUMENTATION_DEFAUT),
            html=lambda value: Markup(nettoyer_html(value)), connecte=bool(g.user and g.user.is_authenticated),
        )
