"""`flask --app app digest send`: the daily digest of new requests to the préfets (cron or Celery beat)."""

import click
from flask.cli import AppGroup

from app.candidatures.workflow import envoyer_digest_prefets

digest_cli = AppGroup("digest", help="Récapitulatif quotidien des demandes de coordinateur aux préfets.")


@digest_cli.command("send")
def digest_send_command() -> None:
    """Envoie aux préfets les nouvelles demandes sans avis jamais signalées (chacune une seule fois)."""
    envoyes = envoyer_digest_prefets()
    click.echo(f"{envoyes} récapitulatif(s) mis en file d'envoi.")
