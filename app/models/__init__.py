"""Every model, imported so the metadata (and Alembic) knows every table."""

from app.models.structures import Conseiller, Contrat, Structure  # noqa: F401
from app.models.journal import ExportLog  # noqa: F401
from app.models.territoires import Commune, Departement, Epci, Region  # noqa: F401
from app.models.utilisateurs import Utilisateur  # noqa: F401
