"""Pilotage France Numérique Ensemble: the application factory."""

import logging

from flask import Flask
from flask_appbuilder import AppBuilder

from config import BASE_DIR, INSTANCE_DIR


def create_app(config_object: object | str = "config.Config") -> Flask:
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.from_object(config_object)
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    from app.extensions import csrf, db, mail, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    mail.init_app(app)
    csrf.init_app(app)

    from app import models  # noqa: F401  (every table on the metadata, for Alembic too)
    from app.security import scope

    scope.init_app(app)

    with app.app_context():
        appbuilder = AppBuilder(update_perms=False)
        appbuilder.init_app(app, db.session)
        from app.views import register_views

        register_views(app, appbuilder)

    from app import cli, errors, instrumentation, templating

    instrumentation.init_app(app)
    cli.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    return app
