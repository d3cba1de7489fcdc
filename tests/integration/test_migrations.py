import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from app.extensions import db


# SQLAlchemy cannot read SQLite's expression indexes (lower(email)) back and says so twice: on SQLite those
# go uncompared; PostgreSQL's run compares them.
@pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index:sqlalchemy.exc.SAWarning",
    "ignore:autogenerate skipping metadata-specified expression-based index:UserWarning",
)
def test_migrations_build_the_same_schema_as_the_models(app_context):
    with db.engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), db.metadata
        )
    assert differences == []


def test_every_index_of_the_models_is_in_the_migrated_database(app_context):
    """By name, so that SQLite's expression indexes, which the comparison above cannot read, are checked
    too: a batch migration that rebuilds a SQLite table silently drops them."""
    if db.engine.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'index'"
    else:
        query = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    with db.engine.connect() as connection:
        present = set(connection.execute(text(query)).scalars())
    expected = {index.name for table in db.metadata.tables.values() for index in table.indexes}
    assert expected - present == set()
