"""Users carry their territory: a département or a région (préfets), a structure, a conseiller."""

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.structures import Conseiller, Structure
from app.models.territoires import Departement, Region


class Utilisateur(User):
    # FAB's documented way to extend its user: same table, extra columns.
    __tablename__ = "ab_user"

    departement_code: Mapped[str | None] = mapped_column(ForeignKey("departement.code"), index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"), index=True)
    structure_id: Mapped[int | None] = mapped_column(ForeignKey("structure.id"), index=True)
    conseiller_id: Mapped[int | None] = mapped_column(ForeignKey("conseiller.id"), index=True)
    telephone: Mapped[str | None] = mapped_column(String(20))
    hub_id: Mapped[int | None] = mapped_column(ForeignKey("hub.id"), index=True)  # AMI Hubs (app/gouvernances)

    departement: Mapped[Departement | None] = relationship(foreign_keys=[departement_code])
    region: Mapped[Region | None] = relationship(foreign_keys=[region_code])
    structure: Mapped[Structure | None] = relationship(foreign_keys=[structure_id])
    conseiller: Mapped[Conseiller | None] = relationship(foreign_keys=[conseiller_id])

    @property
    def territoire_label(self) -> str:
        if self.region is not None:
            return f"Région {self.region.nom}"
        if self.departement is not None:
            return f"Département {self.departement}"
        if self.structure is not None:
            return self.structure.nom
        return "National"
