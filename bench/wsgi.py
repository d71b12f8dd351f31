"""The application as gunicorn serves it for the benchmark, plus the baseline screens.

The baseline is what a user would get from Flask-AppBuilder out of the box: a plain ModelView
on the same models and data, with FAB's defaults (every column listed, relations rendered one
query at a time). It gets the same scope filter so it does the same work for a préfet.
"""

from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app import create_app
from app.models import Candidature, Conseiller, Structure
from app.security.scope import SCOPE_BASE_FILTER


class BaselineStructureView(ModelView):
    datamodel = SQLAInterface(Structure)
    class_permission_name = "Structure"
    route_base = "/bench-baseline/structures"
    base_filters = [SCOPE_BASE_FILTER]
    page_size = 50


class BaselineConseillerView(ModelView):
    datamodel = SQLAInterface(Conseiller)
    class_permission_name = "Conseiller"
    route_base = "/bench-baseline/conseillers"
    base_filters = [SCOPE_BASE_FILTER]
    page_size = 50


class BaselineCandidatureView(ModelView):
    datamodel = SQLAInterface(Candidature)
    class_permission_name = "Candidature"
    route_base = "/bench-baseline/candidatures"
    base_filters = [SCOPE_BASE_FILTER]
    base_order = ("date_candidature", "desc")
    page_size = 50


BASELINES = [BaselineStructureView, BaselineConseillerView, BaselineCandidatureView]

app = create_app()
with app.app_context():
    for view in BASELINES:
        app.appbuilder.add_view_no_menu(view)
