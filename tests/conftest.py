"""One application per test session, on SQLite (default) or PostgreSQL (TEST_DATABASE_URL).

The schema is built by Alembic, as in production. Each test starts from the same state:
reference territories and roles are kept, every other table is emptied after the test.
"""

import os
import re
import tempfile

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from app.extensions import db
from tests import factories

KEEP = {"region", "departement", "epci", "commune", "ab_role", "alembic_version"}


def _database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + os.path.join(tempfile.mkdtemp(prefix="pilotage-test-"), "test.db")


@pytest.fixture(scope="session")
def app():
    os.environ["TEST_DATABASE_URL"] = _database_url()
    import config

    config.TestConfig.SQLALCHEMY_DATABASE_URI = config.database_url(os.environ["TEST_DATABASE_URL"])
    application = create_app("config.TestConfig")
    with application.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(revision="heads")
        _truncate(everything=True)
        from app.cli import sync_roles

        sync_roles()
        factories.load_reference_sample()
    yield application


def _truncate(everything: bool = False) -> None:
    db.session.remove()
    tables = [t for t in reversed(db.metadata.sorted_tables) if everything or t.name not in KEEP]
    tables = [t for t in tables if t.name != "alembic_version"]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture(autouse=True)
def _clean_database(app):
    with app.app_context():
        yield
        _truncate()


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "no csrf_token in the page"
    return match.group(1)


def login(client, username: str, password: str = factories.PASSWORD):
    data = {"username": username, "password": password}
    if client.application.config["WTF_CSRF_ENABLED"]:
        data["csrf_token"] = csrf_token(client.get("/login/").get_data(as_text=True))
    response = client.post("/login/", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def api_token(client, username: str, password: str = factories.PASSWORD) -> dict:
    response = client.post("/api/v1/security/login",
                           json={"username": username, "password": password, "provider": "db"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return {"Authorization": f"Bearer {response.json['access_token']}"}
