"""Configuration, read from the environment (12-factor). Defaults serve `make run` on SQLite."""

import json
import os
from datetime import timedelta
from pathlib import Path

from flask_appbuilder.const import AUTH_DB

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_DIR", BASE_DIR / "instance"))


def database_url(url: str | None) -> str:
    """Accept the usual `postgres://` / `postgresql://` URLs and use the psycopg 3 driver."""
    if not url:
        return f"sqlite:///{INSTANCE_DIR / 'pilotage.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.lower() in {"1", "true", "yes", "on"}


class Config:
    APP_NAME = "Pilotage France Numérique Ensemble"
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-secret-key-change-me")
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL"))
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    # Alembic owns the schema; roles are created by `flask --app app roles sync`.
    FAB_CREATE_DB = False
    FAB_UPDATE_PERMS = False
    FAB_SECURITY_MANAGER_CLASS = "app.security.manager.PilotageSecurityManager"
    FAB_ADD_SECURITY_API = False
    # Permissions live in code (app/security/roles.py): FAB's permission editors would only mislead.
    FAB_ADD_SECURITY_PERMISSION_VIEW = False
    FAB_ADD_SECURITY_VIEW_MENU_VIEW = False
    FAB_ADD_SECURITY_PERMISSION_VIEWS_VIEW = False
    FAB_API_SWAGGER_UI = False
    FAB_API_MAX_PAGE_SIZE = 100
    FAB_BASE_TEMPLATE = "base_pilotage.html"
    FAB_INDEX_VIEW = "app.views.home.AccueilView"
    AUTH_TYPE = AUTH_DB
    AUTH_ROLE_ADMIN = "ANCT"
    AUTH_ROLE_PUBLIC = "Public"
    AUTH_USER_REGISTRATION = False
    AUTH_RATE_LIMITED = True
    AUTH_RATE_LIMIT = os.environ.get("AUTH_RATE_LIMIT", "10 per minute")
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True

    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    BABEL_DEFAULT_FOLDER = str(BASE_DIR / "translations")
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    LANGUAGES = {"fr": {"flag": "fr", "name": "Français"}}
    TIMEZONE = "Europe/Paris"

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(hours=1)

    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "1025"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "Pilotage France Numérique Ensemble <ne-pas-repondre@anct.gouv.fr>"
    )
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "10"))
    OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "8"))
    # Deliver right after commit in a background thread when no Celery broker is configured.
    OUTBOX_DELIVER_AFTER_COMMIT = _bool("OUTBOX_DELIVER_AFTER_COMMIT", True)
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL")

    INVITATION_VALIDITY = timedelta(days=7)
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    SUPPORT_EMAIL = os.environ.get("SUPPORT_EMAIL", "conseiller-numerique@anct.gouv.fr")
    SOCIETE_NUMERIQUE_EMAIL = os.environ.get("SOCIETE_NUMERIQUE_EMAIL", "societe.numerique@anct.gouv.fr")
    LIST_PAGE_SIZE = 50
    # Forms (app/formulaires, forms/README.md). Calendar override, JSON, per form id or "*" for all:
    # {"motivation-coordinateur": {"closes_at": "2026-12-31T23:59"}}; null = no limit.
    FORMULAIRES_CALENDRIER = json.loads(os.environ.get("FORMULAIRES_CALENDRIER") or "{}")
    FORMULAIRES_LIEN_VALIDITE = timedelta(days=90)  # signed fill links of forms without closing date
    FORMULAIRES_LIEN_LECTURE_APRES_CLOTURE = timedelta(days=30)  # read-only access after closing
    SQL_COUNT_HEADER = _bool("SQL_COUNT_HEADER", False)  # X-SQL-Count on every response (benchmark)

    # Coordinator call for applications (app/candidatures).
    # Minimum gross monthly salary of a recruited coordinator: the SMIC (35 h) since 1 May 2023.
    SALAIRE_MINIMUM_BRUT_MENSUEL = os.environ.get("SALAIRE_MINIMUM_BRUT_MENSUEL", "1747.20")
    CONTRAT_DOCUMENT_TAILLE_MAX = int(os.environ.get("CONTRAT_DOCUMENT_TAILLE_MAX", str(5 * 1024 * 1024)))
    # Flood protection of the public application page (Flask-Limiter syntax, per client address).
    CANDIDATURE_PUBLIQUE_RATE_LIMIT = os.environ.get("CANDIDATURE_PUBLIQUE_RATE_LIMIT", "5 per minute;50 per hour")


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("TEST_DATABASE_URL") or "sqlite://")
    RATELIMIT_ENABLED = False
    OUTBOX_DELIVER_AFTER_COMMIT = False
    MAIL_PORT = 1  # nothing listens: tests that deliver start their own SMTP server
    MAIL_TIMEOUT = 2
    PUBLIC_BASE_URL = "http://localhost"
    # The shipped calendars are 2023's: tests run with every form open unless a test sets dates.
    FORMULAIRES_CALENDRIER = {"*": {"opens_at": None, "closes_at": None}}
