"""Celery task of the coordinator call: the préfets' daily digest (scheduled in app/tasks.py)."""

from celery import shared_task

DIGEST_CANDIDATURES = "app.candidatures.tasks.digest_candidatures"


@shared_task(name=DIGEST_CANDIDATURES, ignore_result=True)
def digest_candidatures() -> int:
    """New coordinator requests without avis, each sent once to the préfets of its département."""
    from app.candidatures.workflow import envoyer_digest_prefets

    return envoyer_digest_prefets()
