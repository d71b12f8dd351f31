"""The schema Alembic builds is the one the models describe: a model change without its migration
(or the reverse) fails here, on SQLite and on PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_migrations_and_models_agree(app):
    with db.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), db.metadata)
    if db.engine.dialect.name == "sqlite":
        # SQLite cannot add a foreign key to an existing table: the gouvernances migration adds
        # ab_user.hub_id's on PostgreSQL only.
        differences = [d for d in differences
                       if not (d[0] == "add_fk" and d[1].parent.name == "ab_user" and d[1].column_keys == ["hub_id"])]
    assert differences == []


def test_index_names_are_unique():
    # Two indexes of one name (a column's index=True beside a composite in __table_args__) make the
    # comparison above pick either one: PostgreSQL keeps one name per schema.
    names = [index.name for table in db.metadata.tables.values() for index in table.indexes]
    assert sorted({n for n in names if names.count(n) > 1}) == []
