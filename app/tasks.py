"""Celery: background jobs, configured from the Flask configuration.

    CELERY_BROKER_URL=redis://127.0.0.1:6379/0 celery -A app.tasks worker --loglevel=INFO
    CELERY_BROKER_URL=redis://127.0.0.1:6379/0 celery -A app.tasks beat

`celery -A app.tasks` reads the module attribute `celery`, created on first access from
`create_app()` (environment configuration). The web process does not import the worker app: it
gets its own client with `celery_for(app)`. Every task runs inside a Flask application context.
Any Flask setting `CELERY_<NAME>` becomes the Celery setting `<name>` (e.g.
`CELERY_TASK_DEFAULT_QUEUE`).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from celery import Celery, Task, shared_task
from celery.schedules import crontab
from flask import Flask

DELIVER_OUTBOX = "app.tasks.deliver_outbox"


@shared_task(name=DELIVER_OUTBOX, ignore_result=True)
def deliver_outbox() -> dict:
    """Send the due messages of the outbox (after a commit, and every minute from beat)."""
    from app.mail.outbox import deliver_pending

    return deliver_pending().as_dict()


def _settings(app: Flask) -> dict:
    config = app.config
    sweep = float(config.get("OUTBOX_SWEEP_SECONDS", 60))
    settings = {
        "broker_url": config.get("CELERY_BROKER_URL"),
        "task_ignore_result": True,
        "timezone": config.get("TIMEZONE", "Europe/Paris"),
        "enable_utc": True,
        "broker_connection_retry_on_startup": True,
        # A web request enqueuing after commit must not hang when the broker is down.
        "broker_transport_options": {"socket_connect_timeout": 3},
        "worker_hijack_root_logger": False,
        "beat_schedule": {
            "outbox-sweep": {"task": DELIVER_OUTBOX, "schedule": sweep, "options": {"expires": sweep}},
            # app/gouvernances: the préfets' daily digest of new participation forms, 7:00 Paris time.
            "gouvernances-digest-participations": {"task": "app.gouvernances.tasks.digest_participations",
                                                   "schedule": crontab(hour=7, minute=0)},
            # app/candidatures: the préfets' daily digest of new coordinator requests, 8:00 Paris time.
            "candidatures-digest-prefets": {"task": "app.candidatures.tasks.digest_candidatures",
                                            "schedule": crontab(hour=8, minute=0)},
        },
        "include": ["app.gouvernances.tasks", "app.candidatures.tasks"],
        "beat_schedule_filename": str(Path(app.instance_path) / "celerybeat-schedule"),
    }
    for key, value in config.items():
        if key.startswith("CELERY_") and key != "CELERY_BROKER_URL":
            settings[key[len("CELERY_"):].lower()] = value
    return settings


def celery_for(app: Flask) -> Celery:
    """The Celery app bound to this Flask app (rebuilt if its CELERY_* settings changed)."""
    settings = _settings(app)
    cached = app.extensions.get("celery")
    if cached is not None and cached[0] == settings:
        return cached[1]

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.import_name, task_cls=FlaskTask, set_as_current=False)
    celery.conf.update(settings)
    app.extensions["celery"] = (settings, celery)
    return celery


def enqueue_delivery(app: Flask) -> None:
    """Ask a worker to deliver now (no retry: if the broker is down, the sweep will catch up)."""
    celery_for(app).send_task(DELIVER_OUTBOX, retry=False, expires=300)


_worker_app: Celery | None = None
_worker_lock = threading.Lock()


def __getattr__(name: str):
    # `celery -A app.tasks worker` looks for `app.tasks.app`, then `app.tasks.celery`.
    global _worker_app
    if name != "celery":
        raise AttributeError(name)
    with _worker_lock:
        if _worker_app is None:
            from app import create_app

            flask_app = create_app(os.environ.get("FLASK_CONFIG", "config.Config"))
            if not flask_app.config.get("CELERY_BROKER_URL"):
                raise RuntimeError("CELERY_BROKER_URL n'est pas défini : pas de file de tâches à écouter.")
            _worker_app = celery_for(flask_app)
            _worker_app.set_default()
        return _worker_app
