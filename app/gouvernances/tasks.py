"""Celery task of the gouvernances package (scheduled daily by Celery beat, see app/tasks.py)."""

from celery import shared_task

DIGEST_PARTICIPATIONS = "app.gouvernances.tasks.digest_participations"


@shared_task(name=DIGEST_PARTICIPATIONS, ignore_result=True)
def digest_participations() -> int:
    """The préfets' daily digest of new participation forms (each form in one digest per département)."""
    from app.gouvernances.participation import envoyer_digest_prefets

    return envoyer_digest_prefets()
