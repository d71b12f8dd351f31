"""Fusion des branches et index des listes

Revision ID: f7669f812256
Revises: 0c2aeb8f25d1, 5e7a1c9d3b24, 7c41d2e9a0b3, 888914d8becb, c47d04b52523
Create Date: 2026-12-04 17:12:05.950933

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'f7669f812256'
down_revision = ('0c2aeb8f25d1', '5e7a1c9d3b24', '7c41d2e9a0b3', '888914d8becb', 'c47d04b52523')
branch_labels = None
depends_on = None


# Lists sort by name (structures, conseillers) and contracts by start date: 50 rows out of tens of
# thousands must not sort the whole table.
INDEXES = [("ix_structure_nom", "structure", "nom"), ("ix_conseiller_nom", "conseiller", "nom"),
           ("ix_contrat_date_debut", "contrat", "date_debut")]


def upgrade():
    for name, table, column in INDEXES:
        op.create_index(name, table, [column])


def downgrade():
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
