"""`/api/v1/page/`, `/api/v1/document/`, `/api/v1/faq/`, `/api/v1/actualite/`: published content for the
caller's audiences, so another site can display it. Anonymous callers get public content; a bearer
token (or a browser session) adds the audiences of its user."""

from __future__ import annotations

from flask import request
from flask_appbuilder import ModelRestApi
from flask_appbuilder.models.filters import BaseFilter
from flask_jwt_extended import verify_jwt_in_request
from flask_jwt_extended.exceptions import JWTExtendedException
from jwt.exceptions import PyJWTError

from app.contenus.audience import visible
from app.contenus.models import Actualite, Document, FaqEntree, Page
from app.views.base import ModelInterface


class FilterVisible(BaseFilter):
    name = "Publié pour vous"
    arg_name = None

    def apply(self, query, value):
        return query.filter(visible(self.model))


_PUBLICATION = ["publie_le", "audiences"]


class _ContenuApi(ModelRestApi):
    allow_browser_login = True
    include_route_methods = {"get", "get_list"}
    page_size = 50
    max_page_size = 100
    base_filters = [["id", FilterVisible, None]]

    def _identifier(self):
        """Public endpoints skip FAB's JWT check: read the token ourselves (optional, but never wrong)."""
        if request.headers.get("Authorization"):
            try:
                verify_jwt_in_request(optional=True)
            except (JWTExtendedException, PyJWTError):
                return self.response_401()
        return None

    def get_list_headless(self, **kwargs):
        return self._identifier() or super().get_list_headless(**kwargs)

    def get_headless(self, pk, **kwargs):
        return self._identifier() or super().get_headless(pk, **kwargs)


class PageApi(_ContenuApi):
    resource_name = "page"
    class_permission_name = "ContenuPageApi"
    datamodel = ModelInterface(Page)
    list_columns = ["id", "slug", "titre", "rubrique", "resume", *_PUBLICATION]
    show_columns = list_columns + ["corps", "updated_at"]
    search_columns = ["slug", "rubrique", "titre"]
    order_columns = ["titre", "publie_le", "ordre"]
    base_order = ("ordre", "asc")




class DocumentApi(_ContenuApi):
    resource_name = "document"
    class_permission_name = "ContenuDocumentApi"
    datamodel = ModelInterface(Document)
    list_columns = ["id", "titre", "categorie", "description", "fichier", *_PUBLICATION]
    show_columns = list_columns
    search_columns = ["categorie", "titre"]
    order_columns = ["titre", "publie_le"]
    base_order = ("titre", "asc")


class FaqApi(_ContenuApi):
    resource_name = "faq"
    class_permission_name = "ContenuFaqApi"
    datamodel = ModelInterface(FaqEntree)
    list_columns = ["id", "theme", "question", "reponse", "ordre", *_PUBLICATION]
    show_columns = list_columns
    search_columns = ["theme", "question"]
    order_columns = ["ordre", "question", "publie_le"]
    base_order = ("ordre", "asc")


class ActualiteApi(_ContenuApi):
    resource_name = "actualite"
    class_permission_name = "ContenuActualiteApi"
    datamodel = ModelInterface(Actualite)
    list_columns = ["id", "titre", "resume", *_PUBLICATION]
    show_columns = list_columns + ["corps"]
    search_columns = ["titre"]
    order_columns = ["publie_le", "titre"]
    base_order = ("publie_le", "desc")


