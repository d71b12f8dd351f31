"""Index des listes par territoire

Revision ID: 3d5e8a1f6c20
Revises: f7669f812256
Create Date: 2026-12-04 18:30:00

"""
from alembic import op


revision = '3d5e8a1f6c20'
down_revision = 'f7669f812256'
branch_labels = None
depends_on = None


# The lists sort by (nom, id) — coordinator requests by (date, id) — and a préfet sees one région or one département: with these indexes each
# page reads its 50 rows in order instead of sorting the territory (measured by `make bench`).
NEW = [("ix_structure_nom", "structure", ["nom", "id"]),
       ("ix_structure_region_nom", "structure", ["region_code", "nom", "id"]),
       ("ix_structure_departement_nom", "structure", ["departement_code", "nom", "id"]),
       ("ix_conseiller_nom", "conseiller", ["nom", "id"]),
       ("ix_candidature_date", "candidature", ["date_candidature", "id"])]
OLD = [("ix_structure_nom", "structure", ["nom"]),
       ("ix_structure_region", "structure", ["region_code"]),
       ("ix_conseiller_nom", "conseiller", ["nom"])]


def _replace(drop, create):
    for name, table, _ in drop:
        op.drop_index(name, table_name=table)
    for name, table, columns in create:
        op.create_index(name, table, columns)


def upgrade():
    _replace(OLD, NEW)


def downgrade():
    _replace(NEW, OLD)
