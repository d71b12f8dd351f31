"""Every model, imported so the metadata (and Alembic) knows every table."""

from app.candidatures.models import Candidature, CandidatureTransition, ContratDocument, DigestPrefet  # noqa: F401
from app.contenus.models import Actualite, Document, DocumentVersion, FaqEntree, Page  # noqa: F401
from app.formulaires.models import FormVersion, Soumission  # noqa: F401
from app.gouvernances.models import (  # noqa: F401
    GouvernancePressentie,
    Hub,
    Jalon,
    LieuImport,
    LieuMediation,
    Participation,
)
from app.invitations.models import Invitation  # noqa: F401
from app.mail.models import OutboxMessage  # noqa: F401
from app.models.journal import ExportLog  # noqa: F401
from app.models.structures import Conseiller, Contrat, Structure  # noqa: F401
from app.models.territoires import Commune, Departement, Epci, Region  # noqa: F401
from app.models.utilisateurs import Utilisateur  # noqa: F401
from app.statistiques.models import Cra, CraMensuel, CraMensuelDepartement, PerimetreCoordination  # noqa: F401
