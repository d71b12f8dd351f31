"""Formulaires déclaratifs : versions immuables et soumissions

Revision ID: b3f1c7a9e2d4
Revises: 29a85bbff641
Create Date: 2026-12-04 16:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = 'b3f1c7a9e2d4'
down_revision = '29a85bbff641'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'formulaire_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('form_id', sa.String(length=100), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('definition', sa.JSON(), nullable=False),
        sa.Column('source', sa.Text(), nullable=False),
        sa.Column('empreinte', sa.String(length=64), nullable=False),
        sa.Column('published_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('published_by', sa.String(length=200), nullable=False),
        sa.Column('published_by_user_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('version >= 1', name='ck_formulaire_version_positive'),
        sa.ForeignKeyConstraint(['published_by_user_id'], ['ab_user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('form_id', 'version', name='uq_formulaire_version'),
    )
    with op.batch_alter_table('formulaire_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_formulaire_version_form_id'), ['form_id'], unique=False)

    op.create_table(
        'formulaire_soumission',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('form_version_id', sa.Integer(), nullable=False),
        sa.Column('form_id', sa.String(length=100), nullable=False),
        sa.Column('statut', sa.String(length=20), nullable=False),
        sa.Column('reponses', sa.JSON(), nullable=False),
        sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('soumise_le', app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('respondent_email', sa.String(length=320), nullable=True),
        sa.Column('respondent_user_id', sa.Integer(), nullable=True),
        sa.Column('objet_type', sa.String(length=50), nullable=True),
        sa.Column('objet_id', sa.Integer(), nullable=True),
        sa.Column('cle_acces', sa.String(length=64), nullable=False),
        sa.CheckConstraint("statut IN ('brouillon', 'soumise')", name='ck_formulaire_soumission_statut'),
        sa.CheckConstraint("statut = 'brouillon' OR soumise_le IS NOT NULL", name='ck_formulaire_soumission_date'),
        sa.ForeignKeyConstraint(['form_version_id'], ['formulaire_version.id']),
        sa.ForeignKeyConstraint(['respondent_user_id'], ['ab_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('formulaire_soumission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_formulaire_soumission_form_version_id'), ['form_version_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_formulaire_soumission_respondent_user_id'), ['respondent_user_id'],
                              unique=False)
        batch_op.create_index('ix_formulaire_soumission_form_statut', ['form_id', 'statut'], unique=False)
        batch_op.create_index('ix_formulaire_soumission_objet', ['objet_type', 'objet_id'], unique=False)
        batch_op.create_index(
            'uq_formulaire_soumission_brouillon_objet', ['form_id', 'objet_type', 'objet_id'], unique=True,
            sqlite_where=sa.text("statut = 'brouillon' AND objet_id IS NOT NULL"),
            postgresql_where=sa.text("statut = 'brouillon' AND objet_id IS NOT NULL"),
        )


def downgrade():
    with op.batch_alter_table('formulaire_soumission', schema=None) as batch_op:
        batch_op.drop_index('uq_formulaire_soumission_brouillon_objet')
        batch_op.drop_index('ix_formulaire_soumission_objet')
        batch_op.drop_index('ix_formulaire_soumission_form_statut')
        batch_op.drop_index(batch_op.f('ix_formulaire_soumission_respondent_user_id'))
        batch_op.drop_index(batch_op.f('ix_formulaire_soumission_form_version_id'))
    op.drop_table('formulaire_soumission')
    with op.batch_alter_table('formulaire_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_formulaire_version_form_id'))
    op.drop_table('formulaire_version')
